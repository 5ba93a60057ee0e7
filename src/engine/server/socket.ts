/**
 * One Engine.IO session: the write buffer, heartbeat, upgrade and close logic, independent of
 * the transport in use.
 *
 * State machine (one `#state` field, changed only in `#transition`):
 *
 *   opening ──▶ open ──(2probe on a ws)──▶ upgrading ──(5)──▶ open (now on websocket)
 *                 │                            │ (timeout / bad probe packet / probe closed)
 *                 │                            └──────────────▶ open (still polling)
 *                 ├──(close())──▶ closing ──(buffer drained, transport closed)──▶ closed
 *                 └──(transport close/error, parse error, ping timeout, server close)──▶ closed
 */
import { type IncomingHttpHeaders, IncomingMessage, type ServerResponse } from "node:http";
import { Socket as NetSocket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { SendableData } from "../../parser/engine/index.js";
import { toRawData } from "../../parser/engine/index.js";
import {
  type CloseReason,
  type EnginePacket,
  type EnginePacketType,
  ErrorCodes,
  ErrorMessages,
  errorStatus,
  type TransportName,
} from "../../protocol/engine.js";
import { IsolatedEmitter } from "../../shared/emitter.js";
import type { TetherError } from "../../shared/errors.js";
import type { DeadlineItem, DeadlineWheel } from "./deadline-wheel.js";
import { EngineServerErrors, engineError } from "./errors.js";
import { intern, internHeaders } from "./intern.js";
import type { ResolvedEngineOptions } from "./options.js";
import { OutboundPacket, type PreEncodedPacket } from "./outbound.js";
import { PollingTransport } from "./polling.js";
import type { EngineServer } from "./server.js";
import type { ServerTransport, TransportOwner } from "./transport.js";
import type { WebSocketTransport } from "./websocket.js";

/**
 * A packet as `packet` listeners see it, in engine.io's shape: `data` absent when the packet has
 * none, binary as a Node Buffer. Built only when there are listeners.
 */
export interface EnginePacketEvent {
  readonly type: EnginePacketType;
  readonly data?: string | Buffer;
}

/** A packet as `packetCreate` listeners see it: engine.io's shape, with its write options. */
export interface EngineOutgoingPacketEvent extends EnginePacketEvent {
  readonly options: { readonly compress: boolean };
}

/** Events of an {@link EngineSocket}. */
export type EngineSocketEvents = {
  /** A message from the client (binary as a Node Buffer). */
  message: (data: string | Buffer) => void;
  /** Any packet from the client (engine.io's shape; monitoring tools count them). */
  packet: (packet: EnginePacketEvent) => void;
  /**
   * A packet about to be queued for the client, broadcasts included (engine.io's shape:
   * `@socket.io/admin-ui` counts packets and bytes out with it).
   */
  packetCreate: (packet: EngineOutgoingPacketEvent) => void;
  /** The client probed an upgrade (`2probe` answered with `3probe`). */
  upgrading: (transport: { readonly name: TransportName }) => void;
  /** The session moved to the new transport. */
  upgrade: (transport: { readonly name: TransportName }) => void;
  /** Everything written so far has been handed to the socket. */
  drain: () => void;
  /** The write buffer is about to be written. */
  flush: (buffer: readonly EnginePacket[]) => void;
  /** The client answered a ping. */
  heartbeat: () => void;
  /** Reserved; transport failures close the session and are reported through `close`. */
  error: (err: Error) => void;
  /** The session closed (fires exactly once). */
  close: (reason: CloseReason, description?: unknown) => void;
};

/** Options of `send`. */
export interface SendOptions {
  /** Allow compression of this packet (polling `httpCompression`, ws `perMessageDeflate`). @default true */
  compress?: boolean;
  /**
   * A "latest value" key: while the session is congested (`needsDrain`), this packet replaces the
   * older queued packet with the same key instead of queuing behind it.
   */
  key?: string;
}

/** What a session needs from its server (kept off the public server API). */
export interface SessionHost {
  readonly opts: ResolvedEngineOptions;
  readonly wheel: DeadlineWheel<EngineSocket>;
  /** Flushes `socket` at the end of the current tick (coalesces writes of one turn). */
  scheduleFlush(socket: EngineSocket): void;
  decorateHeaders(
    req: IncomingMessage,
    headers: Record<string, string | string[]>,
    sid: string,
    handshake: boolean,
  ): void;
  removeSession(socket: EngineSocket): void;
}

/**
 * The receiver of a session's messages and close, called before the public events: how the
 * Socket.IO layer listens without a listener map, arrays and closures per connection.
 */
export interface SessionSink {
  onEngineMessage(data: string | Buffer): void;
  onEngineClose(reason: CloseReason, description?: unknown): void;
  /** Everything queued has been written to the client's connection. */
  onEngineDrain(): void;
}

/** What a session keeps of its handshake request (see {@link EngineSocket.discardRequest}). */
export interface HandshakeRequestInfo {
  readonly headers: IncomingHttpHeaders;
  readonly url: string;
  /** Whether the handshake arrived over TLS. */
  readonly secure: boolean;
}

type SessionState = "opening" | "open" | "upgrading" | "closing" | "closed";

const PING = new OutboundPacket("ping");
const NOOP = new OutboundPacket("noop");
const PONG_PROBE = new OutboundPacket("pong", "probe");
const PONG = new OutboundPacket("pong");
/** While an upgrade is pending, a waiting GET is released with a noop this often. */
const NOOP_INTERVAL = 100;

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

const COMPRESSED = Object.freeze({ compress: true });
const UNCOMPRESSED = Object.freeze({ compress: false });

/** The listener view of a packet (a new object: shared packets stay immutable). */
function packetEvent(packet: EnginePacket): EnginePacketEvent {
  const data = packet.data;
  if (data === undefined) return { type: packet.type };
  return { type: packet.type, data: typeof data === "string" ? data : toBuffer(data) };
}

function outgoingEvent(packet: EnginePacket, compress: boolean): EngineOutgoingPacketEvent {
  const options = compress ? COMPRESSED : UNCOMPRESSED;
  const data = packet.data;
  if (data === undefined) return { type: packet.type, options };
  return { type: packet.type, data: typeof data === "string" ? data : toBuffer(data), options };
}

/** A server-side Engine.IO session. */
export class EngineSocket
  extends IsolatedEmitter<EngineSocketEvents>
  implements TransportOwner, DeadlineItem
{
  /** Session id (`sid`), 20 URL-safe characters. */
  readonly id: string;
  /** Engine.IO protocol revision of the client (3: a Socket.IO v2 client, see `allowEIO3`). */
  readonly protocol: 3 | 4;
  /** The server this session belongs to. */
  readonly server: EngineServer;
  /** Address of the client at handshake. */
  readonly remoteAddress: string;
  #request: IncomingMessage | undefined;
  readonly #headers: IncomingHttpHeaders;
  readonly #url: string;
  readonly #secure: boolean;
  #sink: SessionSink | undefined;

  #host: SessionHost;
  #state: SessionState = "opening";
  #transport: ServerTransport;
  #probe: WebSocketTransport | undefined;
  /** Packets queued and not yet handed to the transport; allocated on the first write after a flush. */
  #buffer: OutboundPacket[] | undefined;
  /** Bytes of the packets in `#buffer`. */
  #bufferBytes = 0;
  /** Bytes and packets queued beyond the backpressure limits (`exempt`), until the queue drains. */
  #creditBytes = 0;
  #creditPackets = 0;
  #exempt = false;
  #compress = false;
  #callbacks: (() => void)[] | undefined;
  #sentCallbacks: (() => void)[] | undefined;
  #flushQueued = false;
  /** Absolute time of the heartbeat deadline in the wheel, 0 when unscheduled. */
  #deadline = 0;
  #awaitingPong = false;
  #upgradeTimer: ReturnType<typeof setTimeout> | undefined;
  #noopTimer: ReturnType<typeof setInterval> | undefined;

  /** @internal created by the server on handshake. */
  constructor(
    server: EngineServer,
    host: SessionHost,
    id: string,
    req: IncomingMessage,
    createTransport: (owner: TransportOwner) => ServerTransport,
    protocol: 3 | 4 = 4,
  ) {
    super();
    this.server = server;
    this.protocol = protocol;
    this.#host = host;
    this.id = id;
    this.#request = req;
    this.#headers = internHeaders(req.headers);
    this.#url = intern(req.url ?? "");
    this.#secure = (req.socket as Partial<TLSSocket> | null)?.encrypted === true;
    this.remoteAddress = intern(req.socket?.remoteAddress ?? "");
    this.#transport = createTransport(this);
    this.#open();
  }

  /**
   * The handshake request. After {@link EngineSocket.discardRequest}, a request rebuilt on first
   * access from the handshake's URL and headers (on the session's TCP socket when it uses a
   * WebSocket); properties that middlewares set on the original are not on it.
   */
  get request(): IncomingMessage {
    if (this.#request === undefined) {
      const raw = this.#transport.socket;
      const req = new IncomingMessage(raw instanceof NetSocket ? raw : new NetSocket());
      req.method = "GET";
      req.url = this.#url;
      req.headers = this.#headers;
      req.complete = true;
      this.#request = req;
    }
    return this.#request;
  }

  /**
   * Drops the handshake `IncomingMessage` (about 0.5 KB with its stream state and raw headers),
   * keeping the headers, URL and address. The Socket.IO server calls it once a connection joined
   * its first namespace, unless `retainRequest` is set.
   * @example engine.on("connection", (socket) => socket.discardRequest());
   */
  discardRequest(): void {
    this.#request = undefined;
  }

  /** @internal headers, URL and TLS flag of the handshake, without rebuilding the request. */
  get requestInfo(): HandshakeRequestInfo {
    return { headers: this.#headers, url: this.#url, secure: this.#secure };
  }

  /** @internal the Socket.IO layer's receiver of messages and close (one per session). */
  setSink(sink: SessionSink): void {
    this.#sink = sink;
  }

  /** `opening` | `open` | `closing` | `closed` (an upgrade in progress reads as `open`). */
  get readyState(): "opening" | "open" | "closing" | "closed" {
    return this.#state === "upgrading" ? "open" : this.#state;
  }

  /** The transport in use. */
  get transport(): { readonly name: TransportName; readonly writable: boolean } {
    return this.#transport;
  }

  /**
   * Bytes queued for this client and not yet written to its connection: packets waiting for the
   * transport (a polling GET, or the end of the WebSocket write in progress) plus what the WebSocket
   * holds in memory.
   */
  get bufferedAmount(): number {
    return this.#transport.bufferedAmount + this.#bufferBytes;
  }

  /** Packets waiting for the transport. */
  get bufferedPackets(): number {
    return this.#buffer?.length ?? 0;
  }

  /**
   * Whether a packet sent now would be written at once, as upstream's transport `writable` after
   * its synchronous flush: the session is open, nothing is queued this tick, no write is in
   * flight and (polling) a GET is pending. `volatile` packets are sent only then.
   */
  get writableNow(): boolean {
    return (
      this.#buffer === undefined &&
      (this.#state === "open" || this.#state === "upgrading") &&
      this.#transport.writable
    );
  }

  /**
   * Whether {@link EngineSocket.bufferedAmount} reached the backpressure `highWaterMark`: the client
   * reads slower than the server writes. Volatile packets are dropped while it holds.
   */
  get needsDrain(): boolean {
    const limits = this.#host.opts.backpressure;
    return limits !== undefined && this.bufferedAmount >= limits.highWaterMark;
  }

  /** @internal TransportOwner */
  get maxPayload(): number {
    return this.#host.opts.maxHttpBufferSize;
  }

  /** @internal TransportOwner */
  get compressionThreshold(): number | false {
    return this.#host.opts.httpCompression;
  }

  #transition(next: SessionState): void {
    if (this.#state === "upgrading") {
      if (this.#upgradeTimer !== undefined) clearTimeout(this.#upgradeTimer);
      if (this.#noopTimer !== undefined) clearInterval(this.#noopTimer);
      this.#upgradeTimer = undefined;
      this.#noopTimer = undefined;
    }
    this.#state = next;
  }

  #open(): void {
    const opts = this.#host.opts;
    const upgrades =
      this.#transport.name === "polling" &&
      opts.allowUpgrades &&
      opts.transports.includes("websocket")
        ? ["websocket"]
        : [];
    // Key order is part of the wire format.
    const handshake = JSON.stringify({
      sid: this.id,
      upgrades,
      pingInterval: opts.pingInterval,
      pingTimeout: opts.pingTimeout,
      maxPayload: opts.maxHttpBufferSize,
    });
    this.#transition("open");
    // `compress` as upstream's default (its packetCreate listeners see it); below any threshold.
    this.#sendPacket(new OutboundPacket("open", handshake), true, undefined);
    if (opts.initialPacket !== undefined) {
      this.#sendPacket(new OutboundPacket("message", opts.initialPacket), true, undefined);
    }
    if (this.protocol === 3) this.#onLegacyPing(undefined);
    else this.#schedule(Date.now() + opts.pingInterval);
  }

  // ── heartbeat ──────────────────────────────────────────────────────────────────────────────

  #schedule(at: number): void {
    if (this.#deadline !== 0) this.#host.wheel.remove(this, this.#deadline);
    this.#deadline = at;
    this.#host.wheel.add(this, at);
  }

  #unschedule(): void {
    if (this.#deadline !== 0) this.#host.wheel.remove(this, this.#deadline);
    this.#deadline = 0;
  }

  /** @internal fired by the server's deadline wheel. */
  onDeadline(now: number): void {
    const due = this.#deadline;
    this.#deadline = 0;
    // The wheel's own lateness (up to one resolution) is not granted to the client; a stalled
    // event loop is not charged to it either: then the ping counts as sent now, less one resolution.
    this.#onHeartbeatDue(Math.max(due, now - this.#host.wheel.resolution));
  }

  /**
   * @internal a request for this session arrived (polling GET/POST, WebSocket upgrade): applies a
   * heartbeat deadline that has passed but that the wheel (one resolution coarse) has not fired
   * yet, so that the session times out when engine.io's timers would have: a request later than
   * `pingInterval + pingTimeout` after the last pong finds the session gone.
   */
  checkDeadline(now: number): void {
    const due = this.#deadline;
    if (due === 0 || now < due) return;
    this.#unschedule();
    if (!this.#awaitingPong && now >= due + this.#host.opts.pingTimeout) {
      // The ping went unsent only because the wheel had not ticked; its pong is overdue too.
      this.#onClose("ping timeout");
      return;
    }
    // A request shows the event loop running: upstream's timer would have fired at `due`.
    this.#onHeartbeatDue(due);
  }

  /** A heartbeat deadline passed: the pong is overdue, or the ping is sent (counted as sent at `sentAt`). */
  #onHeartbeatDue(sentAt: number): void {
    if (this.#state === "closed") return;
    if (this.#awaitingPong) {
      this.#onClose("ping timeout");
      return;
    }
    this.#awaitingPong = true;
    this.#sendPacket(PING, true, undefined);
    this.#schedule(sentAt + this.#host.opts.pingTimeout);
  }

  #onPong(): void {
    if (this.#awaitingPong && Date.now() >= this.#deadline) {
      // The pong arrived after its deadline, before the wheel fired it: too late, as upstream.
      this.#onClose("ping timeout");
      return;
    }
    if (this.#awaitingPong) {
      this.#awaitingPong = false;
      this.#schedule(Date.now() + this.#host.opts.pingInterval);
    }
    this.emitReserved("heartbeat");
  }

  /**
   * Engine.IO v3 turns the heartbeat round: the client pings (`packet` set), the server answers
   * with a pong, and closes the session when no ping came for `pingInterval + pingTimeout`.
   */
  #onLegacyPing(packet: EnginePacket | undefined): void {
    const opts = this.#host.opts;
    this.#awaitingPong = true;
    this.#schedule(Date.now() + opts.pingInterval + opts.pingTimeout);
    if (packet === undefined) return;
    this.#sendPacket(PONG, false, undefined);
    this.emitReserved("heartbeat");
  }

  // ── sending ────────────────────────────────────────────────────────────────────────────────

  /**
   * Sends a message (string, Buffer, ArrayBuffer or typed array); `cb` runs once it is written.
   * @example socket.send("hello"); socket.send(Buffer.from([1, 2, 3]), () => console.log("sent"));
   */
  send(data: SendableData, opts?: SendOptions | (() => void), cb?: () => void): this {
    const callback = typeof opts === "function" ? opts : cb;
    const compress = typeof opts === "object" ? opts.compress !== false : true;
    const key = typeof opts === "object" ? opts.key : undefined;
    this.#sendPacket(new OutboundPacket("message", toRawData(data), key), compress, callback);
    return this;
  }

  /** Alias of {@link EngineSocket.send}. */
  write(data: SendableData, opts?: SendOptions | (() => void), cb?: () => void): this {
    return this.send(data, opts, cb);
  }

  /**
   * Queues a packet encoded once for many sessions (see `preEncode`; its "latest value" key, if
   * any, is given to `preEncode`).
   * @example const p = preEncode("hi"); for (const s of engine.clients.values()) s.sendPreEncoded(p);
   */
  sendPreEncoded(packet: PreEncodedPacket, opts?: SendOptions): this {
    this.#sendPacket(packet, opts?.compress !== false, undefined);
    return this;
  }

  #sendPacket(packet: OutboundPacket, compress: boolean, cb: (() => void) | undefined): void {
    if (this.#state === "closing" || this.#state === "closed") return;
    const limits = this.#host.opts.backpressure;
    if (limits !== undefined) {
      const queued = this.#transport.bufferedAmount + this.#bufferBytes;
      const packets = this.#buffer?.length ?? 0;
      if (this.#exempt || (queued === 0 && packet.size > limits.maxBufferedBytes)) {
        // Allowed beyond the limits until the queue is next written out (see `exempt`).
        this.#creditBytes += packet.size;
        this.#creditPackets += 1;
      } else {
        if (packet.key !== undefined && queued >= limits.highWaterMark) {
          this.#dropQueued(packet.key);
        }
        if (
          queued + packet.size > limits.maxBufferedBytes + this.#creditBytes ||
          packets >= limits.maxBufferedPackets + this.#creditPackets
        ) {
          this.#onClose(
            "buffer full",
            engineError(
              EngineServerErrors.BUFFER_FULL,
              `outgoing buffer full (${queued} bytes in ${packets} packets queued)`,
            ),
          );
          return;
        }
      }
    }
    // Checked first: a broadcast to many sessions allocates no event object when none listens.
    if (this.listenerCount("packetCreate") > 0) {
      this.emitReserved("packetCreate", outgoingEvent(packet, compress));
    }
    this.#bufferBytes += packet.size;
    if (this.#buffer === undefined) this.#buffer = [packet];
    else this.#buffer.push(packet);
    if (compress) this.#compress = true;
    if (cb !== undefined) {
      if (this.#callbacks === undefined) this.#callbacks = [cb];
      else this.#callbacks.push(cb);
    }
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      this.#host.scheduleFlush(this);
    }
  }

  /**
   * Runs `fn`; the packets it queues are not held to `maxBufferedBytes` / `maxBufferedPackets`, and
   * raise both limits by their size until the queue has been written out, so that what follows
   * them is still allowed the usual amount. Used for one Socket.IO packet made of several engine
   * packets (binary attachments) sent on an empty queue, and for the packets replayed on connection
   * state recovery (bounded by the recovery buffer). They still count in `bufferedAmount`.
   * @example conn.exempt(() => { for (const chunk of chunks) conn.write(chunk); });
   */
  exempt(fn: () => void): void {
    const was = this.#exempt;
    this.#exempt = true;
    try {
      fn();
    } finally {
      this.#exempt = was;
    }
  }

  /** Removes the newest queued packet with this "latest value" key (congested sessions only). */
  #dropQueued(key: string): void {
    const buffer = this.#buffer;
    if (buffer === undefined) return;
    for (let i = buffer.length - 1; i >= 0; i--) {
      const p = buffer[i] as OutboundPacket;
      if (p.key === key) {
        buffer.splice(i, 1);
        this.#bufferBytes -= p.size;
        this.server._probe?.latestReplaced();
        return;
      }
    }
  }

  /** @internal called by the server once per tick for sessions with queued packets. */
  flushQueued(): void {
    this.#flushQueued = false;
    this.#flush();
  }

  #flush(): void {
    const packets = this.#buffer;
    if (this.#state === "closed" || packets === undefined || !this.#transport.writable) return;
    this.server._probe?.flushed(packets);
    this.emitReserved("flush", packets);
    this.#buffer = undefined;
    this.#bufferBytes = 0;
    const compress = this.#compress;
    this.#compress = false;
    if (this.#callbacks !== undefined) {
      if (this.#sentCallbacks === undefined) this.#sentCallbacks = this.#callbacks;
      else this.#sentCallbacks.push(...this.#callbacks);
      this.#callbacks = undefined;
    }
    this.#transport.send(packets, compress);
  }

  // ── closing ────────────────────────────────────────────────────────────────────────────────

  /**
   * Closes the session after the write buffer is flushed (reason `forced close`).
   * With `discard`, unsent packets are dropped and the session closes at once.
   * @example socket.close();
   */
  close(discard = false): void {
    if (this.#state !== "open" && this.#state !== "upgrading" && this.#state !== "opening") return;
    if (this.#probe !== undefined) this.#abortUpgrade();
    this.#transition("closing");
    if (discard) {
      this.#buffer = undefined;
      this.#bufferBytes = 0;
      this.#callbacks = undefined;
    }
    if (this.#buffer === undefined) this.#transport.close();
  }

  /** @internal used by the server on shutdown. */
  shutdown(): void {
    this.#onClose("server shutting down");
  }

  #onClose(reason: CloseReason, description?: unknown): void {
    if (this.#state === "closed") return;
    this.#transition("closed");
    this.#unschedule();
    if (this.#probe !== undefined) {
      this.#probe.discard(true);
      this.#probe = undefined;
    }
    // A client that stopped reading will not read a close either: its connection is destroyed.
    this.#transport.discard(true, reason === "buffer full");
    this.#buffer = undefined;
    this.#bufferBytes = 0;
    this.#callbacks = undefined;
    this.#sentCallbacks = undefined;
    this.#host.removeSession(this);
    this.#sink?.onEngineClose(reason, description);
    this.emitReserved("close", reason, description);
    this.server._probe?.closed(this, reason, description);
  }

  // ── upgrade ────────────────────────────────────────────────────────────────────────────────

  /** @internal a WebSocket arrived for this sid: probe it, or close it if no upgrade is possible. */
  maybeUpgrade(probe: WebSocketTransport): void {
    const opts = this.#host.opts;
    if (
      this.#state !== "open" ||
      this.#transport.name !== "polling" ||
      !opts.allowUpgrades ||
      this.#probe !== undefined
    ) {
      probe.discard();
      return;
    }
    this.#probe = probe;
    this.#transition("upgrading");
    this.#upgradeTimer = setTimeout(() => this.#abortUpgrade(), opts.upgradeTimeout);
    this.#upgradeTimer.unref();
  }

  #abortUpgrade(): void {
    const probe = this.#probe;
    this.#probe = undefined;
    probe?.discard();
    if (this.#state === "upgrading") this.#transition("open");
  }

  #sendNoop(): void {
    if (this.#transport.name === "polling" && this.#transport.writable) {
      this.#transport.send([NOOP], false);
    }
  }

  #onProbePacket(probe: WebSocketTransport, packet: EnginePacket): void {
    if (packet.type === "ping" && packet.data === "probe") {
      probe.send([PONG_PROBE], false);
      this.emitReserved("upgrading", probe);
      // Release a GET the client may be waiting on, so that it can pause polling.
      this.#sendNoop();
      if (this.#noopTimer === undefined) {
        this.#noopTimer = setInterval(() => this.#sendNoop(), NOOP_INTERVAL);
        this.#noopTimer.unref();
      }
      return;
    }
    if (packet.type === "upgrade" && this.#state === "upgrading") {
      const old = this.#transport;
      this.#transport = probe;
      this.#probe = undefined;
      this.#transition("open");
      old.discard(false);
      this.server._probe?.upgraded();
      this.emitReserved("upgrade", probe);
      this.#flush();
      return;
    }
    this.#abortUpgrade();
  }

  // ── TransportOwner ─────────────────────────────────────────────────────────────────────────

  /** @internal */
  onTransportPacket(transport: ServerTransport, packet: EnginePacket): void {
    if (transport === this.#probe) {
      this.#onProbePacket(this.#probe, packet);
      return;
    }
    if (transport !== this.#transport) return;
    if (packet.type === "close" && transport.name === "polling" && this.#state !== "opening") {
      // As upstream: the polling transport consumes the close packet (no `packet` event) and
      // releases a GET the client may have pending with a noop, then the session closes — also
      // while a server-side close waits for a GET to carry it (the client will send none).
      const closing = this.#state === "closing";
      transport.discard(false);
      this.#onClose(closing ? "forced close" : "transport close");
      return;
    }
    if (this.#state !== "open" && this.#state !== "upgrading") return;
    this.server._probe?.received(packet);
    if (this.listenerCount("packet") > 0) this.emitReserved("packet", packetEvent(packet));
    switch (packet.type) {
      case "message": {
        const raw = packet.data ?? "";
        const data = typeof raw === "string" ? raw : toBuffer(raw);
        this.#sink?.onEngineMessage(data);
        this.emitReserved("message", data);
        return;
      }
      case "pong":
        if (this.protocol === 4) {
          this.#onPong();
          return;
        }
        // In v3 only the client pings.
        this.#onClose(
          "transport error",
          engineError(EngineServerErrors.HEARTBEAT_DIRECTION, "invalid heartbeat direction"),
        );
        return;
      case "ping":
        if (this.protocol === 3) {
          this.#onLegacyPing(packet);
          return;
        }
        // In v4 only the server pings.
        this.#onClose(
          "transport error",
          engineError(EngineServerErrors.HEARTBEAT_DIRECTION, "invalid heartbeat direction"),
        );
        return;
      case "close":
        // Upstream honours `1` only on polling (above); a WebSocket client closes its socket.
        return;
      default:
        return;
    }
  }

  /** @internal */
  onTransportParseError(transport: ServerTransport, error: TetherError): void {
    if (transport === this.#probe) this.#abortUpgrade();
    else if (transport === this.#transport) this.#onClose("parse error", error);
  }

  /** @internal */
  onTransportReady(transport: ServerTransport): void {
    if (transport === this.#transport) this.#flush();
  }

  /** @internal */
  onTransportDrain(transport: ServerTransport): void {
    if (transport !== this.#transport || this.#state === "closed") return;
    const callbacks = this.#sentCallbacks;
    this.#sentCallbacks = undefined;
    if (callbacks !== undefined) for (const cb of callbacks) cb();
    this.emitReserved("drain");
    if (this.#state === "closing") {
      if (this.#buffer === undefined) this.#transport.close();
      else this.#flush();
    } else if (this.#buffer !== undefined) this.#flush();
    else {
      this.#creditBytes = 0;
      this.#creditPackets = 0;
      this.#sink?.onEngineDrain();
    }
  }

  /** @internal */
  onTransportError(transport: ServerTransport, error: TetherError): void {
    if (transport === this.#probe) this.#abortUpgrade();
    else if (transport === this.#transport) this.#onClose("transport error", error);
  }

  /** @internal */
  onTransportClose(transport: ServerTransport): void {
    if (transport === this.#probe) this.#abortUpgrade();
    else if (transport === this.#transport) {
      this.#onClose(this.#state === "closing" ? "forced close" : "transport close");
    }
  }

  /** @internal */
  decorateHeaders(req: IncomingMessage, headers: Record<string, string | string[]>): void {
    this.#host.decorateHeaders(req, headers, this.id, req === this.#request);
  }

  /** @internal a polling request for this sid. */
  onPollingRequest(req: IncomingMessage, res: ServerResponse): void {
    const transport = this.#transport;
    if (!(transport instanceof PollingTransport)) {
      res.writeHead(400, { "Content-Length": "0" });
      res.end();
      return;
    }
    const rate = this.#host.opts.pollingRateLimit;
    if (rate !== false && !transport.takeToken(rate)) {
      const code = ErrorCodes.TOO_MANY_REQUESTS;
      res.writeHead(errorStatus(code), { "Content-Type": "application/json", Connection: "close" });
      res.end(JSON.stringify({ code, message: ErrorMessages[code] }));
      this.#onClose(
        "transport error",
        engineError(EngineServerErrors.RATE_LIMITED, "polling requests over pollingRateLimit"),
      );
      return;
    }
    transport.onRequest(req, res);
  }
}
