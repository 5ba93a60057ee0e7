// DOM rendering for the chat page. User data only ever reaches the page through textContent,
// attribute values and blob: URLs — never through innerHTML.

const MAX_RENDERED = 300;
const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

export const el = {
  layout: $("layout"),
  banner: $("banner"),
  bannerText: $("banner-text"),
  bannerRetry: /** @type {HTMLButtonElement} */ ($("banner-retry")),
  rooms: $("rooms"),
  newRoom: /** @type {HTMLFormElement} */ ($("new-room")),
  newRoomName: /** @type {HTMLInputElement} */ ($("new-room-name")),
  people: $("people"),
  peopleCount: $("people-count"),
  login: /** @type {HTMLFormElement} */ ($("login")),
  nick: /** @type {HTMLInputElement} */ ($("nick")),
  room: /** @type {HTMLInputElement} */ ($("room")),
  loginError: $("login-error"),
  roomTitle: $("room-title"),
  me: $("me"),
  leave: $("leave"),
  messages: $("messages"),
  typing: $("typing"),
  composer: /** @type {HTMLFormElement} */ ($("composer")),
  composerError: $("composer-error"),
  imageInput: /** @type {HTMLInputElement} */ ($("image-input")),
  text: /** @type {HTMLTextAreaElement} */ ($("text")),
};

/**
 * @param {string} tag
 * @param {string} [className]
 * @param {string} [text]
 */
function make(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** @param {number} ts */
function clock(ts) {
  return new Date(ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** @param {"lobby" | "room"} view */
export function showView(view) {
  el.layout.dataset.view = view;
}

/**
 * @param {"connecting" | "connected" | "reconnecting" | "offline"} state
 * @param {string} text
 * @param {boolean} canRetry
 */
export function setBanner(state, text, canRetry) {
  el.banner.dataset.state = state;
  el.bannerText.textContent = text;
  el.bannerRetry.hidden = !canRetry;
}

/**
 * @param {{ name: string, count: number }[]} rooms
 * @param {string} current
 * @param {(room: string) => void} onPick
 */
export function renderRooms(rooms, current, onPick) {
  el.rooms.replaceChildren(
    ...rooms.map(({ name, count }) => {
      const button = make("button", "room-button");
      button.type = "button";
      button.append(make("span", "room-name", `#${name}`), make("span", "count", String(count)));
      if (name === current) button.setAttribute("aria-current", "true");
      button.addEventListener("click", () => onPick(name));
      const li = make("li");
      li.append(button);
      return li;
    }),
  );
}

/** @param {string[]} members @param {string} me */
export function renderPeople(members, me) {
  el.peopleCount.textContent = String(members.length);
  el.people.replaceChildren(
    ...members.map((nick) => make("li", nick === me ? "person me" : "person", nick)),
  );
}

/** @param {string[]} nicks */
export function renderTyping(nicks) {
  const [a, b] = nicks;
  el.typing.textContent =
    nicks.length === 0
      ? ""
      : nicks.length === 1
        ? `${a} is typing…`
        : nicks.length === 2
          ? `${a} and ${b} are typing…`
          : `${nicks.length} people are typing…`;
}

/** @param {string} room @param {string} nick */
export function renderRoomHeader(room, nick) {
  el.roomTitle.textContent = `#${room}`;
  el.me.textContent = `as ${nick}`;
  el.text.placeholder = `Message #${room}`;
  document.title = `#${room} · Tether chat`;
}

/** Empties the message list, releasing image object URLs. */
export function clearMessages() {
  for (const img of el.messages.querySelectorAll("img")) URL.revokeObjectURL(img.src);
  el.messages.replaceChildren();
}

/**
 * @typedef {{ kind: "text", id: string, from: string, text: string, ts: number }
 *   | { kind: "image", id: string, from: string, mime: string, data: ArrayBuffer | Blob, ts: number }} ChatMessage
 */

/** @param {string} from @param {string} id */
export const messageKey = (from, id) => `${from}\n${id}`;

/** Whether a message is already on screen (a re-sent message is shown once). @param {string} key */
export function hasMessage(key) {
  for (const li of el.messages.children) {
    if (li instanceof HTMLElement && li.dataset.key === key) return true;
  }
  return false;
}

/**
 * Renders a message in timestamp order and scrolls to it when the list was at the bottom.
 * @param {ChatMessage} m
 * @param {{ mine: boolean, status: "pending" | "delivered" | "received" }} how
 * @returns {HTMLLIElement}
 */
export function addMessage(m, how) {
  const li = /** @type {HTMLLIElement} */ (make("li", `msg ${how.mine ? "mine" : "theirs"}`));
  li.dataset.key = messageKey(m.from, m.id);
  li.dataset.ts = String(m.ts);
  const meta = make("div", "msg-meta");
  const time = make("time", "msg-time", clock(m.ts));
  time.setAttribute("datetime", new Date(m.ts).toISOString());
  meta.append(make("span", "msg-from", m.from), time, make("span", "tick"));
  li.append(meta);
  if (m.kind === "text") {
    li.append(make("p", "msg-text", m.text));
  } else {
    const img = /** @type {HTMLImageElement} */ (make("img", "msg-image"));
    img.alt = `Image from ${m.from}`;
    if (IMAGE_TYPES.has(m.mime)) {
      const blob = m.data instanceof Blob ? m.data : new Blob([m.data], { type: m.mime });
      img.src = URL.createObjectURL(blob);
    }
    li.append(img);
  }
  setStatus(li, how.status);
  insertByTime(li, m.ts);
  return li;
}

/** @param {string} text @param {number} ts */
export function addNotice(text, ts) {
  const li = make("li", "notice", text);
  li.dataset.ts = String(ts);
  insertByTime(/** @type {HTMLLIElement} */ (li), ts);
}

/**
 * @param {HTMLLIElement} li
 * @param {"pending" | "delivered" | "received" | "failed"} status
 * @param {string} [error]
 */
export function setStatus(li, status, error) {
  li.dataset.status = status;
  const tick = li.querySelector(".tick");
  if (tick) {
    tick.textContent =
      status === "pending" ? "○" : status === "delivered" ? "✓" : status === "failed" ? "!" : "";
    tick.setAttribute(
      "title",
      status === "pending"
        ? "Waiting to be sent"
        : status === "delivered"
          ? "Delivered"
          : (error ?? ""),
    );
  }
  if (error) li.append(make("p", "msg-error", error));
}

/** @param {HTMLLIElement} li @param {number} ts */
function insertByTime(li, ts) {
  const list = el.messages;
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  let before = null;
  for (let node = list.lastElementChild; node; node = node.previousElementSibling) {
    if (Number(/** @type {HTMLElement} */ (node).dataset.ts) <= ts) break;
    before = node;
  }
  list.insertBefore(li, before);
  while (list.children.length > MAX_RENDERED) {
    const first = /** @type {HTMLElement} */ (list.firstElementChild);
    const img = first.querySelector("img");
    if (img) URL.revokeObjectURL(img.src);
    first.remove();
  }
  // Follow the conversation unless the reader scrolled up to read older messages.
  if (atBottom || li.classList.contains("mine")) list.scrollTop = list.scrollHeight;
}

/** @param {HTMLElement} where @param {string} text */
export function showError(where, text) {
  where.textContent = text;
}
