/**
 * Client side of presence: who is in one room, kept from the server's `presence_state` and
 * `presence_diff` events. It only listens, so any Socket.IO client socket works (Tether's or
 * `socket.io-client`'s). Browser-safe, and not part of `socket.io.min.js`: pages load it from
 * `presence.min.js` / `presence.esm.min.js`, bundlers import it from `tether-io/client`.
 *
 * ```
 * server ── presence_state (room, state) ──▶ replace the list (joins/leaves against the old one)
 *        ── presence_diff (room, {joins, leaves}) ──▶ joins first, then leaves
 *                                                     each: onJoin / onLeave, then onSync
 * ```
 */
import { callRethrowingLater } from "../shared/emitter.js";

/** One entry of a key: the meta given to `socket.track()` plus the socket that tracked it. */
export type PresenceMeta<M extends object = Record<string, unknown>> = M & {
  readonly socketId: string;
};

/** What one key (e.g. a user id) has in the room: one meta per socket (tab, device). */
export interface PresenceEntry<M extends object = Record<string, unknown>> {
  readonly metas: readonly PresenceMeta<M>[];
}

/** A room's presence on the wire: key → its metas. */
export type PresenceState<M extends object = Record<string, unknown>> = Record<
  string,
  PresenceEntry<M>
>;

/** A batch of changes on the wire. An update is a leave of the old meta and a join of the new. */
export interface PresenceDiff<M extends object = Record<string, unknown>> {
  readonly joins: PresenceState<M>;
  readonly leaves: PresenceState<M>;
}

/**
 * The presence events a server sends, for typed sockets:
 * `Socket<ServerToClient & PresenceEvents>`.
 */
export interface PresenceEvents<M extends object = Record<string, unknown>> {
  presence_state: (room: string, state: PresenceState<M>) => void;
  presence_diff: (room: string, diff: PresenceDiff<M>) => void;
}

/**
 * What {@link Presence} needs of a socket: adding and removing listeners. Tether's and
 * socket.io-client's `Socket` both fit.
 */
export interface PresenceSocket {
  on(event: "presence_state" | "presence_diff", listener: (...args: unknown[]) => void): unknown;
  off(event: "presence_state" | "presence_diff", listener: (...args: unknown[]) => void): unknown;
}

/**
 * Called for each key with new or changed metas. `current` is the key's entry before the join,
 * `undefined` when the key was not present (it came online).
 */
export type PresenceJoinCallback<M extends object = Record<string, unknown>> = (
  key: string,
  current: PresenceEntry<M> | undefined,
  joined: PresenceEntry<M>,
) => void;

/**
 * Called for each key that lost metas. `current` is the key's entry after the leave,
 * `undefined` when no meta is left (it went offline).
 */
export type PresenceLeaveCallback<M extends object = Record<string, unknown>> = (
  key: string,
  current: PresenceEntry<M> | undefined,
  left: PresenceEntry<M>,
) => void;

/**
 * Most metas a room's list holds. A state above it is ignored, and so is a diff that could take
 * the list above it (a server's own limits are far lower).
 */
const PRESENCE_MAX_METAS = 100_000;

/** key → socketId → meta: Maps, so wire keys such as `__proto__` are plain data. */
type Metas<M extends object> = Map<string, PresenceMeta<M>>;
type Table<M extends object> = Map<string, Metas<M>>;

/**
 * Keeps the presence list of one room from the server's events.
 * @example
 * const online = new Presence(socket, "lobby");
 * online.onJoin((key, current) => { if (!current) console.log(`${key} came online`); });
 * online.onLeave((key, current) => { if (!current) console.log(`${key} went offline`); });
 * online.onSync(() => render(online.list((key, { metas }) => `${key} (${metas.length})`)));
 */
export class Presence<M extends object = Record<string, unknown>> {
  /** The room this list follows; events for other rooms are ignored. */
  readonly room: string;
  #state: "listening" | "disposed" = "listening";
  readonly #socket: PresenceSocket;
  #table: Table<M> = new Map();
  /** Number of metas in {@link #table}. */
  #size = 0;
  #onJoin: PresenceJoinCallback<M> | undefined;
  #onLeave: PresenceLeaveCallback<M> | undefined;
  #onSync: (() => void) | undefined;

  readonly #handleState = (room: unknown, state: unknown): void => {
    if (this.#state !== "listening" || room !== this.room) return;
    const next = parseTable<M>(state, PRESENCE_MAX_METAS);
    if (!next) return;
    const { joins, leaves } = difference(this.#table, next.table);
    this.#apply(joins, leaves);
    if (this.#state !== "listening") return; // a callback disposed of it
    // Same content as after the diff; take the server's order.
    this.#table = next.table;
    this.#size = next.size;
    this.#synced();
  };

  readonly #handleDiff = (room: unknown, diff: unknown): void => {
    if (this.#state !== "listening" || room !== this.room || !isRecord(diff)) return;
    const joins = parseTable<M>(diff.joins, PRESENCE_MAX_METAS - this.#size);
    const leaves = parseTable<M>(diff.leaves, PRESENCE_MAX_METAS);
    if (!joins || !leaves) return;
    this.#apply(joins.table, leaves.table);
    if (this.#state !== "listening") return;
    this.#synced();
  };

  /**
   * Starts following `room` on `socket` (an empty list until the first `presence_state`).
   * The list is kept across disconnections: with connection state recovery the missed diffs are
   * replayed, otherwise the `presence_state` sent when the socket tracks or joins again replaces it.
   */
  constructor(socket: PresenceSocket, room: string) {
    this.room = room;
    this.#socket = socket;
    socket.on("presence_state", this.#handleState);
    socket.on("presence_diff", this.#handleDiff);
  }

  /**
   * Everyone in the room, one item per key, in arrival order.
   * @example
   * presence.list(); // [{ key: "u1", metas: [{ nick: "ann", socketId: "…" }] }]
   * presence.list((key, { metas }) => metas[0]?.nick ?? key); // ["ann"]
   */
  list(): { key: string; metas: readonly PresenceMeta<M>[] }[];
  list<T>(chooser: (key: string, entry: PresenceEntry<M>) => T): T[];
  list<T>(
    chooser?: (key: string, entry: PresenceEntry<M>) => T,
  ): (T | { key: string; metas: readonly PresenceMeta<M>[] })[] {
    const out: (T | { key: string; metas: readonly PresenceMeta<M>[] })[] = [];
    for (const [key, metas] of this.#table) {
      const entry = entryOf(metas);
      out.push(chooser ? chooser(key, entry) : { key, metas: entry.metas });
    }
    return out;
  }

  /** Sets the callback for joins (replaces the previous one). */
  onJoin(callback: PresenceJoinCallback<M>): this {
    this.#onJoin = callback;
    return this;
  }

  /** Sets the callback for leaves (replaces the previous one). */
  onLeave(callback: PresenceLeaveCallback<M>): this {
    this.#onLeave = callback;
    return this;
  }

  /** Sets the callback run after each state or diff is applied (replaces the previous one). */
  onSync(callback: () => void): this {
    this.#onSync = callback;
    return this;
  }

  /** Stops listening to the socket, drops the callbacks and empties the list. */
  dispose(): void {
    if (this.#state === "disposed") return;
    this.#state = "disposed";
    this.#socket.off("presence_state", this.#handleState);
    this.#socket.off("presence_diff", this.#handleDiff);
    this.#onJoin = this.#onLeave = this.#onSync = undefined;
    this.#clear();
  }

  #clear(): void {
    this.#table = new Map();
    this.#size = 0;
  }

  /**
   * Applies joins, then leaves. Within one batch a leave and a join of the same socket under the
   * same key are an update: the joined meta stays, the leave reports the replaced one.
   */
  #apply(joins: Table<M>, leaves: Table<M>): void {
    /** "key\0socketId" of metas a join replaced with a different one. */
    const replaced = new Set<string>();
    for (const [key, metas] of joins) {
      if (this.#state !== "listening") return; // a callback disposed of it
      const current = this.#table.get(key);
      const before = current && entryOf(current);
      const joined: PresenceMeta<M>[] = [];
      for (const [id, meta] of metas) {
        const old = current?.get(id);
        if (old && sameJson(old, meta)) continue;
        if (old) replaced.add(`${key}\0${id}`);
        else this.#size++;
        joined.push(meta);
      }
      if (joined.length === 0) continue;
      const target = current ?? new Map<string, PresenceMeta<M>>();
      for (const meta of joined) target.set(meta.socketId, meta);
      this.#table.set(key, target);
      this.#call(this.#onJoin, key, before, { metas: joined });
    }
    for (const [key, metas] of leaves) {
      if (this.#state !== "listening") return;
      const current = this.#table.get(key);
      if (!current) continue;
      const rejoined = joins.get(key);
      const left: PresenceMeta<M>[] = [];
      for (const [id, meta] of metas) {
        if (rejoined?.has(id)) {
          if (replaced.has(`${key}\0${id}`)) left.push(meta);
        } else if (current.delete(id)) {
          this.#size--;
          left.push(meta);
        }
      }
      if (left.length === 0) continue;
      if (current.size === 0) this.#table.delete(key);
      const after = current.size > 0 ? entryOf(current) : undefined;
      this.#call(this.#onLeave, key, after, { metas: left });
    }
  }

  #call(
    callback: PresenceJoinCallback<M> | PresenceLeaveCallback<M> | undefined,
    key: string,
    current: PresenceEntry<M> | undefined,
    change: PresenceEntry<M>,
  ): void {
    // A throwing callback surfaces as an uncaught error without leaving the list half-applied.
    if (callback)
      callRethrowingLater(callback as (...a: unknown[]) => void, [key, current, change]);
  }

  #synced(): void {
    if (this.#onSync) callRethrowingLater(this.#onSync, []);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function entryOf<M extends object>(metas: Metas<M>): PresenceEntry<M> {
  return { metas: [...metas.values()] };
}

/** Two metas from the wire hold the same data (a repeated join is not a change). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}

/**
 * A wire `PresenceState` as a table, or undefined when it is malformed anywhere or holds more
 * than `budget` metas (the whole payload is then ignored). Keys with no metas are dropped.
 */
function parseTable<M extends object>(
  value: unknown,
  budget: number,
): { table: Table<M>; size: number } | undefined {
  if (!isRecord(value)) return undefined;
  const table: Table<M> = new Map();
  let size = 0;
  try {
    for (const key of Object.keys(value)) {
      const entry = value[key];
      if (!isRecord(entry) || !Array.isArray(entry.metas)) return undefined;
      if (entry.metas.length > budget - size) return undefined;
      const metas: Metas<M> = new Map();
      for (const meta of entry.metas as unknown[]) {
        if (!isRecord(meta) || typeof meta.socketId !== "string") return undefined;
        metas.set(meta.socketId, meta as PresenceMeta<M>);
      }
      size += metas.size;
      if (metas.size > 0) table.set(key, metas);
    }
  } catch {
    // A getter that throws: not from the wire, but never let it escape.
    return undefined;
  }
  return { table, size };
}

/** What turns `from` into `to`: new or changed metas join, missing or changed ones leave. */
function difference<M extends object>(
  from: Table<M>,
  to: Table<M>,
): { joins: Table<M>; leaves: Table<M> } {
  const joins: Table<M> = new Map();
  const leaves: Table<M> = new Map();
  const collect = (a: Table<M>, b: Table<M>, out: Table<M>) => {
    for (const [key, metas] of a) {
      const other = b.get(key);
      for (const [id, meta] of metas) {
        const there = other?.get(id);
        if (there && sameJson(there, meta)) continue;
        const list = out.get(key) ?? new Map<string, PresenceMeta<M>>();
        list.set(id, meta);
        out.set(key, list);
      }
    }
  };
  collect(to, from, joins);
  collect(from, to, leaves);
  return { joins, leaves };
}
