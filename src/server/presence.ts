/**
 * Presence: who is in a room, across the whole cluster (issue 15; Phoenix Presence is the model).
 *
 * Every node owns the entries of its own sockets — `(room, key, socketId) → meta` — and replicates
 * them to the other nodes through the namespace's adapter (`serverSideEmit` of one reserved event,
 * so it rides on every adapter, Tether's or socket.io's). Each node merges what it owns with what
 * the others sent into one view per room, answers `presence()` from it without a round trip, and
 * pushes the changes of that view to its own sockets in the room (`presence_diff`, batched).
 *
 *   local change ─▶ ops buffer ─(every diffInterval)─▶ "d" {node, seq, ops}  ─▶ other nodes apply
 *   every syncInterval ─▶ "g" {node, seq} digest ─▶ a node whose copy is behind (lost message,
 *                          partition, restart) asks "q" ─▶ owner answers "f" (its full state)
 *   node gone (adapter heartbeat timeout, "x" goodbye, or no digest within nodeTimeout)
 *                      ─▶ its entries leave every view, with a `leaves` diff to clients
 *
 * A node's id is its adapter's id (random per process start), so a restarted node at the same
 * address is a new node; the old one's entries time out. Connection state recovery: a socket
 * that disconnects recoverably keeps its entries for the recovery window ("held"); back on this
 * node it simply keeps them, back on another node that node claims them ("c" → "h" handoff) and
 * tracks them as its own before this node drops its copy, so other nodes see no leave/join pair.
 *
 * Every remote message is untrusted: validated, bounded (entries per node, ops per message, meta
 * size and depth), and dropped when malformed, never thrown.
 */
import type { Adapter, AdapterHost, Room, SocketId } from "../adapter/types.js";
import { TetherError } from "../shared/errors.js";
import {
  checkMeta,
  checkName,
  entryRef,
  isPlainObject,
  MAX_NAME,
  MAX_ROOM,
  NodeState,
  type PresenceDiff,
  type PresenceState,
  put,
  type Stored,
  toState,
  ViewIndex,
} from "./presence-state.js";

export type { PresenceDiff, PresenceMeta, PresenceState } from "./presence-state.js";

/** The reserved server-side event presence messages travel on between nodes. */
export const PRESENCE_EVENT = "tether:presence";

/** Error codes of presence calls (`err.code`). */
export const PresenceErrorCodes = {
  /** Room, key or meta is not acceptable (type, size, depth, reserved names). */
  INVALID: "PRESENCE_ERR_INVALID",
  /** A limit was reached: keys per room, metas per key, tracked rooms per socket. */
  LIMIT: "PRESENCE_ERR_LIMIT",
  /** `updatePresence` on a room the socket does not track. */
  NOT_TRACKED: "PRESENCE_ERR_NOT_TRACKED",
  /** The socket is disconnected. */
  DISCONNECTED: "PRESENCE_ERR_DISCONNECTED",
} as const;

/** Options of presence (`new Server({ presence: {…} })`). */
export interface PresenceOptions {
  /** Send `presence_state` / `presence_diff` to clients. @default true */
  events?: boolean;
  /** Milliseconds changes are batched for, per room (diffs to clients and to other nodes). @default 50 */
  diffInterval?: number;
  /** Milliseconds between two digests of a node's state to the others. @default 5000 */
  syncInterval?: number;
  /**
   * Milliseconds without any presence message after which another node's entries are dropped,
   * when the adapter does not report the node gone first (its heartbeat timeout). @default 3 × syncInterval
   */
  nodeTimeout?: number;
  /** Keys one room may hold (cluster-wide view). @default 10000 */
  maxKeysPerRoom?: number;
  /** Metas (entries) one key may have in one room. @default 100 */
  maxMetasPerKey?: number;
  /** Largest meta, as JSON bytes. @default 1024 */
  maxMetaBytes?: number;
  /** Rooms one socket may track at once. @default 64 */
  maxRoomsPerSocket?: number;
  /** Entries accepted from one other node (all rooms). @default 100000 */
  maxEntriesPerNode?: number;
}

/** What a tracker needs from a namespace. */
export interface PresenceHost extends AdapterHost {
  readonly adapter: Adapter;
  /** Sends an event to one local socket. */
  emitTo(socketId: SocketId, ev: string, ...args: unknown[]): boolean;
  /** Sends an event to the local sockets of a room. */
  emitToRoom(room: Room, ev: string, ...args: unknown[]): void;
  /** Emits the namespace's `presence` event. */
  emitPresence(room: Room, diff: PresenceDiff): void;
  /** Milliseconds a disconnected session stays recoverable, when recovery is on. */
  readonly recoveryWindow: number | undefined;
}

interface Resolved {
  readonly events: boolean;
  readonly diffInterval: number;
  readonly syncInterval: number;
  readonly nodeTimeout: number | undefined;
  readonly maxKeysPerRoom: number;
  readonly maxMetasPerKey: number;
  readonly maxMetaBytes: number;
  readonly maxRoomsPerSocket: number;
  readonly maxEntriesPerNode: number;
}

function resolve(opts: PresenceOptions = {}): Resolved {
  return {
    events: opts.events ?? true,
    diffInterval: opts.diffInterval ?? 50,
    syncInterval: opts.syncInterval ?? 5000,
    nodeTimeout: opts.nodeTimeout,
    maxKeysPerRoom: opts.maxKeysPerRoom ?? 10_000,
    maxMetasPerKey: opts.maxMetasPerKey ?? 100,
    maxMetaBytes: opts.maxMetaBytes ?? 1024,
    maxRoomsPerSocket: opts.maxRoomsPerSocket ?? 64,
    maxEntriesPerNode: opts.maxEntriesPerNode ?? 100_000,
  };
}

/** A room's pending diff: key → sid → meta, for joins and leaves. */
interface PendingDiff {
  readonly joins: Map<string, Map<SocketId, Stored>>;
  readonly leaves: Map<string, Map<SocketId, Stored>>;
}

type Op = [0, Room, string, SocketId, unknown] | [1, Room, string, SocketId];

/** Ops one message may carry, and the outgoing buffer's size before an early flush. */
const MAX_OPS = 10_000;
/** Other nodes one tracker keeps state for: messages from more node ids are ignored. */
const MAX_NODES = 1000;
const NODE_ID = /^[\w-]{1,64}$/;

function randomNodeId(): string {
  return `p${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
}

/** One namespace's presence. Created on first use (a call, or a message from another node). */
export class PresenceTracker {
  readonly #host: PresenceHost;
  readonly #opts: Resolved;
  readonly #index = new ViewIndex();
  readonly #self = new NodeState(this.#index);
  readonly #nodes = new Map<string, NodeState>();
  /** socket id → room → key it tracks there. */
  readonly #bySocket = new Map<SocketId, Map<Room, string>>();
  /** Sockets disconnected recoverably: their entries stay until the timer. */
  readonly #held = new Map<SocketId, ReturnType<typeof setTimeout>>();
  /** socket id → rooms it was sent the state of. */
  readonly #stateSent = new Map<SocketId, Set<Room>>();
  readonly #pending = new Map<Room, PendingDiff>();
  #ops: Op[] = [];
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #syncTimer: ReturnType<typeof setInterval> | undefined;
  /** Last sync request per node (rate limit). */
  readonly #asked = new Map<string, number>();
  #fullStateQueued = false;
  #adapter: Adapter | undefined;
  #closed = false;
  #sent = 0;
  #received = 0;
  #diffs = 0;

  constructor(host: PresenceHost, opts?: PresenceOptions) {
    this.#host = host;
    this.#opts = resolve(opts);
    this.attach(host.adapter);
    this.#syncTimer = setInterval(() => this.#tick(), this.#opts.syncInterval);
    this.#syncTimer.unref?.();
  }

  /** This node's id in presence messages: the adapter's node id where it has one. */
  #nodeId = randomNodeId();

  /** Follows the namespace's adapter (set again by `io.adapter(…)`). */
  attach(adapter: Adapter): void {
    if (this.#adapter === adapter) return;
    const previous = this.#adapter;
    if (previous !== undefined) {
      previous.off("join-room", this.#onJoinRoom);
      previous.off("leave-room", this.#onLeaveRoom);
      previous.off("node-gone", this.#onNodeGone);
    }
    this.#adapter = adapter;
    const uid: unknown = (adapter as { uid?: unknown }).uid;
    if (typeof uid === "string" && NODE_ID.test(uid)) this.#nodeId = uid;
    adapter.on("join-room", this.#onJoinRoom);
    adapter.on("leave-room", this.#onLeaveRoom);
    adapter.on("node-gone", this.#onNodeGone);
  }

  // ── the API ─────────────────────────────────────────────────────────────────────────────────

  /** `socket.track(room, key, meta)` once the socket is in the room. */
  track(sid: SocketId, room: Room, key: string, meta: unknown): void {
    const stored = this.#validate(room, key, meta);
    const rooms = this.#bySocket.get(sid);
    const previousKey = rooms?.get(room);
    if (previousKey === undefined && (rooms?.size ?? 0) >= this.#opts.maxRoomsPerSocket)
      throw limit(`a socket may track at most ${this.#opts.maxRoomsPerSocket} rooms`);
    const view = this.#index.rooms.get(room);
    const metas = view?.get(key);
    if (metas === undefined && (view?.size ?? 0) >= this.#opts.maxKeysPerRoom)
      throw limit(`room "${room}" has ${this.#opts.maxKeysPerRoom} keys already`);
    if (metas !== undefined && !metas.has(sid) && metas.size >= this.#opts.maxMetasPerKey)
      throw limit(`key "${key}" has ${this.#opts.maxMetasPerKey} metas in room "${room}" already`);
    if (previousKey !== undefined && previousKey !== key) this.#localRemove(sid, room, previousKey);
    this.#localSet(sid, room, key, stored);
    this.#sendState(sid, room);
  }

  /** `socket.updatePresence(room, meta)`. */
  update(sid: SocketId, room: Room, meta: unknown): void {
    const key = this.#bySocket.get(sid)?.get(room);
    if (key === undefined)
      throw new TetherError(PresenceErrorCodes.NOT_TRACKED, `socket does not track "${room}"`);
    this.#localSet(sid, room, key, this.#validate(room, key, meta));
  }

  /** `socket.untrack(room)`; also when the socket leaves the room. */
  untrack(sid: SocketId, room: Room): void {
    const key = this.#bySocket.get(sid)?.get(room);
    if (key !== undefined) this.#localRemove(sid, room, key);
  }

  /** The cluster-wide state of `rooms` (merged by key when several). */
  state(rooms: Iterable<Room>): PresenceState {
    const merged = new Map<string, Map<SocketId, Stored>>();
    for (const room of rooms) {
      for (const [key, sids] of this.#viewOf(room)) {
        let into = merged.get(key);
        if (into === undefined) {
          into = new Map();
          merged.set(key, into);
        }
        for (const [sid, s] of sids) into.set(sid, s);
      }
    }
    return toState(merged);
  }

  /** Number of keys in `rooms` (cluster-wide). */
  count(rooms: Iterable<Room>): number {
    const keys = new Set<string>();
    for (const room of rooms)
      for (const key of this.#index.rooms.get(room)?.keys() ?? []) keys.add(key);
    return keys.size;
  }

  /** Called as a socket closes, before it leaves its rooms. */
  onSocketClose(sid: SocketId, recoverable: boolean): void {
    this.#stateSent.delete(sid);
    const rooms = this.#bySocket.get(sid);
    if (rooms === undefined) return;
    const window = this.#host.recoveryWindow;
    if (recoverable && window !== undefined && window > 0 && !this.#closed) {
      const timer = setTimeout(() => this.#release(sid), window);
      timer.unref?.();
      this.#held.set(sid, timer);
      return;
    }
    for (const [room, key] of [...rooms]) this.#localRemove(sid, room, key);
  }

  /**
   * Called when a socket connects with a restored session (same id), after its CONNECT: it gets
   * the state of its tracked rooms again (diffs are not replayed by recovery; its client sees
   * no change where nothing changed).
   */
  onSocketRecovered(sid: SocketId): void {
    const timer = this.#held.get(sid);
    if (timer !== undefined) {
      // Back on this node: its entries never left.
      clearTimeout(timer);
      this.#held.delete(sid);
    } else {
      // Back on another node than the one holding its entries: ask for them.
      this.#send({ t: "c", n: this.#nodeId, sid });
    }
    for (const room of this.#adapter?.socketRooms(sid) ?? []) {
      if (room !== sid && this.#index.rooms.has(room)) this.#sendState(sid, room);
    }
  }

  /** A presence message from another node (the payload of {@link PRESENCE_EVENT}). */
  onMessage(raw: unknown): void {
    if (this.#closed || !isPlainObject(raw)) return;
    const n = raw.n;
    if (typeof n !== "string" || !NODE_ID.test(n) || n === this.#nodeId) return;
    this.#received++;
    switch (raw.t) {
      case "d":
        this.#onDelta(n, raw.s, raw.ops);
        return;
      case "g":
        this.#onDigest(n, raw.s);
        return;
      case "q":
        if (raw.to === this.#nodeId) this.#queueFullState();
        return;
      case "f":
        this.#onFullState(n, raw.s, raw.rooms);
        return;
      case "x":
        this.#dropNode(n);
        return;
      case "c":
        if (typeof raw.sid === "string") this.#onClaim(n, raw.sid);
        return;
      case "h":
        if (raw.to === this.#nodeId && typeof raw.sid === "string")
          this.#onHandoff(raw.sid, raw.entries);
        return;
      default:
        return;
    }
  }

  /**
   * Counters for monitoring: entries owned here and replicated from other nodes, other nodes
   * known, sockets held for recovery, presence messages sent to / received from other nodes,
   * diffs pushed (one per room per batch).
   */
  stats(): {
    entries: number;
    remoteEntries: number;
    nodes: number;
    held: number;
    messagesSent: number;
    messagesReceived: number;
    diffs: number;
  } {
    let remote = 0;
    for (const node of this.#nodes.values()) remote += node.entries;
    return {
      entries: this.#self.entries,
      remoteEntries: remote,
      nodes: this.#nodes.size,
      held: this.#held.size,
      messagesSent: this.#sent,
      messagesReceived: this.#received,
      diffs: this.#diffs,
    };
  }

  /** Stops timers and tells the other nodes this node's entries are gone. */
  close(): void {
    if (this.#closed) return;
    this.#flushOps();
    this.#flushDiffs();
    this.#closed = true;
    if (this.#flushTimer !== undefined) clearTimeout(this.#flushTimer);
    if (this.#syncTimer !== undefined) clearInterval(this.#syncTimer);
    for (const timer of this.#held.values()) clearTimeout(timer);
    this.#held.clear();
    if (this.#self.seq > 0) this.#send({ t: "x", n: this.#nodeId });
    const adapter = this.#adapter;
    if (adapter !== undefined) {
      adapter.off("join-room", this.#onJoinRoom);
      adapter.off("leave-room", this.#onLeaveRoom);
      adapter.off("node-gone", this.#onNodeGone);
    }
  }

  // ── local changes ───────────────────────────────────────────────────────────────────────────

  #validate(room: Room, key: string, meta: unknown): Stored {
    const problem = checkName(room, "room", MAX_ROOM) ?? checkName(key, "key", MAX_NAME);
    if (problem !== undefined) throw new TetherError(PresenceErrorCodes.INVALID, problem);
    const stored = checkMeta(meta, this.#opts.maxMetaBytes);
    if (typeof stored === "string") throw new TetherError(PresenceErrorCodes.INVALID, stored);
    return stored;
  }

  #localSet(sid: SocketId, room: Room, key: string, stored: Stored): void {
    let rooms = this.#bySocket.get(sid);
    if (rooms === undefined) {
      rooms = new Map();
      this.#bySocket.set(sid, rooms);
    }
    rooms.set(room, key);
    const before = this.#viewEntry(room, key, sid);
    const old = this.#self.get(room, key, sid);
    if (old?.json === stored.json) return;
    this.#self.set(room, key, sid, stored);
    this.#changed(room, key, sid, before);
    this.#queueOp([0, room, key, sid, stored.meta]);
  }

  #localRemove(sid: SocketId, room: Room, key: string): void {
    const rooms = this.#bySocket.get(sid);
    rooms?.delete(room);
    if (rooms?.size === 0) this.#bySocket.delete(sid);
    const before = this.#viewEntry(room, key, sid);
    if (!this.#self.delete(room, key, sid)) return;
    this.#changed(room, key, sid, before);
    this.#queueOp([1, room, key, sid]);
  }

  /** A held socket did not come back in time. */
  #release(sid: SocketId): void {
    this.#held.delete(sid);
    const rooms = this.#bySocket.get(sid);
    if (rooms === undefined) return;
    for (const [room, key] of [...rooms]) this.#localRemove(sid, room, key);
  }

  readonly #onJoinRoom = (room: Room, sid: SocketId): void => {
    if (room === sid || this.#closed) return;
    if (this.#index.rooms.has(room)) this.#sendState(sid, room);
  };

  readonly #onLeaveRoom = (room: Room, sid: SocketId): void => {
    if (room === sid) return;
    this.#stateSent.get(sid)?.delete(room);
    if (this.#held.has(sid)) return;
    this.untrack(sid, room);
  };

  readonly #onNodeGone = (uid: string): void => {
    this.#dropNode(uid);
  };

  /** The room's state, once per socket and room, to a connected local socket. */
  #sendState(sid: SocketId, room: Room): void {
    if (!this.#opts.events) return;
    let sent = this.#stateSent.get(sid);
    if (sent?.has(room)) return;
    const state = this.state([room]);
    if (!this.#host.emitTo(sid, "presence_state", room, state)) return;
    if (sent === undefined) {
      sent = new Set();
      this.#stateSent.set(sid, sent);
    }
    sent.add(room);
  }

  // ── the merged view and diffs ───────────────────────────────────────────────────────────────

  /** Room → key → sid → meta over every node (this node first). */
  #viewOf(room: Room): Map<string, Map<SocketId, Stored>> {
    const out = new Map<string, Map<SocketId, Stored>>();
    const add = (node: NodeState) => {
      const keys = node.rooms.get(room);
      if (keys === undefined) return;
      for (const [key, sids] of keys) {
        let into = out.get(key);
        if (into === undefined) {
          into = new Map();
          out.set(key, into);
        }
        for (const [sid, s] of sids) if (!into.has(sid)) into.set(sid, s);
      }
    };
    add(this.#self);
    for (const node of this.#nodes.values()) add(node);
    return out;
  }

  /** The entry the view shows for (room, key, sid): this node's copy first. */
  #viewEntry(room: Room, key: string, sid: SocketId): Stored | undefined {
    const own = this.#self.get(room, key, sid);
    if (own !== undefined) return own;
    for (const node of this.#nodes.values()) {
      const s = node.get(room, key, sid);
      if (s !== undefined) return s;
    }
    return undefined;
  }

  /** Records the view change of one entry, from `before` to what the view shows now. */
  #changed(room: Room, key: string, sid: SocketId, before: Stored | undefined): void {
    const after = this.#viewEntry(room, key, sid);
    if (before === after || (before !== undefined && before.json === after?.json)) return;
    let diff = this.#pending.get(room);
    if (diff === undefined) {
      diff = { joins: new Map(), leaves: new Map() };
      this.#pending.set(room, diff);
    }
    if (before !== undefined) {
      const joined = diff.joins.get(key);
      if (joined?.delete(sid)) {
        // Joined within this window: the leave cancels it (the original leave, if any, stays).
        if (joined.size === 0) diff.joins.delete(key);
      } else put(diff.leaves, key, sid, before);
    }
    if (after !== undefined) {
      const left = diff.leaves.get(key)?.get(sid);
      if (left !== undefined && left.json === after.json) {
        // Left and back with the same meta within the window: nothing happened.
        const leaves = diff.leaves.get(key);
        leaves?.delete(sid);
        if (leaves?.size === 0) diff.leaves.delete(key);
      } else put(diff.joins, key, sid, after);
    }
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushTimer !== undefined || this.#closed) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      this.#flushOps();
      this.#flushDiffs();
    }, this.#opts.diffInterval);
    this.#flushTimer.unref?.();
  }

  #flushDiffs(): void {
    if (this.#pending.size === 0) return;
    const pending = [...this.#pending];
    this.#pending.clear();
    for (const [room, d] of pending) {
      if (d.joins.size === 0 && d.leaves.size === 0) continue;
      const diff: PresenceDiff = { joins: toState(d.joins), leaves: toState(d.leaves) };
      this.#diffs++;
      if (this.#opts.events) this.#host.emitToRoom(room, "presence_diff", room, diff);
      this.#host.emitPresence(room, diff);
    }
  }

  // ── replication ─────────────────────────────────────────────────────────────────────────────

  #queueOp(op: Op): void {
    this.#ops.push(op);
    if (this.#ops.length >= MAX_OPS) this.#flushOps();
    else this.#scheduleFlush();
  }

  #flushOps(): void {
    if (this.#ops.length === 0 || this.#closed) return;
    const ops = this.#ops;
    this.#ops = [];
    this.#self.seq++;
    this.#send({ t: "d", n: this.#nodeId, s: this.#self.seq, ops });
  }

  #send(message: Record<string, unknown>): void {
    const adapter = this.#adapter;
    if (adapter === undefined || this.#closed) return;
    this.#sent++;
    try {
      adapter.serverSideEmit([PRESENCE_EVENT, message]);
    } catch (err) {
      adapter.emit("error", err instanceof Error ? err : new Error(String(err)));
    }
  }

  #tick(): void {
    if (this.#closed) return;
    if (this.#self.seq > 0) this.#send({ t: "g", n: this.#nodeId, s: this.#self.seq });
    const timeout = this.#opts.nodeTimeout ?? 3 * this.#opts.syncInterval;
    const horizon = Date.now() - timeout;
    for (const [n, node] of [...this.#nodes]) if (node.seen < horizon) this.#dropNode(n);
  }

  #node(n: string): NodeState | undefined {
    let node = this.#nodes.get(n);
    if (node === undefined) {
      if (this.#nodes.size >= MAX_NODES) return undefined;
      node = new NodeState(this.#index);
      this.#nodes.set(n, node);
    }
    node.seen = Date.now();
    return node;
  }

  #ask(n: string, node: NodeState): void {
    node.stale = true;
    const now = Date.now();
    const last = this.#asked.get(n) ?? 0;
    if (now - last < Math.min(1000, this.#opts.syncInterval)) return;
    this.#asked.set(n, now);
    this.#send({ t: "q", n: this.#nodeId, to: n });
  }

  #onDelta(n: string, s: unknown, ops: unknown): void {
    if (!isSeq(s) || !Array.isArray(ops) || ops.length > MAX_OPS) return;
    const node = this.#node(n);
    if (node === undefined) return;
    if (s <= node.seq && !node.stale) return;
    if (s !== node.seq + 1 || node.stale) {
      this.#ask(n, node);
      return;
    }
    node.seq = s;
    for (const op of ops) this.#applyOp(node, op);
  }

  #applyOp(node: NodeState, op: unknown): void {
    if (!Array.isArray(op)) return;
    const [kind, r, k, id, meta] = op as unknown[];
    const ref = entryRef(r, k, id);
    if (ref === undefined) return;
    const [room, key, sid] = ref;
    if (kind === 1) {
      this.#remoteDelete(node, room, key, sid);
      return;
    }
    if (kind !== 0) return;
    const stored = checkMeta(meta, this.#opts.maxMetaBytes);
    if (typeof stored === "string") return;
    if (node.get(room, key, sid) === undefined && node.entries >= this.#opts.maxEntriesPerNode)
      return;
    this.#remoteSet(node, room, key, sid, stored);
  }

  /** Sets another node's entry, recording the view change. */
  #remoteSet(node: NodeState, room: Room, key: string, sid: SocketId, stored: Stored): void {
    const before = this.#viewEntry(room, key, sid);
    node.set(room, key, sid, stored);
    // Another node tracks a socket this node holds for recovery: it came back there.
    if (this.#held.has(sid) && this.#self.get(room, key, sid) !== undefined)
      this.#localRemoveHeld(sid, room, key);
    this.#changed(room, key, sid, before);
  }

  /** Removes another node's entry, recording the view change. */
  #remoteDelete(node: NodeState, room: Room, key: string, sid: SocketId): void {
    const before = this.#viewEntry(room, key, sid);
    if (node.delete(room, key, sid)) this.#changed(room, key, sid, before);
  }

  /** Drops this node's held copy once another node tracks the same entry. */
  #localRemoveHeld(sid: SocketId, room: Room, key: string): void {
    const rooms = this.#bySocket.get(sid);
    rooms?.delete(room);
    if (rooms?.size === 0) {
      this.#bySocket.delete(sid);
      const timer = this.#held.get(sid);
      if (timer !== undefined) clearTimeout(timer);
      this.#held.delete(sid);
    }
    if (this.#self.delete(room, key, sid)) this.#queueOp([1, room, key, sid]);
  }

  #onDigest(n: string, s: unknown): void {
    if (!isSeq(s)) return;
    const node = this.#node(n);
    if (node === undefined) return;
    if (s !== node.seq || node.stale) this.#ask(n, node);
  }

  #queueFullState(): void {
    if (this.#fullStateQueued || this.#closed) return;
    this.#fullStateQueued = true;
    // Answers every request of the moment at once (after a partition, many nodes ask).
    setTimeout(() => {
      this.#fullStateQueued = false;
      this.#flushOps();
      const rooms: Array<[Room, Array<[string, SocketId, unknown]>]> = [];
      for (const [room, keys] of this.#self.rooms) {
        const entries: Array<[string, SocketId, unknown]> = [];
        for (const [key, sids] of keys)
          for (const [sid, s] of sids) entries.push([key, sid, s.meta]);
        rooms.push([room, entries]);
      }
      this.#send({ t: "f", n: this.#nodeId, s: this.#self.seq, rooms });
    }, 20).unref?.();
  }

  #onFullState(n: string, s: unknown, rooms: unknown): void {
    if (!isSeq(s) || !Array.isArray(rooms)) return;
    const node = this.#node(n);
    if (node === undefined) return;
    if (s < node.seq && !node.stale) return;
    // The new state, validated and bounded.
    const next = new NodeState();
    for (const item of rooms) {
      if (!Array.isArray(item)) continue;
      const [room, entries] = item as unknown[];
      if (!Array.isArray(entries)) continue;
      for (const e of entries) {
        if (next.entries >= this.#opts.maxEntriesPerNode) break;
        if (!Array.isArray(e)) continue;
        const [key, sid, meta] = e as unknown[];
        const ref = entryRef(room, key, sid);
        if (ref === undefined) continue;
        const stored = checkMeta(meta, this.#opts.maxMetaBytes);
        if (typeof stored === "string") continue;
        next.set(...ref, stored);
      }
    }
    this.#replaceNode(node, next);
    node.seq = s;
    node.stale = false;
  }

  /** Replaces `node`'s entries by `next`'s, recording the view changes. */
  #replaceNode(node: NodeState, next: NodeState): void {
    const removed: Array<[Room, string, SocketId]> = [];
    for (const [room, key, sid] of node.all())
      if (next.get(room, key, sid) === undefined) removed.push([room, key, sid]);
    for (const [room, key, sid] of removed) this.#remoteDelete(node, room, key, sid);
    for (const [room, key, sid, s] of next.all()) {
      if (node.get(room, key, sid)?.json !== s.json) this.#remoteSet(node, room, key, sid, s);
    }
  }

  #dropNode(n: string): void {
    const node = this.#nodes.get(n);
    if (node === undefined) return;
    this.#replaceNode(node, new NodeState());
    this.#nodes.delete(n);
    this.#asked.delete(n);
  }

  #onClaim(n: string, sid: SocketId): void {
    if (!this.#held.has(sid)) return;
    const rooms = this.#bySocket.get(sid);
    if (rooms === undefined) return;
    const entries: Array<[Room, string, unknown]> = [];
    for (const [room, key] of rooms) {
      const s = this.#self.get(room, key, sid);
      if (s !== undefined) entries.push([room, key, s.meta]);
    }
    this.#send({ t: "h", n: this.#nodeId, to: n, sid, entries });
  }

  /** Entries of a socket recovered here, handed over by the node that held them. */
  #onHandoff(sid: SocketId, entries: unknown): void {
    if (!Array.isArray(entries) || !this.#host.sockets.has(sid)) return;
    const rooms = this.#adapter?.socketRooms(sid);
    for (const e of entries.slice(0, this.#opts.maxRoomsPerSocket)) {
      if (!Array.isArray(e)) continue;
      const [room, key, meta] = e as unknown[];
      if (typeof room !== "string" || typeof key !== "string" || !rooms?.has(room)) continue;
      if (this.#bySocket.get(sid)?.has(room)) continue;
      try {
        this.track(sid, room, key, meta);
      } catch {
        // Limits reached meanwhile: the entry is not taken over.
      }
    }
  }
}

/** Namespace → its tracker (created on first use), for broadcast operators. */
const sources = new WeakMap<AdapterHost, () => PresenceTracker>();

/** @internal called by each namespace. */
export function registerPresence(host: AdapterHost, tracker: () => PresenceTracker): void {
  sources.set(host, tracker);
}

/** The presence of the namespace an adapter serves. */
export function presenceOf(host: AdapterHost): PresenceTracker {
  const get = sources.get(host);
  if (get === undefined) throw new Error("presence: not a Tether namespace");
  return get();
}

function isSeq(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function limit(message: string): TetherError {
  return new TetherError(PresenceErrorCodes.LIMIT, message);
}
