/**
 * Broadcast targeting: an immutable (rooms, except, flags) selection over a namespace's adapter,
 * built by `to`/`in`/`except`/`volatile`/`compress`/`local`/`timeout`, and the operations on it.
 * Also RemoteSocket, the socket view returned by `fetchSockets()`.
 */
import type { Adapter, BroadcastFlags, Room, SocketDetails, SocketId } from "../adapter/types.js";
import { type Packet, PacketType, RESERVED_EVENTS, SocketErrorCodes } from "../protocol/socket.js";
import { TetherError } from "../shared/errors.js";
import type { Handshake } from "./handshake.js";
import { type PresenceState, presenceOf } from "./presence.js";
import type {
  AckValue,
  AllButLast,
  DecorateAcknowledgements,
  DefaultEventsMap,
  EventNames,
  EventNamesWithError,
  EventParams,
  EventsMap,
} from "./typed-events.js";

function toSet(current: ReadonlySet<Room>, room: Room | Room[]): Set<Room> {
  const out = new Set(current);
  if (Array.isArray(room)) for (const r of room) out.add(r);
  else out.add(room);
  return out;
}

type Emit = (ev: string, ...args: unknown[]) => boolean;

/**
 * A broadcast target. Each modifier returns a new operator; `emit` sends to the selection.
 * @example io.to("room1").to("room2").except("room3").emit("news", data);
 */
export class BroadcastOperator<
  EmitEvents extends EventsMap = DefaultEventsMap,
  // biome-ignore lint/suspicious/noExplicitAny: upstream's default for untyped socket.data
  SocketData = any,
> {
  readonly #adapter: Adapter;
  readonly #rooms: ReadonlySet<Room>;
  readonly #except: ReadonlySet<Room>;
  readonly #flags: BroadcastFlags;

  constructor(
    adapter: Adapter,
    rooms: ReadonlySet<Room> = new Set(),
    exceptRooms: ReadonlySet<Room> = new Set(),
    flags: BroadcastFlags = {},
  ) {
    this.#adapter = adapter;
    this.#rooms = rooms;
    this.#except = exceptRooms;
    this.#flags = flags;
  }

  #with(rooms: ReadonlySet<Room>, except: ReadonlySet<Room>, flags: BroadcastFlags) {
    return new BroadcastOperator<EmitEvents, SocketData>(this.#adapter, rooms, except, flags);
  }

  /** Targets the sockets in `room` (union with the rooms already targeted). */
  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.#with(toSet(this.#rooms, room), this.#except, this.#flags);
  }

  /** Alias of {@link to}. */
  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.to(room);
  }

  /** Excludes the sockets in `room`. */
  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.#with(this.#rooms, toSet(this.#except, room), this.#flags);
  }

  /** Per-message compression hint. */
  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.#with(this.#rooms, this.#except, { ...this.#flags, compress });
  }

  /** Drops the packet for recipients that cannot write right now. */
  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.#with(this.#rooms, this.#except, { ...this.#flags, volatile: true });
  }

  /**
   * A "latest value": recipients whose outgoing buffer is above the high-water mark keep only the
   * newest queued packet of `key` (default: the event name). Binary packets ignore it.
   * @example io.to("AAPL").latest("AAPL").emit("price", 187.3);
   */
  latest(key?: string): BroadcastOperator<EmitEvents, SocketData> {
    return this.#with(this.#rooms, this.#except, { ...this.#flags, latest: key ?? true });
  }

  /** Only this node (cluster adapters). */
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.#with(this.#rooms, this.#except, { ...this.#flags, local: true });
  }

  /**
   * Waits `ms` for every recipient's ack: the callback gets `(err, responses)`.
   * @example io.timeout(1000).emit("ping", (err, responses) => {});
   */
  timeout(ms: number): BroadcastOperator<DecorateAcknowledgements<EmitEvents>, SocketData> {
    return new BroadcastOperator(this.#adapter, this.#rooms, this.#except, {
      ...this.#flags,
      timeout: ms,
    });
  }

  /**
   * Emits to every targeted socket. A trailing callback collects one ack per recipient.
   * @example io.to("room").emit("hello", "world");
   */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    // An event name arriving from the network (e.g. @socket.io/admin-ui's "emit" operation)
    // may be anything; a packet whose first element is not a string or number makes every
    // official client drop its connection with "parse error".
    if (typeof ev !== "string" && typeof ev !== "number") {
      throw new TetherError(SocketErrorCodes.INVALID_ARGUMENT, "an event name must be a string");
    }
    if (RESERVED_EVENTS.has(ev)) {
      throw new TetherError(SocketErrorCodes.RESERVED_EVENT, `"${ev}" is a reserved event name`);
    }
    const data: unknown[] = [ev, ...args];
    const opts = { rooms: this.#rooms, except: this.#except, flags: this.#flags };
    const last = data[data.length - 1];
    // The namespace's contract (validateOutgoing); an adapter's host may be something else.
    const guard = (this.#adapter.nsp as { _guard?: { checkOutgoing(d: unknown[]): void } })._guard;
    if (guard) guard.checkOutgoing(typeof last === "function" ? data.slice(0, -1) : data);
    if (typeof last !== "function") {
      this.#adapter.broadcast({ type: PacketType.EVENT, nsp: this.#adapter.nsp.name, data }, opts);
      return true;
    }
    data.pop();
    const ack = last as (err: Error | null, responses: unknown) => void;
    const packet: Packet = { type: PacketType.EVENT, nsp: this.#adapter.nsp.name, data };
    collectAcks(this.#adapter, packet, opts, ack);
    return true;
  }

  /**
   * Emits and resolves with every recipient's ack (rejects on timeout).
   * @example const responses = await io.timeout(1000).emitWithAck("ping");
   */
  emitWithAck<Ev extends EventNamesWithError<EmitEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<AckValue<EmitEvents, Ev>> {
    return new Promise((resolve, reject) => {
      const cb = (err: Error | null, responses: unknown) =>
        err ? reject(err) : resolve(responses as AckValue<EmitEvents, Ev>);
      (this.emit as Emit)(ev, ...args, cb);
    });
  }

  /** Ids of the targeted sockets (all nodes). */
  allSockets(): Promise<Set<SocketId>> {
    return this.#adapter.sockets(this.#rooms);
  }

  /** The targeted sockets, as RemoteSocket views (all nodes). */
  /**
   * The targeted rooms' presence, cluster-wide (several rooms: merged by key). Read from this
   * node's replicated view: no round trip.
   * @example const online = await io.in("lobby").presence(); // { [userId]: { metas: [...] } }
   */
  async presence(): Promise<PresenceState> {
    return presenceOf(this.#adapter.nsp).state(this.#rooms);
  }

  /** Number of keys (e.g. users) in the targeted rooms' presence, cluster-wide. */
  async presenceCount(): Promise<number> {
    return presenceOf(this.#adapter.nsp).count(this.#rooms);
  }

  async fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    const opts = { rooms: this.#rooms, except: this.#except, flags: this.#flags };
    const found = await this.#adapter.fetchSockets(opts);
    const local = this.#adapter.nsp.sockets;
    // As upstream: sockets of this node come back as the live Socket instances (whose
    // `timeout().emitWithAck()` resolves with a single value); others as RemoteSocket views.
    return found.map(
      (details) =>
        (local.get(details.id) as RemoteSocket<EmitEvents, SocketData> | undefined) ??
        new RemoteSocket<EmitEvents, SocketData>(this.#adapter, details),
    );
  }

  /** Makes the targeted sockets join `room`. */
  socketsJoin(room: Room | Room[]): void {
    const opts = { rooms: this.#rooms, except: this.#except, flags: this.#flags };
    this.#adapter.addSockets(opts, Array.isArray(room) ? room : [room]);
  }

  /** Makes the targeted sockets leave `room`. */
  socketsLeave(room: Room | Room[]): void {
    const opts = { rooms: this.#rooms, except: this.#except, flags: this.#flags };
    this.#adapter.delSockets(opts, Array.isArray(room) ? room : [room]);
  }

  /** Disconnects the targeted sockets (`close` also closes their connections). */
  disconnectSockets(close = false): void {
    const opts = { rooms: this.#rooms, except: this.#except, flags: this.#flags };
    this.#adapter.disconnectSockets(opts, close);
  }
}

/**
 * The error of a broadcast whose acks did not all arrive in time: socket.io's message, with the
 * acks that did arrive as `responses` (what `emitWithAck` callers read from the rejection);
 * `null` for a single-recipient emit (`RemoteSocket`), as socket.io.
 */
export interface BroadcastAckTimeoutError extends TetherError {
  readonly responses: unknown[] | null;
}

function ackTimeoutError(responses: unknown[] | null): BroadcastAckTimeoutError {
  const err = new TetherError(SocketErrorCodes.ACK_TIMEOUT, "operation has timed out");
  return Object.assign(err, { responses });
}

/**
 * Broadcast with acks: one response per recipient, across every node, or a timeout error. With
 * `expectSingleResponse` (RemoteSocket), the callback gets the response itself.
 */
function collectAcks(
  adapter: Adapter,
  packet: Packet,
  opts: { rooms: ReadonlySet<Room>; except: ReadonlySet<Room>; flags: BroadcastFlags },
  ack: (err: Error | null, responses: unknown) => void,
): void {
  const single = opts.flags.expectSingleResponse === true;
  const responses: unknown[] = [];
  let state: "waiting" | "done" = "waiting";
  let expectedServers = -1;
  let reportedServers = 0;
  let expectedClients = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const check = () => {
    if (state === "done" || expectedServers !== reportedServers) return;
    if (responses.length < expectedClients) return;
    state = "done";
    if (timer !== undefined) clearTimeout(timer);
    ack(null, single ? responses[0] : responses);
  };
  adapter.broadcastWithAck(
    packet,
    opts,
    (count) => {
      if (state === "done") return;
      expectedClients += count;
      reportedServers++;
      check();
    },
    (response) => {
      if (state === "done") return;
      responses.push(response);
      check();
    },
  );
  const timeout = opts.flags.timeout;
  if (timeout !== undefined && state === "waiting") {
    // The adapter drops, at the same timeout, the entries of the recipients that never answered
    // (each node its own). This node's timer was armed first, during the broadcast, so it fires
    // first: the callback sees no pending entry left here. What arrives later is ignored.
    timer = setTimeout(() => {
      if (state === "done") return;
      state = "done";
      const arrived = single ? null : responses;
      ack(ackTimeoutError(arrived), arrived);
    }, timeout);
  }
  adapter.serverCount().then(
    (n) => {
      expectedServers = n;
      check();
    },
    () => {
      expectedServers = reportedServers;
      check();
    },
  );
}

/**
 * A socket as returned by `fetchSockets()`: possibly on another node, so it offers the operations
 * that can travel through the adapter.
 */
export class RemoteSocket<
  EmitEvents extends EventsMap = DefaultEventsMap,
  // biome-ignore lint/suspicious/noExplicitAny: upstream's default for untyped socket.data
  SocketData = any,
> {
  readonly id: SocketId;
  readonly handshake: Handshake;
  readonly rooms: Set<Room>;
  readonly data: SocketData;
  readonly #operator: BroadcastOperator<EmitEvents, SocketData>;
  readonly #adapter: Adapter;

  constructor(adapter: Adapter, details: SocketDetails) {
    this.id = details.id;
    this.handshake = details.handshake as Handshake;
    this.rooms = new Set(details.rooms);
    this.data = details.data as SocketData;
    this.#adapter = adapter;
    // As socket.io: an ack callback gets the one response, like `socket.emit()` (not an array).
    this.#operator = new BroadcastOperator(adapter, new Set([this.id]), new Set(), {
      expectSingleResponse: true,
    });
  }

  /** Emits to this socket. */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.#operator.emit(ev, ...args);
  }

  /** Waits `ms` for the ack of the next emit; the callback gets `(err, response)` (one socket). */
  timeout(ms: number): BroadcastOperator<DecorateAcknowledgements<EmitEvents>, SocketData> {
    return this.#operator.timeout(ms);
  }

  /** Joins room(s). */
  join(room: Room | Room[]): void {
    this.#operator.socketsJoin(room);
  }

  /** Leaves room(s). */
  leave(room: Room | Room[]): void {
    this.#operator.socketsLeave(room);
  }

  /** Disconnects this socket (`close` also closes its connection). */
  disconnect(close = false): this {
    this.#adapter.disconnectSockets({ rooms: new Set([this.id]) }, close);
    return this;
  }
}
