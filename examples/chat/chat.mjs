/**
 * The chat protocol on top of a Tether server: one session per connection, in the lobby or in
 * one room at a time. Works the same on one node or on several sharing an adapter (REDIS_URL):
 * who is in a room is Tether's presence (`socket.track`, replicated by Tether, followed by the
 * page with the client `Presence`), the session also lives in `socket.data` for the nickname
 * rule (`fetchSockets()`), history is replicated with `serverSideEmit`.
 *
 * Client → server (every ack replies `{ ok: true, … }` or `{ ok: false, error }`; Tether checks
 * each event against contract.mjs first and answers a refusal instead — invalid payload, or over
 * the rate limit — without running the handler):
 *   "join"    { nick, room }      ack → { nick, room, history }
 *   "leave"                       ack → {}
 *   "message" { id, text }        ack → { id, ts }
 *   "image"   { id, data: bytes } ack → { id, ts }
 *   "typing"  boolean
 * Server → client:
 *   "rooms" [{ name, count }], "message" ChatMessage,
 *   "presence_state" / "presence_diff": the room's presence, sent by Tether (key: lowercased
 *   nickname, meta: { nick }),
 *   "typing" { nick, typing }, "notice" { text, ts },
 *   "joined" / "join_error": the outcome of re-joining from the handshake's `auth` on reconnect.
 * Server → other servers (clustered only):
 *   "chat:history" (room, message, clientId): a message posted on that node, for the history.
 */
import { chatContract, chatLimits } from "./contract.mjs";
import { ChatHistory } from "./history.mjs";
import {
  createRateLimiter,
  DEFAULT_ROOMS,
  isObject,
  LIMITS,
  parseId,
  parseNick,
  parseRelayedMessage,
  parseRoom,
} from "./limits.mjs";
import { presenceKey, RoomPresence } from "./presence.mjs";

/**
 * @typedef {InstanceType<typeof import("./io.mjs").Server>} IoServer
 * @typedef {{ state: "lobby" } | { state: "in-room", nick: string, room: string }} Session
 * @typedef {(reply: Record<string, unknown>) => void} Ack
 * @typedef {import("./history.mjs").ChatMessage} ChatMessage
 * @typedef {{ ok: false, error: string }} Failure
 */

/**
 * Wires the chat onto `io`.
 * @param {IoServer} io
 * @param {{ onError?: (err: unknown) => void, clustered?: boolean }} [options] `clustered`: other
 *   nodes share `io`'s adapter, so history is relayed to them.
 * @returns {{ close(): void }} stops pending announcements (call before `io.close()`)
 */
export function attachChat(io, options = {}) {
  const onError = options.onError ?? (() => {});
  const clustered = options.clustered === true;
  const history = new ChatHistory();
  const presence = new RoomPresence(io, { onError });
  // Payloads are checked and normalised by the contract before any handler below sees them.
  io.contract(chatContract).limit(chatLimits);

  /** Per-room chain on this node, so a nickname check and the join it allows are atomic here. */
  const roomChains = new Map();
  /**
   * @template T
   * @param {string} room
   * @param {() => Promise<T>} task
   * @returns {Promise<T>}
   */
  const inRoomOrder = (room, task) => {
    const run = (roomChains.get(room) ?? Promise.resolve()).then(task);
    const tail = run.then(
      () => {},
      () => {},
    );
    roomChains.set(room, tail);
    tail.then(() => roomChains.get(room) === tail && roomChains.delete(room));
    return run;
  };

  if (clustered) {
    io.on("chat:history", (/** @type {unknown[]} */ ...args) => {
      const relayed = parseRelayedMessage(args);
      if (relayed.ok)
        history.record(relayed.value.room, relayed.value.message, relayed.value.clientId);
    });
  }

  io.on("connection", (socket) => {
    const auth = isObject(socket.handshake.auth) ? socket.handshake.auth : {};
    const id = parseId(auth.clientId);
    const clientId = id.ok ? id.value : `anon-${socket.id}`;
    const allowTyping = createRateLimiter(40);
    /** @type {Session} */
    let session = { state: "lobby" };
    /** Also publishes the session in `socket.data`, where every node's fetchSockets() reads it. @param {Session} next */
    const transition = (next) => {
      session = next;
      socket.data = next.state === "in-room" ? { nick: next.nick, clientId, room: next.room } : {};
    };

    // Handlers of one connection run one at a time, in arrival order, even when they wait on
    // other nodes: a message queued while offline is handled after the re-join from `auth`.
    let queue = Promise.resolve();
    /** @param {() => Promise<void> | void} task */
    const enqueue = (task) => {
      queue = queue.then(task).catch(onError);
    };

    /**
     * Registers a handler that receives the first argument and the ack (if any), and never
     * lets a thrown error escape into the server.
     * @param {string} event
     * @param {(payload: unknown, reply: Ack) => Promise<void> | void} handler
     */
    const on = (event, handler) => {
      socket.on(event, (...args) => {
        const last = args.at(-1);
        const ack = typeof last === "function" ? args.pop() : undefined;
        /** @type {Ack} */
        const reply = (value) => ack?.(value);
        enqueue(async () => {
          try {
            await handler(args[0], reply);
          } catch (err) {
            onError(err);
            reply({ ok: false, error: "The server could not handle that." });
          }
        });
      });
    };

    /**
     * @param {string} nick
     * @param {string} room
     * @param {boolean} quiet re-joining after a reconnect: no "joined" notice
     */
    const enter = async (nick, room, quiet) => {
      const previous = session;
      const sameSpot = previous.state === "in-room" && previous.room === room;
      /** @type {Failure | { ok: true, replaced: string[] }} */
      const joined = await inRoomOrder(room, async () => {
        const present = (await presence.inRoom(room)).filter((m) => m.id !== socket.id);
        const key = nick.toLowerCase();
        const sameNick = present.filter((m) => m.nick.toLowerCase() === key);
        // The same tab reconnecting before its old connection timed out replaces it.
        if (sameNick.some((m) => m.clientId !== clientId)) {
          return { ok: false, error: `“${nick}” is already taken in #${room}.` };
        }
        if (present.length === 0 && !DEFAULT_ROOMS.includes(room)) {
          const open = (await presence.rooms()).filter((r) => r.count > 0 && r.name !== room);
          if (open.length >= LIMITS.maxRooms) {
            return { ok: false, error: "Too many rooms are open; join an existing one." };
          }
        }
        // Joins the room too; the page gets the room's presence_state before this join's ack.
        try {
          await socket.track(room, presenceKey(nick), { nick });
        } catch (err) {
          if (!sameSpot) await socket.leave(room);
          const full = isObject(err) && err.code === "PRESENCE_ERR_LIMIT";
          if (!full) throw err;
          return { ok: false, error: `#${room} is full.` };
        }
        transition({ state: "in-room", nick, room });
        return { ok: true, replaced: sameNick.map((m) => m.id) };
      });
      if (!joined.ok) return joined;
      for (const stale of joined.replaced) io.in(stale).disconnectSockets(true);
      if (previous.state === "in-room" && !sameSpot) await leftRoom(previous);
      if (!quiet && !sameSpot && joined.replaced.length === 0) {
        socket.to(room).emit("notice", { text: `${nick} joined`, ts: Date.now() });
      }
      return { ok: /** @type {const} */ (true), nick, room, history: history.history(room) };
    };

    /**
     * Tells `room` that `nick` left, unless a newer connection of the same tab holds the nick.
     * @param {{ nick: string, room: string }} where
     */
    const leftRoom = async ({ nick, room }) => {
      // Leaving the room untracks the socket there.
      await socket.leave(room);
      const key = nick.toLowerCase();
      const stillThere = (await presence.inRoom(room)).some((m) => m.nick.toLowerCase() === key);
      if (!stillThere) {
        io.to(room).emit("typing", { nick, typing: false });
        io.to(room).emit("notice", { text: `${nick} left`, ts: Date.now() });
      }
    };

    const leaveRoom = async () => {
      if (session.state !== "in-room") return;
      const { nick, room } = session;
      transition({ state: "lobby" });
      await leftRoom({ nick, room });
    };

    /**
     * Checks, de-duplicates, records and forwards a message from this session.
     * @template {{ id: string }} T
     * @param {T} value checked by the contract
     * @param {Ack} reply
     * @param {(value: T, from: string, ts: number) => ChatMessage} build
     */
    const post = (value, reply, build) => {
      if (session.state !== "in-room") return reply({ ok: false, error: "Join a room first." });
      const { room, nick } = session;
      const ts = Date.now();
      // A retry of a message whose ack was lost: confirm it again, forward it once only.
      if (history.hasMessage(room, clientId, value.id)) {
        return reply({ ok: true, id: value.id, ts, duplicate: true });
      }
      const message = build(value, nick, ts);
      history.record(room, message, clientId);
      if (clustered) io.serverSideEmit("chat:history", room, message, clientId);
      socket.to(room).emit("message", message);
      reply({ ok: true, id: message.id, ts });
    };

    enqueue(async () => {
      socket.emit("rooms", await presence.rooms());
    });
    // Reconnect: the client's auth carries where it was, so it is back in its room before any
    // message it buffered while offline is handled.
    if (auth.nick !== undefined || auth.room !== undefined) {
      enqueue(async () => {
        const nick = parseNick(auth.nick);
        const room = parseRoom(auth.room);
        const result = !nick.ok
          ? nick
          : !room.ok
            ? room
            : await enter(nick.value, room.value, true);
        socket.emit(result.ok ? "joined" : "join_error", result);
      });
    }

    on("join", async (payload, reply) => {
      const { nick, room } = /** @type {{ nick: string, room: string }} */ (payload);
      reply(await enter(nick, room, false));
    });

    on("leave", async (_payload, reply) => {
      await leaveRoom();
      reply({ ok: true });
    });

    on("message", (payload, reply) =>
      post(
        /** @type {{ id: string, text: string }} */ (payload),
        reply,
        ({ id, text }, from, ts) => {
          return { kind: "text", id, from, text, ts };
        },
      ),
    );

    on("image", (payload, reply) =>
      post(
        /** @type {{ id: string, mime: string, data: Buffer }} */ (payload),
        reply,
        ({ id, mime, data }, from, ts) => {
          return { kind: "image", id, from, mime, data, ts };
        },
      ),
    );

    on("typing", (payload) => {
      if (session.state !== "in-room" || typeof payload !== "boolean" || !allowTyping()) return;
      socket.to(session.room).emit("typing", { nick: session.nick, typing: payload });
    });

    socket.on("disconnect", () => enqueue(leaveRoom));
  });

  return { close: () => presence.close() };
}
