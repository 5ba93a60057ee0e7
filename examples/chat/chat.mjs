/**
 * The chat protocol on top of a Socket.IO server: one session per connection, in the lobby or
 * in one room at a time. Uses only the standard Socket.IO v4 server API.
 *
 * Client → server (every ack replies `{ ok: true, … }` or `{ ok: false, error }`):
 *   "join"    { nick, room }      ack → { nick, room, members, history }
 *   "leave"                       ack → {}
 *   "message" { id, text }        ack → { id, ts }
 *   "image"   { id, data: bytes } ack → { id, ts }
 *   "typing"  boolean
 * Server → client:
 *   "rooms" [{ name, count }], "presence" { room, members }, "message" ChatMessage,
 *   "typing" { nick, typing }, "notice" { text, ts },
 *   "joined" / "join_error": the outcome of re-joining from the handshake's `auth` on reconnect.
 */
import {
  createRateLimiter,
  isObject,
  parseId,
  parseImageMessage,
  parseNick,
  parseRoom,
  parseTextMessage,
} from "./limits.mjs";
import { ChatRooms } from "./rooms.mjs";

/**
 * @typedef {InstanceType<typeof import("./io.mjs").Server>} IoServer
 * @typedef {{ state: "lobby" } | { state: "in-room", nick: string, room: string }} Session
 * @typedef {(reply: Record<string, unknown>) => void} Ack
 * @typedef {import("./rooms.mjs").ChatMessage} ChatMessage
 */

/**
 * Wires the chat onto `io`.
 * @param {IoServer} io
 * @param {{ onError?: (err: unknown) => void }} [options]
 * @returns {ChatRooms} the room registry (for inspection)
 */
export function attachChat(io, options = {}) {
  const rooms = new ChatRooms();
  const broadcastRooms = () => io.emit("rooms", rooms.list());
  /** @param {string} room */
  const announcePresence = (room) =>
    io.to(room).emit("presence", { room, members: rooms.members(room) });

  io.on("connection", (socket) => {
    const auth = isObject(socket.handshake.auth) ? socket.handshake.auth : {};
    const id = parseId(auth.clientId);
    const clientId = id.ok ? id.value : `anon-${socket.id}`;
    const allowMessage = createRateLimiter();
    const allowTyping = createRateLimiter(40);
    /** @type {Session} */
    let session = { state: "lobby" };
    /** @param {Session} next */
    const transition = (next) => {
      session = next;
    };

    /**
     * Registers a handler that receives the first argument and the ack (if any), and never
     * lets a thrown error escape into the server.
     * @param {string} event
     * @param {(payload: unknown, reply: Ack) => void} handler
     */
    const on = (event, handler) => {
      socket.on(event, (...args) => {
        const last = args.at(-1);
        const ack = typeof last === "function" ? args.pop() : undefined;
        /** @type {Ack} */
        const reply = (value) => ack?.(value);
        try {
          handler(args[0], reply);
        } catch (err) {
          options.onError?.(err);
          reply({ ok: false, error: "The server could not handle that." });
        }
      });
    };

    /**
     * @param {string} nick
     * @param {string} room
     * @param {boolean} quiet re-joining after a reconnect: no "joined" notice
     */
    const enter = (nick, room, quiet) => {
      const joined = rooms.join(room, socket.id, { nick, clientId });
      if (!joined.ok) return joined;
      for (const stale of joined.replaced) io.in(stale).disconnectSockets(true);
      const previous = session;
      if (previous.state === "in-room" && previous.room !== room) leaveRoom();
      socket.join(room);
      transition({ state: "in-room", nick, room });
      const sameSpot = previous.state === "in-room" && previous.room === room;
      if (!quiet && !sameSpot && joined.replaced.length === 0) {
        socket.to(room).emit("notice", { text: `${nick} joined`, ts: Date.now() });
      }
      announcePresence(room);
      broadcastRooms();
      return {
        ok: /** @type {const} */ (true),
        nick,
        room,
        members: rooms.members(room),
        history: rooms.history(room),
      };
    };

    const leaveRoom = () => {
      if (session.state !== "in-room") return;
      const { nick, room } = session;
      transition({ state: "lobby" });
      socket.leave(room);
      if (!rooms.leave(room, socket.id)) return;
      socket.to(room).emit("typing", { nick, typing: false });
      socket.to(room).emit("notice", { text: `${nick} left`, ts: Date.now() });
      announcePresence(room);
      broadcastRooms();
    };

    /**
     * Checks, de-duplicates, records and forwards a message from this session.
     * @template {{ id: string }} T
     * @param {{ ok: true, value: T } | { ok: false, error: string }} parsed
     * @param {Ack} reply
     * @param {(value: T, from: string, ts: number) => ChatMessage} build
     */
    const post = (parsed, reply, build) => {
      if (session.state !== "in-room") return reply({ ok: false, error: "Join a room first." });
      if (!allowMessage()) {
        return reply({ ok: false, error: "You are sending too fast; wait a few seconds." });
      }
      if (!parsed.ok) return reply(parsed);
      const { room, nick } = session;
      const ts = Date.now();
      // A retry of a message whose ack was lost: confirm it again, forward it once only.
      if (rooms.hasMessage(room, clientId, parsed.value.id)) {
        return reply({ ok: true, id: parsed.value.id, ts, duplicate: true });
      }
      const message = build(parsed.value, nick, ts);
      rooms.record(room, message, clientId);
      socket.to(room).emit("message", message);
      reply({ ok: true, id: message.id, ts });
    };

    socket.emit("rooms", rooms.list());
    // Reconnect: the client's auth carries where it was, so it is back in its room before any
    // message it buffered while offline is handled.
    if (auth.nick !== undefined || auth.room !== undefined) {
      const nick = parseNick(auth.nick);
      const room = parseRoom(auth.room);
      const result = !nick.ok ? nick : !room.ok ? room : enter(nick.value, room.value, true);
      socket.emit(result.ok ? "joined" : "join_error", result);
    }

    on("join", (payload, reply) => {
      if (!isObject(payload)) return reply({ ok: false, error: "Malformed join request." });
      const nick = parseNick(payload.nick);
      if (!nick.ok) return reply(nick);
      const room = parseRoom(payload.room);
      if (!room.ok) return reply(room);
      reply(enter(nick.value, room.value, false));
    });

    on("leave", (_payload, reply) => {
      leaveRoom();
      reply({ ok: true });
    });

    on("message", (payload, reply) =>
      post(parseTextMessage(payload), reply, ({ id, text }, from, ts) => {
        return { kind: "text", id, from, text, ts };
      }),
    );

    on("image", (payload, reply) =>
      post(parseImageMessage(payload), reply, ({ id, mime, data }, from, ts) => {
        return { kind: "image", id, from, mime, data, ts };
      }),
    );

    on("typing", (payload) => {
      if (session.state !== "in-room" || typeof payload !== "boolean" || !allowTyping()) return;
      socket.to(session.room).emit("typing", { nick: session.nick, typing: payload });
    });

    socket.on("disconnect", () => leaveRoom());
  });
  return rooms;
}
