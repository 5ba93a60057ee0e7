/**
 * Who is in which room, across every node of the chat. Nothing is kept here: each socket
 * carries its own `{ nick, clientId, room }` in `socket.data`, and `fetchSockets()` reads it
 * from every node through the adapter (in memory on one node, over Redis with REDIS_URL).
 *
 * With several nodes, two changes on two nodes can be announced from snapshots that each miss
 * the other change. So a clustered chat announces once more `settleMs` after the last change
 * of a room: by then every node sees the same state, and the last announcement is right.
 */
import { DEFAULT_ROOMS, isObject } from "./limits.mjs";

/**
 * What a socket in a room carries in `socket.data`.
 * @typedef {{ nick: string, clientId: string, room: string }} MemberData
 * @typedef {{ id: string, nick: string, clientId: string }} Member
 * @typedef {InstanceType<typeof import("./io.mjs").Server>} IoServer
 */

/** @param {unknown} data @returns {data is MemberData} */
function isMemberData(data) {
  return (
    isObject(data) &&
    typeof data.nick === "string" &&
    typeof data.clientId === "string" &&
    typeof data.room === "string"
  );
}

/** @param {Iterable<string>} nicks @returns {string[]} unique (case-insensitively), sorted */
function uniqueNicks(nicks) {
  const byKey = new Map();
  for (const nick of nicks) if (!byKey.has(nick.toLowerCase())) byKey.set(nick.toLowerCase(), nick);
  return [...byKey.values()].sort((a, b) => a.localeCompare(b));
}

/** Cluster-wide room membership and its announcements (`presence`, `rooms`). */
export class Presence {
  /** @type {IoServer} */
  #io;
  #settleMs;
  /** @type {(err: unknown) => void} */
  #onError;
  /** Pending settle announcements: room name (or "" for the room list) → timer. */
  #timers = new Map();
  /** @type {"running" | "closed"} */
  #state = "running";

  /**
   * @param {IoServer} io
   * @param {{ settleMs: number, onError: (err: unknown) => void }} options `settleMs` 0: one node
   */
  constructor(io, { settleMs, onError }) {
    this.#io = io;
    this.#settleMs = settleMs;
    this.#onError = onError;
  }

  /** Every socket in `room`, on every node. @param {string} room @returns {Promise<Member[]>} */
  async inRoom(room) {
    const sockets = await this.#io.in(room).fetchSockets();
    return sockets.flatMap((s) => {
      const d = s.data;
      return isMemberData(d) && d.room === room
        ? [{ id: s.id, nick: d.nick, clientId: d.clientId }]
        : [];
    });
  }

  /** Sorted nicknames in `room`. @param {string} room @returns {Promise<string[]>} */
  async members(room) {
    return uniqueNicks((await this.inRoom(room)).map((m) => m.nick));
  }

  /** The default rooms, then every room with people in it, with head counts. */
  async rooms() {
    const nicks = new Map(DEFAULT_ROOMS.map((name) => [name, /** @type {string[]} */ ([])]));
    for (const s of await this.#io.fetchSockets()) {
      if (!isMemberData(s.data)) continue;
      const list = nicks.get(s.data.room) ?? [];
      list.push(s.data.nick);
      nicks.set(s.data.room, list);
    }
    const others = [...nicks.keys()].filter((n) => !DEFAULT_ROOMS.includes(n)).sort();
    return [...DEFAULT_ROOMS, ...others].map((name) => ({
      name,
      count: uniqueNicks(nicks.get(name) ?? []).length,
    }));
  }

  /**
   * Tells the room who is in it and everyone the room counts; settles when clustered.
   * @param {string} room
   * @returns {Promise<string[]>} the members announced
   */
  async announce(room) {
    const [members] = await Promise.all([this.#emitPresence(room), this.#emitRooms()]);
    this.#settle(room, () => this.#emitPresence(room));
    this.#settle("", () => this.#emitRooms());
    return members;
  }

  /** Stops pending announcements. */
  close() {
    this.#state = "closed";
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  /** @param {string} room */
  async #emitPresence(room) {
    const members = await this.members(room);
    if (this.#state === "running") this.#io.to(room).emit("presence", { room, members });
    return members;
  }

  async #emitRooms() {
    const rooms = await this.rooms();
    if (this.#state === "running") this.#io.emit("rooms", rooms);
  }

  /** @param {string} key @param {() => Promise<unknown>} announce */
  #settle(key, announce) {
    if (this.#settleMs <= 0 || this.#state !== "running") return;
    clearTimeout(this.#timers.get(key));
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      announce().catch(this.#onError);
    }, this.#settleMs);
    timer.unref();
    this.#timers.set(key, timer);
  }
}
