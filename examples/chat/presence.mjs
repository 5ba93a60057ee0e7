/**
 * Who is in which room, on every node of the chat, with Tether's presence:
 *
 * - A socket in a room is tracked there: `socket.track(room, presenceKey(nick), { nick })`
 *   (chat.mjs). Tether replicates the entries to every node over the adapter and sends the
 *   room's sockets `presence_state` and batched `presence_diff` events; the page keeps the online
 *   list from them with the client `Presence` (public/main.js). Leaving the room or
 *   disconnecting untracks; a node that dies takes its entries with it after the adapter's
 *   node-down timeout.
 * - Head counts of the room list: every node hears the namespace's `presence` event for every
 *   room, on any node, and tells its own pages the new counts (`presenceCount()`, read from
 *   the node's replicated view). Presence converges by itself, so the last announcement after a
 *   change is right on every node without a second look.
 * - The nickname rule still reads `socket.data` with `fetchSockets()`: whether the holder of a
 *   nickname is this very tab reconnecting depends on its private `clientId`, which presence
 *   metas (sent to every page in the room) must not carry.
 */
import { DEFAULT_ROOMS, isObject } from "./limits.mjs";

/**
 * What a socket in a room carries in `socket.data`.
 * @typedef {{ nick: string, clientId: string, room: string }} MemberData
 * @typedef {{ id: string, nick: string, clientId: string }} Member
 * @typedef {InstanceType<typeof import("./io.mjs").Server>} IoServer
 */

/** How long a node gathers presence events before it announces room counts. */
const ANNOUNCE_MS = 50;

/**
 * A nickname's key in a room's presence: nicknames are unique case-insensitively, so one person
 * is one key whatever the case they typed.
 * @param {string} nick
 */
export function presenceKey(nick) {
  return nick.toLowerCase();
}

/** @param {unknown} data @returns {data is MemberData} */
function isMemberData(data) {
  return (
    isObject(data) &&
    typeof data.nick === "string" &&
    typeof data.clientId === "string" &&
    typeof data.room === "string"
  );
}

/** Room head counts from presence, and the sockets holding nicknames. */
export class RoomPresence {
  /** @type {IoServer} */
  #io;
  /** @type {(err: unknown) => void} */
  #onError;
  /** Rooms that may have people: the default ones and any with a presence event since. */
  #known = new Set(DEFAULT_ROOMS);
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #timer;
  /** @type {"running" | "closed"} */
  #state = "running";

  /** @param {unknown} room */
  #onPresence = (room) => {
    if (typeof room !== "string" || this.#state !== "running") return;
    this.#known.add(room);
    this.#scheduleAnnounce();
  };

  /**
   * @param {IoServer} io
   * @param {{ onError: (err: unknown) => void }} options
   */
  constructor(io, { onError }) {
    this.#io = io;
    this.#onError = onError;
    io.on("presence", this.#onPresence);
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

  /** The default rooms, then every room with people in it, with head counts. */
  async rooms() {
    const others = [...this.#known].filter((n) => !DEFAULT_ROOMS.includes(n)).sort();
    const names = [...DEFAULT_ROOMS, ...others];
    const counts = await Promise.all(names.map((name) => this.#io.in(name).presenceCount()));
    const rooms = names.map((name, i) => ({ name, count: counts[i] ?? 0 }));
    for (const { name, count } of rooms) {
      if (count === 0 && !DEFAULT_ROOMS.includes(name)) this.#known.delete(name);
    }
    return rooms.filter((r) => r.count > 0 || DEFAULT_ROOMS.includes(r.name));
  }

  /** Stops announcing. */
  close() {
    this.#state = "closed";
    clearTimeout(this.#timer);
    this.#io.off("presence", this.#onPresence);
  }

  /** Tells this node's pages the room counts, once per burst of presence events. */
  #scheduleAnnounce() {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.rooms()
        .then((rooms) => {
          if (this.#state === "running") this.#io.local.emit("rooms", rooms);
        })
        .catch(this.#onError);
    }, ANNOUNCE_MS);
    this.#timer.unref();
  }
}
