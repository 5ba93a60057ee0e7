/**
 * The Redis Streams adapter: cluster messages as entries of one stream, so a reader that lost
 * its connection resumes from the last entry it saw and misses nothing. With connection state
 * recovery on, each recoverable EVENT's entry id is its offset on every node, and sessions live
 * in Redis (`SET … PX maxDisconnectionDuration`), so a client can recover on any node:
 *
 *   connect / join / leave ──▶ session written through (debounced), refreshed while connected
 *   disconnect (recoverable) ─▶ persistSession: rooms + data, expiring
 *   node crash               ─▶ the written-through session is still there
 *   reconnect on node B      ─▶ restoreSession: GETDEL session, check the offset is still in
 *                               the stream, replay later entries that reach the session's rooms
 */
import {
  ClusterAdapter,
  type ClusterAdapterOptions,
  toWireOptions,
} from "../../adapter/cluster-adapter.js";
import type { ClusterMessage } from "../../adapter/cluster-message.js";
import { pack, unpackValue } from "../../adapter/msgpack.js";
import type {
  AdapterHost,
  BroadcastOptions,
  PrivateSessionId,
  RestoredSession,
  Room,
  Session,
  SocketId,
} from "../../adapter/types.js";
import { type Packet, PacketType } from "../../protocol/socket.js";
import { watchErrors } from "../redis/client.js";
import { transportError } from "../redis/redis-adapter.js";
import { STREAM_ID, type StreamConnection } from "./stream-connection.js";

/** Options of the Redis Streams adapter. */
export interface RedisStreamsAdapterOptions extends ClusterAdapterOptions {
  /** Stream key. @default "socket.io" */
  streamName?: string;
  /** Approximate maximum stream length (`MAXLEN ~`). @default 10000 */
  maxLen?: number;
  /** Entries per `XREAD`. @default 100 */
  readCount?: number;
  /** Milliseconds one `XREAD` blocks. @default 5000 */
  blockTimeMs?: number;
  /** Prefix of session keys. @default "sio:session:" */
  sessionKeyPrefix?: string;
  /**
   * How long a session can be restored. @default the server's
   * `connectionStateRecovery.maxDisconnectionDuration`; recovery is off when the server has none
   */
  maxDisconnectionDuration?: number;
  /** Most missed packets replayed on restore. @default 1000 */
  maxMissedPackets?: number;
}

/** Reads `server._recovery.maxDisconnectionDuration` from the host namespace, if it has one. */
function hostRecoveryDuration(host: AdapterHost): number | undefined {
  const server: unknown = (host as unknown as { server?: unknown }).server;
  if (typeof server !== "object" || server === null) return undefined;
  const recovery: unknown = (server as { _recovery?: unknown })._recovery;
  if (typeof recovery !== "object" || recovery === null) return undefined;
  const ms: unknown = (recovery as { maxDisconnectionDuration?: unknown }).maxDisconnectionDuration;
  return typeof ms === "number" ? ms : undefined;
}

/** The private session id of a live socket (`socket.pid`), if recovery gave it one. */
function pidOf(socket: unknown): string | undefined {
  if (typeof socket !== "object" || socket === null) return undefined;
  const pid: unknown = (socket as { pid?: unknown }).pid;
  return typeof pid === "string" ? pid : undefined;
}

function reaches(
  opts: { rooms: readonly string[]; except: readonly string[] },
  rooms: ReadonlySet<Room>,
): boolean {
  if (opts.rooms.length > 0 && !opts.rooms.some((r) => rooms.has(r))) return false;
  return !opts.except.some((r) => rooms.has(r));
}

/** A recoverable broadcast of this node, waiting for the read loop to reach its entry. */
interface OwnBroadcast {
  readonly packet: Packet;
  readonly opts: BroadcastOptions;
  /** The entry id, once `XADD` answered (used only if the adapter closes first). */
  offset?: string;
}

/** `a` < `b` → negative, as stream entry ids (`<ms>-<seq>`) order. */
function compareIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split("-").map(Number);
  const [bMs = 0, bSeq = 0] = b.split("-").map(Number);
  return aMs - bMs || aSeq - bSeq;
}

/**
 * A session being restored on this node. Its replay is read from the stream up to `cut`; entries
 * after the cut that this node delivers before the socket has joined its rooms would reach no
 * one, so they are kept in `late` and appended to the replay when the socket joins.
 */
interface Restoring {
  readonly rooms: ReadonlySet<Room>;
  cut: string | undefined;
  missed: unknown[][] | undefined;
  readonly late: Array<{ readonly id: string; readonly data: unknown[] }>;
}

interface StoredSession {
  readonly sid: SocketId;
  readonly rooms: Room[];
  readonly data: unknown;
}

function validStored(v: unknown): StoredSession | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const { sid, rooms, data } = v as { sid?: unknown; rooms?: unknown; data?: unknown };
  if (
    typeof sid !== "string" ||
    !Array.isArray(rooms) ||
    !rooms.every((r) => typeof r === "string")
  )
    return undefined;
  return { sid, rooms: rooms as Room[], data };
}

/** A namespace's adapter over a Redis stream. */
export class RedisStreamsAdapter extends ClusterAdapter {
  readonly #conn: StreamConnection;
  readonly #sessionPrefix: string;
  readonly #maxDuration: number | undefined;
  readonly #maxMissed: number;
  /** Live sockets with a private session id: id → pid. */
  readonly #live = new Map<SocketId, PrivateSessionId>();
  readonly #dirty = new Set<SocketId>();
  readonly #persisted = new Set<PrivateSessionId>();
  readonly #writes = new Set<Promise<unknown>>();
  #flushScheduled = false;
  #refresh: ReturnType<typeof setInterval> | undefined;
  #unwatch: (() => void) | undefined;
  /** Sessions whose restore is in progress, by socket id. */
  readonly #restoring = new Map<SocketId, Restoring>();
  /**
   * Sockets restored a moment ago: id → cut. Entries up to the cut were replayed to them, so a
   * live copy arriving late (the read loop lags behind the replay's `XRANGE`) is not sent again.
   * An entry goes once the read loop has passed the cut (normally within one `XREAD`).
   */
  readonly #replayed = new Map<SocketId, string>();
  /**
   * This node's recoverable broadcasts, in publish order, until the read loop reaches their
   * entries: they go out then, with the entry id the loop read, in stream order with the other
   * nodes' entries — a client recovers from the offset of the last packet it got, so one
   * delivered ahead of an earlier entry would be replayed, and received twice, later. The loop
   * (not the `XADD` reply, which may come after the loop passed the entry) decides the moment:
   * one connection's entries reach the stream in the order it published them.
   */
  readonly #own: OwnBroadcast[] = [];

  constructor(nsp: AdapterHost, conn: StreamConnection, opts: RedisStreamsAdapterOptions = {}) {
    super(nsp, opts);
    this.#conn = conn;
    this.#sessionPrefix = opts.sessionKeyPrefix ?? "sio:session:";
    this.#maxDuration = opts.maxDisconnectionDuration ?? hostRecoveryDuration(nsp);
    this.#maxMissed = opts.maxMissedPackets ?? 1000;
  }

  override async init(): Promise<void> {
    this.#unwatch = watchErrors([this.#conn.client], (err) => {
      this.emitReserved("error", transportError("connection", err));
    });
    super.init();
    if (this.#maxDuration !== undefined) {
      // Keep live sessions from expiring, so they survive a crash of this node.
      this.#refresh = setInterval(
        () => {
          for (const id of this.#live.keys()) this.#dirty.add(id);
          this.#scheduleFlush();
        },
        Math.max(1000, this.#maxDuration / 3),
      );
      this.#refresh.unref?.();
    }
    await this.#conn.subscribe(this);
  }

  override async close(): Promise<void> {
    if (this.#refresh !== undefined) clearInterval(this.#refresh);
    this.#refresh = undefined;
    // Entries the loop will not reach any more: those Redis accepted go out now.
    for (const { packet, opts, offset } of this.#own.splice(0))
      if (offset !== undefined) this.#deliver(packet, opts, offset);
    this.#unwatch?.();
    this.#unwatch = undefined;
    await super.close();
    await Promise.allSettled([...this.#writes]);
    await this.#conn.unsubscribe(this);
  }

  protected override async publish(message: ClusterMessage): Promise<void> {
    await this.#conn.publish(message);
  }

  #recoverable(packet: Packet, opts: BroadcastOptions): boolean {
    return (
      this.#maxDuration !== undefined &&
      packet.type === PacketType.EVENT &&
      packet.id === undefined &&
      !opts.flags?.volatile &&
      !opts.flags?.local &&
      Array.isArray(packet.data)
    );
  }

  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    if (!this.#recoverable(packet, opts)) {
      super.broadcast(packet, opts);
      return;
    }
    // Publish first: the entry id is the offset that every node appends to the arguments.
    const message: ClusterMessage = {
      type: "broadcast",
      uid: this.uid,
      nsp: this.nsp.name,
      packet: { type: packet.type, data: packet.data },
      opts: toWireOptions(opts),
    };
    const own: OwnBroadcast = { packet, opts };
    this.#own.push(own);
    this._probe?.published("broadcast");
    this.#conn.publish(message).then(
      (offset) => {
        own.offset = offset;
      },
      (err: unknown) => {
        // No entry will come: drop it from the queue and deliver here without an offset.
        const i = this.#own.indexOf(own);
        if (i >= 0) this.#own.splice(i, 1);
        this.emitReserved("error", err instanceof Error ? err : new Error(String(err)));
        this.broadcastLocally(packet, opts);
      },
    );
  }

  protected override onRemoteBroadcast(
    packet: Packet,
    opts: BroadcastOptions,
    offset?: string,
  ): void {
    if (offset !== undefined && this.#recoverable(packet, opts)) {
      this.#deliver(packet, opts, offset);
      return;
    }
    this.broadcastLocally(packet, opts);
  }

  /** Every entry of this namespace the read loop sees, this node's own included. */
  override onMessage(message: ClusterMessage, offset?: string): void {
    if (offset !== undefined && this.#replayed.size > 0) {
      for (const [id, cut] of this.#replayed) {
        if (compareIds(offset, cut) > 0) this.#replayed.delete(id);
      }
    }
    if (offset !== undefined && this.#isOwnRecoverable(message)) {
      // Entries are dispatched in stream order: this one is the oldest own broadcast waiting.
      const own = this.#own.shift();
      if (own) this.#deliver(own.packet, own.opts, offset);
      return;
    }
    super.onMessage(message, offset);
  }

  /** An entry this adapter published through the recoverable path of {@link broadcast}. */
  #isOwnRecoverable(message: ClusterMessage): boolean {
    return (
      message.uid === this.uid &&
      message.nsp === this.nsp.name &&
      message.type === "broadcast" &&
      message.requestId === undefined &&
      this.#maxDuration !== undefined &&
      message.packet.type === PacketType.EVENT &&
      !message.opts.flags.volatile &&
      Array.isArray(message.packet.data)
    );
  }

  /** Delivers a recoverable packet here, minding sessions being (or just) restored. */
  #deliver(packet: Packet, opts: BroadcastOptions, offset: string): void {
    const out = withOffset(packet, offset);
    let except: Set<Room> | undefined;
    if (this.#restoring.size > 0 || this.#replayed.size > 0) {
      const wire = toWireOptions(opts);
      for (const r of this.#restoring.values()) {
        if (reaches(wire, r.rooms)) r.late.push({ id: offset, data: out.data as unknown[] });
      }
      for (const [id, cut] of this.#replayed) {
        if (compareIds(offset, cut) <= 0) {
          except ??= new Set(opts.except);
          except.add(id);
        }
      }
    }
    this.broadcastLocally(out, except === undefined ? opts : { ...opts, except });
  }

  // ---- sessions -------------------------------------------------------------------------------

  override addAll(id: SocketId, rooms: Iterable<Room>): void {
    super.addAll(id, rooms);
    const restoring = this.#restoring.get(id);
    if (restoring !== undefined) {
      // The socket joins: entries delivered since the cut join the replay, in stream order.
      this.#restoring.delete(id);
      const { cut, missed } = restoring;
      if (cut !== undefined && missed !== undefined) {
        for (const { id: entry, data } of restoring.late) {
          if (compareIds(entry, cut) > 0) missed.push(data);
        }
        this.#replayed.set(id, cut);
      }
    }
    this.#track(id);
  }

  override del(id: SocketId, room: Room): void {
    super.del(id, room);
    this.#track(id);
  }

  override delAll(id: SocketId): void {
    super.delAll(id);
    this.#restoring.delete(id);
    this.#replayed.delete(id);
    const pid = this.#live.get(id);
    this.#live.delete(id);
    this.#dirty.delete(id);
    if (pid === undefined) return;
    // Not persisted at disconnect (closed on purpose): the written-through session must go.
    if (!this.#persisted.delete(pid))
      void this.#write(this.#sessionPrefix + pid, ["DEL", this.#sessionPrefix + pid]);
  }

  #track(id: SocketId): void {
    if (this.#maxDuration === undefined) return;
    if (!this.#live.has(id)) {
      const pid = pidOf(this.nsp.sockets.get(id));
      if (pid === undefined) return;
      this.#live.set(id, pid);
    }
    this.#dirty.add(id);
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // After the current tick, so `socket.data` set in the connection handler is included.
    setImmediate(() => {
      this.#flushScheduled = false;
      for (const id of this.#dirty) {
        const pid = this.#live.get(id);
        const socket = this.nsp.sockets.get(id);
        if (pid === undefined || !socket) continue;
        void this.#store(pid, {
          sid: id,
          rooms: [...(this.sids.get(id) ?? [])],
          data: socket.data,
        });
      }
      this.#dirty.clear();
    });
  }

  /**
   * Writes a session as socket.io's Redis Streams adapter does (base64 of msgpack `{ sid, pid,
   * rooms, data }`), so a client can recover on a socket.io node as well as on a Tether node.
   */
  #store(pid: PrivateSessionId, session: StoredSession): Promise<void> | undefined {
    if (this.#maxDuration === undefined) return undefined;
    const text = pack({ ...session, pid }).toString("base64");
    const key = this.#sessionPrefix + pid;
    return this.#write(key, ["SET", key, text, "PX", String(Math.ceil(this.#maxDuration))]);
  }

  /** Runs a command on session key `key` (on its master, in a Redis Cluster). */
  #write(key: string, args: Array<string | Buffer>): Promise<void> {
    const p = this.#conn.send(key, args).then(
      () => undefined,
      (err: unknown) => {
        this.emitReserved("error", err instanceof Error ? err : new Error(String(err)));
      },
    );
    this.#writes.add(p);
    void p.finally(() => this.#writes.delete(p));
    return p;
  }

  /** Stores the session (expiring); the promise settles once Redis has it. */
  override persistSession(session: Session): Promise<void> | undefined {
    this.#persisted.add(session.pid);
    this.#dirty.delete(session.sid);
    return this.#store(session.pid, {
      sid: session.sid,
      rooms: [...session.rooms],
      data: session.data,
    });
  }

  override async restoreSession(
    pid: PrivateSessionId,
    offset: string,
  ): Promise<RestoredSession | undefined> {
    if (this.#maxDuration === undefined || !STREAM_ID.test(offset)) return undefined;
    const key = this.#sessionPrefix + pid;
    const raw = await this.#conn.send<unknown>(key, ["GETDEL", key], { returnBuffers: true });
    if (!Buffer.isBuffer(raw)) return undefined;
    const decoded = unpackValue(Buffer.from(raw.toString(), "base64"));
    if (!decoded.ok) return undefined;
    let stored: StoredSession | undefined;
    try {
      stored = validStored(decoded.value);
    } catch {
      return undefined;
    }
    if (!stored || !(await this.#conn.has(offset))) return undefined;
    const rooms = new Set(stored.rooms);
    // From here on, entries delivered on this node that reach the session are kept (see addAll).
    const restoring: Restoring = { rooms, cut: undefined, missed: undefined, late: [] };
    this.#restoring.set(stored.sid, restoring);
    let entries: Awaited<ReturnType<StreamConnection["range"]>>;
    try {
      entries = await this.#conn.range(offset, this.#maxMissed * 4);
    } catch (err) {
      this.#restoring.delete(stored.sid);
      throw err;
    }
    const missedPackets: unknown[][] = [];
    let cut = offset;
    for (const { id, message } of entries) {
      cut = id;
      if (message.type !== "broadcast" || message.nsp !== this.nsp.name) continue;
      if (message.requestId !== undefined || message.opts.flags.volatile) continue;
      const data = message.packet.data;
      if (message.packet.type !== PacketType.EVENT || !Array.isArray(data)) continue;
      if (!reaches(message.opts, rooms)) continue;
      missedPackets.push([...data, id]);
      if (missedPackets.length >= this.#maxMissed) break;
    }
    restoring.cut = cut;
    restoring.missed = missedPackets;
    return { sid: stored.sid, pid, rooms: stored.rooms, data: stored.data, missedPackets };
  }
}

function withOffset(packet: Packet, offset: string): Packet {
  return { ...packet, data: [...(packet.data as unknown[]), offset] };
}
