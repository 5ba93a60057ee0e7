/**
 * One probe per server, shared by its metrics and its traces: `collectMetrics` and
 * `traceServer` each plug their half in, and the probe is removed from the server when both
 * are gone (the server's hook sites then cost a property read again).
 */
import type { EngineServer, EngineSocket } from "../engine/index.js";
import type { Packet } from "../protocol/socket.js";
import type { Namespace } from "../server/namespace.js";
import type { ServerProbe } from "../server/probe.js";
import type { Socket } from "../server/socket.js";
import type { AnyServer, ServerMetrics } from "./server-metrics.js";
import type { ServerTracing } from "./tracing.js";

// biome-ignore lint/suspicious/noExplicitAny: the probe serves namespaces of any event typing
type AnyNamespace = Namespace<any, any, any, any>;
// biome-ignore lint/suspicious/noExplicitAny: the probe serves sockets of any event typing
type AnySocket = Socket<any, any, any, any>;

const hubs = new WeakMap<AnyServer, Hub>();

/** The probe of `io`, installed on first use. */
export function hubOf(io: AnyServer): Hub {
  let hub = hubs.get(io);
  if (hub === undefined) {
    hub = new Hub(io);
    hubs.set(io, hub);
  }
  return hub;
}

/** Fans the server's hooks out to its metrics and its tracing. */
export class Hub implements ServerProbe {
  readonly #io: AnyServer;
  #metrics: ServerMetrics | undefined;
  #tracing: ServerTracing | undefined;

  constructor(io: AnyServer) {
    this.#io = io;
  }

  get metrics(): ServerMetrics | undefined {
    return this.#metrics;
  }

  get tracing(): ServerTracing | undefined {
    return this.#tracing;
  }

  setMetrics(metrics: ServerMetrics | undefined): void {
    this.#metrics = metrics;
    this.#install();
  }

  setTracing(tracing: ServerTracing | undefined): void {
    this.#tracing = tracing;
    this.#install();
  }

  #install(): void {
    const used = this.#metrics !== undefined || this.#tracing !== undefined;
    this.#io._probe = used ? this : undefined;
  }

  engineBound(engine: EngineServer): void {
    this.#metrics?.watchEngine(engine);
  }

  connect(
    nsp: AnyNamespace,
    conn: EngineSocket,
    auth: Readonly<Record<string, unknown>>,
    run: () => Promise<boolean>,
  ): Promise<boolean> {
    const tracing = this.#tracing;
    const joined = tracing === undefined ? run() : tracing.connect(nsp, conn, auth, run);
    const metrics = this.#metrics;
    if (metrics === undefined) return joined;
    return joined.then((ok) => {
      if (ok) metrics.connected(nsp.name);
      return ok;
    });
  }

  recovery(nsp: AnyNamespace, restored: boolean): void {
    this.#metrics?.recovery(nsp.name, restored);
  }

  event(socket: AnySocket, args: unknown[], run: () => void): void {
    this.#metrics?.eventIn(socket, args);
    const tracing = this.#tracing;
    if (tracing === undefined) run();
    else tracing.event(socket, args, run);
  }

  ack<F extends (...args: never[]) => void>(socket: AnySocket, fn: F): F {
    const metrics = this.#metrics;
    return metrics === undefined ? fn : metrics.ack(socket, fn);
  }

  ackAbandoned(socket: AnySocket): void {
    this.#metrics?.ackAbandoned(socket.nsp.name);
  }

  sent(packet: Packet): void {
    this.#metrics?.sent(packet);
  }

  volatileDropped(nsp: string): void {
    this.#metrics?.volatileDropped(nsp);
  }

  decodeError(error: unknown): void {
    this.#metrics?.decodeError(error);
  }

  disconnected(socket: AnySocket, reason: string): void {
    this.#metrics?.disconnected(socket.nsp.name, reason);
    this.#tracing?.disconnected(socket);
  }
}
