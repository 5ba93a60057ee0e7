/**
 * Limits and validators for everything a chat client sends. Every payload arrives as untrusted
 * `unknown`; each `parse*` function returns `{ ok: true, value }` or `{ ok: false, error }`
 * where `error` is a sentence to show to the sender.
 */

/** Size and rate limits of the chat. */
export const LIMITS = Object.freeze({
  nickMin: 2,
  nickMax: 24,
  roomMax: 32,
  textMax: 2000,
  imageMaxBytes: 1024 * 1024,
  historySize: 50,
  /** Bytes of image data a room's history may hold; older entries are dropped beyond it. */
  historyImageBytes: 8 * 1024 * 1024,
  maxRooms: 100,
  rateWindowMs: 10_000,
  rateMaxEvents: 30,
  /** Engine-level packet cap: above the image limit so oversize images get a clear error. */
  maxHttpBufferSize: 2 * 1024 * 1024,
});

/** Rooms everyone sees in the room list even when they are empty. */
export const DEFAULT_ROOMS = Object.freeze(["general", "random"]);

const NICK_CHARS = /^[\p{L}\p{N}](?:[\p{L}\p{N} _.-]*[\p{L}\p{N}_.])?$/u;
const ROOM_CHARS = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const ID_CHARS = /^[A-Za-z0-9_-]{1,64}$/;
// C0/C1 control characters other than tab and newline, and bidi overrides that reorder text.
const UNWANTED_CHARS = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu;
/** @param {string} c */
const dropUnwanted = (c) => (c === "\n" || c === "\t" ? c : "");

/**
 * @template T
 * @typedef {{ ok: true, value: T } | { ok: false, error: string }} Parsed
 */

/**
 * @template T
 * @param {T} value
 * @returns {Parsed<T>}
 */
const ok = (value) => ({ ok: true, value });
/** @param {string} error @returns {{ ok: false, error: string }} */
const fail = (error) => ({ ok: false, error });

/** @param {unknown} v @returns {v is Record<string, unknown>} */
export function isObject(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Nickname: 2–24 letters/digits, inner spaces, `.`, `_`, `-`. @param {unknown} v @returns {Parsed<string>} */
export function parseNick(v) {
  if (typeof v !== "string") return fail("Pick a nickname.");
  const nick = v.trim().replace(/\s+/g, " ");
  const length = [...nick].length;
  if (length < LIMITS.nickMin || length > LIMITS.nickMax) {
    return fail(`Nicknames are ${LIMITS.nickMin}–${LIMITS.nickMax} characters long.`);
  }
  if (!NICK_CHARS.test(nick)) {
    return fail("Nicknames may use letters, digits, spaces, '.', '_' and '-'.");
  }
  return ok(nick);
}

/** Room name: lower-case letters, digits and inner dashes, at most 32. @param {unknown} v @returns {Parsed<string>} */
export function parseRoom(v) {
  if (typeof v !== "string") return fail("Pick a room.");
  const room = v.trim().toLowerCase().replace(/^#/, "");
  if (room.length === 0 || room.length > LIMITS.roomMax) {
    return fail(`Room names are 1–${LIMITS.roomMax} characters long.`);
  }
  if (!ROOM_CHARS.test(room)) return fail("Room names may use a–z, 0–9 and '-'.");
  return ok(room);
}

/** A client-chosen message id (used for delivery ticks and de-duplication). @param {unknown} v @returns {Parsed<string>} */
export function parseId(v) {
  return typeof v === "string" && ID_CHARS.test(v) ? ok(v) : fail("Malformed message id.");
}

/** `{ id, text }` of a text message. @param {unknown} v @returns {Parsed<{ id: string, text: string }>} */
export function parseTextMessage(v) {
  if (!isObject(v)) return fail("Malformed message.");
  const id = parseId(v.id);
  if (!id.ok) return id;
  if (typeof v.text !== "string") return fail("Malformed message.");
  const text = v.text.replace(/\r\n?/g, "\n").replace(UNWANTED_CHARS, dropUnwanted).trim();
  if (text.length === 0) return fail("Empty messages are not sent.");
  if (text.length > LIMITS.textMax) {
    return fail(`Message is too long (${text.length} characters, limit ${LIMITS.textMax}).`);
  }
  return ok({ id: id.value, text });
}

/**
 * Image type from its first bytes (the claimed mime type is never trusted).
 * @param {Uint8Array} b
 * @returns {"image/png" | "image/jpeg" | "image/gif" | "image/webp" | undefined}
 */
export function sniffImage(b) {
  const at = (/** @type {number} */ i, /** @type {number[]} */ sig) =>
    sig.every((byte, k) => b[i + k] === byte);
  if (at(0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (at(0, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (at(0, [0x47, 0x49, 0x46, 0x38])) return "image/gif";
  if (at(0, [0x52, 0x49, 0x46, 0x46]) && at(8, [0x57, 0x45, 0x42, 0x50])) return "image/webp";
  return undefined;
}

/** @param {number} n */
function megabytes(n) {
  return `${(n / (1024 * 1024)).toFixed(1).replace(/\.0$/, "")} MB`;
}

/**
 * `{ id, data }` of an image; `data` must be binary (a Buffer / typed array), never text.
 * @param {unknown} v
 * @returns {Parsed<{ id: string, mime: string, data: Buffer }>}
 */
export function parseImageMessage(v) {
  if (!isObject(v)) return fail("Malformed image.");
  const id = parseId(v.id);
  if (!id.ok) return id;
  const raw = v.data;
  let data;
  if (Buffer.isBuffer(raw)) data = raw;
  else if (raw instanceof ArrayBuffer) data = Buffer.from(raw);
  else if (ArrayBuffer.isView(raw)) data = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  else return fail("Images must be sent as binary data.");
  if (data.byteLength > LIMITS.imageMaxBytes) {
    return fail(
      `Image is too large (${megabytes(data.byteLength)}, limit ${megabytes(LIMITS.imageMaxBytes)}).`,
    );
  }
  const mime = sniffImage(data);
  if (!mime) return fail("Only PNG, JPEG, GIF and WebP images can be shared.");
  return ok({ id: id.value, mime, data });
}

/**
 * The arguments of a `chat:history` server-side event from another node: `(room, message,
 * clientId)`, where `message` was built by that node's `post`. Checked like any other input.
 * @param {unknown[]} args
 * @returns {Parsed<{ room: string, message: import("./history.mjs").ChatMessage, clientId: string }>}
 */
export function parseRelayedMessage(args) {
  const [rawRoom, m, clientId] = args;
  const room = parseRoom(rawRoom);
  if (!room.ok || !isObject(m) || typeof clientId !== "string") return fail("Malformed relay.");
  const id = parseId(m.id);
  const from = parseNick(m.from);
  if (!id.ok || !from.ok || typeof m.ts !== "number") return fail("Malformed relay.");
  const base = { id: id.value, from: from.value, ts: m.ts };
  if (m.kind === "text") {
    const text = parseTextMessage({ id: m.id, text: m.text });
    if (!text.ok) return text;
    return ok({
      room: room.value,
      clientId,
      message: { kind: "text", ...base, text: text.value.text },
    });
  }
  if (m.kind === "image") {
    const image = parseImageMessage({ id: m.id, data: m.data });
    if (!image.ok) return image;
    const { mime, data } = image.value;
    return ok({ room: room.value, clientId, message: { kind: "image", ...base, mime, data } });
  }
  return fail("Malformed relay.");
}

/**
 * Fixed-window rate limiter for one connection.
 * @param {number} [max]
 * @param {number} [windowMs]
 * @returns {() => boolean} call once per event; false when over the limit
 */
export function createRateLimiter(max = LIMITS.rateMaxEvents, windowMs = LIMITS.rateWindowMs) {
  let windowStart = 0;
  let count = 0;
  return () => {
    const now = Date.now();
    if (now - windowStart >= windowMs) {
      windowStart = now;
      count = 0;
    }
    count += 1;
    return count <= max;
  };
}
