/**
 * The Engine.IO v4 server: verifies requests, performs handshakes, routes polling requests and
 * WebSocket upgrades to sessions, and owns the shared heartbeat scheduler and flush queue.
 *
 *   client                                   server
 *     │ GET /engine.io/?EIO=4&transport=polling │
 *     │────────────────────────────────────────▶│ middlewares → verify → generateId
 *     │ 200 0{"sid":…,"upgrades":["websocket"]…}│ new EngineSocket, emit "connection"
 *     │◀────────────────────────────────────────│
 */
import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  ServerResponse,
} from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import {
  type CloseReason,
  type EnginePacket,
  type ErrorCode,
  ErrorCodes,
  ErrorMessages,
} from "../../protocol/engine.js";
import { IsolatedEmitter } from "../../shared/emitter.js";
import { attachToServer } from "./attach.js";
import { serializeCookie } from "./cookie.js";
import { corsMiddleware } from "./cors.js";
import { DeadlineWheel } from "./deadline-wheel.js";
import { generateSessionId } from "./id.js";
import {
  type AttachOptions,
  type EngineMiddleware,
  type EngineServerOptions,
  type ResolvedEngineOptions,
  resolveOptions,
} from "./options.js";
import { type OutboundPacket, preEncode } from "./outbound.js";
import { PollingTransport } from "./polling.js";
import { EngineSocket, type SessionHost } from "./socket.js";
import {
  abortRequest,
  abortUpgrade,
  checkRequest,
  parseQuery,
  type RequestError,
} from "./verify.js";
import { EngineWebSocket, WebSocketTransport } from "./websocket.js";
import { pollingWireV3, webSocketWireV3 } from "./wire-v3.js";

/** Payload of the `connection_error` event. */
export interface ConnectionErrorEvent {
  readonly req: IncomingMessage;
  readonly code: ErrorCode;
  readonly message: string;
  readonly context: unknown;
}

/**
 * Observability hooks of the engine (see `tether-io/metrics`): a server has none unless one is
 * installed, and a hook site then costs a property read. The session events (`packet`, `flush`,
 * `upgrade`, `close`) show the same, but a listener on every session costs a listener table per
 * session and an event object per packet; a probe is one call per packet or flush.
 */
export interface EngineProbe {
  /** A packet arrived on a session's current transport. */
  received(packet: EnginePacket): void;
  /** A session's queued packets are being written (one call per flush, not per packet). */
  flushed(packets: readonly OutboundPacket[]): void;
  /** A congested session dropped a queued "latest value" packet for a newer one of its key. */
  latestReplaced(): void;
  /** A session moved to WebSocket. */
  upgraded(): void;
  /** A session closed (after its `close` listeners). */
  closed(session: EngineSocket, reason: CloseReason, description: unknown): void;
}

/** Events of an {@link EngineServer}. */
export type EngineServerEvents = {
  connection: (socket: EngineSocket) => void;
  connection_error: (err: ConnectionErrorEvent) => void;
  /** Headers of a handshake response (add to the object to send more). */
  initial_headers: (headers: Record<string, string | string[]>, req: IncomingMessage) => void;
  /** Headers of every polling response and WebSocket 101. */
  headers: (headers: Record<string, string | string[]>, req: IncomingMessage) => void;
};

type Headers = Record<string, string | string[]>;

function noop(): void {}

/** Sessions left with output by one turn from which their writes wait for one more poll. */
const COALESCE_AT = 16;

/**
 * An Engine.IO v4 server.
 * @example
 * const engine = new EngineServer({ pingInterval: 10_000 });
 * engine.attach(httpServer);
 * engine.on("connection", (socket) => socket.on("message", (d) => socket.send(d)));
 */
export class EngineServer extends IsolatedEmitter<EngineServerEvents> {
  /** Pre-encodes one message packet for writing to many sessions (see `sendPreEncoded`). */
  static encodeMessage = preEncode;

  /** Options with defaults applied. */
  readonly opts: ResolvedEngineOptions;
  /** Open sessions by id. */
  readonly clients = new Map<string, EngineSocket>();
  #middlewares: EngineMiddleware[] = [];
  #cors: EngineMiddleware | undefined;
  #wss: WebSocketServer | undefined;
  #host: SessionHost;
  #dirty: EngineSocket[] = [];
  /** Sid of a WebSocket handshake in progress, for the cookie of its 101 response. */
  #upgradeSids = new WeakMap<IncomingMessage, string>();
  /** Headers set by middlewares on an upgrade request, added to its 101 response. */
  #upgradeHeaders = new WeakMap<IncomingMessage, Headers>();
  /** Open sessions per remote address (only with a finite `maxConnectionsPerIp`). */
  #perIp: Map<string, number> | undefined;
  #draining = false;
  /** @internal observability hooks (`tether-io/metrics`). */
  _probe: EngineProbe | undefined;

  constructor(opts?: EngineServerOptions) {
    super();
    this.opts = resolveOptions(opts);
    if (this.opts.cors !== undefined) this.#cors = corsMiddleware(this.opts.cors);
    const resolution = Math.min(
      500,
      Math.max(4, Math.min(this.opts.pingInterval, this.opts.pingTimeout) / 10),
    );
    // Sessions with queued packets are written once per event-loop turn, after the turn's I/O.
    // When a turn leaves many of them (the server is busy), the writes wait for one more
    // non-blocking poll: the I/O already waiting in the kernel (more client events, adapter
    // messages) adds its packets to the same writes. A lone session is written at once; the wait
    // is one loop turn at most.
    let deferred = false;
    const flushDirty = (): void => {
      if (!deferred && this.#dirty.length >= COALESCE_AT) {
        deferred = true;
        setImmediate(flushDirty);
        return;
      }
      deferred = false;
      const list = this.#dirty;
      this.#dirty = [];
      for (const s of list) s.flushQueued();
    };
    this.#host = {
      opts: this.opts,
      wheel: new DeadlineWheel<EngineSocket>(resolution),
      scheduleFlush: (socket) => {
        if (this.#dirty.push(socket) === 1) setImmediate(flushDirty);
      },
      decorateHeaders: (req, headers, sid, handshake) =>
        this.#decorate(req, headers, sid, handshake),
      removeSession: (socket) => {
        if (this.clients.get(socket.id) !== socket) return;
        this.clients.delete(socket.id);
        const perIp = this.#perIp;
        if (perIp === undefined) return;
        const n = (perIp.get(socket.remoteAddress) ?? 1) - 1;
        if (n <= 0) perIp.delete(socket.remoteAddress);
        else perIp.set(socket.remoteAddress, n);
      },
    };
    if (Number.isFinite(this.opts.maxConnectionsPerIp)) this.#perIp = new Map();
  }

  /** Whether {@link EngineServer.stopAccepting} was called: new handshakes are refused. */
  get draining(): boolean {
    return this.#draining;
  }

  /**
   * Refuses every new handshake from now on with 503 `{"code":8,"message":"Server draining"}`;
   * open sessions carry on (used by the Socket.IO server's graceful `close({ drain })`).
   */
  stopAccepting(): void {
    this.#draining = true;
  }

  /** Why a new session may not open now, if it may not. */
  #admission(req: IncomingMessage): RequestError | undefined {
    if (this.#draining) return { code: ErrorCodes.SERVER_DRAINING, context: {} };
    const perIp = this.#perIp;
    if (perIp !== undefined) {
      const address = req.socket?.remoteAddress ?? "";
      if ((perIp.get(address) ?? 0) >= this.opts.maxConnectionsPerIp) {
        return { code: ErrorCodes.TOO_MANY_CONNECTIONS, context: { address } };
      }
    }
    return undefined;
  }

  /**
   * The checks of a new session, in order — admission (draining, per-IP), `allowRequest`, protocol
   * version, id generation, admission again (it may have changed meanwhile) — then `open(id)`
   * unless the request went away (`gone`).
   */
  #handshake(
    req: IncomingMessage,
    query: URLSearchParams,
    refuse: (err: RequestError) => void,
    gone: () => boolean,
    open: (id: string, protocol: 3 | 4) => void,
  ): void {
    const refused = this.#admission(req);
    if (refused !== undefined) {
      refuse(refused);
      return;
    }
    this.#allow(req, (denied) => {
      if (denied !== undefined) {
        refuse(denied);
        return;
      }
      // As engine.io: anything but `EIO=4` (a missing one included) is the 3rd revision.
      const protocol = query.get("EIO") === "4" ? 4 : 3;
      if (protocol === 3 && !this.opts.allowEIO3) {
        refuse({ code: ErrorCodes.UNSUPPORTED_PROTOCOL_VERSION, context: { protocol } });
        return;
      }
      this.#withId(req, refuse, (id) => {
        if (gone()) return;
        const late = this.#admission(req);
        if (late !== undefined) refuse(late);
        else open(id, protocol);
      });
    });
  }

  #register(session: EngineSocket): void {
    this.clients.set(session.id, session);
    const perIp = this.#perIp;
    if (perIp !== undefined) {
      perIp.set(session.remoteAddress, (perIp.get(session.remoteAddress) ?? 0) + 1);
    }
  }

  /** Number of open sessions. */
  get clientsCount(): number {
    return this.clients.size;
  }

  /**
   * Adds an Express-style middleware run before verification on every engine request
   * (polling and upgrades). Calling `next(err)` refuses the request with 400 code 3.
   * @example engine.use((req, res, next) => (req.headers.authorization ? next() : next(new Error("no"))));
   */
  use(middleware: EngineMiddleware): void {
    this.#middlewares.push(middleware);
  }

  /** @internal whether `use` registered any middleware. */
  get hasMiddlewares(): boolean {
    return this.#middlewares.length > 0;
  }

  /**
   * Returns the id of a new session; override (or assign) to customise. May return a promise.
   * @example engine.generateId = () => crypto.randomUUID();
   */
  generateId(_req: IncomingMessage): string | Promise<string> {
    return generateSessionId();
  }

  #decorate(req: IncomingMessage, headers: Headers, sid: string, handshake: boolean): void {
    if (handshake) {
      if (this.opts.cookie !== undefined) {
        headers["Set-Cookie"] = [serializeCookie(sid, this.opts.cookie)];
      }
      this.emit("initial_headers", headers, req);
    }
    this.emit("headers", headers, req);
  }

  #refuse(req: IncomingMessage, err: RequestError): void {
    this.emit("connection_error", {
      req,
      code: err.code,
      message: ErrorMessages[err.code],
      context: err.context,
    });
  }

  #runMiddlewares(
    req: IncomingMessage,
    res: ServerResponse,
    list: readonly EngineMiddleware[],
    done: (err: unknown) => void,
  ): void {
    let i = 0;
    const next = (err?: unknown): void => {
      if (err !== undefined && err !== null) {
        done(err);
        return;
      }
      const mw = list[i++];
      if (mw === undefined) {
        done(undefined);
        return;
      }
      try {
        mw(req, res, next);
      } catch (e) {
        done(e);
      }
    };
    next();
  }

  #allow(req: IncomingMessage, cb: (err: RequestError | undefined) => void): void {
    const allowRequest = this.opts.allowRequest;
    if (allowRequest === undefined) {
      cb(undefined);
      return;
    }
    let called = false;
    const answer = (message: string | null | undefined, success: boolean): void => {
      if (called) return;
      called = true;
      cb(
        success
          ? undefined
          : { code: ErrorCodes.FORBIDDEN, context: { message: message ?? undefined } },
      );
    };
    try {
      allowRequest(req, answer);
    } catch (e) {
      // A throwing allowRequest refuses the request rather than crashing the server.
      answer(e instanceof Error ? e.message : undefined, false);
    }
  }

  #withId(
    req: IncomingMessage,
    fail: (err: RequestError) => void,
    then: (id: string) => void,
  ): void {
    const bad = (error: unknown): void =>
      fail({ code: ErrorCodes.BAD_REQUEST, context: { name: "ID_GENERATION_ERROR", error } });
    let id: string | Promise<string>;
    try {
      id = this.generateId(req);
    } catch (e) {
      bad(e);
      return;
    }
    if (typeof id === "string") then(id);
    else id.then(then, bad);
  }

  /** A session past its heartbeat deadline closes before its request is checked (then: unknown sid). */
  #checkDeadline(query: URLSearchParams): void {
    const sid = query.get("sid");
    if (sid !== null) this.clients.get(sid)?.checkDeadline(Date.now());
  }

  /** Handles an HTTP request under the engine path (for frameworks; `attach` calls it). */
  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const query = parseQuery(req.url);
    const refuse = (err: RequestError): void => {
      this.#refuse(req, err);
      abortRequest(res, err);
    };
    const list = this.#cors === undefined ? this.#middlewares : [this.#cors, ...this.#middlewares];
    this.#runMiddlewares(req, res, list, (mwErr) => {
      if (mwErr !== undefined) {
        refuse({ code: ErrorCodes.BAD_REQUEST, context: { name: "MIDDLEWARE_FAILURE" } });
        return;
      }
      if (res.writableEnded) return;
      this.#checkDeadline(query);
      const err = checkRequest(req, query, false, this.opts.transports, this.clients);
      if (err !== undefined) {
        refuse(err);
        return;
      }
      const sid = query.get("sid");
      if (sid !== null) {
        this.clients.get(sid)?.onPollingRequest(req, res);
        return;
      }
      this.#handshake(
        req,
        query,
        refuse,
        () => res.destroyed || res.writableEnded,
        (id, protocol) => {
          const session = new EngineSocket(
            this,
            this.#host,
            id,
            req,
            (o) =>
              new PollingTransport(
                o,
                protocol === 3 ? pollingWireV3(!query.has("b64")) : undefined,
              ),
            protocol,
          );
          this.#register(session);
          this.emit("connection", session);
          session.onPollingRequest(req, res);
        },
      );
    });
  }

  #webSocketServer(): WebSocketServer {
    if (this.#wss === undefined) {
      const wss = new WebSocketServer({
        noServer: true,
        clientTracking: false,
        perMessageDeflate: this.opts.perMessageDeflate,
        maxPayload: this.opts.maxHttpBufferSize,
        WebSocket: EngineWebSocket,
      });
      wss.on("headers", (lines: string[], req: IncomingMessage) => {
        const headers: Headers = { ...this.#upgradeHeaders.get(req) };
        this.#upgradeHeaders.delete(req);
        const sid = this.#upgradeSids.get(req);
        this.#decorate(req, headers, sid ?? "", sid !== undefined);
        for (const [k, v] of Object.entries(headers)) {
          for (const value of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${value}`);
        }
      });
      wss.on("error", noop);
      this.#wss = wss;
    }
    return this.#wss;
  }

  /** Handles an HTTP upgrade under the engine path (for frameworks; `attach` calls it). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", noop);
    const query = parseQuery(req.url);
    const refuse = (err: RequestError): void => {
      this.#refuse(req, err);
      abortUpgrade(socket, err);
    };
    // A detached response collects headers middlewares set; they are added to the 101.
    const res = new ServerResponse(req);
    this.#runMiddlewares(req, res, this.#middlewares, (mwErr) => {
      if (mwErr !== undefined) {
        refuse({ code: ErrorCodes.BAD_REQUEST, context: { name: "MIDDLEWARE_FAILURE" } });
        return;
      }
      if (res.writableEnded) {
        socket.destroy();
        return;
      }
      this.#checkDeadline(query);
      const err =
        checkRequest(req, query, true, this.opts.transports, this.clients) ??
        (query.get("transport") === "websocket"
          ? undefined
          : { code: ErrorCodes.BAD_REQUEST, context: { name: "TRANSPORT_MISMATCH" } });
      if (err !== undefined) {
        refuse(err);
        return;
      }
      const extra = res.getHeaders();
      if (Object.keys(extra).length > 0) {
        const headers: Headers = {};
        for (const [k, v] of Object.entries(extra)) {
          if (v !== undefined) headers[k] = Array.isArray(v) ? v : String(v);
        }
        this.#upgradeHeaders.set(req, headers);
      }
      const sid = query.get("sid");
      if (sid !== null) {
        this.#webSocketServer().handleUpgrade(req, socket, head, (ws) => {
          const session = this.clients.get(sid);
          const transport = new WebSocketTransport(
            session ?? DETACHED_OWNER,
            ws as EngineWebSocket,
            socket,
            session?.protocol === 3 ? webSocketWireV3(!query.has("b64")) : undefined,
          );
          if (session === undefined) transport.discard();
          else session.maybeUpgrade(transport);
        });
        return;
      }
      this.#handshake(
        req,
        query,
        refuse,
        () => socket.destroyed,
        (id, protocol) => {
          this.#upgradeSids.set(req, id);
          this.#webSocketServer().handleUpgrade(req, socket, head, (ws) => {
            this.#upgradeSids.delete(req);
            const session = new EngineSocket(
              this,
              this.#host,
              id,
              req,
              (o) =>
                new WebSocketTransport(
                  o,
                  ws as EngineWebSocket,
                  socket,
                  protocol === 3 ? webSocketWireV3(!query.has("b64")) : undefined,
                ),
              protocol,
            );
            this.#register(session);
            this.emit("connection", session);
          });
        },
      );
    });
  }

  /**
   * Serves the engine on `server` under `opts.path`; other requests go to the server's
   * previous `request` listeners, untouched.
   * @example engine.attach(createServer(app), { path: "/engine.io" });
   */
  attach(server: HttpServer, opts: AttachOptions = {}): void {
    attachToServer(server, opts, this, this.opts.transports.includes("websocket"));
  }

  /**
   * Starts a standalone HTTP server on `port` serving only the engine (other paths → 501).
   * @example new EngineServer().listen(3000);
   */
  listen(port: number, opts?: AttachOptions, cb?: () => void): HttpServer {
    const http = createServer((_req, res) => {
      res.writeHead(501);
      res.end("Not Implemented");
    });
    this.attach(http, opts);
    http.listen(port, cb);
    return http;
  }

  /** Closes every session with reason `server shutting down` (the HTTP server stays open). */
  close(): void {
    for (const session of [...this.clients.values()]) session.shutdown();
    this.#host.wheel.clear();
  }
}

/** Owner of a WebSocket that arrived for a session which no longer exists. */
const DETACHED_OWNER = {
  maxPayload: 0,
  compressionThreshold: false as const,
  onTransportPacket: noop,
  onTransportParseError: noop,
  onTransportReady: noop,
  onTransportDrain: noop,
  onTransportError: noop,
  onTransportClose: noop,
  decorateHeaders: noop,
};
