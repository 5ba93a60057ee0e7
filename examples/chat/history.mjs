/**
 * Room history kept in memory: each room's last messages for newcomers, and who sent which
 * message id (so a retried message is forwarded once). Knows nothing about sockets.
 *
 * With REDIS_URL every node keeps its own copy, fed by its own posts and by the other nodes'
 * `chat:history` server-side events; a node started later only has what was posted since.
 */
import { LIMITS } from "./limits.mjs";

/**
 * A message as clients see it.
 * @typedef {{ kind: "text", id: string, from: string, text: string, ts: number }
 *   | { kind: "image", id: string, from: string, mime: string, data: Buffer, ts: number }} ChatMessage
 */

/**
 * @typedef {{ message: ChatMessage, clientId: string }} HistoryEntry
 * @typedef {{ entries: HistoryEntry[], imageBytes: number, touched: number }} RoomHistory
 */

/** Histories of at most `LIMITS.maxRooms` rooms; the least recently used one is dropped first. */
export class ChatHistory {
  /** @type {Map<string, RoomHistory>} */
  #rooms = new Map();

  /** The room's last messages, oldest first. @param {string} room @returns {ChatMessage[]} */
  history(room) {
    const r = this.#rooms.get(room);
    if (r) r.touched = Date.now();
    return (r?.entries ?? []).map((e) => e.message);
  }

  /**
   * Whether `clientId` already sent message `id` to `room` (a retry after a lost ack).
   * @param {string} room
   * @param {string} clientId
   * @param {string} id
   */
  hasMessage(room, clientId, id) {
    const r = this.#rooms.get(room);
    return r ? r.entries.some((e) => e.clientId === clientId && e.message.id === id) : false;
  }

  /**
   * Appends to the room's history, keeping the last `historySize` messages and at most
   * `historyImageBytes` of image data. A message already recorded is ignored.
   * @param {string} room
   * @param {ChatMessage} message
   * @param {string} clientId
   */
  record(room, message, clientId) {
    if (this.hasMessage(room, clientId, message.id)) return;
    let r = this.#rooms.get(room);
    if (!r) {
      this.#evictIfFull();
      r = { entries: [], imageBytes: 0, touched: 0 };
      this.#rooms.set(room, r);
    }
    r.touched = Date.now();
    r.entries.push({ message, clientId });
    if (message.kind === "image") r.imageBytes += message.data.byteLength;
    while (r.entries.length > LIMITS.historySize || r.imageBytes > LIMITS.historyImageBytes) {
      const dropped = r.entries.shift();
      if (dropped?.message.kind === "image") r.imageBytes -= dropped.message.data.byteLength;
    }
  }

  #evictIfFull() {
    if (this.#rooms.size < LIMITS.maxRooms) return;
    let oldest;
    for (const [name, r] of this.#rooms)
      if (!oldest || r.touched < oldest[1]) oldest = [name, r.touched];
    if (oldest) this.#rooms.delete(oldest[0]);
  }
}
