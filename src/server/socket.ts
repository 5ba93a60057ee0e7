/**
 * A server-side socket: one client connected to one namespace. Incoming EVENT/ACK packets become
 * listener calls and ack callbacks; `emit` sends to this client; `broadcast`/`to` reach others.
 */
import type { IncomingMessage } from "node:http";
import type {
  Adapter,
  BroadcastFlags,
  PreparedPacket,
  RestoredSession,
  Room,
  SocketId,
} from "../adapter/types.js";
import type { EngineSocket } from "../engine/index.js";
import {
  type Packet,
  PacketType,
  RECOVERABLE_DISCONNECT_REASONS,
  RESERVED_EVENTS,
  type ServerDisconnectReason,
  SocketErrorCodes,
} from "../protocol/socket.js";
import { TetherError } from "../shared/errors.js";
import { type AnyListener, AnyListeners } from "./any-listeners.js";
import { BroadcastOperator } from "./broadcast-operator.js";
import type { Client } from "./client.js";
import type { AckCheck, SocketGuardState } from "./guard.js";
import { buildHandshake, type Handshake, type ParsedUrlQuery, parseQuery } from "./handshake.js";
import { withLegacyQuery } from "./legacy-v2.js";
import type { Namespace } from "./namespace.js";
import { PresenceErrorCodes } from "./presence.js";
import { StrictEventEmitter } from "./strict-emitter.js";
import type {
  AckValue,
  AllButLast,
  DecorateAcknowledgements,
  DecorateAcknowledgementsWithMultipleResponses,
  DefaultEventsMap,
  EventNames,
  EventNamesWithAck,
  EventParams,
  EventsMap,
  MessageArgs,
} from "./typed-events.js";

/** A server-side disconnect reason. */
export type DisconnectReason = ServerDisconnectReason;

/** Events a socket emits to its own listeners. */
export type SocketReservedEventsMap = {
  // biome-ignore lint/suspicious/noExplicitAny: description is transport-specific, as upstream
  disconnect: (reason: DisconnectReason, description?: any) => void;
  // biome-ignore lint/suspicious/noExplicitAny: description is transport-specific, as upstream
  disconnecting: (reason: DisconnectReason, description?: any) => void;
  error: (err: Error) => void;
  /** Everything queued for this socket's connection has been written (see `bufferedAmount`). */
  drain: () => void;
};

/** `[eventName, ...args]` as seen by socket middlewares (`socket.use`). */
// biome-ignore lint/suspicious/noExplicitAny: incoming arguments are untrusted and untyped, as upstream
export type Event = [string, ...any[]];

type Flags = { -readonly [K in keyof BroadcastFlags]: BroadcastFlags[K] };
type Ack = (...args: unknown[]) => void;
const NO_FLAGS: BroadcastFlags = Object.freeze({});

/**
 * Connections whose handshake request the application read through `socket.request`: they keep
 * it (a WeakSet, so connections that never read it carry nothing for this).
 */
const keptRequests = new WeakSet<EngineSocket>();

/** Whether `socket.request` was read on this connection (its request must then be kept). */
export function isRequestKept(conn: EngineSocket): boolean {
  return keptRequests.has(conn);
}

/** A room name (socket.io allows numbers too). */
function isRoomName(room: unknown): room is Room {
  return typeof room === "string" || typeof room === "number";
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.iterator in value;
}

/** Timeout error given to ack callbacks: upstream's message. */
function timeoutError(): TetherError {
  return new TetherError(SocketErrorCodes.ACK_TIMEOUT, "operation has timed out");
}

/**
 * One client in one namespace.
 * @example
 * io.on("connection", (socket) => {
 *   socket.join("room");
 *   socket.on("chat", (msg, ack) => { socket.to("room").emit("chat", msg); ack("ok"); });
 * });
 */
export class Socket<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // biome-ignore lint/suspicious/noExplicitAny: upstream's default for untyped socket.data
  SocketData = any,
> extends StrictEventEmitter<ListenEvents, SocketReservedEventsMap> {
  /** Socket id (not the Engine.IO id); also the name of a room the socket is in. */
  readonly id: SocketId;
  /** Private session id (connection state recovery only). */
  readonly pid: string | undefined;
  readonly nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  readonly client: Client;
  #data: SocketData | undefined;
  /** Whether this socket's session was restored (connection state recovery). */
  readonly recovered: boolean;
  #state: "connecting" | "connected" | "disconnected" = "connecting";
  readonly #auth: Record<string, unknown>;
  readonly #issued = Date.now();
  #handshake: Handshake | undefined;
  #flags: Flags | undefined;
  #acks: Map<number, Ack> | undefined;
  #fns: ((event: Event, next: (err?: Error) => void) => void)[] | undefined;
  #any: AnyListeners | undefined;
  #anyOutgoing: AnyListeners | undefined;
  #reportingError = false;
  /**
   * Rate-limit state of the namespace's guard (src/server/guard.ts), from the first event.
   * `declare`: no field (and no memory) on sockets of namespaces without a guard.
   */
  declare _guardState: SocketGuardState | undefined;

  constructor(
    nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    client: Client,
    auth: Record<string, unknown>,
    id: SocketId,
    pid: string | undefined,
    restored?: RestoredSession,
  ) {
    super();
    this.nsp = nsp;
    this.client = client;
    this.#auth = auth;
    this.id = restored?.sid ?? id;
    this.pid = restored?.pid ?? pid;
    this.recovered = restored !== undefined;
    if (restored) this.#data = restored.data as SocketData;
  }

  /** Free-form application data, shared with `fetchSockets()` results (created on first use). */
  get data(): SocketData {
    this.#data ??= {} as SocketData;
    return this.#data;
  }

  set data(value: SocketData) {
    this.#data = value;
  }

  /** Handshake details (headers, query, auth, …) of the connection. */
  get handshake(): Handshake {
    if (this.#handshake === undefined) {
      this.#handshake = buildHandshake(
        this.client.conn.requestInfo,
        this.client.conn.remoteAddress,
        this.#issued,
        this.#auth,
      );
      if (this.client.conn.protocol === 3) withLegacyQuery(this.#handshake);
    }
    return this.#handshake;
  }

  /** The underlying Engine.IO connection. */
  get conn(): EngineSocket {
    return this.client.conn;
  }

  /**
   * The first HTTP request of the connection (`_query` holds its parsed query string, as on
   * socket.io). Reading it keeps that `IncomingMessage` for the life of the connection, so what
   * middlewares put on it stays — the express-session / passport pattern
   * `io.use((socket, next) => session(socket.request, {}, next))`, then `socket.request.session`
   * in handlers. A connection whose request nothing read while it joined its first namespace
   * drops it to save memory (see `retainRequest`); a later read rebuilds one from the kept URL and
   * headers.
   */
  get request(): IncomingMessage {
    const conn = this.client.conn;
    keptRequests.add(conn);
    const req = conn.request as IncomingMessage & { _query?: ParsedUrlQuery };
    // socket.io compatibility: engine.io puts the parsed query on the request, code reads it.
    req._query ??= parseQuery(req.url);
    return req;
  }

  get server(): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>["server"] {
    return this.nsp.server;
  }

  get adapter(): Adapter {
    return this.nsp.adapter;
  }

  get connected(): boolean {
    return this.#state === "connected";
  }

  get disconnected(): boolean {
    return this.#state !== "connected";
  }

  /** Rooms this socket is in (live; still readable during `disconnecting`). */
  get rooms(): Set<Room> {
    return (this.nsp.adapter.socketRooms(this.id) as Set<Room> | undefined) ?? new Set();
  }

  /**
   * Sends an event to this client; a trailing function is called with the client's ack.
   * @example socket.emit("hello", "world", (reply) => console.log(reply));
   */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    if (RESERVED_EVENTS.has(ev)) {
      throw new TetherError(SocketErrorCodes.RESERVED_EVENT, `"${ev}" is a reserved event name`);
    }
    const data: unknown[] = [ev, ...args];
    const flags = this.#takeFlags();
    const last = data[data.length - 1];
    const guard = this.nsp._guard;
    if (typeof last === "function") {
      data.pop();
      guard?.checkOutgoing(data);
      const id = this.nsp._nextAckId();
      const ack = guard
        ? guard.wrapAck(ev, last as Ack, flags.timeout !== undefined)
        : (last as Ack);
      this.#registerAck(id, ack, flags.timeout);
      this.#send({ type: PacketType.EVENT, nsp: this.nsp.name, data, id }, flags);
      return true;
    }
    guard?.checkOutgoing(data);
    const packet: Packet = { type: PacketType.EVENT, nsp: this.nsp.name, data };
    if (this.server._recovery) {
      // Through the adapter so the packet gets an offset and is stored for recovery.
      this.nsp.adapter.broadcast(packet, { rooms: new Set([this.id]), flags });
      return true;
    }
    this.#send(packet, flags);
    return true;
  }

  /**
   * Emits and resolves with the client's ack (rejects on `timeout(ms)` expiry).
   * @example const reply = await socket.timeout(1000).emitWithAck("question");
   */
  emitWithAck<Ev extends EventNamesWithAck<EmitEvents>>(
    ev: Ev,
    ...args: AllButLastParams<EmitEvents, Ev>
  ): Promise<AckValue<EmitEvents, Ev>> {
    const withErr = this.#flags?.timeout !== undefined;
    return new Promise((resolve, reject) => {
      const cb = (a: unknown, b: unknown) => {
        if (!withErr) resolve(a as AckValue<EmitEvents, Ev>);
        else if (a) reject(a);
        else resolve(b as AckValue<EmitEvents, Ev>);
      };
      (this.emit as (ev: string, ...a: unknown[]) => boolean)(ev, ...args, cb);
    });
  }

  /** Sends a `message` event. */
  send(...args: MessageArgs<EmitEvents>): this {
    (this.emit as (ev: string, ...a: unknown[]) => boolean)("message", ...args);
    return this;
  }

  /** Alias of {@link send}. */
  write(...args: MessageArgs<EmitEvents>): this {
    return this.send(...args);
  }

  /** Next emit: drop it if the transport cannot write now. */
  get volatile(): this {
    this.#flags = { ...this.#flags, volatile: true };
    return this;
  }

  /**
   * Next emit: a "latest value" — while the connection's outgoing buffer is above the backpressure
   * high-water mark, it replaces the older queued packet of the same key (default: the event name)
   * instead of queuing behind it. Binary packets ignore it.
   * @example socket.latest().emit("cursor", x, y);
   */
  latest(key?: string): this {
    this.#flags = { ...this.#flags, latest: key ?? true };
    return this;
  }

  /**
   * Bytes queued for this socket's connection and not yet written (shared by the namespaces the
   * connection joined). Compare with the server's `backpressure.highWaterMark`; `drain` fires when it
   * is back to zero.
   */
  get bufferedAmount(): number {
    return this.conn.bufferedAmount;
  }

  /** Next emit: per-message compression hint. */
  compress(compress: boolean): this {
    this.#flags = { ...this.#flags, compress };
    return this;
  }

  /**
   * Next emit: its ack callback gets `(err, ...args)` and an error after `ms`.
   * @example socket.timeout(5000).emit("ping", (err, pong) => {});
   */
  timeout(
    ms: number,
  ): Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>, ServerSideEvents, SocketData> {
    this.#flags = { ...this.#flags, timeout: ms };
    return this as unknown as Socket<
      ListenEvents,
      DecorateAcknowledgements<EmitEvents>,
      ServerSideEvents,
      SocketData
    >;
  }

  /** Broadcast to every socket of the namespace but this one. */
  get broadcast(): BroadcastOperator<
    DecorateAcknowledgementsWithMultipleResponses<EmitEvents>,
    SocketData
  > {
    return this.#operator();
  }

  /**
   * Broadcast to the sockets of this node only (every socket of the namespace but this one, unless
   * narrowed with `to`), skipping the other nodes of a cluster adapter.
   * @example socket.local.emit("node-only", 1);
   */
  get local(): BroadcastOperator<
    DecorateAcknowledgementsWithMultipleResponses<EmitEvents>,
    SocketData
  > {
    return this.#operator().local;
  }

  /** Broadcast to `room` (excluding this socket). @example socket.to("room").emit("hi"); */
  to(
    room: Room | Room[],
  ): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData> {
    return this.#operator().to(room);
  }

  /** Alias of {@link to}. */
  in(
    room: Room | Room[],
  ): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData> {
    return this.to(room);
  }

  /** Broadcast to everyone but `room` (and this socket). */
  except(
    room: Room | Room[],
  ): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData> {
    return this.#operator().except(room);
  }

  #operator(): BroadcastOperator<
    DecorateAcknowledgementsWithMultipleResponses<EmitEvents>,
    SocketData
  > {
    const flags = this.#takeFlags();
    return new BroadcastOperator(this.nsp.adapter, new Set(), new Set([this.id]), flags);
  }

  /** Joins one or several rooms. @example socket.join(["a", "b"]); */
  join(rooms: Room | Room[]): Promise<void> | void {
    // A closed socket must not re-enter the adapter (e.g. a join from a late async callback).
    if (this.#state === "disconnected") return;
    // Also reached with what another node sent (`socketsJoin` through a socket.io adapter):
    // only room names are taken.
    if (typeof rooms === "string") return this.nsp.adapter.addAll(this.id, [rooms]);
    if (!isIterable(rooms)) return;
    return this.nsp.adapter.addAll(this.id, [...rooms].filter(isRoomName));
  }

  // ---- presence (src/server/presence.ts) ---------------------------------------------------

  /**
   * Appears in `room`'s presence under `key` (e.g. a user id) with `meta`, joining the room if
   * needed. One socket has one entry per room (tracking again replaces it); one key may have
   * entries from several sockets. Rejects with a TetherError `PRESENCE_ERR_*` on an invalid
   * room, key or meta, or a limit reached.
   * @example await socket.track("lobby", user.id, { name: user.name, device: "phone" });
   */
  async track(room: Room, key: string, meta?: Record<string, unknown>): Promise<void> {
    if (this.#state !== "connected")
      throw new TetherError(PresenceErrorCodes.DISCONNECTED, "socket is disconnected");
    if (!this.rooms.has(room)) await this.join(room);
    if (this.#state !== "connected")
      throw new TetherError(PresenceErrorCodes.DISCONNECTED, "socket is disconnected");
    this.nsp._presenceTracker().track(this.id, room, key, meta);
  }

  /** Replaces this socket's meta in `room` (pushed as a leave and a join). */
  async updatePresence(room: Room, meta: Record<string, unknown>): Promise<void> {
    this.nsp._presenceTracker().update(this.id, room, meta);
  }

  /** Removes this socket's entry from `room`'s presence (it stays in the room). */
  async untrack(room: Room): Promise<void> {
    this.nsp._presence?.untrack(this.id, room);
  }

  /** Leaves a room. */
  leave(room: Room): Promise<void> | void {
    if (!isRoomName(room)) return;
    return this.nsp.adapter.del(this.id, room);
  }

  /**
   * Disconnects from this namespace (`close` also closes the whole connection).
   * @example socket.disconnect(true);
   */
  disconnect(close = false): this {
    if (this.#state !== "connected") return this;
    if (close) {
      this.client._disconnect();
      return this;
    }
    this.#send({ type: PacketType.DISCONNECT, nsp: this.nsp.name }, NO_FLAGS);
    this._onclose("server namespace disconnect");
    return this;
  }

  /** Registers a middleware run for every incoming event. */
  use(fn: (event: Event, next: (err?: Error) => void) => void): this {
    this.#fns ??= [];
    this.#fns.push(fn);
    return this;
  }

  /** Listener called for every incoming event, before the event's own listeners. */
  onAny(listener: AnyListener): this {
    this.#any ??= new AnyListeners();
    this.#any.add(listener, false);
    return this;
  }

  prependAny(listener: AnyListener): this {
    this.#any ??= new AnyListeners();
    this.#any.add(listener, true);
    return this;
  }

  offAny(listener?: AnyListener): this {
    this.#any?.remove(listener);
    return this;
  }

  listenersAny(): AnyListener[] {
    return this.#any?.list() ?? [];
  }

  /** Listener called for every outgoing event (emits and broadcasts reaching this socket). */
  onAnyOutgoing(listener: AnyListener): this {
    this.#anyOutgoing ??= new AnyListeners();
    this.#anyOutgoing.add(listener, false);
    return this;
  }

  prependAnyOutgoing(listener: AnyListener): this {
    this.#anyOutgoing ??= new AnyListeners();
    this.#anyOutgoing.add(listener, true);
    return this;
  }

  offAnyOutgoing(listener?: AnyListener): this {
    this.#anyOutgoing?.remove(listener);
    return this;
  }

  listenersAnyOutgoing(): AnyListener[] {
    return this.#anyOutgoing?.list() ?? [];
  }

  // ---- internal: called by Namespace, Client and the adapter -------------------------------

  /** Adapter hook: writes a broadcast packet encoded once for all recipients. */
  deliver(prepared: PreparedPacket, flags: BroadcastFlags): void {
    if (this.#anyOutgoing) this.#notifyOutgoing(prepared.packet);
    this.client._writePrepared(prepared, flags);
  }

  /** Client hook: the connection's outgoing buffer was fully written. */
  _ondrain(): void {
    if (this.listenerCount("drain") > 0) this.emitReserved("drain");
  }

  /** Client hook: the connection sent a packet that cannot be decoded (socket.io's `_onerror`). */
  _onerror(err: Error): void {
    if (this.listenerCount("error") > 0) this.emitReserved("error", err);
  }

  /** Adapter hook: expects an ack with `id` (broadcast with ack). */
  expectAck(id: number, fn: (...args: unknown[]) => void): void {
    this.#acks ??= new Map();
    const probe = this.server._probe;
    this.#acks.set(id, probe === undefined ? fn : probe.ack(this, fn));
  }

  /** Adapter hook: stops waiting for the ack with `id` (its broadcast timed out). */
  forgetAck(id: number): void {
    if (this.#acks?.delete(id)) this.server._probe?.ackAbandoned(this);
  }

  // ---- socket.io compatibility -------------------------------------------------------------

  /**
   * The pending acknowledgements (ack id → callback), as socket.io exposes them: adapters written
   * for socket.io (`socket.io-adapter` subclasses) register broadcast acks with `socket.acks.set`,
   * and monitoring code reads `socket.acks.size`. Tether's own code uses `expectAck`/`forgetAck`.
   */
  get acks(): Map<number, (...args: unknown[]) => void> {
    this.#acks ??= new Map();
    return this.#acks;
  }

  /**
   * Calls the `onAnyOutgoing` listeners for a packet written to this socket by someone else:
   * `socket.io-adapter`'s broadcast calls it before `client.writeToEngine` (the packet may come
   * from another node: anything but an event is ignored).
   */
  notifyOutgoingListeners(packet: unknown): void {
    if (!this.#anyOutgoing || typeof packet !== "object" || packet === null) return;
    const p = packet as { type?: unknown; nsp?: unknown; data?: unknown };
    if (typeof p.nsp !== "string") return;
    this.#notifyOutgoing(packet as Packet);
  }

  /**
   * Joins the own room (or a restored session's rooms), replays the events the session missed,
   * then answers CONNECT (`{sid}` or `{sid, pid}`).
   */
  _onconnect(rooms: readonly Room[] = [], missed?: readonly unknown[][]): void {
    this.#state = "connected";
    // Joining first: an adapter may complete `missed` as the socket joins (the Redis Streams
    // adapter adds the entries delivered while the session was being restored).
    this.nsp.adapter.addAll(this.id, rooms.length > 0 ? rooms : [this.id]);
    const data =
      this.client.conn.protocol === 3 // protocol 4 (Socket.IO v2 clients): no payload
        ? undefined
        : this.pid === undefined
          ? { sid: this.id }
          : { sid: this.id, pid: this.pid };
    const connect: Packet = { type: PacketType.CONNECT, nsp: this.nsp.name, data };
    if (missed === undefined || missed.length === 0) {
      this.#send(connect, NO_FLAGS);
      return;
    }
    // Replayed before the CONNECT reply, as socket.io: the official client buffers the events it
    // gets while connecting and delivers them before its `connect` event. The replay is bounded
    // by the recovery buffer, not by the backpressure limits: a client cut off with "buffer full"
    // missed about a full buffer and must be able to take it back.
    this.client.conn.exempt(() => {
      for (const args of missed) {
        this.#send({ type: PacketType.EVENT, nsp: this.nsp.name, data: args }, NO_FLAGS);
      }
      this.#send(connect, NO_FLAGS);
    });
  }

  /** Sends a raw packet (used for CONNECT_ERROR and replayed packets). */
  _packet(packet: Packet): void {
    this.#send(packet, NO_FLAGS);
  }

  /** Handles one decoded packet for this namespace. */
  _onpacket(packet: Packet): void {
    switch (packet.type) {
      case PacketType.EVENT:
      case PacketType.BINARY_EVENT:
        this.#onevent(packet);
        return;
      case PacketType.ACK:
      case PacketType.BINARY_ACK:
        this.#onack(packet);
        return;
      case PacketType.DISCONNECT:
        this._onclose("client namespace disconnect");
        return;
      default:
        return;
    }
  }

  #onevent(packet: Packet): void {
    const guard = this.nsp._guard;
    if (guard !== undefined) guard.admit(this, packet.data as unknown[], packet.id);
    else this._admitted(packet.data as unknown[], packet.id);
  }

  /** Runs an event the namespace's guard let through (or every event, without a guard). */
  _admitted(args: unknown[], id: number | undefined, checkAck?: AckCheck): void {
    if (id !== undefined) args.push(this.#ackFor(id, checkAck));
    if (this.#any) for (const l of this.#any.list()) this.invokeListener(l, args);
    if (!this.#fns) {
      this.#dispatch(args);
      return;
    }
    this.#runMiddlewares(args as Event, 0);
  }

  #runMiddlewares(event: Event, i: number): void {
    const fn = this.#fns?.[i];
    if (!fn) {
      this.#dispatch(event);
      return;
    }
    this.invokeListener(fn as (...a: unknown[]) => unknown, [
      event,
      (err?: Error) => (err ? this.onListenerError(err) : this.#runMiddlewares(event, i + 1)),
    ]);
  }

  #dispatch(args: unknown[]): void {
    // As socket.io: listeners run on the next tick, and not at all if the socket disconnected in
    // between (an event followed by a DISCONNECT in the same read is dropped, not delivered late).
    process.nextTick(() => {
      if (this.#state !== "connected") return;
      const probe = this.server._probe;
      if (probe === undefined) this.emitReserved(String(args[0]), ...args.slice(1));
      else probe.event(this, args, () => this.emitReserved(String(args[0]), ...args.slice(1)));
    });
  }

  #ackFor(id: number, check: AckCheck | undefined): Ack {
    let sent = false;
    return (...args: unknown[]) => {
      if (sent) return;
      check?.(args);
      sent = true;
      this.#send({ type: PacketType.ACK, nsp: this.nsp.name, id, data: args }, NO_FLAGS);
    };
  }

  #onack(packet: Packet): void {
    const id = packet.id;
    const fn = id === undefined ? undefined : this.#acks?.get(id);
    if (id === undefined || !fn) return;
    this.#acks?.delete(id);
    this.invokeListener(fn, packet.data as unknown[]);
  }

  #registerAck(id: number, fn: Ack, timeout: number | undefined): void {
    const probe = this.server._probe;
    const ack = probe === undefined ? fn : probe.ack(this, fn);
    this.#acks ??= new Map();
    const acks = this.#acks;
    if (timeout === undefined) {
      acks.set(id, ack);
      return;
    }
    const timer = setTimeout(() => {
      acks.delete(id);
      this.invokeListener(ack, [timeoutError()]);
    }, timeout);
    acks.set(id, (...args: unknown[]) => {
      clearTimeout(timer);
      ack(null, ...args);
    });
  }

  /**
   * Closes this socket: `disconnecting`, session persisted if recoverable, rooms left,
   * `disconnect`. Returns the adapter's pending write of the session, if any (a graceful drain
   * waits for it before closing the transport).
   */
  _onclose(reason: DisconnectReason, description?: unknown): Promise<void> | undefined {
    if (this.#state !== "connected") return undefined;
    this.emitReserved("disconnecting", reason, description);
    let persisted: Promise<void> | undefined;
    if (
      this.server._recovery &&
      this.pid !== undefined &&
      RECOVERABLE_DISCONNECT_REASONS.has(reason)
    ) {
      const write: unknown = this.nsp.adapter.persistSession({
        sid: this.id,
        pid: this.pid,
        rooms: [...this.rooms],
        data: this.data,
      });
      // A failed write is the adapter's to report (its `error` event); the close goes on.
      if (write instanceof Promise) persisted = write.then(undefined, () => undefined);
    }
    this.nsp._presence?.onSocketClose(
      this.id,
      this.pid !== undefined && RECOVERABLE_DISCONNECT_REASONS.has(reason),
    );
    this.nsp._guard?.release(this);
    this.nsp.adapter.delAll(this.id);
    this.nsp._remove(this);
    this.client._remove(this);
    this.#state = "disconnected";
    this.server._probe?.disconnected(this, reason);
    this.emitReserved("disconnect", reason, description);
    return persisted;
  }

  #send(packet: Packet, flags: BroadcastFlags): void {
    if (this.#anyOutgoing && packet.type === PacketType.EVENT) this.#notifyOutgoing(packet);
    this.client._packet(packet, flags);
  }

  #notifyOutgoing(packet: Packet): void {
    if (!this.#anyOutgoing || !Array.isArray(packet.data)) return;
    if (packet.type !== PacketType.EVENT && packet.type !== PacketType.BINARY_EVENT) return;
    for (const l of this.#anyOutgoing.list()) this.invokeListener(l, packet.data);
  }

  #takeFlags(): BroadcastFlags {
    const flags = this.#flags ?? NO_FLAGS;
    this.#flags = undefined;
    return flags;
  }

  protected override onListenerError(err: unknown): void {
    if (!this.#reportingError && this.listenerCount("error") > 0) {
      this.#reportingError = true;
      try {
        this.emitReserved("error", err instanceof Error ? err : new Error(String(err)));
      } finally {
        this.#reportingError = false;
      }
      return;
    }
    super.onListenerError(err);
  }
}

type AllButLastParams<M extends EventsMap, Ev extends EventNames<M>> = AllButLast<
  Parameters<M[Ev]>
>;
