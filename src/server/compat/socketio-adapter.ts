/**
 * socket.io compatibility: adapters written for socket.io (`socket.io-adapter`'s `Adapter` /
 * `ClusterAdapter` and their subclasses: `@socket.io/redis-adapter` classic and sharded,
 * `@socket.io/redis-streams-adapter`, `@socket.io/postgres-adapter`, `@socket.io/cluster-adapter`,
 * MongoDB, cloud queues…) run unchanged inside a Tether server.
 *
 *   Tether core ──Adapter interface──▶ SocketIoAdapterBridge ──socket.io shapes──▶ their adapter
 *   their adapter ──host members──▶ Namespace (`_ids`, `_onServerSideEmit`, `sockets`, `server`)
 *                                   Socket (`acks`, `notifyOutgoingListeners`, `join`, `leave`)
 *                                   Client (`writeToEngine`), Server (`opts`, `encoder`)
 *
 * The bridge translates in one place what differs between the two contracts: socket.io's option
 * shape (`except` always a Set, `flags` always an object, no Tether-only flags), mutable packet
 * copies (their adapters append offsets and set ack ids in place), an ack as the last element of
 * a `serverSideEmit` packet, a `restoreSession` that may return `null` synchronously or reject
 * with a string, promises that Tether's synchronous methods must not leave unhandled. What their
 * adapters receive from other nodes is untrusted: the host members they call validate it, and
 * their message entry points are guarded so that a malformed message is reported as an adapter
 * `error`, never thrown into the event loop.
 */
import type {
  Adapter,
  AdapterEvents,
  AdapterHost,
  BroadcastAckHandler,
  BroadcastFlags,
  BroadcastOptions,
  PrivateSessionId,
  RestoredSession,
  Room,
  Session,
  SocketDetails,
  SocketId,
} from "../../adapter/types.js";
import type { EncodedChunk, Encoder } from "../../parser/socket/types.js";
import { type Packet, PacketType, RESERVED_EVENTS } from "../../protocol/socket.js";
import { IsolatedEmitter } from "../../shared/emitter.js";

/** socket.io's broadcast options: what `socket.io-adapter` reads (and serializes to other nodes). */
export interface SocketIoBroadcastOptions {
  rooms: Set<Room>;
  except: Set<Room>;
  flags: SocketIoBroadcastFlags;
}

/** socket.io's broadcast flags (Tether's `latest` has no equivalent there and is not passed). */
export interface SocketIoBroadcastFlags {
  volatile?: boolean;
  compress?: boolean;
  local?: boolean;
  timeout?: number;
  expectSingleResponse?: boolean;
}

/**
 * The public surface of a `socket.io-adapter` 2.x adapter instance that Tether calls. Method
 * parameters are `unknown` (checked bivariantly) so that the official packages' declarations,
 * typed with socket.io's own shapes, are accepted as they are.
 */
export interface SocketIoAdapterLike {
  readonly rooms: Map<Room, Set<SocketId>>;
  readonly sids: Map<SocketId, Set<Room>>;
  init(): unknown;
  close(): unknown;
  serverCount(): Promise<number>;
  addAll(id: SocketId, rooms: Set<Room>): unknown;
  del(id: SocketId, room: Room): unknown;
  delAll(id: SocketId): unknown;
  socketRooms(id: SocketId): Set<Room> | undefined;
  sockets(rooms: Set<Room>): Promise<Set<SocketId>>;
  broadcast(packet: unknown, opts: unknown): unknown;
  broadcastWithAck(
    packet: unknown,
    opts: unknown,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): unknown;
  fetchSockets(opts: unknown): Promise<unknown[]>;
  addSockets(opts: unknown, rooms: Room[]): unknown;
  delSockets(opts: unknown, rooms: Room[]): unknown;
  disconnectSockets(opts: unknown, close: boolean): unknown;
  serverSideEmit(packet: unknown[]): unknown;
  persistSession(session: unknown): unknown;
  restoreSession(pid: PrivateSessionId, offset: string): unknown;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

/**
 * What `createAdapter(…)` of a socket.io adapter package returns (a factory called with the
 * namespace), or an adapter class (`new Adapter(nsp)`).
 */
export type SocketIoAdapterConstructor =
  | ((nsp: never) => SocketIoAdapterLike)
  | (new (
      nsp: never,
    ) => SocketIoAdapterLike);

/**
 * Whether `adapter` was built on `socket.io-adapter`: its base class (every 2.x version) has the
 * `computeExceptSids` method, which Tether's adapters do not.
 */
export function isSocketIoAdapter(adapter: unknown): adapter is SocketIoAdapterLike {
  if (typeof adapter !== "object" || adapter === null) return false;
  const a = adapter as Record<string, unknown>;
  return (
    typeof a.computeExceptSids === "function" &&
    typeof a.broadcast === "function" &&
    typeof a.on === "function"
  );
}

/** A value their adapters may hand back as a promise (or not). */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Whether `packet` (built by a socket.io adapter, possibly from another node's message) is an
 * event Tether can write to clients: EVENT or BINARY_EVENT, `[name, ...args]` with a string (or
 * numeric) name that is not the client's own, an optional non-negative integer ack id.
 */
export function isBroadcastablePacket(packet: unknown): packet is Packet {
  if (typeof packet !== "object" || packet === null) return false;
  const p = packet as { type?: unknown; nsp?: unknown; data?: unknown; id?: unknown };
  if (p.type !== PacketType.EVENT && p.type !== PacketType.BINARY_EVENT) return false;
  if (typeof p.nsp !== "string" || !Array.isArray(p.data) || p.data.length === 0) return false;
  const ev: unknown = p.data[0];
  if (typeof ev !== "string" && typeof ev !== "number") return false;
  // The names Tether never emits (the client's own events): not from another node either.
  if (typeof ev === "string" && RESERVED_EVENTS.has(ev)) return false;
  return p.id === undefined || (Number.isSafeInteger(p.id) && (p.id as number) >= 0);
}

/**
 * The encoder given to a socket.io adapter (its `encoder`, read from `nsp.server.encoder`): the
 * server's, except that a packet which is not a broadcastable event (garbage from another node)
 * encodes to nothing instead of throwing into the adapter's message handler.
 */
export function guardedEncoder(encoder: Encoder): Encoder {
  return {
    encode(packet: Packet): EncodedChunk[] {
      if (!isBroadcastablePacket(packet)) return [];
      try {
        // The encoder picks BINARY_EVENT itself when the arguments hold binary.
        const type = packet.type === PacketType.BINARY_EVENT ? PacketType.EVENT : packet.type;
        return encoder.encode(type === packet.type ? packet : { ...packet, type });
      } catch {
        return [];
      }
    },
  };
}

/** A mutable copy: their adapters set `nsp`, `id` and append an offset to `data` in place. */
function mutablePacket(packet: Packet): {
  type: Packet["type"];
  nsp: string;
  data: unknown;
  id?: number;
} {
  const copy: { type: Packet["type"]; nsp: string; data: unknown; id?: number } = {
    type: packet.type,
    nsp: packet.nsp,
    data: Array.isArray(packet.data) ? [...packet.data] : packet.data,
  };
  if (packet.id !== undefined) copy.id = packet.id;
  return copy;
}

/** socket.io's option shape from Tether's. */
export function toSocketIoOptions(opts: BroadcastOptions): SocketIoBroadcastOptions {
  const flags: SocketIoBroadcastFlags = {};
  const f: BroadcastFlags = opts.flags ?? {};
  // Absent rather than false: socket.io's recovery stores a packet when `volatile === undefined`.
  if (f.volatile === true) flags.volatile = true;
  if (f.compress !== undefined) flags.compress = f.compress;
  if (f.local === true) flags.local = true;
  if (f.timeout !== undefined) flags.timeout = f.timeout;
  if (f.expectSingleResponse === true) flags.expectSingleResponse = true;
  return { rooms: new Set(opts.rooms), except: new Set(opts.except ?? []), flags };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}

/** A session restored by a socket.io adapter (read from Redis, PostgreSQL…), if well formed. */
export function toRestoredSession(value: unknown): RestoredSession | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const s = value as Record<string, unknown>;
  const rooms = s.rooms instanceof Set ? [...(s.rooms as Set<unknown>)] : s.rooms;
  if (typeof s.sid !== "string" || typeof s.pid !== "string" || !isStringArray(rooms)) {
    return undefined;
  }
  const missed: unknown = s.missedPackets ?? [];
  if (!Array.isArray(missed)) return undefined;
  // Replayed as EVENT packets: only what could have been broadcast in the first place.
  const missedPackets = missed.filter((data: unknown): data is unknown[] =>
    isBroadcastablePacket({ type: PacketType.EVENT, nsp: "/", data }),
  );
  return { sid: s.sid, pid: s.pid, rooms, data: s.data, missedPackets };
}

/** One `fetchSockets` result (a local Socket, or a plain object from another node), if valid. */
function toSocketDetails(value: unknown): SocketDetails | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const s = value as { id?: unknown; handshake?: unknown; rooms?: unknown; data?: unknown };
  if (typeof s.id !== "string") return undefined;
  const rooms = s.rooms instanceof Set ? [...(s.rooms as Set<unknown>)] : s.rooms;
  return {
    id: s.id,
    handshake: s.handshake,
    rooms: new Set(Array.isArray(rooms) ? rooms.filter((r) => typeof r === "string") : []),
    data: s.data,
  };
}

/** Room events their adapters emit (Node `EventEmitter`), forwarded to Tether's listeners. */
const ROOM_EVENTS = ["create-room", "delete-room", "join-room", "leave-room"] as const;

/**
 * Methods through which socket.io adapters take in what other nodes send: ClusterAdapter's
 * `onMessage`/`onResponse`, the sharded Redis and Redis Streams adapters' `onRawMessage`, the
 * PostgreSQL adapter's `onEvent`, the classic Redis adapter's `onmessage`/`onrequest`/
 * `onresponse`. Guarded when the adapter calls them through `this` at the time of the message, as
 * these packages do (a method bound in the constructor, as `@socket.io/cluster-adapter` binds its
 * IPC handler, stays as it is: its messages come from the primary process).
 */
const ENTRY_POINTS = [
  "onMessage",
  "onResponse",
  "onRawMessage",
  "onEvent",
  "onmessage",
  "onrequest",
  "onresponse",
] as const;

/**
 * Tether's {@link Adapter} interface over a socket.io adapter instance. Reads (`rooms`, `sids`,
 * `socketRooms`) go straight through; everything else is translated as described above. The
 * wrapped instance is {@link SocketIoAdapterBridge.socketIoAdapter} (e.g. for the Redis adapter's
 * `allRooms()`).
 * @example
 * import { createAdapter } from "@socket.io/redis-adapter";
 * const io = new Server(http, { adapter: createAdapter(pub, sub) });
 * await io.of("/").adapter.serverCount();
 */
export class SocketIoAdapterBridge extends IsolatedEmitter<AdapterEvents> implements Adapter {
  readonly nsp: AdapterHost;
  /** The socket.io adapter instance this bridge drives. */
  readonly socketIoAdapter: SocketIoAdapterLike;

  constructor(inner: SocketIoAdapterLike, nsp: AdapterHost, encoder: Encoder) {
    super();
    this.nsp = nsp;
    this.socketIoAdapter = inner;
    const target = inner as unknown as Record<string, unknown>;
    // socket.io-adapter's base class keeps `nsp.server.encoder` as `encoder` for its broadcasts.
    if ("encoder" in target) target.encoder = guardedEncoder(encoder);
    for (const name of ENTRY_POINTS) {
      const fn = target[name];
      if (typeof fn === "function")
        target[name] = this.#guarded(fn as (...a: unknown[]) => unknown);
    }
    for (const event of ROOM_EVENTS) {
      inner.on(event, (...args: unknown[]) => this.emitReserved(event, ...args));
    }
    // A listener also keeps Node's EventEmitter from throwing an unlistened `error`.
    inner.on("error", (err: unknown) => this.#report(err));
  }

  get rooms(): ReadonlyMap<Room, ReadonlySet<SocketId>> {
    return this.socketIoAdapter.rooms;
  }

  get sids(): ReadonlyMap<SocketId, ReadonlySet<Room>> {
    return this.socketIoAdapter.sids;
  }

  /** Wraps an entry point: a throw or a rejection becomes an `error` event. */
  #guarded(fn: (...a: unknown[]) => unknown): (...a: unknown[]) => unknown {
    const inner = this.socketIoAdapter;
    return (...args: unknown[]) => {
      try {
        const result = fn.apply(inner, args);
        if (isThenable(result)) {
          return Promise.resolve(result).catch((err: unknown) => this.#report(err));
        }
        return result;
      } catch (err) {
        this.#report(err);
        return undefined;
      }
    };
  }

  #report(err: unknown): void {
    const error = toError(err);
    if (!this.emitReserved("error", error)) {
      console.error("tether-io: socket.io adapter error:", error);
    }
  }

  /** Runs a call whose result Tether does not wait for: failures are reported, never thrown. */
  #run(fn: () => unknown): void {
    try {
      const result = fn();
      if (isThenable(result)) Promise.resolve(result).catch((err: unknown) => this.#report(err));
    } catch (err) {
      this.#report(err);
    }
  }

  /** Like {@link #run}, handing back a promise when the adapter returned one. */
  #maybeAsync(fn: () => unknown): Promise<void> | undefined {
    try {
      const result = fn();
      if (isThenable(result)) {
        return Promise.resolve(result).then(
          () => undefined,
          (err: unknown) => this.#report(err),
        );
      }
    } catch (err) {
      this.#report(err);
    }
    return undefined;
  }

  init(): Promise<void> | void {
    return this.#maybeAsync(() => this.socketIoAdapter.init());
  }

  close(): Promise<void> | void {
    return this.#maybeAsync(() => this.socketIoAdapter.close());
  }

  serverCount(): Promise<number> {
    try {
      return Promise.resolve(this.socketIoAdapter.serverCount());
    } catch (err) {
      return Promise.reject(toError(err));
    }
  }

  addAll(id: SocketId, rooms: Iterable<Room>): Promise<void> | void {
    return this.#maybeAsync(() => this.socketIoAdapter.addAll(id, new Set(rooms)));
  }

  del(id: SocketId, room: Room): Promise<void> | void {
    return this.#maybeAsync(() => this.socketIoAdapter.del(id, room));
  }

  delAll(id: SocketId): void {
    this.#run(() => this.socketIoAdapter.delAll(id));
  }

  socketRooms(id: SocketId): ReadonlySet<Room> | undefined {
    return this.socketIoAdapter.socketRooms(id);
  }

  /**
   * The ids of every node's sockets in `rooms`. socket.io-adapter's `sockets()` only counts this
   * node's (socket.io's `allSockets()` is local with these adapters); Tether's contract is the
   * whole cluster, which their `fetchSockets()` covers.
   */
  async sockets(rooms: ReadonlySet<Room>): Promise<Set<SocketId>> {
    const found = await this.fetchSockets({ rooms });
    return new Set(found.map((s) => s.id));
  }

  broadcast(packet: Packet, opts: BroadcastOptions): void {
    this.#run(() => this.socketIoAdapter.broadcast(mutablePacket(packet), toSocketIoOptions(opts)));
  }

  broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCount: (count: number) => void,
    ack: BroadcastAckHandler,
  ): void {
    this.#run(() =>
      this.socketIoAdapter.broadcastWithAck(
        mutablePacket(packet),
        toSocketIoOptions(opts),
        (count: unknown) => {
          // From another node: a count that is not a number must not stall the collection.
          clientCount(typeof count === "number" && Number.isFinite(count) ? count : 0);
        },
        ack,
      ),
    );
  }

  async fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    const found = await this.socketIoAdapter.fetchSockets(toSocketIoOptions(opts));
    const out: SocketDetails[] = [];
    if (!Array.isArray(found)) return out;
    for (const s of found) {
      const details = toSocketDetails(s);
      if (details) out.push(details);
    }
    return out;
  }

  addSockets(opts: BroadcastOptions, rooms: readonly Room[]): void {
    this.#run(() => this.socketIoAdapter.addSockets(toSocketIoOptions(opts), [...rooms]));
  }

  delSockets(opts: BroadcastOptions, rooms: readonly Room[]): void {
    this.#run(() => this.socketIoAdapter.delSockets(toSocketIoOptions(opts), [...rooms]));
  }

  disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    this.#run(() => this.socketIoAdapter.disconnectSockets(toSocketIoOptions(opts), close));
  }

  serverSideEmit(
    args: readonly unknown[],
    ack?: (err: Error | null, responses: unknown[]) => void,
  ): void {
    // socket.io's form: the ack travels as the last element of the packet.
    const packet: unknown[] = ack ? [...args, ack] : [...args];
    this.#run(() => this.socketIoAdapter.serverSideEmit(packet));
  }

  persistSession(session: Session): Promise<void> | void {
    // A copy: their adapters add fields (`disconnectedAt`) to what they keep.
    const copy = {
      sid: session.sid,
      pid: session.pid,
      rooms: [...session.rooms],
      data: session.data,
    };
    return this.#maybeAsync(() => this.socketIoAdapter.persistSession(copy));
  }

  async restoreSession(
    pid: PrivateSessionId,
    offset: string,
  ): Promise<RestoredSession | undefined> {
    try {
      // socket.io-adapter's base returns `null` synchronously; Redis Streams rejects with a string.
      return toRestoredSession(await this.socketIoAdapter.restoreSession(pid, offset));
    } catch {
      return undefined;
    }
  }
}
