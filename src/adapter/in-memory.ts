/**
 * The default adapter: rooms and sockets of one namespace in this process. Cluster adapters
 * extend it and forward what crosses nodes; everything here is the local half.
 */
import type { Packet } from "../protocol/socket.js";
import { IsolatedEmitter } from "../shared/emitter.js";
import type {
  Adapter,
  AdapterEvents,
  AdapterHost,
  AdapterSocket,
  BroadcastAckHandler,
  BroadcastFlags,
  BroadcastOptions,
  PrivateSessionId,
  RestoredSession,
  Room,
  Session,
  SocketDetails,
  SocketId,
} from "./types.js";

const NO_FLAGS: BroadcastFlags = Object.freeze({});

/** Keeps rooms in two maps (room → ids, id → rooms) and broadcasts to local sockets. */
export class InMemoryAdapter extends IsolatedEmitter<AdapterEvents> implements Adapter {
  readonly nsp: AdapterHost;
  readonly rooms = new Map<Room, Set<SocketId>>();
  readonly sids = new Map<SocketId, Set<Room>>();

  constructor(nsp: AdapterHost) {
    super();
    this.nsp = nsp;
  }

  init(): Promise<void> | void {}

  close(): Promise<void> | void {}

  serverCount(): Promise<number> {
    return Promise.resolve(1);
  }

  addAll(id: SocketId, rooms: Iterable<Room>): Promise<void> | void {
    let own = this.sids.get(id);
    if (!own) {
      own = new Set();
      this.sids.set(id, own);
    }
    for (const room of rooms) {
      own.add(room);
      let members = this.rooms.get(room);
      if (!members) {
        members = new Set();
        this.rooms.set(room, members);
        this.emitReserved("create-room", room);
      }
      if (!members.has(id)) {
        members.add(id);
        this.emitReserved("join-room", room, id);
      }
    }
  }

  del(id: SocketId, room: Room): Promise<void> | void {
    this.sids.get(id)?.delete(room);
    this.#leave(id, room);
  }

  #leave(id: SocketId, room: Room): void {
    const members = this.rooms.get(room);
    if (!members?.delete(id)) return;
    this.emitReserved("leave-room", room, id);
    if (members.size === 0 && this.rooms.delete(room)) this.emitReserved("delete-room", room);
  }

  delAll(id: SocketId): void {
    const own = this.sids.get(id);
    if (!own) return;
    for (const room of own) this.#leave(id, room);
    this.sids.delete(id);
  }

  socketRooms(id: SocketId): ReadonlySet<Room> | undefined {
    return this.sids.get(id);
  }

  sockets(rooms: ReadonlySet<Room>): Promise<Set<SocketId>> {
    const ids = new Set<SocketId>();
    this.apply({ rooms }, (socket) => ids.add(socket.id));
    return Promise.resolve(ids);
  }

  broadcast(packet: Packet, opts: BroadcastOptions): void {
    const flags = opts.flags ?? NO_FLAGS;
    const prepared = this.nsp.prepare(packet);
    this.apply(opts, (socket) => socket.deliver(prepared, flags));
  }

  broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCount: (count: number) => void,
    ack: BroadcastAckHandler,
  ): void {
    const flags = opts.flags ?? NO_FLAGS;
    const id = packet.id ?? this.nsp.nextAckId();
    const prepared = this.nsp.prepare({ ...packet, id });
    // With a timeout, the recipients are remembered so that the entries of those that never
    // answer are removed when it expires (otherwise each would keep one until it disconnects).
    const recipients: SocketId[] | undefined = flags.timeout === undefined ? undefined : [];
    let count = 0;
    this.apply(opts, (socket) => {
      count++;
      socket.expectAck(id, ack);
      recipients?.push(socket.id);
      socket.deliver(prepared, flags);
    });
    if (recipients !== undefined && recipients.length > 0) {
      this.#forgetAcksAfter(id, recipients, flags.timeout ?? 0);
    }
    clientCount(count);
  }

  /** After `ms`, drops the ack `id` still expected from `recipients` (one timer per broadcast). */
  #forgetAcksAfter(id: number, recipients: readonly SocketId[], ms: number): void {
    const timer = setTimeout(() => {
      const sockets = this.nsp.sockets;
      for (const sid of recipients) sockets.get(sid)?.forgetAck(id);
    }, ms);
    timer.unref?.();
  }

  fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    const out: SocketDetails[] = [];
    this.apply(opts, (socket) => {
      out.push({
        id: socket.id,
        handshake: socket.handshake,
        rooms: this.sids.get(socket.id) ?? new Set(),
        data: socket.data,
      });
    });
    return Promise.resolve(out);
  }

  addSockets(opts: BroadcastOptions, rooms: readonly Room[]): void {
    for (const socket of this.#matching(opts)) this.addAll(socket.id, rooms);
  }

  delSockets(opts: BroadcastOptions, rooms: readonly Room[]): void {
    for (const socket of this.#matching(opts)) for (const room of rooms) this.del(socket.id, room);
  }

  disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    for (const socket of this.#matching(opts)) socket.disconnect(close);
  }

  serverSideEmit(
    _args: readonly unknown[],
    ack?: (err: Error | null, responses: unknown[]) => void,
  ): void {
    // One node: there is no peer to hear it, so an ack completes at once with no responses.
    if (ack) queueMicrotask(() => ack(null, []));
  }

  persistSession(_session: Session): Promise<void> | void {}

  restoreSession(_pid: PrivateSessionId, _offset: string): Promise<RestoredSession | undefined> {
    return Promise.resolve(undefined);
  }

  /** Snapshot of matching sockets, for operations that change rooms or membership while iterating. */
  #matching(opts: BroadcastOptions): AdapterSocket[] {
    const out: AdapterSocket[] = [];
    this.apply(opts, (socket) => out.push(socket));
    return out;
  }

  /**
   * Calls `fn` once for each local socket matching `opts`: in any of `opts.rooms` (every socket
   * when empty) and in none of `opts.except`.
   */
  apply(opts: BroadcastOptions, fn: (socket: AdapterSocket) => void): void {
    const { rooms, except } = opts;
    const excluded = except && except.size > 0 ? this.#idsIn(except) : undefined;
    const sockets = this.nsp.sockets;
    if (rooms.size === 0) {
      for (const id of this.sids.keys()) {
        if (excluded?.has(id)) continue;
        const socket = sockets.get(id);
        if (socket) fn(socket);
      }
      return;
    }
    if (rooms.size === 1) {
      // Common case (`io.to(room)`): no dedupe set needed. Deleting from a Set while iterating
      // it is safe, so a recipient that disconnects synchronously does not disturb the loop.
      const [room] = rooms;
      const members = room === undefined ? undefined : this.rooms.get(room);
      if (!members) return;
      for (const id of members) {
        if (excluded?.has(id)) continue;
        const socket = sockets.get(id);
        if (socket) fn(socket);
      }
      return;
    }
    const seen = new Set<SocketId>();
    for (const room of rooms) {
      const members = this.rooms.get(room);
      if (!members) continue;
      for (const id of members) {
        if (seen.has(id) || excluded?.has(id)) continue;
        seen.add(id);
        const socket = sockets.get(id);
        if (socket) fn(socket);
      }
    }
  }

  #idsIn(rooms: ReadonlySet<Room>): Set<SocketId> {
    const ids = new Set<SocketId>();
    for (const room of rooms) {
      const members = this.rooms.get(room);
      if (members) for (const id of members) ids.add(id);
    }
    return ids;
  }
}
