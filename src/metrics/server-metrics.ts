/**
 * The counting side of `collectMetrics`: listens to the engine's events (connections, packets,
 * closes, refusals), serves the probe hooks of the Socket.IO server and of cluster adapters, and
 * keeps plain numbers. Nothing here calls prom-client on a hot path except the two histograms
 * (an ack arriving, a heartbeat coming back from the broker).
 *
 *   engine "connection" ──▶ opened{transport}     engine "connection_error" ──▶ refusals{code}
 *   engine probe: packet in, flush out, upgrade, close (closed{transport, reason}, limits),
 *                 latest-value replacements
 *   server probe ──▶ sockets, events, acks, volatile drops, recovery, decode errors
 *   adapter "error" ──▶ adapter errors{code}; adapter probe ──▶ messages, timeouts, round trip
 */
import type { Adapter } from "../adapter/types.js";
import type {
  ConnectionErrorEvent,
  EnginePacket,
  EngineServer,
  EngineSocket,
} from "../engine/index.js";
import type { OutboundPacket } from "../engine/server/outbound.js";
import type { EngineProbe } from "../engine/server/server.js";
import type { Packet } from "../protocol/socket.js";
import type { Server } from "../server/server.js";
import type { Socket } from "../server/socket.js";
import { bump, type Cell, Limits, NamespaceCounts, OTHER, UNHANDLED } from "./counts.js";

// biome-ignore lint/suspicious/noExplicitAny: metrics watch a server of any event typing
export type AnyServer = Server<any, any, any, any>;
// biome-ignore lint/suspicious/noExplicitAny: metrics watch sockets of any event typing
type AnySocket = Socket<any, any, any, any>;

/** Engine.IO packet types, in wire-digit order (the index of the packet counters). */
export const ENGINE_PACKET_TYPES = [
  "open",
  "close",
  "ping",
  "pong",
  "message",
  "upgrade",
  "noop",
] as const;
const TYPE_INDEX: Readonly<Record<string, number>> = Object.fromEntries(
  ENGINE_PACKET_TYPES.map((t, i) => [t, i]),
);
const MESSAGE = ENGINE_PACKET_TYPES.indexOf("message");

// Socket.IO packet types (src/protocol/socket.ts), as numbers: this module imports no values
// from the server, whose CommonJS bundle is a separate copy.
const EVENT = 2;
const CONNECT_ERROR = 4;
const BINARY_EVENT = 5;
const ACK_TIMEOUT = "SIO_ERR_ACK_TIMEOUT";
/** The label of a CONNECT refused before reaching a namespace (its name is the client's). */
const NO_NAMESPACE = "(none)";

/** Decoder error codes that are limits being hit. */
const DECODE_LIMITS: ReadonlyMap<string, string> = new Map([
  ["SIO_ERR_PAYLOAD_TOO_DEEP", Limits.PAYLOAD_DEPTH],
  ["SIO_ERR_TOO_MANY_ATTACHMENTS", Limits.ATTACHMENTS],
  ["SIO_ERR_EVENT_NAME_TOO_LONG", Limits.EVENT_NAME_LENGTH],
]);

/** Options of the counting side (see `CollectMetricsOptions`). */
export interface CountingOptions {
  readonly node: string;
  readonly maxNamespaces: number;
  readonly maxEventNames: number;
  readonly eventNames: ReadonlySet<string> | undefined;
}

/** What the counters need of the prom-client histograms. */
export interface HistogramSink {
  observe(labels: { readonly node: string; readonly namespace: string }, seconds: number): void;
}

function codeOf(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const code = (value as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** Which limit a session close reports, if any. */
function closeLimit(reason: string, description: unknown): string | undefined {
  if (reason === "buffer full") return Limits.BUFFER_FULL;
  const code = codeOf(description);
  if (code === "EIO_ERR_RATE_LIMITED") return Limits.POLLING_RATE;
  if (code === "EIO_ERR_PAYLOAD_TOO_LARGE") return Limits.PAYLOAD_SIZE;
  if (code === "EIO_ERR_WEBSOCKET") {
    const cause = (description as { cause?: unknown }).cause;
    // ws refuses a message over maxPayload with this code (and closes with 1009).
    if (codeOf(cause) === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") return Limits.PAYLOAD_SIZE;
  }
  return undefined;
}

/** Engine.IO frame size of a packet: the type digit and the text, or the bytes. */
function packetBytes(packet: EnginePacket): number {
  const data = packet.data;
  if (data === undefined) return 1;
  return typeof data === "string" ? 1 + Buffer.byteLength(data) : data.byteLength;
}

/** The counters of one Socket.IO server. */
export class ServerMetrics implements EngineProbe {
  readonly opts: CountingOptions;
  readonly io: AnyServer;
  // engine
  readonly opened = new Map<string, number>();
  readonly closes = new Map<string, number>();
  readonly refusals = new Map<string, number>();
  upgrades = 0;
  readonly packetsIn = new Array<number>(ENGINE_PACKET_TYPES.length).fill(0);
  readonly bytesIn = new Array<number>(ENGINE_PACKET_TYPES.length).fill(0);
  /** Packets and bytes out by type, messages apart (see {@link packetsSent}). */
  readonly packetsOut = new Array<number>(ENGINE_PACKET_TYPES.length).fill(0);
  readonly bytesOut = new Array<number>(ENGINE_PACKET_TYPES.length).fill(0);
  #messagesOut = 0;
  #messageBytesOut = 0;
  latestReplacements = 0;
  readonly limits = new Map<string, number>();
  readonly decodeErrors = new Map<string, number>();
  // Socket.IO, per namespace
  readonly namespaces = new Map<string, NamespaceCounts>();
  ackHistogram: HistogramSink | undefined;
  roundTripHistogram: HistogramSink | undefined;

  #engine: EngineServer | undefined;
  #closed = false;
  #lastSent: Packet | undefined;
  #lastCell: Cell | undefined;
  readonly #adapters = new WeakSet<Adapter>();

  constructor(io: AnyServer, opts: CountingOptions) {
    this.io = io;
    this.opts = opts;
  }

  /** The counters of namespace `name` (OTHER's past the cap). */
  ns(name: string): NamespaceCounts {
    const known = this.namespaces.get(name);
    if (known !== undefined) return known;
    const label = this.namespaces.size >= this.opts.maxNamespaces ? OTHER : name;
    let counts = this.namespaces.get(label);
    if (counts === undefined) {
      const o = this.opts;
      counts = new NamespaceCounts(label, o.node, o.maxEventNames, o.eventNames);
      this.namespaces.set(label, counts);
    }
    return counts;
  }

  get engine(): EngineServer | undefined {
    return this.#engine;
  }

  /** Stops counting and removes the hooks and listeners. */
  close(): void {
    this.#closed = true;
    const engine = this.#engine;
    if (engine !== undefined) {
      engine.off("connection", this.#onConnection);
      engine.off("connection_error", this.#onRefused);
      if (engine._probe === this) engine._probe = undefined;
    }
    for (const nsp of this.io._nsps.values()) {
      const adapter = nsp.adapter as Adapter & { _probe?: unknown };
      if (this.#adapters.has(adapter)) {
        adapter.off("error", this.#adapterErrorListener(nsp.name));
        if ("_probe" in adapter) adapter._probe = undefined;
      }
    }
    this.io.sockets.off("new_namespace", this.#onNamespace);
  }

  // ---- engine ---------------------------------------------------------------------------------

  /** Watches the engine's sessions and refusals (called again when the server binds another). */
  watchEngine(engine: EngineServer): void {
    if (this.#closed || this.#engine === engine) return;
    const previous = this.#engine;
    if (previous !== undefined) {
      previous.off("connection", this.#onConnection);
      previous.off("connection_error", this.#onRefused);
      if (previous._probe === this) previous._probe = undefined;
    }
    this.#engine = engine;
    engine._probe = this;
    engine.on("connection", this.#onConnection);
    engine.on("connection_error", this.#onRefused);
  }

  readonly #onConnection = (conn: EngineSocket): void => {
    bump(this.opened, conn.transport.name);
  };

  readonly #onRefused = (err: ConnectionErrorEvent): void => {
    bump(this.refusals, String(err.code));
    if (err.code === 6) bump(this.limits, Limits.CONNECTIONS_PER_IP);
  };

  // ---- engine probe: one call per packet in and per flush out, no listener per session --------
  // Prototype methods (not closures): the engine's call sites stay monomorphic.

  received(packet: EnginePacket): void {
    const i = TYPE_INDEX[packet.type];
    if (i === undefined) return;
    this.packetsIn[i] = (this.packetsIn[i] as number) + 1;
    this.bytesIn[i] = (this.bytesIn[i] as number) + packetBytes(packet);
  }

  flushed(packets: readonly OutboundPacket[]): void {
    for (let k = 0; k < packets.length; k++) {
      const p = packets[k] as OutboundPacket;
      // Most packets are messages (a fan-out writes one per recipient): plain fields for them.
      if (p.type === "message") {
        this.#messagesOut++;
        this.#messageBytesOut += p.size;
        continue;
      }
      const i = TYPE_INDEX[p.type];
      if (i === undefined) continue;
      this.packetsOut[i] = (this.packetsOut[i] as number) + 1;
      this.bytesOut[i] = (this.bytesOut[i] as number) + p.size;
    }
  }

  latestReplaced(): void {
    this.latestReplacements++;
  }

  upgraded(): void {
    this.upgrades++;
  }

  closed(conn: EngineSocket, reason: string, description: unknown): void {
    bump(this.closes, `${conn.transport.name}\u0000${reason}`);
    const limit = closeLimit(reason, description);
    if (limit !== undefined) bump(this.limits, limit);
  }

  // ---- adapters -------------------------------------------------------------------------------

  readonly #onNamespace = (): void => this.watchAdapters();
  readonly #errorListeners = new Map<string, (err: Error) => void>();

  #adapterErrorListener(nsp: string): (err: Error) => void {
    let l = this.#errorListeners.get(nsp);
    if (l === undefined) {
      l = (err: Error) => {
        const counts = this.ns(nsp);
        const code = codeOf(err) ?? "unknown";
        bump(counts.adapterErrors, code);
        if (code === "ADAPTER_ERR_PUBLISH_FAILED") counts.publishErrors++;
      };
      this.#errorListeners.set(nsp, l);
    }
    return l;
  }

  /**
   * Installs the cluster-adapter hooks on every namespace's adapter not watched yet (new
   * namespaces, `io.adapter(…)` replacing them); called at setup, on `new_namespace` and at
   * every scrape.
   */
  watchAdapters(): void {
    if (this.#closed) return;
    if (!this.#watchingNamespaces) {
      this.#watchingNamespaces = true;
      this.io.sockets.on("new_namespace", this.#onNamespace);
    }
    for (const nsp of this.io._nsps.values()) {
      const adapter = nsp.adapter as Adapter & { _probe?: unknown };
      if (this.#adapters.has(adapter)) continue;
      this.#adapters.add(adapter);
      adapter.on("error", this.#adapterErrorListener(nsp.name));
      // A cluster adapter (Redis, Redis Streams, node:cluster) has the hook; the in-memory one not.
      if (!("_probe" in adapter)) continue;
      const name = nsp.name;
      adapter._probe = {
        published: (type: string) => bump(this.ns(name).published, type),
        received: (type: string) => bump(this.ns(name).received, type),
        requestTimedOut: () => {
          this.ns(name).requestTimeouts++;
        },
        roundTrip: (seconds: number) =>
          this.roundTripHistogram?.observe(this.ns(name).labels, seconds),
      };
    }
  }

  #watchingNamespaces = false;

  // ---- probe hooks ----------------------------------------------------------------------------

  connected(nsp: string): void {
    this.ns(nsp).connected++;
  }

  disconnected(nsp: string, reason: string): void {
    bump(this.ns(nsp).disconnected, reason);
  }

  recovery(nsp: string, restored: boolean): void {
    const counts = this.ns(nsp);
    counts.recoveryAttempts++;
    if (restored) counts.recoveries++;
  }

  eventIn(socket: AnySocket, args: readonly unknown[]): void {
    const name = String(args[0]);
    // Only names the application listens to get a series: a client cannot fill the cap.
    const label = socket.listenerCount(name) > 0 ? name : UNHANDLED;
    this.ns(socket.nsp.name).eventsIn.add(label);
  }

  ack<F extends (...args: never[]) => void>(socket: AnySocket, fn: F): F {
    const start = performance.now();
    const counts = this.ns(socket.nsp.name);
    const wrapped = (...args: unknown[]): void => {
      const first = args[0];
      if (first instanceof Error && codeOf(first) === ACK_TIMEOUT) counts.ackTimeouts++;
      else this.ackHistogram?.observe(counts.labels, (performance.now() - start) / 1000);
      (fn as unknown as (...a: unknown[]) => void)(...args);
    };
    return wrapped as unknown as F;
  }

  ackAbandoned(nsp: string): void {
    this.ns(nsp).ackTimeouts++;
  }

  /** Packets written, by type index. */
  packetsSent(): number[] {
    const out = this.packetsOut.slice();
    out[MESSAGE] = (out[MESSAGE] as number) + this.#messagesOut;
    return out;
  }

  /** Bytes written, by type index. */
  bytesSent(): number[] {
    const out = this.bytesOut.slice();
    out[MESSAGE] = (out[MESSAGE] as number) + this.#messageBytesOut;
    return out;
  }

  /** A packet handed to a connection (per delivery). */
  sent(packet: Packet): void {
    // A broadcast hands the same packet to every recipient: one lookup per broadcast.
    if (packet === this.#lastSent) {
      (this.#lastCell as Cell).n++;
      return;
    }
    const type: number = packet.type;
    if (type === EVENT || type === BINARY_EVENT) {
      const data = packet.data;
      const name = Array.isArray(data) ? String(data[0]) : "";
      const cell = this.ns(packet.nsp).eventsOut.cell(name);
      cell.n++;
      this.#lastSent = packet;
      this.#lastCell = cell;
      return;
    }
    if (type === CONNECT_ERROR) this.#refused(packet);
  }

  #refused(packet: Packet): void {
    const data: unknown = packet.data;
    const message =
      typeof data === "object" && data !== null ? (data as { message?: unknown }).message : data;
    if (message === "Invalid namespace") {
      bump(this.ns(NO_NAMESPACE).refused, "invalid namespace");
    } else if (message === "Namespace name too long") {
      bump(this.ns(NO_NAMESPACE).refused, "namespace name too long");
      bump(this.limits, Limits.NAMESPACE_NAME_LENGTH);
    } else bump(this.ns(packet.nsp).refused, "middleware");
  }

  volatileDropped(nsp: string): void {
    this.ns(nsp).volatileDropped++;
  }

  decodeError(error: unknown): void {
    const code = codeOf(error) ?? "unknown";
    bump(this.decodeErrors, code);
    const limit = DECODE_LIMITS.get(code);
    if (limit !== undefined) bump(this.limits, limit);
  }
}
