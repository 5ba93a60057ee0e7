/**
 * OpenTelemetry traces of a Socket.IO server: a span for each namespace CONNECT (session
 * recovery, middlewares, the CONNECT reply) and one for each incoming event's handlers. Both
 * continue the trace context the client sent at connection: W3C `traceparent` / `tracestate`
 * in the CONNECT `auth` object, else in the handshake's HTTP headers.
 *
 *   client ─ CONNECT {traceparent} ─▶ span "socket.io connect /nsp"  (parent: client's span)
 *   client ─ EVENT "chat" ──────────▶ span "socket.io event chat"    (parent: client's span)
 *                                     ends when the listeners return, or when the ack is sent
 *
 * `@opentelemetry/api` is an optional peer dependency, loaded when tracing is asked for. With no
 * SDK registered (or a sampler that drops the span) a span is a no-op object and the handlers
 * run as they would without tracing.
 */

import type { IncomingHttpHeaders } from "node:http";
import { createRequire } from "node:module";
import type { EngineSocket } from "../engine/index.js";
import type { Namespace } from "../server/namespace.js";
import type { Socket } from "../server/socket.js";

// ---- the part of @opentelemetry/api used here (structural: no type dependency on it) --------

/** An OpenTelemetry context (opaque here). */
export interface OtelContext {
  getValue(key: symbol): unknown;
}

/** The span methods used here. */
export interface OtelSpan {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  isRecording(): boolean;
  end(): void;
}

/** The tracer method used here. */
export interface OtelTracer {
  startSpan(
    name: string,
    options?: { kind?: number; attributes?: Record<string, string | number | boolean> },
    context?: OtelContext,
  ): OtelSpan;
}

interface Getter<C> {
  keys(carrier: C): string[];
  get(carrier: C, key: string): string | string[] | undefined;
}

/** The members of the `@opentelemetry/api` module used here. */
export interface OpenTelemetryApi {
  readonly trace: {
    getTracer(name: string, version?: string): OtelTracer;
    setSpan(context: OtelContext, span: OtelSpan): OtelContext;
  };
  readonly context: {
    with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
      context: OtelContext,
      fn: F,
      thisArg?: ThisParameterType<F>,
      ...args: A
    ): ReturnType<F>;
  };
  readonly propagation: {
    extract<C>(context: OtelContext, carrier: C, getter?: Getter<C>): OtelContext;
  };
  readonly ROOT_CONTEXT: OtelContext;
}

/** `SpanKind.SERVER` and `SpanStatusCode.OK / ERROR` of the API (stable numbers). */
const SPAN_KIND_SERVER = 1;
const STATUS_OK = 1;
const STATUS_ERROR = 2;
/** Most spans of one socket left open waiting for their ack; past it a span ends at once. */
const MAX_PENDING_PER_SOCKET = 100;

// biome-ignore lint/suspicious/noExplicitAny: traces cover sockets of any event typing
type AnySocket = Socket<any, any, any, any>;
// biome-ignore lint/suspicious/noExplicitAny: traces cover namespaces of any event typing
type AnyNamespace = Namespace<any, any, any, any>;
type Carrier = Readonly<Record<string, unknown>>;

/** Reads only string values of the CONNECT `auth` object (it is untrusted input). */
const AUTH_GETTER: Getter<Carrier> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const v = Object.hasOwn(carrier, key) ? carrier[key] : undefined;
    return typeof v === "string" ? v : undefined;
  },
};

const HEADER_GETTER: Getter<IncomingHttpHeaders> = {
  keys: (headers) => Object.keys(headers),
  get: (headers, key) => headers[key.toLowerCase()],
};

/** Loads `@opentelemetry/api` from where this package is installed. */
export function loadOpenTelemetryApi(): OpenTelemetryApi {
  const url: unknown = import.meta.url;
  const req =
    typeof url === "string" && url.startsWith("file:")
      ? createRequire(url)
      : typeof require === "function"
        ? require
        : createRequire(`${process.cwd()}/`);
  const name = "@opentelemetry/api";
  try {
    return req(name) as OpenTelemetryApi;
  } catch (err) {
    throw new Error(
      `tether-io/metrics: tracing needs ${name} (npm install ${name}), and an OpenTelemetry SDK registered by the application`,
      { cause: err },
    );
  }
}

/** The tracing side of the probe. */
export class ServerTracing {
  readonly #api: OpenTelemetryApi;
  readonly #tracer: OtelTracer;
  /** The client's trace context per connection and namespace (when it sent one). */
  readonly #parents = new WeakMap<EngineSocket, Map<string, OtelContext>>();
  /** Spans of events whose handlers returned before sending the ack. */
  readonly #pending = new WeakMap<AnySocket, Set<() => void>>();

  constructor(api: OpenTelemetryApi, tracerName: string, tracerVersion?: string) {
    this.#api = api;
    this.#tracer = api.trace.getTracer(tracerName, tracerVersion);
  }

  /** The client's context: `traceparent` in the CONNECT auth, else in the handshake headers. */
  #extract(conn: EngineSocket, auth: Carrier): OtelContext {
    const { propagation, ROOT_CONTEXT } = this.#api;
    if (typeof auth.traceparent === "string") {
      return propagation.extract(ROOT_CONTEXT, auth, AUTH_GETTER);
    }
    return propagation.extract(ROOT_CONTEXT, conn.requestInfo.headers, HEADER_GETTER);
  }

  connect(
    nsp: AnyNamespace,
    conn: EngineSocket,
    auth: Carrier,
    run: () => Promise<boolean>,
  ): Promise<boolean> {
    const parent = this.#extract(conn, auth);
    const span = this.#tracer.startSpan(
      `socket.io connect ${nsp.name}`,
      {
        kind: SPAN_KIND_SERVER,
        attributes: {
          "messaging.system": "socket.io",
          "socket.io.namespace": nsp.name,
          "socket.io.transport": conn.transport.name,
        },
      },
      parent,
    );
    if (!span.isRecording()) return run();
    const joinedPromise = this.#api.context.with(this.#api.trace.setSpan(parent, span), run);
    return joinedPromise.then(
      (joined) => {
        if (joined && parent !== this.#api.ROOT_CONTEXT) {
          let byNsp = this.#parents.get(conn);
          if (byNsp === undefined) {
            byNsp = new Map();
            this.#parents.set(conn, byNsp);
          }
          byNsp.set(nsp.name, parent);
        }
        span.setAttribute("socket.io.joined", joined);
        span.setStatus(joined ? { code: STATUS_OK } : { code: STATUS_ERROR, message: "refused" });
        span.end();
        return joined;
      },
      (err: unknown) => {
        span.setStatus({ code: STATUS_ERROR, message: String(err) });
        span.end();
        throw err;
      },
    );
  }

  event(socket: AnySocket, args: unknown[], run: () => void): void {
    const name = String(args[0]);
    const last = args.length - 1;
    const ack = args[last];
    const hasAck = last > 0 && typeof ack === "function";
    const parent = this.#parents.get(socket.conn)?.get(socket.nsp.name) ?? this.#api.ROOT_CONTEXT;
    // A name no listener handles stays out of span names (a client could send any).
    const label = socket.listenerCount(name) > 0 ? name : "(unhandled)";
    const span = this.#tracer.startSpan(
      `socket.io event ${label}`,
      {
        kind: SPAN_KIND_SERVER,
        attributes: {
          "messaging.system": "socket.io",
          "socket.io.namespace": socket.nsp.name,
          "socket.io.event": name,
          "socket.io.socket_id": socket.id,
          "socket.io.ack": hasAck,
        },
      },
      parent,
    );
    if (!span.isRecording()) {
      run();
      return;
    }
    let state: "running" | "awaiting-ack" | "ended" = "running";
    const end = (acked: boolean): void => {
      if (state === "ended") return;
      const waited = state === "awaiting-ack";
      state = "ended";
      if (waited) this.#pending.get(socket)?.delete(finish);
      if (hasAck) span.setAttribute("socket.io.ack_sent", acked);
      span.end();
    };
    const finish = (): void => end(false);
    if (hasAck) {
      const fn = ack as (...a: unknown[]) => void;
      // The listeners get a wrapper: the span of an async handler ends when it answers.
      args[last] = (...a: unknown[]) => {
        end(true);
        fn(...a);
      };
    }
    this.#api.context.with(this.#api.trace.setSpan(parent, span), run);
    if (state !== "running") return;
    if (!hasAck) {
      end(false);
      return;
    }
    let pending = this.#pending.get(socket);
    if (pending === undefined) {
      pending = new Set();
      this.#pending.set(socket, pending);
    }
    if (pending.size >= MAX_PENDING_PER_SOCKET) {
      end(false);
      return;
    }
    state = "awaiting-ack";
    pending.add(finish);
  }

  /** The socket left: spans still waiting for an ack end (`socket.io.ack_sent` false). */
  disconnected(socket: AnySocket): void {
    const pending = this.#pending.get(socket);
    if (pending === undefined) return;
    this.#pending.delete(socket);
    for (const finish of [...pending]) finish();
  }
}
