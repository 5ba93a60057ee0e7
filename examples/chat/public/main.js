// The chat page: one Socket.IO connection (`io()` from /socket.io/socket.io.js, standard
// socket.io-client API), rooms, who is online (the client `Presence`, served by the Tether server
// at /socket.io/presence.esm.min.js), typing, delivery ticks, images as binary, and a connection
// banner driven by the Manager's reconnection events.
import { Presence } from "/socket.io/presence.esm.min.js";
import * as view from "./view.js";

const { el } = view;
const NICK = /^[\p{L}\p{N}](?:[\p{L}\p{N} _.-]*[\p{L}\p{N}_.])?$/u;
const TEXT_MAX = 2000;
const IMAGE_MAX_BYTES = 1024 * 1024;
const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

// `?reconnectionDelay=100` makes reconnection snappier (the restart test uses it).
const delay = Number(new URLSearchParams(location.search).get("reconnectionDelay"));
const reconnectOptions =
  delay >= 50 && delay <= 10_000
    ? { reconnectionDelay: delay, reconnectionDelayMax: delay * 4 }
    : {};

/** Identifies this tab across reconnects, so a reconnect replaces its own stale session. */
const clientId = crypto.randomUUID();

/**
 * @typedef {{ event: "message" | "image", payload: object, li: HTMLLIElement, sentWhileConnected: boolean }} Pending
 * @typedef {{ code: string, message: string, event: string, issues: { path: (string | number)[], message: string }[], retryAfterMs?: number }} Refusal
 * @typedef {{ ok: boolean, error?: string } | Refusal | undefined} Reply
 */

/**
 * The sentence to show for a failed reply: the chat's own `{ ok: false, error }`, or a refusal
 * from the server's contract (the first issue's message) or rate limit (docs/contracts.md).
 * @param {Reply} res
 * @returns {string | undefined}
 */
function errorOf(res) {
  if (!res) return undefined;
  if ("code" in res) {
    if (res.code === "RATE_ERR_LIMITED") {
      const s = Math.max(1, Math.ceil((res.retryAfterMs ?? 1000) / 1000));
      return `You are sending too fast; try again in ${s} s.`;
    }
    if (res.code === "RATE_ERR_TOO_MANY_REFUSALS")
      return "Too many refused messages; disconnected.";
    return res.issues[0]?.message ?? res.message;
  }
  return res.error;
}
const state = {
  /** Changed only by enterRoom() and exitRoom(). @type {"lobby" | "in-room"} */
  phase: "lobby",
  nick: "",
  room: "",
  /** @type {{ name: string, count: number }[]} */
  rooms: [],
  /** Who is online in `room` (set with it by enterRoom, cleared by exitRoom). @type {Presence | undefined} */
  presence: undefined,
  /** Messages waiting for their ack, by id. @type {Map<string, Pending>} */
  pending: new Map(),
  /** Who is typing in the room, with the timer that forgets them. @type {Map<string, number>} */
  typing: new Map(),
  /** @type {"connecting" | "connected" | "reconnecting" | "offline"} */
  connection: "connecting",
  attempt: 0,
};

/* global io */
const socket = io({
  // Re-read on every (re)connection: the server puts us back in our room before handling
  // anything we queued while offline.
  auth: (cb) =>
    cb(state.phase === "in-room" ? { clientId, nick: state.nick, room: state.room } : { clientId }),
  ...reconnectOptions,
});

// ---- connection banner -------------------------------------------------------------------

/**
 * @param {typeof state.connection} connection
 * @param {number} [attempt]
 */
function setConnection(connection, attempt = 0) {
  state.connection = connection;
  state.attempt = attempt;
  renderBanner();
}

function renderBanner() {
  const queued = state.pending.size;
  const queue = queued > 0 ? ` · ${queued} message${queued === 1 ? "" : "s"} queued` : "";
  const transport = socket.io.engine?.transport?.name;
  const text = {
    connecting: "Connecting…",
    connected: `Connected${transport ? ` · ${transport}` : ""}`,
    reconnecting:
      state.attempt > 0
        ? `Reconnecting… attempt ${state.attempt}`
        : "Connection lost, reconnecting…",
    offline: "Offline",
  }[state.connection];
  view.setBanner(
    state.connection,
    state.connection === "connected" ? text : text + queue,
    state.connection === "offline",
  );
}

socket.on("connect", () => {
  setConnection("connected");
  socket.io.engine.once("upgrade", renderBanner);
  resendInFlight();
});
socket.on("disconnect", () => setConnection(socket.active ? "reconnecting" : "offline"));
// The server measures this tab's round trip (its metrics): answer at once.
socket.on("latency", (/** @type {() => void} */ ack) => ack());
socket.io.on("reconnect_attempt", (attempt) => setConnection("reconnecting", attempt));
socket.io.on("reconnect_failed", () => setConnection("offline"));
window.addEventListener("offline", () => socket.connected || setConnection("offline"));
el.bannerRetry.addEventListener("click", () => socket.connect());

// ---- rooms and presence ------------------------------------------------------------------

function renderRooms() {
  view.renderRooms(state.rooms, state.phase === "in-room" ? state.room : "", pickRoom);
}

/** @param {string} room */
function pickRoom(room) {
  if (state.phase === "in-room") join(state.nick, room);
  else {
    el.room.value = room;
    el.nick.focus();
  }
}

/**
 * @param {string} nick
 * @param {string} room
 */
function join(nick, room) {
  const errorAt = state.phase === "in-room" ? el.composerError : el.loginError;
  if (!NICK.test(nick) || [...nick].length < 2 || [...nick].length > 24) {
    return view.showError(
      errorAt,
      "Nicknames are 2–24 letters or digits (also spaces, '.', '_', '-').",
    );
  }
  // Listening before the join: the server sends the room's presence_state before the ack.
  const online = state.presence?.room === room ? state.presence : follow(room);
  socket.emit("join", { nick, room }, (/** @type {(Joined & { ok: true }) | Reply} */ res) => {
    if (res && "ok" in res && res.ok)
      enterRoom(/** @type {Joined} */ (/** @type {unknown} */ (res)), online);
    else {
      if (online !== state.presence) online.dispose();
      view.showError(errorAt, errorOf(res) ?? "Could not join.");
    }
  });
}

/** @typedef {{ nick: string, room: string, history: view.ChatMessage[] }} Joined */

/**
 * The online list of `room`: one key per nickname, its meta `{ nick }`.
 * @param {string} room
 */
function follow(room) {
  const online = new Presence(socket, room);
  online.onSync(() => {
    if (online === state.presence) renderPeople();
  });
  online.onLeave((_key, current, left) => {
    // Gone from the room (no tab left): no longer typing either.
    if (current || online !== state.presence) return;
    for (const meta of left.metas) if (typeof meta.nick === "string") stopShowingTyping(meta.nick);
  });
  return online;
}

function renderPeople() {
  const nicks = (state.presence?.list((_key, { metas }) => metas[0]?.nick) ?? [])
    .filter((nick) => typeof nick === "string")
    .sort((a, b) => a.localeCompare(b));
  view.renderPeople(nicks, state.nick);
}

/**
 * Shows `joined.room` (after a join, a room switch, or a re-join on reconnect).
 * @param {Joined} joined
 * @param {Presence} [online] the room's list, when the join made one
 */
function enterRoom(joined, online) {
  const switched = joined.room !== state.room || state.phase !== "in-room";
  const next =
    online ?? (state.presence?.room === joined.room ? state.presence : follow(joined.room));
  if (state.presence !== next) state.presence?.dispose();
  state.presence = next;
  state.phase = "in-room";
  state.nick = joined.nick;
  state.room = joined.room;
  if (switched) {
    view.clearMessages();
    clearTyping();
  }
  for (const m of joined.history) showMessage(m);
  view.renderRoomHeader(joined.room, joined.nick);
  renderPeople();
  view.showError(el.loginError, "");
  view.showError(el.composerError, "");
  view.showView("room");
  renderRooms();
  el.text.focus();
}

/** Back to the lobby (after Leave, or when a reconnect could not re-join). */
function exitRoom() {
  state.presence?.dispose();
  state.presence = undefined;
  renderPeople();
  state.phase = "lobby";
  state.room = "";
  view.clearMessages();
  clearTyping();
  view.showView("lobby");
  renderRooms();
  el.nick.value = state.nick;
}

socket.on("rooms", (rooms) => {
  state.rooms = Array.isArray(rooms) ? rooms : [];
  renderRooms();
});
socket.on("joined", enterRoom);
// A refused event that had no ack (e.g. typing), or the reason for a disconnect.
socket.on("tether:error", (/** @type {Refusal} */ refusal) => {
  view.showError(
    state.phase === "in-room" ? el.composerError : el.loginError,
    errorOf(refusal) ?? "",
  );
});

socket.on("join_error", (res) => {
  exitRoom();
  view.showError(el.loginError, res?.error ?? "Could not re-join the room.");
});
socket.on("notice", ({ text, ts }) => view.addNotice(text, ts));

// ---- messages ----------------------------------------------------------------------------

/** @param {view.ChatMessage} m */
function showMessage(m) {
  if (view.hasMessage(view.messageKey(m.from, m.id))) return;
  const mine = m.from === state.nick;
  view.addMessage(m, { mine, status: mine ? "delivered" : "received" });
}

socket.on("message", (m) => {
  stopShowingTyping(m.from);
  showMessage(m);
});

/**
 * Shows a message as pending and emits it. While offline the client's send buffer keeps it
 * until the connection is back.
 * @param {"message" | "image"} event
 * @param {view.ChatMessage} message
 * @param {object} payload
 */
function send(event, message, payload) {
  const li = view.addMessage(message, { mine: true, status: "pending" });
  const entry = { event, payload, li, sentWhileConnected: false };
  state.pending.set(message.id, entry);
  emitPending(message.id, entry);
  renderBanner();
}

/** @param {string} id @param {Pending} entry */
function emitPending(id, entry) {
  entry.sentWhileConnected = socket.connected;
  socket.emit(entry.event, entry.payload, (/** @type {Reply} */ res) => {
    if (state.pending.get(id) !== entry) return;
    state.pending.delete(id);
    if (res && "ok" in res && res.ok) view.setStatus(entry.li, "delivered");
    else view.setStatus(entry.li, "failed", errorOf(res) ?? "Not delivered.");
    renderBanner();
  });
}

// A message written to a connection that then died may never have arrived, and its ack is
// lost. Send it again: the server acknowledges a repeated id without forwarding it twice.
function resendInFlight() {
  for (const [id, entry] of state.pending) if (entry.sentWhileConnected) emitPending(id, entry);
}

el.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = el.text.value.trim();
  if (!text || state.phase !== "in-room") return;
  if (text.length > TEXT_MAX) {
    return view.showError(
      el.composerError,
      `Message is too long (${text.length} characters, limit ${TEXT_MAX}).`,
    );
  }
  view.showError(el.composerError, "");
  const id = crypto.randomUUID();
  send("message", { kind: "text", id, from: state.nick, text, ts: Date.now() }, { id, text });
  el.text.value = "";
  stopTyping();
});

el.text.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    el.composer.requestSubmit();
  }
});

el.imageInput.addEventListener("change", async () => {
  const file = el.imageInput.files?.[0];
  el.imageInput.value = "";
  if (!file || state.phase !== "in-room") return;
  if (!IMAGE_TYPES.has(file.type)) {
    return view.showError(el.composerError, "Only PNG, JPEG, GIF and WebP images can be shared.");
  }
  if (file.size > IMAGE_MAX_BYTES) {
    const mb = (file.size / (1024 * 1024)).toFixed(1);
    return view.showError(el.composerError, `Image is too large (${mb} MB, limit 1 MB).`);
  }
  view.showError(el.composerError, "");
  // The raw bytes go out as a binary attachment, not as base64 text.
  const data = await file.arrayBuffer();
  const id = crypto.randomUUID();
  send(
    "image",
    { kind: "image", id, from: state.nick, mime: file.type, data: file, ts: Date.now() },
    { id, data },
  );
});

// ---- typing ------------------------------------------------------------------------------

let typingSent = false;
/** @type {number | undefined} */
let typingIdle;

function stopTyping() {
  clearTimeout(typingIdle);
  if (typingSent && socket.connected) socket.emit("typing", false);
  typingSent = false;
}

el.text.addEventListener("input", () => {
  if (state.phase !== "in-room") return;
  if (!el.text.value.trim()) return stopTyping();
  // Typing hints are not worth queueing while offline.
  if (!typingSent && socket.connected) {
    socket.emit("typing", true);
    typingSent = true;
  }
  clearTimeout(typingIdle);
  typingIdle = setTimeout(stopTyping, 3000);
});
el.text.addEventListener("blur", stopTyping);

/** @param {string} nick */
function stopShowingTyping(nick) {
  clearTimeout(state.typing.get(nick));
  if (state.typing.delete(nick)) view.renderTyping([...state.typing.keys()]);
}

function clearTyping() {
  for (const nick of [...state.typing.keys()]) stopShowingTyping(nick);
}

socket.on("typing", ({ nick, typing }) => {
  stopShowingTyping(nick);
  if (!typing) return;
  state.typing.set(
    nick,
    setTimeout(() => stopShowingTyping(nick), 6000),
  );
  view.renderTyping([...state.typing.keys()]);
});

// ---- forms -------------------------------------------------------------------------------

el.login.addEventListener("submit", (event) => {
  event.preventDefault();
  join(el.nick.value.trim(), el.room.value.trim());
});
el.newRoom.addEventListener("submit", (event) => {
  event.preventDefault();
  const room = el.newRoomName.value.trim();
  if (!room) return;
  el.newRoomName.value = "";
  pickRoom(room);
});
el.leave.addEventListener("click", () => {
  socket.emit("leave");
  exitRoom();
});
renderRooms();
