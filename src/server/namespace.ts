/**
 * A namespace: a named group of sockets with its own middlewares, rooms (through its adapter)
 * and events. `emit` on a namespace broadcasts to all of its sockets.
 */
import type { Adapter, AdapterHost, Room, SocketId } from "../adapter/types.js";
import { type Packet, PacketType } from "../protocol/socket.js";
import type { Contract, ContractEmitEvents, ContractListenEvents } from "../shared/contract.js";
import { BroadcastOperator, type RemoteSocket } from "./broadcast-operator.js";
import type { Client } from "./client.js";
import { type ContractOptions, NamespaceGuard, type RateLimitOptions } from "./guard.js";
import { legacyConnectError, legacySocketId } from "./legacy-v2.js";
import { ServerPreparedPacket } from "./prepared.js";
import {
  PRESENCE_EVENT,
  type PresenceDiff,
  type PresenceHost,
  PresenceTracker,
  registerPresence,
} from "./presence.js";
import type { Server } from "./server.js";
import { isRequestKept, Socket } from "./socket.js";
import { StrictEventEmitter } from "./strict-emitter.js";
import type {
  AckValue,
  AllButLast,
  DecorateAcknowledgements,
  DecorateAcknowledgementsWithMultipleResponses,
  DecorateAcknowledgementsWithTimeoutAndMultipleResponses,
  DefaultEventsMap,
  EventNames,
  EventNamesWithAck,
  EventNamesWithoutAck,
  EventParams,
  EventsMap,
  MessageArgs,
} from "./typed-events.js";

/** Events of the namespace itself, which a `serverSideEmit` from another node may not use. */
const NAMESPACE_EVENTS: ReadonlySet<string> = new Set([
  "connect",
  "connection",
  "new_namespace",
  "presence",
]);

/** An error a middleware passes to `next()`: `message` and optional `data` reach the client. */
export interface ExtendedError extends Error {
  // biome-ignore lint/suspicious/noExplicitAny: arbitrary payload sent to the client, as upstream
  data?: any;
}

/** Events a namespace emits to its own listeners. */
export type NamespaceReservedEventsMap<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  ServerSideEvents extends EventsMap,
  SocketData,
> = {
  connect: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void;
  connection: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void;
  new_namespace: (
    namespace: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
  ) => void;
  /** The room's presence changed (batched), on every node: see `socket.track()`. */
  presence: (room: Room, diff: PresenceDiff) => void;
};

/** A connection middleware (`io.use`, `nsp.use`). */
export type NamespaceMiddleware<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  ServerSideEvents extends EventsMap,
  SocketData,
> = (
  socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
  next: (err?: ExtendedError) => void,
) => void;

/**
 * A namespace (`io.of("/admin")`).
 * @example
 * const admin = io.of("/admin");
 * admin.use((socket, next) => (socket.handshake.auth.token ? next() : next(new Error("no"))));
 * admin.on("connection", (socket) => admin.emit("joined", socket.id));
 */
export class Namespace<
    ListenEvents extends EventsMap = DefaultEventsMap,
    EmitEvents extends EventsMap = ListenEvents,
    ServerSideEvents extends EventsMap = DefaultEventsMap,
    // biome-ignore lint/suspicious/noExplicitAny: upstream's default for untyped socket.data
    SocketData = any,
  >
  extends StrictEventEmitter<
    ServerSideEvents,
    NamespaceReservedEventsMap<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  >
  implements AdapterHost, PresenceHost
{
  readonly name: string;
  readonly sockets = new Map<
    SocketId,
    Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  >();
  readonly server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  adapter!: Adapter;
  /** Connection middlewares, in order. */
  _fns: NamespaceMiddleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[] = [];
  /** CONNECTs in progress (session restore, middlewares). */
  _connecting = 0;
  /**
   * Called when the namespace has no socket and no CONNECT in progress any more: after a
   * disconnect, or a connection refused by a middleware (the cleanup of dynamic children).
   */
  _onEmpty: (() => void) | undefined;
  #ids = 0;
  #presence: PresenceTracker | undefined;
  /** Contract and rate limits (src/server/guard.ts); undefined costs incoming events nothing. */
  _guard: NamespaceGuard | undefined;

  constructor(
    server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    name: string,
  ) {
    super();
    this.server = server;
    this.name = name;
    this._initAdapter();
    registerPresence(this, () => this._presenceTracker());
  }

  /** Creates this namespace's adapter from the server's adapter option. */
  _initAdapter(): void {
    this.adapter = this.server._createAdapter(this);
    void this.adapter.init();
    this.#presence?.attach(this.adapter);
  }

  // ---- presence (src/server/presence.ts) -----------------------------------------------------

  /** This namespace's presence, created on first use. */
  _presenceTracker(): PresenceTracker {
    this.#presence ??= new PresenceTracker(this, this.server._opts.presence);
    return this.#presence;
  }

  /** The tracker if presence was used on this node. */
  get _presence(): PresenceTracker | undefined {
    return this.#presence;
  }

  /** @internal PresenceHost */
  get recoveryWindow(): number | undefined {
    return this.server._recovery?.maxDisconnectionDuration;
  }

  /** @internal PresenceHost */
  emitTo(socketId: SocketId, ev: string, ...args: unknown[]): boolean {
    const socket = this.sockets.get(socketId);
    if (socket === undefined || !socket.connected) return false;
    socket._packet({ type: PacketType.EVENT, nsp: this.name, data: [ev, ...args] });
    return true;
  }

  /** @internal PresenceHost */
  emitToRoom(room: Room, ev: string, ...args: unknown[]): void {
    this.adapter.broadcast(
      { type: PacketType.EVENT, nsp: this.name, data: [ev, ...args] },
      { rooms: new Set([room]), flags: { local: true } },
    );
  }

  /** @internal PresenceHost */
  emitPresence(room: Room, diff: PresenceDiff): void {
    this.emitReserved("presence", room, diff);
  }

  /**
   * Registers a connection middleware.
   * @example io.use((socket, next) => next());
   */
  use(fn: NamespaceMiddleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): this {
    this._fns.push(fn);
    return this;
  }

  /**
   * Validates this namespace's events against `contract` (Standard Schema validators): an
   * invalid event reaches no middleware or handler, its sender gets a Refusal (see
   * docs/contracts.md). Returns this namespace typed from the contract.
   * @example
   * const chat = io.of("/chat").contract(chatContract, { strict: true });
   * chat.on("connection", (socket) => socket.on("say", (text, ack) => ack("ok")));
   */
  contract<C extends Contract>(
    contract: C,
    options?: ContractOptions,
  ): Namespace<ContractListenEvents<C>, ContractEmitEvents<C>, ServerSideEvents, SocketData> {
    this._guard ??= new NamespaceGuard();
    this._guard.setContract(contract, options);
    return this as unknown as Namespace<
      ContractListenEvents<C>,
      ContractEmitEvents<C>,
      ServerSideEvents,
      SocketData
    >;
  }

  /**
   * Rate-limits incoming events with token buckets (per socket, per event, per key): an event over
   * a limit is refused with `retryAfterMs`. O(1) per event, no timers.
   * @example io.of("/chat").limit({ events: { say: { perSecond: 5, burst: 10 } } });
   */
  limit(options: RateLimitOptions): this {
    this._guard ??= new NamespaceGuard();
    this._guard.setLimits(options);
    return this;
  }

  // ---- AdapterHost ---------------------------------------------------------------------------

  prepare(packet: Packet): ServerPreparedPacket {
    return new ServerPreparedPacket({ ...packet, nsp: this.name }, this.server.encoder);
  }

  nextAckId(): number {
    return this.#ids++;
  }

  /** Allocates an ack id (shared by socket emits and broadcasts of this namespace). */
  _nextAckId(): number {
    return this.#ids++;
  }

  onServerSideEmit(args: unknown[], ack?: (...responses: unknown[]) => void): void {
    const [ev, ...rest] = args;
    if (ev === PRESENCE_EVENT) {
      this._presenceTracker().onMessage(rest[0]);
      return;
    }
    // Another node cannot fake this namespace's own events (a `connection` without a socket).
    if (typeof ev !== "string" || NAMESPACE_EVENTS.has(ev)) return;
    this.emitReserved(ev, ...(ack ? [...rest, ack] : rest));
  }

  // ---- socket.io compatibility: the host side of socket.io-adapter -------------------------
  // Adapters built on `socket.io-adapter` (`@socket.io/redis-adapter`, `…/redis-streams-adapter`,
  // `…/postgres-adapter`, `…/cluster-adapter`) call these on the namespace they are given; see
  // src/server/compat/socketio-adapter.ts.

  /**
   * The next ack id: `socket.io-adapter`'s `broadcastWithAck` allocates one with `nsp._ids++`
   * (the same counter as `nextAckId`).
   */
  get _ids(): number {
    return this.#ids;
  }

  set _ids(value: number) {
    if (Number.isSafeInteger(value) && value >= 0) this.#ids = value;
  }

  /**
   * A `serverSideEmit` from another node, socket.io's form: `[event, ...args]`, with the ack
   * (when the sender waits for one) as the last element. What comes from another node is
   * untrusted: anything but an array starting with an event name is ignored.
   */
  _onServerSideEmit(args: unknown): void {
    if (!Array.isArray(args) || args.length === 0) return;
    const last: unknown = args[args.length - 1];
    if (typeof last === "function") {
      this.onServerSideEmit(args.slice(0, -1), last as (...responses: unknown[]) => void);
    } else this.onServerSideEmit(args);
  }

  // ---- connection ----------------------------------------------------------------------------

  /**
   * Adds a client to this namespace: recovery, middlewares, then CONNECT and `connection`.
   * Resolves `true` when the socket joined and nothing read `socket.request` on its connection:
   * the client may then drop the handshake request.
   */
  async _add(client: Client, auth: Record<string, unknown>): Promise<boolean> {
    this._connecting++;
    let joined = false;
    try {
      const probe = this.server._probe;
      joined = await (probe === undefined
        ? this.#add(client, auth)
        : probe.connect(this, client.conn, auth, () => this.#add(client, auth)));
    } finally {
      this._connecting--;
      if (!joined) this.#checkEmpty();
    }
    return joined && !isRequestKept(client.conn);
  }

  async #add(client: Client, auth: Record<string, unknown>): Promise<boolean> {
    const recovery = this.server._recovery;
    const pid = auth.pid;
    const offset = auth.offset;
    let restored: Awaited<ReturnType<Adapter["restoreSession"]>>;
    if (recovery && typeof pid === "string" && typeof offset === "string") {
      restored = await this.adapter.restoreSession(pid, offset).catch(() => undefined);
      this.server._probe?.recovery(this, restored !== undefined);
    }
    const socket = new Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>(
      this,
      client,
      auth,
      client.conn.protocol === 3
        ? legacySocketId(this.name, client.id)
        : this.server._generateSocketId(),
      recovery ? this.server._generateSocketId() : undefined,
      restored,
    );
    if (!(restored && recovery?.skipMiddlewares)) {
      const err = await this.#runMiddlewares(socket);
      if (err) {
        // Rooms joined by a middleware before it refused must not leak into the adapter.
        this.adapter.delAll(socket.id);
        if (client.conn.readyState === "open") {
          const data =
            client.conn.protocol === 3
              ? legacyConnectError(err)
              : err.data === undefined
                ? { message: err.message }
                : { message: err.message, data: err.data };
          socket._packet({ type: PacketType.CONNECT_ERROR, nsp: this.name, data });
        }
        return false;
      }
    }
    if (client.conn.readyState !== "open") {
      this.adapter.delAll(socket.id);
      return false;
    }
    this.sockets.set(socket.id, socket);
    socket._onconnect(restored ? restored.rooms : [], restored?.missedPackets);
    // Before `connection`: its handler may track again (same entries: no change).
    if (restored) this._presenceTracker().onSocketRecovered(socket.id);
    client._onSocketConnected(socket);
    this.emitReserved("connect", socket);
    this.emitReserved("connection", socket);
    return true;
  }

  #runMiddlewares(
    socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
  ): Promise<ExtendedError | undefined> {
    const fns = this._fns.slice();
    if (fns.length === 0) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const run = (i: number): void => {
        const fn = fns[i];
        if (!fn) {
          resolve(undefined);
          return;
        }
        let called = false;
        const next = (err?: ExtendedError) => {
          if (called) return;
          called = true;
          if (err) resolve(err instanceof Error ? err : Object.assign(new Error(String(err)), {}));
          else run(i + 1);
        };
        try {
          // An async middleware that rejects refuses the connection like one that throws.
          const result: unknown = fn(socket, next);
          if (result instanceof Promise) {
            result.catch((err: unknown) =>
              next(err instanceof Error ? err : new Error(String(err))),
            );
          }
        } catch (err) {
          next(err instanceof Error ? err : new Error(String(err)));
        }
      };
      run(0);
    });
  }

  /** Emits `new_namespace` (on the main namespace). */
  _announce(nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    this.emitReserved("new_namespace", nsp);
  }

  /** Removes a disconnected socket. */
  _remove(socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    this.sockets.delete(socket.id);
    this.#checkEmpty();
  }

  #checkEmpty(): void {
    if (this._onEmpty !== undefined && this.sockets.size === 0 && this._connecting === 0) {
      this._onEmpty();
    }
  }

  // ---- broadcasting --------------------------------------------------------------------------

  /** Every socket of the namespace; typed as a broadcast (one ack response per socket) by default. */
  #operator<
    Events extends EventsMap = DecorateAcknowledgementsWithMultipleResponses<EmitEvents>,
  >(): BroadcastOperator<Events, SocketData> {
    return new BroadcastOperator(this.adapter);
  }

  /** Targets a room. @example nsp.to("room").emit("hi"); */
  to(
    room: Room | Room[],
  ): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData> {
    return this.#operator().to(room);
  }

  in(
    room: Room | Room[],
  ): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData> {
    return this.#operator().in(room);
  }

  except(
    room: Room | Room[],
  ): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData> {
    return this.#operator().except(room);
  }

  /** Emits to every socket of the namespace. @example io.of("/chat").emit("news", n); */
  emit<Ev extends EventNamesWithoutAck<EmitEvents>>(
    ev: Ev,
    ...args: EventParams<EmitEvents, Ev>
  ): boolean {
    return this.#operator<EmitEvents>().emit(ev, ...args);
  }

  emitWithAck<Ev extends EventNamesWithAck<EmitEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<AckValue<EmitEvents, Ev>[]> {
    // Untyped operator: a broadcast's own `emitWithAck` is only typed after `timeout()`.
    return this.#operator<DefaultEventsMap>().emitWithAck(ev, ...args);
  }

  /** Sends a `message` event to every socket. */
  send(...args: MessageArgs<EmitEvents>): this {
    (this.emit as (ev: string, ...a: unknown[]) => boolean)("message", ...args);
    return this;
  }

  write(...args: MessageArgs<EmitEvents>): this {
    return this.send(...args);
  }

  compress(
    compress: boolean,
  ): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData> {
    return this.#operator().compress(compress);
  }

  /** A "latest value" broadcast (see `BroadcastOperator.latest`). */
  latest(
    key?: string,
  ): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData> {
    return this.#operator().latest(key);
  }

  get volatile(): BroadcastOperator<
    DecorateAcknowledgementsWithMultipleResponses<EmitEvents>,
    SocketData
  > {
    return this.#operator().volatile;
  }

  get local(): BroadcastOperator<
    DecorateAcknowledgementsWithMultipleResponses<EmitEvents>,
    SocketData
  > {
    return this.#operator().local;
  }

  timeout(
    ms: number,
  ): BroadcastOperator<
    DecorateAcknowledgements<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>>,
    SocketData
  > {
    return this.#operator().timeout(ms);
  }

  allSockets(): Promise<Set<SocketId>> {
    return this.#operator().allSockets();
  }

  fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    return this.#operator<EmitEvents>().fetchSockets();
  }

  socketsJoin(room: Room | Room[]): void {
    this.#operator().socketsJoin(room);
  }

  socketsLeave(room: Room | Room[]): void {
    this.#operator().socketsLeave(room);
  }

  disconnectSockets(close = false): void {
    this.#operator().disconnectSockets(close);
  }

  /**
   * Emits to the other Socket.IO servers of the cluster (a no-op on a single node). A trailing
   * callback gets `(err, responses)`, one response per other server.
   * @example io.serverSideEmit("hello", "world");
   */
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(
    ev: Ev,
    ...args: EventParams<
      DecorateAcknowledgementsWithTimeoutAndMultipleResponses<ServerSideEvents>,
      Ev
    >
  ): boolean {
    const data: unknown[] = [ev, ...args];
    const last = data[data.length - 1];
    if (typeof last === "function") {
      data.pop();
      this.adapter.serverSideEmit(data, last as (err: Error | null, responses: unknown[]) => void);
    } else this.adapter.serverSideEmit(data);
    return true;
  }

  /** Like {@link serverSideEmit}, resolving with the other servers' responses. */
  serverSideEmitWithAck<Ev extends EventNamesWithAck<ServerSideEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<ServerSideEvents, Ev>>
  ): Promise<AckValue<ServerSideEvents, Ev>[]> {
    return new Promise((resolve, reject) => {
      this.adapter.serverSideEmit([ev, ...args], (err, responses) =>
        err ? reject(err) : resolve(responses as AckValue<ServerSideEvents, Ev>[]),
      );
    });
  }
}
