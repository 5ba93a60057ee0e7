/**
 * The client side of one namespace: CONNECT with auth, events and acknowledgements, buffering
 * while disconnected, retries, and connection state recovery (`pid` / `offset`).
 *
 * ```
 * disconnected ──connect()──▶ (manager open) ──CONNECT──▶ ack `40{sid[,pid]}` ──▶ connected
 *      ▲                                                     │ `44{message,data}`: connect_error, destroyed
 *      └──── manager close (reconnects) / DISCONNECT from server / disconnect() ◀──┘
 * ```
 */
import type { PacketOptions } from "../engine/client/index.js";
import { isPlainObject } from "../parser/socket/index.js";
import { type Packet, PacketType, RESERVED_EVENTS } from "../protocol/socket.js";
import { Emitter } from "../shared/emitter.js";
import { timersFor } from "../shared/timers.js";
import { listen, type Manager } from "./manager.js";
import type {
  AckResult,
  ConnectError,
  DecorateAcknowledgements,
  DefaultEventsMap,
  DisconnectDescription,
  DisconnectReason,
  EmitWithAckArgs,
  EventNames,
  EventParams,
  EventsMap,
  ListenMap,
} from "./types.js";

/**
 * Data sent with CONNECT (`socket.handshake.auth` on the server). Indexed by `any`, as upstream,
 * so that values typed by an interface are accepted.
 */
// biome-ignore lint/suspicious/noExplicitAny: user-facing, the one index type interfaces satisfy
export type AuthData = { [key: string]: any };

/** Options of a {@link Socket}. */
export interface SocketOptions {
  /** Sent with every CONNECT; a function is called again before each (re)connection. */
  auth?: AuthData | ((cb: (data: AuthData) => void) => void);
  /** Retry an emit with an ack this many times until acknowledged (queued, in order). */
  retries?: number;
  /** Default ack timeout in ms for every emit with an ack. */
  ackTimeout?: number;
}

/** A packet on its way out, with the engine write options (`compress`) of its emit. */
export type OutgoingPacket = Packet & { options?: PacketOptions };

type AnyListener = (...args: unknown[]) => void;
type AckFn = (...args: unknown[]) => void;
interface Flags {
  compress?: boolean;
  volatile?: boolean;
  timeout?: number;
  fromQueue?: boolean;
  /** The ack takes an error first even without a timeout (`emitWithAck`, the retry queue). */
  withError?: boolean;
}
interface QueuedPacket {
  tryCount: number;
  pending: boolean;
  args: unknown[];
  flags: Flags;
}

/** Lifecycle of a client socket. */
export type SocketState = "disconnected" | "connected";

/**
 * The emitter a socket extends, typed without its own `emit`: a socket's `emit` sends to the
 * server (as upstream's), and its typed listener methods are declared by the interface below.
 */
const SocketBase = Emitter as unknown as new () => {
  emitReserved(event: string, ...args: unknown[]): boolean;
};

/** A catch-all listener (`onAny`, `onAnyOutgoing`): the event name, then its arguments. */
// biome-ignore lint/suspicious/noExplicitAny: untyped arguments are `any`, as upstream's
export type AnyEventListener = (event: string, ...args: any[]) => void;

/** Typed listener methods of {@link Socket} (implemented by the emitter it extends). */
// biome-ignore lint/correctness/noUnusedVariables: same type parameters as the class it merges with
export interface Socket<L extends EventsMap = DefaultEventsMap, E extends EventsMap = L> {
  on<K extends EventNames<ListenMap<L>>>(ev: K, listener: ListenMap<L>[K]): this;
  once<K extends EventNames<ListenMap<L>>>(ev: K, listener: ListenMap<L>[K]): this;
  off<K extends EventNames<ListenMap<L>>>(ev?: K, listener?: ListenMap<L>[K]): this;
  addListener<K extends EventNames<ListenMap<L>>>(ev: K, listener: ListenMap<L>[K]): this;
  removeListener<K extends EventNames<ListenMap<L>>>(ev?: K, listener?: ListenMap<L>[K]): this;
  removeAllListeners<K extends EventNames<ListenMap<L>>>(ev?: K): this;
  listeners<K extends EventNames<ListenMap<L>>>(ev: K): ListenMap<L>[K][];
  listenerCount<K extends EventNames<ListenMap<L>>>(ev: K): number;
  hasListeners<K extends EventNames<ListenMap<L>>>(ev: K): boolean;
}

/**
 * A Socket.IO client socket bound to one namespace.
 * @example
 * const socket = io("http://localhost:3000/chat", { auth: { token } });
 * socket.emit("message", "hi", (reply) => console.log(reply));
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see the interface above
export class Socket<
  L extends EventsMap = DefaultEventsMap,
  E extends EventsMap = L,
> extends SocketBase {
  readonly io: Manager<L, E>;
  readonly nsp: string;
  /** Session id given by the server; undefined while disconnected. */
  id: string | undefined;
  /** True when the last connection restored the previous session (connection state recovery). */
  recovered = false;
  /** Sent with CONNECT; a function is called before each (re)connection. */
  auth: SocketOptions["auth"];
  /** Events received before `connect` (emitted right after it). */
  receiveBuffer: unknown[][] = [];
  /** Packets emitted while disconnected (sent in order after `connect`). */
  sendBuffer: OutgoingPacket[] = [];
  #state: SocketState = "disconnected";
  readonly #opts: SocketOptions;
  #subs: (() => void)[] | undefined;
  #ids = 0;
  readonly #acks = new Map<number, { fn: AckFn; withError: boolean | undefined }>();
  #flags: Flags = {};
  #queue: QueuedPacket[] = [];
  #pid: string | undefined;
  #lastOffset: string | undefined;
  #any: AnyListener[] = [];
  #anyOut: AnyListener[] = [];

  constructor(io: Manager, nsp: string, opts: SocketOptions = {}) {
    super();
    this.io = io;
    this.nsp = nsp;
    this.auth = opts.auth;
    this.#opts = { ...opts };
    if (io.opts.autoConnect !== false) this.connect();
  }

  /** Whether the socket is connected to its namespace. */
  get connected(): boolean {
    return this.#state === "connected";
  }

  get disconnected(): boolean {
    return !this.connected;
  }

  /** Whether the socket listens to its Manager (it will reconnect). */
  get active(): boolean {
    return this.#subs !== undefined;
  }

  /**
   * Connects (or reconnects) the socket; no-op when connected.
   * @example socket.connect();
   */
  connect(): this {
    if (this.connected) return this;
    if (!this.#subs) {
      const io = this.io;
      this.#subs = [
        listen(io, "open", () => this.#onOpen()),
        listen(io, "packet", (p: Packet) => this.#onPacket(p)),
        listen(io, "error", (err: Error) => {
          if (!this.connected) this.emitReserved("connect_error", err);
        }),
        listen(io, "close", (reason: DisconnectReason, desc?: DisconnectDescription) =>
          this.#onClose(reason, desc),
        ),
      ];
    }
    if (!this.io._reconnecting) this.io.open();
    if (this.io._readyState === "open") this.#onOpen();
    return this;
  }

  /** Alias of {@link Socket.connect}. */
  open(): this {
    return this.connect();
  }

  /**
   * Disconnects from the namespace (reason `io client disconnect`); no reconnection follows.
   * @example socket.disconnect();
   */
  disconnect(): this {
    const wasConnected = this.connected;
    if (wasConnected) this.io._packet({ type: PacketType.DISCONNECT, nsp: this.nsp });
    this.#destroy();
    if (wasConnected) this.#onClose("io client disconnect");
    return this;
  }

  /** Alias of {@link Socket.disconnect}. */
  close(): this {
    return this.disconnect();
  }

  /** Emits a `message` event (untyped arguments, as upstream's). */
  // biome-ignore lint/suspicious/noExplicitAny: any arguments, as upstream's send()
  send(...args: any[]): this {
    return (this.emit as (ev: string, ...a: unknown[]) => this)("message", ...args);
  }

  /**
   * Emits an event to the server; a function as last argument receives the acknowledgement.
   * @example socket.emit("hello", "world", (ack) => console.log(ack));
   */
  emit<K extends EventNames<E>>(ev: K, ...args: EventParams<E, K>): this {
    // Flags are taken first, so that a rejected emit leaves none for the next one.
    const flags = this.#flags;
    this.#flags = {};
    if (RESERVED_EVENTS.has(ev)) throw new Error(`"${ev}" is a reserved event name`);
    const data: unknown[] = [ev, ...args];
    if (this.#opts.retries && !flags.fromQueue && !flags.volatile) {
      this.#addToQueue(data, flags);
      return this;
    }
    let id: number | undefined;
    if (typeof data.at(-1) === "function") {
      id = this.#ids++;
      this.#registerAck(id, data.pop() as AckFn, flags);
    }
    const packet: OutgoingPacket = {
      type: PacketType.EVENT,
      nsp: this.nsp,
      data,
      id,
      options: { compress: flags.compress !== false },
    };
    const engine = this.io.engine;
    if (flags.volatile && !(engine?.readyState === "open" && engine.transport?.writable))
      return this;
    if (this.connected && !engine?.hasPingExpired()) {
      this.#notifyOutgoing(packet);
      this.io._packet(packet);
    } else this.sendBuffer.push(packet);
    return this;
  }

  /**
   * Emits and resolves with the acknowledgement; rejects on timeout (when one is set) and when
   * the socket disconnects before the acknowledgement (unless the packet is still buffered).
   * @example const reply = await socket.timeout(5000).emitWithAck("hello");
   */
  emitWithAck<K extends EventNames<E>>(
    ev: K,
    ...args: EmitWithAckArgs<E, K>
  ): Promise<AckResult<E, K>> {
    return new Promise((resolve, reject) => {
      this.#flags.withError = true;
      (this.emit as (ev: string, ...a: unknown[]) => this)(
        ev,
        ...args,
        (err: unknown, res: AckResult<E, K>) => (err ? reject(err) : resolve(res)),
      );
    });
  }

  /**
   * Sets an ack timeout for the next emit: the callback then receives an error first.
   * @example socket.timeout(1000).emit("hi", (err, reply) => {});
   */
  timeout(ms: number): Socket<L, DecorateAcknowledgements<E>> {
    this.#flags.timeout = ms;
    return this as unknown as Socket<L, DecorateAcknowledgements<E>>;
  }

  /** The next emit is dropped if it cannot be written right away. */
  get volatile(): this {
    this.#flags.volatile = true;
    return this;
  }

  /** Sets the compress flag of the next emit. */
  compress(compress: boolean): this {
    this.#flags.compress = compress;
    return this;
  }

  /** Adds a listener called for every incoming event, with the event name first. */
  onAny(listener: AnyEventListener): this {
    this.#any.push(listener as AnyListener);
    return this;
  }

  prependAny(listener: AnyEventListener): this {
    this.#any.unshift(listener as AnyListener);
    return this;
  }

  offAny(listener?: AnyEventListener): this {
    this.#any = listener ? this.#any.filter((l) => l !== listener) : [];
    return this;
  }

  listenersAny(): AnyEventListener[] {
    return this.#any.slice();
  }

  /** Adds a listener called for every outgoing event, with the event name first. */
  onAnyOutgoing(listener: AnyEventListener): this {
    this.#anyOut.push(listener as AnyListener);
    return this;
  }

  prependAnyOutgoing(listener: AnyEventListener): this {
    this.#anyOut.unshift(listener as AnyListener);
    return this;
  }

  offAnyOutgoing(listener?: AnyEventListener): this {
    this.#anyOut = listener ? this.#anyOut.filter((l) => l !== listener) : [];
    return this;
  }

  listenersAnyOutgoing(): AnyEventListener[] {
    return this.#anyOut.slice();
  }

  #setState(next: SocketState): void {
    this.#state = next;
    if (next === "disconnected") this.id = undefined;
  }

  /** `onAnyOutgoing` listeners see every EVENT packet (its data is `[event, ...args]`). */
  #notifyOutgoing(packet: Packet): void {
    for (const l of this.#anyOut.slice()) l(...(packet.data as unknown[]));
  }

  #registerAck(id: number, ack: AckFn, flags: Flags): void {
    const ms = flags.timeout ?? this.#opts.ackTimeout;
    const { set, clear } = timersFor(this.io.opts);
    const timer =
      ms === undefined
        ? undefined
        : set(() => {
            this.#acks.delete(id);
            this.sendBuffer = this.sendBuffer.filter((p) => p.id !== id);
            ack(new Error("operation has timed out"));
          }, ms);
    this.#acks.set(id, {
      fn: (...args) => {
        clear(timer);
        ack(...args);
      },
      // With a timeout (or from emitWithAck, the retry queue) the ack receives an error first.
      withError: ms !== undefined || flags.fromQueue || flags.withError,
    });
  }

  #addToQueue(args: unknown[], flags: Flags): void {
    const ack = typeof args.at(-1) === "function" ? (args.pop() as AckFn) : undefined;
    const packet: QueuedPacket = {
      tryCount: 0,
      pending: false,
      args,
      flags: { ...flags, fromQueue: true },
    };
    args.push((err: unknown, ...response: unknown[]) => {
      if (packet !== this.#queue[0]) return;
      // Acknowledged, or failed for the last time: done (an error comes without a response).
      if (!err || packet.tryCount > (this.#opts.retries ?? 0)) {
        this.#queue.shift();
        ack?.(err || null, ...response);
      }
      packet.pending = false;
      this.#drainQueue();
    });
    this.#queue.push(packet);
    this.#drainQueue();
  }

  #drainQueue(force = false): void {
    const packet = this.#queue[0];
    if (!this.connected || !packet || (packet.pending && !force)) return;
    packet.pending = true;
    packet.tryCount++;
    this.#flags = packet.flags;
    (this.emit as (...a: unknown[]) => this)(...packet.args);
  }

  #onOpen(): void {
    const send = (data: AuthData | undefined) => {
      const payload = this.#pid ? { pid: this.#pid, offset: this.#lastOffset, ...data } : data;
      this.io._packet({ type: PacketType.CONNECT, nsp: this.nsp, data: payload });
    };
    if (typeof this.auth === "function") this.auth(send);
    else send(this.auth);
  }

  #onPacket(packet: Packet): void {
    if (packet.nsp !== this.nsp) return;
    const data = packet.data;
    switch (packet.type) {
      case PacketType.CONNECT:
        if (isPlainObject(data) && typeof data.sid === "string") {
          this.#onConnect(data.sid, typeof data.pid === "string" ? data.pid : undefined);
        } else {
          this.emitReserved(
            "connect_error",
            new Error(
              "It seems you are trying to reach a Socket.IO server in v2.x with a v3.x client, but they are not compatible (more information here: https://socket.io/docs/v3/migrating-from-2-x-to-3-0/)",
            ),
          );
        }
        return;
      case PacketType.EVENT:
      case PacketType.BINARY_EVENT:
        this.#onEvent(packet);
        return;
      case PacketType.ACK:
      case PacketType.BINARY_ACK:
        this.#onAck(packet);
        return;
      case PacketType.DISCONNECT:
        this.#destroy();
        this.#onClose("io server disconnect");
        return;
      case PacketType.CONNECT_ERROR: {
        this.#destroy();
        const d = isPlainObject(data) ? data : { message: data };
        const err: ConnectError = new Error(String(d.message));
        err.data = d.data;
        this.emitReserved("connect_error", err);
        return;
      }
    }
  }

  #args(data: unknown): unknown[] {
    return Array.isArray(data) ? data : [];
  }

  #onEvent(packet: Packet): void {
    // The decoded array is this packet's own: the ack function is appended in place.
    const args = this.#args(packet.data);
    const id = packet.id;
    if (id !== undefined) {
      let sent = false;
      args.push((...reply: unknown[]) => {
        if (sent) return;
        sent = true;
        this.io._packet({ type: PacketType.ACK, nsp: this.nsp, id, data: reply });
      });
    }
    if (this.connected) this.#dispatch(args);
    else this.receiveBuffer.push(args);
  }

  #dispatch(args: unknown[]): void {
    // The offset first: the event is delivered even if a listener throws.
    const last = args.at(-1);
    if (this.#pid && typeof last === "string") this.#lastOffset = last;
    for (const l of this.#any.slice()) l(...args);
    this.emitReserved(...(args as [string, ...unknown[]]));
  }

  #onAck(packet: Packet): void {
    // ACK packets always carry an id (the decoder rejects them otherwise).
    const id = packet.id as number;
    const ack = this.#acks.get(id);
    if (!ack) return;
    this.#acks.delete(id);
    const args = this.#args(packet.data);
    if (ack.withError) ack.fn(null, ...args);
    else ack.fn(...args);
  }

  #onConnect(id: string, pid: string | undefined): void {
    this.id = id;
    this.recovered = pid !== undefined && this.#pid === pid;
    this.#pid = pid;
    this.#setState("connected");
    for (const args of this.receiveBuffer) this.#dispatch(args);
    this.receiveBuffer = [];
    const buffered = this.sendBuffer;
    this.sendBuffer = [];
    for (const p of buffered) {
      this.#notifyOutgoing(p);
      this.io._packet(p);
    }
    // The queue before `connect`: an emit with retries made by a `connect` listener is then
    // queued behind (and sent once), not sent by the listener and again by this drain.
    this.#drainQueue(true);
    this.emitReserved("connect");
  }

  #destroy(): void {
    if (!this.#subs) return;
    for (const off of this.#subs) off();
    this.#subs = undefined;
    this.io._destroy();
  }

  #onClose(reason: DisconnectReason | "forced close", description?: DisconnectDescription): void {
    this.#setState("disconnected");
    this.emitReserved("disconnect", reason, description);
    // Pending acks fail unless their packet is still buffered (it will be sent on reconnect).
    for (const [id, ack] of this.#acks) {
      if (this.sendBuffer.some((p) => p.id === id)) continue;
      this.#acks.delete(id);
      if (ack.withError) ack.fn(new Error("socket has been disconnected"));
    }
  }
}

/** Types under the {@link Socket} name, as socket.io-client's (`Socket.DisconnectReason`). */
export declare namespace Socket {
  /** Why a client socket disconnected. */
  type DisconnectReason = import("./types.js").DisconnectReason;
}
