/**
 * In-memory room registry: who is in each room (nicknames unique per room) and the room's last
 * messages for newcomers. Knows nothing about sockets beyond their ids.
 */
import { DEFAULT_ROOMS, LIMITS } from "./limits.mjs";

/**
 * A message as clients see it.
 * @typedef {{ kind: "text", id: string, from: string, text: string, ts: number }
 *   | { kind: "image", id: string, from: string, mime: string, data: Buffer, ts: number }} ChatMessage
 */

/**
 * @typedef {{ nick: string, clientId: string }} Member
 * @typedef {{ message: ChatMessage, clientId: string }} HistoryEntry
 * @typedef {{ members: Map<string, Member>, history: HistoryEntry[], imageBytes: number, touched: number }} Room
 */

/** Rooms, members and history. */
export class ChatRooms {
  /** @type {Map<string, Room>} */
  #rooms = new Map();

  /**
   * Adds `socketId` to `room` as `nick`. A member with the same `clientId` (the same browser tab
   * reconnecting before its old connection timed out) is replaced; its socket id is returned
   * in `replaced` so the caller can disconnect it.
   * @param {string} room
   * @param {string} socketId
   * @param {Member} member
   * @returns {{ ok: true, replaced: string[] } | { ok: false, error: string }}
   */
  join(room, socketId, member) {
    const existing = this.#rooms.get(room);
    const replaced = [];
    if (existing) {
      for (const [id, m] of existing.members) {
        if (m.nick.toLowerCase() !== member.nick.toLowerCase() || id === socketId) continue;
        if (m.clientId !== member.clientId) {
          return { ok: false, error: `“${member.nick}” is already taken in #${room}.` };
        }
        replaced.push(id);
      }
    } else if (!this.#makeRoomFor()) {
      return { ok: false, error: "Too many rooms are open; join an existing one." };
    }
    const r = existing ?? { members: new Map(), history: [], imageBytes: 0, touched: 0 };
    for (const id of replaced) r.members.delete(id);
    r.members.set(socketId, member);
    r.touched = Date.now();
    this.#rooms.set(room, r);
    return { ok: true, replaced };
  }

  /**
   * Removes `socketId` from `room`. @returns {boolean} whether it was a member
   * @param {string} room
   * @param {string} socketId
   */
  leave(room, socketId) {
    const r = this.#rooms.get(room);
    if (!r?.members.delete(socketId)) return false;
    r.touched = Date.now();
    return true;
  }

  /** Sorted nicknames of `room`. @param {string} room @returns {string[]} */
  members(room) {
    const r = this.#rooms.get(room);
    if (!r) return [];
    return [...r.members.values()].map((m) => m.nick).sort((a, b) => a.localeCompare(b));
  }

  /** The room's last messages, oldest first. @param {string} room @returns {ChatMessage[]} */
  history(room) {
    return (this.#rooms.get(room)?.history ?? []).map((e) => e.message);
  }

  /**
   * Whether `clientId` already sent message `id` to `room` (a retry after a lost ack).
   * @param {string} room
   * @param {string} clientId
   * @param {string} id
   */
  hasMessage(room, clientId, id) {
    const r = this.#rooms.get(room);
    return r ? r.history.some((e) => e.clientId === clientId && e.message.id === id) : false;
  }

  /**
   * Appends to the room's history, keeping the last `historySize` messages and at most
   * `historyImageBytes` of image data.
   * @param {string} room
   * @param {ChatMessage} message
   * @param {string} clientId
   */
  record(room, message, clientId) {
    const r = this.#rooms.get(room);
    if (!r) return;
    r.history.push({ message, clientId });
    if (message.kind === "image") r.imageBytes += message.data.byteLength;
    while (r.history.length > LIMITS.historySize || r.imageBytes > LIMITS.historyImageBytes) {
      const dropped = r.history.shift();
      if (dropped?.message.kind === "image") r.imageBytes -= dropped.message.data.byteLength;
    }
  }

  /** Room names with their member counts: the defaults, then every room with people in it. */
  list() {
    const names = new Set(DEFAULT_ROOMS);
    for (const [name, r] of this.#rooms) if (r.members.size > 0) names.add(name);
    return [...names].map((name) => ({ name, count: this.#rooms.get(name)?.members.size ?? 0 }));
  }

  /** Evicts the least recently used empty room when at the cap. @returns {boolean} */
  #makeRoomFor() {
    if (this.#rooms.size < LIMITS.maxRooms) return true;
    let oldest;
    for (const [name, r] of this.#rooms) {
      if (r.members.size > 0) continue;
      if (!oldest || r.touched < oldest[1]) oldest = [name, r.touched];
    }
    if (!oldest) return false;
    this.#rooms.delete(oldest[0]);
    return true;
  }
}
