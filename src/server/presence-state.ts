/**
 * The data side of presence (src/server/presence.ts): validation of rooms, keys and metas (what
 * a socket tracks and what other nodes send alike), the per-node entry store and the index of
 * the merged view, and the public state types.
 */
import type { Room, SocketId } from "../adapter/types.js";

/** A meta as seen in a presence state: the tracked meta plus the socket that tracked it. */
export type PresenceMeta = Record<string, unknown> & { socketId: SocketId };
/** A room's presence: key → its entries. */
export type PresenceState = Record<string, { metas: PresenceMeta[] }>;
/** What changed in a room's presence. */
export interface PresenceDiff {
  joins: PresenceState;
  leaves: PresenceState;
}

// ── metas ─────────────────────────────────────────────────────────────────────────────────────

/** A validated meta and its JSON (equality and size). */
export interface Stored {
  readonly meta: Readonly<Record<string, unknown>>;
  readonly json: string;
}

const MAX_META_DEPTH = 8;
export const MAX_NAME = 256;
export const MAX_ROOM = 1024;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Why `v` is not plain JSON data within `depth`, or undefined when it is. */
function jsonProblem(v: unknown, depth: number): string | undefined {
  switch (typeof v) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(v) ? undefined : "a non-finite number";
    case "object":
      break;
    default:
      return `a ${typeof v}`;
  }
  if (v === null) return undefined;
  if (depth >= MAX_META_DEPTH) return `nesting deeper than ${MAX_META_DEPTH}`;
  if (Array.isArray(v)) {
    for (const item of v) {
      const p = jsonProblem(item, depth + 1);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  if (!isPlainObject(v)) return "an object that is not plain data";
  for (const key of Object.keys(v)) {
    if (key === "__proto__") return "a __proto__ key";
    const p = jsonProblem(v[key], depth + 1);
    if (p !== undefined) return p;
  }
  return undefined;
}

/** Validates a meta (a plain JSON object within the limits). */
export function checkMeta(meta: unknown, maxBytes: number): Stored | string {
  if (meta === undefined) return { meta: {}, json: "{}" };
  if (!isPlainObject(meta)) return "meta must be a plain object";
  let problem: string | undefined;
  try {
    problem = jsonProblem(meta, 0);
  } catch (err) {
    problem = `unreadable (${err instanceof Error ? err.message : String(err)})`;
  }
  if (problem !== undefined) return `meta holds ${problem}`;
  if (Object.hasOwn(meta, "socketId")) return "meta.socketId is reserved (set by presence)";
  const json = JSON.stringify(meta);
  if (json.length > maxBytes || Buffer.byteLength(json) > maxBytes)
    return `meta is larger than ${maxBytes} bytes of JSON`;
  return { meta: Object.freeze(JSON.parse(json) as Record<string, unknown>), json };
}

export function checkName(v: unknown, what: string, max: number): string | undefined {
  if (typeof v !== "string" || v.length === 0) return `${what} must be a non-empty string`;
  if (v.length > max) return `${what} is longer than ${max} characters`;
  if (v === "__proto__") return `${what} may not be "__proto__"`;
  return undefined;
}

/** (room, key, socket id) from another node, when all three are acceptable names. */
export function entryRef(
  room: unknown,
  key: unknown,
  sid: unknown,
): [Room, string, SocketId] | undefined {
  if (checkName(room, "room", MAX_ROOM) !== undefined) return undefined;
  if (checkName(key, "key", MAX_NAME) !== undefined) return undefined;
  if (typeof sid !== "string" || sid.length === 0 || sid.length > MAX_NAME) return undefined;
  return [room as Room, key as string, sid];
}

// ── state ─────────────────────────────────────────────────────────────────────────────────────

/** key → socket id → meta. */
export type RoomEntries = Map<string, Map<SocketId, Stored>>;

/** `map.get(key)`, created empty first if missing. */
export function child<K, V>(map: Map<K, Map<string, V>>, key: K): Map<string, V> {
  let inner = map.get(key);
  if (inner === undefined) {
    inner = new Map();
    map.set(key, inner);
  }
  return inner;
}

/**
 * How many nodes hold each (room, key, socket id) — the merged view's shape, kept up to date by
 * every change, so limits and "is this room tracked" are O(1) instead of a merge of all nodes.
 */
export class ViewIndex {
  readonly rooms = new Map<Room, Map<string, Map<SocketId, number>>>();

  add(room: Room, key: string, sid: SocketId): void {
    const sids = child(child(this.rooms, room), key);
    sids.set(sid, (sids.get(sid) ?? 0) + 1);
  }

  remove(room: Room, key: string, sid: SocketId): void {
    const keys = this.rooms.get(room);
    const sids = keys?.get(key);
    const n = sids?.get(sid);
    if (keys === undefined || sids === undefined || n === undefined) return;
    if (n > 1) {
      sids.set(sid, n - 1);
      return;
    }
    sids.delete(sid);
    if (sids.size === 0) keys.delete(key);
    if (keys.size === 0) this.rooms.delete(room);
  }
}

export class NodeState {
  readonly #index: ViewIndex | undefined;
  constructor(index?: ViewIndex) {
    this.#index = index;
  }
  seq = 0;
  seen = Date.now();
  entries = 0;
  /** Set while this node's state is incomplete (a gap): waiting for its full state. */
  stale = false;
  readonly rooms = new Map<Room, RoomEntries>();

  get(room: Room, key: string, sid: SocketId): Stored | undefined {
    return this.rooms.get(room)?.get(key)?.get(sid);
  }

  set(room: Room, key: string, sid: SocketId, stored: Stored): void {
    const sids = child(child(this.rooms, room), key);
    if (!sids.has(sid)) {
      this.entries++;
      this.#index?.add(room, key, sid);
    }
    sids.set(sid, stored);
  }

  delete(room: Room, key: string, sid: SocketId): boolean {
    const keys = this.rooms.get(room);
    const sids = keys?.get(key);
    if (keys === undefined || sids === undefined || !sids.delete(sid)) return false;
    this.entries--;
    this.#index?.remove(room, key, sid);
    if (sids.size === 0) keys.delete(key);
    if (keys.size === 0) this.rooms.delete(room);
    return true;
  }

  /** Every entry, as [room, key, sid, stored]. */
  *all(): Generator<[Room, string, SocketId, Stored]> {
    for (const [room, keys] of this.rooms)
      for (const [key, sids] of keys) for (const [sid, s] of sids) yield [room, key, sid, s];
  }
}

export function toState(entries: Map<string, Map<SocketId, Stored>>): PresenceState {
  const out: PresenceState = {};
  for (const [key, sids] of entries) {
    const metas: PresenceMeta[] = [];
    for (const [sid, s] of sids) metas.push({ ...s.meta, socketId: sid });
    out[key] = { metas };
  }
  return out;
}

export function put(
  map: Map<string, Map<SocketId, Stored>>,
  key: string,
  sid: SocketId,
  s: Stored,
): void {
  child(map, key).set(sid, s);
}
