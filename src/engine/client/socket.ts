/**
 * The Engine.IO client socket: handshake, heartbeat, write buffer, transport upgrade.
 *
 * ```
 *  opening ──open packet──▶ open ──3probe on ws──▶ upgrading ──polling paused, send 5──▶ open
 *     │                      │                                                        │
 *     └──── error / close / ping timeout / close() ─────────▶ closing ──▶ closed ◀────┘
 * ```
 * Upgrade (polling → websocket): open the ws with the sid, send `2probe`; on `3probe` pause
 * polling (wait for the GET and POST in flight), send `5` on the ws, then flush the write buffer
 * there. Packets queued meanwhile stay in the buffer, so nothing is lost or reordered.
 */

import { type SendableData, toRawData } from "../../parser/engine/index.js";
import type { EnginePacket, HandshakeData, RawData, TransportName } from "../../protocol/engine.js";
import { callRethrowingLater, Emitter } from "../../shared/emitter.js";
import { type Timers, timersFor } from "../../shared/timers.js";
import { type EngineClientOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import type { BinaryType, CookieStore, MessageData } from "./platform.js";
import { asBinaryType, isNode, platform } from "./platform.node.js";
import { noopHandler, PollingTransport } from "./polling.js";
import { type ClientTransport, TransportError, type TransportHandler } from "./transport.js";
import { WebSocketTransport } from "./websocket.js";

/** Why an Engine.IO client socket closed (upstream's strings). */
export type ClientCloseReason =
  | "transport close"
  | "transport error"
  | "ping timeout"
  | "forced close"
  | "parse error";

/** Options of one outgoing packet, as engine.io-client's. */
export interface PacketOptions {
  /** Per-message compression where the transport has it. @default true */
  compress?: boolean;
}

/** A packet as the `packet` and `packetCreate` events carry it. */
export interface ClientPacket extends Omit<EnginePacket, "data"> {
  readonly data?: MessageData | undefined;
}

/** Lifecycle states of {@link ClientSocket}. */
export type ClientSocketState = "opening" | "open" | "upgrading" | "closing" | "closed";

/** Events of {@link ClientSocket}. */
export type ClientSocketEvents = {
  open: () => void;
  handshake: (data: HandshakeData) => void;
  packet: (packet: ClientPacket) => void;
  packetCreate: (packet: EnginePacket) => void;
  data: (data: MessageData) => void;
  message: (data: MessageData) => void;
  ping: () => void;
  drain: () => void;
  flush: () => void;
  upgrading: (transport: ClientTransport) => void;
  upgrade: (transport: ClientTransport) => void;
  upgradeError: (err: Error) => void;
  error: (err: Error) => void;
  close: (reason: ClientCloseReason, description?: unknown) => void;
};

// Shared by every socket of this page/process, like upstream's `Socket.priorWebsocketSuccess`.
let priorWebsocketSuccess = false;

/** The `open` packet's body, or undefined when it is not a valid handshake. */
function parseHandshake(data: MessageData | undefined): HandshakeData | undefined {
  try {
    // A non-object (or null) body fails the checks (or throws on `.sid`): not a handshake.
    const h = JSON.parse(String(data)) as Record<string, unknown>;
    if (
      typeof h.sid === "string" &&
      Array.isArray(h.upgrades) &&
      typeof h.pingInterval === "number" &&
      typeof h.pingTimeout === "number" &&
      typeof (h.maxPayload ?? 0) === "number"
    )
      return h as unknown as HandshakeData;
  } catch {}
  return undefined;
}

const utf8 = new TextEncoder();

/** Bytes a packet takes in a polling payload (binary travels as `b` + base64). */
function pollingSize({ data }: EnginePacket): number {
  return (
    1 +
    (typeof data === "object" ? Math.ceil(data.byteLength / 3) * 4 : utf8.encode(data ?? "").length)
  );
}

/**
 * An Engine.IO (protocol 4) client connection.
 * @example
 * const socket = new ClientSocket("http://localhost:3000");
 * socket.on("open", () => socket.send("hello"));
 * socket.on("message", (data) => console.log(data));
 */
export class ClientSocket extends Emitter<ClientSocketEvents> {
  /** Session id, once the handshake is done. */
  id: string | undefined;
  /** The transport in use (set by the constructor; typed as present, as engine.io-client's). */
  transport!: ClientTransport;
  readonly opts: ResolvedOptions;
  /**
   * How received binary is delivered; settable at any time, as engine.io-client's.
   * @default "nodebuffer" in Node, "arraybuffer" in browsers
   */
  binaryType: BinaryType = isNode ? "nodebuffer" : "arraybuffer";
  #state: ClientSocketState = "opening";
  readonly #jar: CookieStore | undefined;
  #writeBuffer: EnginePacket[] = [];
  #inFlight = 0;
  #remaining: TransportName[] = [];
  #upgrades: TransportName[] = [];
  #probe: ClientTransport | undefined;
  #pingInterval = 0;
  #pingTimeout = 0;
  #maxPayload = 0;
  #pingDeadline = 0;
  #pingTimer: unknown;
  readonly #timers: Timers;
  #pageListeners: AbortController | undefined;

  constructor(uri?: string | EngineClientOptions, opts: EngineClientOptions = {}) {
    super();
    if (typeof uri === "object") {
      opts = uri;
      uri = undefined;
    }
    this.opts = resolveOptions(uri, opts);
    this.#timers = timersFor(opts);
    this.#jar = isNode && this.opts.withCredentials ? platform.createCookieJar?.() : undefined;
    this.#listenToPage();
    this.#open();
  }

  /** Current lifecycle state. */
  get readyState(): ClientSocketState {
    return this.#state;
  }

  /** Transports the server offered for upgrade (filtered by `transports`). */
  get upgrades(): readonly TransportName[] {
    return this.#upgrades;
  }

  /**
   * Queues a message; it is written as soon as the transport is writable. `options.compress`
   * (default true) asks for per-message compression where the transport has it.
   * @example socket.send(new Uint8Array([1, 2, 3]));
   */
  send(data: SendableData, callback?: () => void): this;
  send(data: SendableData, options?: PacketOptions, callback?: () => void): this;
  send(data: SendableData, options?: PacketOptions | (() => void), callback?: () => void): this {
    if (typeof options === "function") {
      callback = options;
      options = undefined;
    }
    this.#sendPacket("message", toRawData(data), options, callback);
    return this;
  }

  /** Alias of {@link ClientSocket.send}. */
  write(data: SendableData, callback?: () => void): this;
  write(data: SendableData, options?: PacketOptions, callback?: () => void): this;
  write(data: SendableData, options?: PacketOptions | (() => void), callback?: () => void): this {
    return this.send(data, options as PacketOptions, callback);
  }

  /** Closes the connection once the write buffer is flushed (reason `forced close`). */
  close(): this {
    const prev = this.#state;
    if (prev === "closing" || prev === "closed") return this;
    this.#setState("closing");
    const finish = () => this.#onClose("forced close");
    const afterFlush = () => (this.#writeBuffer.length ? this.once("drain", finish) : finish());
    if (prev === "opening") finish();
    else if (prev === "upgrading") {
      // Wait for the switch (or its failure), then flush and close on whichever transport won.
      const done = () => {
        this.off("upgrade", done).off("upgradeError", done);
        afterFlush();
      };
      this.on("upgrade", done).on("upgradeError", done);
    } else afterFlush();
    return this;
  }

  /**
   * True (and closes with `ping timeout`) when no ping arrived within pingInterval + pingTimeout,
   * measured by the clock so throttled timers (background tabs, sleeping laptops) cannot hide it.
   */
  hasPingExpired(): boolean {
    const deadline = this.#pingDeadline;
    // Once expired it stays expired (-1), so that every emit of a burst made before the close
    // runs is buffered for the reconnection, not only the first one.
    if (deadline < 0) return true;
    const expired = deadline > 0 && Date.now() > deadline;
    if (expired) {
      this.#pingDeadline = -1;
      queueMicrotask(() => this.#onClose("ping timeout"));
    }
    return expired;
  }

  /**
   * A listener that throws must not unwind the transport's receive path (the rest of a polling
   * payload, the next poll, `ws`'s frame parser): its error is rethrown from a microtask, where
   * it surfaces as an uncaught exception in the application, and delivery goes on.
   */
  protected override callListener(l: (...a: unknown[]) => void, args: unknown[]): void {
    callRethrowingLater(l, args);
  }

  #setState(next: ClientSocketState): void {
    if (next === "closed" || next === "closing") {
      this.#timers.clear(this.#pingTimer);
      this.#pingTimer = undefined;
    }
    this.#state = next;
  }

  #open(): void {
    let names = this.opts.transports;
    if (this.opts.rememberUpgrade && priorWebsocketSuccess && names.includes("websocket"))
      names = [...new Set(["websocket" as const, ...names])];
    this.#remaining = [...names];
    this.#start();
  }

  /** Opens the first of the remaining transports (`tryAllTransports` moves down the list). */
  #start(): void {
    const name = this.#remaining[0];
    if (name === undefined) {
      queueMicrotask(() =>
        this.emitReserved("error", new TransportError("No transports available")),
      );
      return;
    }
    const t = this.#createTransport(name);
    this.#use(t);
    t.open();
  }

  #createTransport(name: TransportName): ClientTransport {
    const Transport = name === "websocket" ? WebSocketTransport : PollingTransport;
    const t = new Transport({ opts: this.opts, jar: this.#jar }, noopHandler);
    t.sid = this.id;
    return t;
  }

  /** Reports of the transport in use (a probe has its own handler until it wins). */
  readonly #handler: TransportHandler = {
    onOpen() {},
    onPacket: (p) => this.#onPacket(p),
    onDrain: () => this.#onDrain(),
    onError: (err) => this.#onError(err),
    onClose: (description) => this.#onClose("transport close", description),
  };

  #use(t: ClientTransport): void {
    this.transport?.destroy();
    this.transport = t;
    t.handler = this.#handler;
  }

  #onPacket(p: ClientPacket): void {
    const s = this.#state;
    if (s === "closed") return;
    // Decoded packets are fresh objects: binary (bytes, always a message) is mapped in place.
    if (typeof p.data === "object")
      (p as { data: MessageData }).data = asBinaryType(p.data as Uint8Array, this.binaryType);
    this.emitReserved("packet", p);
    switch (p.type) {
      case "open":
        if (s === "opening") this.#onHandshake(p.data);
        return;
      case "ping":
        this.#resetPingTimeout();
        this.#sendPacket("pong");
        this.emitReserved("ping");
        return;
      case "message":
        if (p.data === undefined) return;
        this.emitReserved("data", p.data);
        this.emitReserved("message", p.data);
    }
  }

  #onHandshake(data: MessageData | undefined): void {
    const hs = parseHandshake(data);
    // Packets only arrive through the transport in use.
    const t = this.transport as ClientTransport;
    if (hs === undefined) {
      this.#onError(new TransportError("parse error", "invalid handshake"));
      return;
    }
    this.emitReserved("handshake", hs);
    this.id = hs.sid;
    t.sid = hs.sid;
    this.#upgrades = hs.upgrades.filter((u) => this.opts.transports.includes(u) && u !== t.name);
    this.#pingInterval = hs.pingInterval;
    this.#pingTimeout = hs.pingTimeout;
    this.#maxPayload = hs.maxPayload ?? 0;
    this.#setState("open");
    priorWebsocketSuccess = t.name === "websocket";
    this.emitReserved("open");
    this.#flush();
    if (this.#state !== "open") return;
    this.#resetPingTimeout();
    if (this.opts.upgrade !== false && t.name === "polling")
      for (const u of this.#upgrades) this.#startProbe(u);
  }

  #resetPingTimeout(): void {
    const timers = this.#timers;
    timers.clear(this.#pingTimer);
    const delay = this.#pingInterval + this.#pingTimeout;
    this.#pingDeadline = Date.now() + delay;
    const t = timers.set(() => this.#onClose("ping timeout"), delay);
    if (isNode && this.opts.autoUnref) (t as { unref?: () => void }).unref?.();
    this.#pingTimer = t;
  }

  #sendPacket(
    type: EnginePacket["type"],
    data?: RawData,
    options?: PacketOptions,
    callback?: () => void,
  ): void {
    if (this.#state === "closing" || this.#state === "closed") return;
    // As engine.io-client: every packet carries its options, `compress` defaulting to true.
    const packet: EnginePacket = { type, data, options: { compress: options?.compress !== false } };
    this.#writeBuffer.push(packet);
    this.emitReserved("packetCreate", packet);
    if (callback) this.once("flush", callback);
    this.#flush();
  }

  #flush(): void {
    const t = this.transport;
    const s = this.#state;
    if ((s !== "open" && s !== "closing") || !t?.writable || !this.#writeBuffer.length) return;
    if (this.#inFlight > 0) return;
    const packets = this.#writablePackets(t);
    this.#inFlight = packets.length;
    t.send(packets);
    this.emitReserved("flush");
  }

  /** Polling: as many packets as fit in the server's maxPayload (always at least one). */
  #writablePackets(t: ClientTransport): EnginePacket[] {
    const buf = this.#writeBuffer;
    let n = buf.length;
    if (t.name === "polling" && this.#maxPayload > 0)
      for (let i = 0, size = -1; i < n; i++) {
        // Each packet after the first also costs its separator.
        size += pollingSize(buf[i] as EnginePacket) + 1;
        if (i > 0 && size > this.#maxPayload) n = i;
      }
    return buf.slice(0, n);
  }

  #onDrain(): void {
    this.#writeBuffer.splice(0, this.#inFlight);
    this.#inFlight = 0;
    if (this.#writeBuffer.length === 0) this.emitReserved("drain");
    else this.#flush();
  }

  #onError(err: TransportError): void {
    priorWebsocketSuccess = false;
    if (this.opts.tryAllTransports && this.#state === "opening" && this.#remaining.length > 1) {
      this.#remaining.shift();
      this.#start();
      return;
    }
    this.emitReserved("error", err);
    this.#onClose("transport error", err);
  }

  #startProbe(name: TransportName): void {
    const t = this.#createTransport(name);
    this.#probe = t;
    const fail = (err: Error) => {
      if (this.#probe !== t) return;
      this.#probe = undefined;
      t.destroy();
      priorWebsocketSuccess = false;
      this.emitReserved("upgradeError", err);
      if (this.#state === "upgrading") this.#onClose("transport error", err);
    };
    t.handler = {
      onOpen: () => t.send([{ type: "ping", data: "probe" }]),
      onPacket: (p) => {
        if (p.type !== "pong" || p.data !== "probe" || this.#state !== "open") {
          fail(new TransportError("probe error", name));
          return;
        }
        this.#setState("upgrading");
        this.emitReserved("upgrading", t);
        this.transport?.pause(() => this.#completeUpgrade(t));
      },
      onDrain: () => {},
      onError: (err) => fail(err),
      onClose: () => fail(new TransportError("probe error", "transport closed")),
    };
    t.open();
  }

  #completeUpgrade(t: ClientTransport): void {
    // close() during the pause waits for the switch, then flushes and closes on the new transport.
    const s = this.#state;
    if ((s !== "upgrading" && s !== "closing") || this.#probe !== t) return;
    this.#probe = undefined;
    priorWebsocketSuccess = true;
    this.#use(t);
    if (s === "upgrading") this.#setState("open");
    t.send([{ type: "upgrade" }]);
    this.emitReserved("upgrade", t);
    this.#flush();
  }

  #listenToPage(): void {
    const page = globalThis as {
      addEventListener?: (e: string, f: () => void, o: { signal: AbortSignal }) => void;
    };
    if (isNode || typeof page.addEventListener !== "function") return;
    // One signal removes both listeners on close.
    const ac = new AbortController();
    const o = { signal: ac.signal };
    if (this.opts.closeOnBeforeunload)
      page.addEventListener(
        "beforeunload",
        () => {
          this.transport?.close();
          this.transport?.destroy();
        },
        o,
      );
    page.addEventListener(
      "offline",
      () => this.#onClose("transport close", { description: "network connection lost" }),
      o,
    );
    this.#pageListeners = ac;
  }

  #onClose(reason: ClientCloseReason, description?: unknown): void {
    const s = this.#state;
    if (s === "closed") return;
    this.#setState("closed");
    this.#pingDeadline = 0;
    this.#probe?.destroy();
    this.#probe = undefined;
    this.#pageListeners?.abort();
    const t = this.transport;
    if (t) {
      t.handler = noopHandler;
      t.close();
    }
    this.id = undefined;
    this.emitReserved("close", reason, description);
    this.#writeBuffer = [];
    this.#inFlight = 0;
  }
}
