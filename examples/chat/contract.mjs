/**
 * The chat's event contract and rate limits (docs/contracts.md). Tether validates every event
 * against these zod schemas before any handler runs, and hands handlers the schemas' output
 * (trimmed nicknames, lower-cased rooms, images as a Buffer with their sniffed type). An invalid
 * event is answered with a refusal whose first issue message is the sentence the page shows; an
 * event over a rate limit with a refusal carrying `retryAfterMs`.
 */
import { defineContract } from "tether-io";
import { z } from "zod";
import { LIMITS, sniffImage } from "./limits.mjs";

const NICK_CHARS = /^[\p{L}\p{N}](?:[\p{L}\p{N} _.-]*[\p{L}\p{N}_.])?$/u;
const ROOM_CHARS = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const ID_CHARS = /^[A-Za-z0-9_-]{1,64}$/;
// C0/C1 control characters other than tab and newline, and bidi overrides that reorder text.
const UNWANTED_CHARS = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu;
/** @param {string} c */
const dropUnwanted = (c) => (c === "\n" || c === "\t" ? c : "");

/** @param {number} n */
const megabytes = (n) => `${(n / (1024 * 1024)).toFixed(1).replace(/\.0$/, "")} MB`;

/** Nickname: 2–24 letters/digits, inner spaces, `.`, `_`, `-` (whitespace collapsed). */
export const nick = z
  .string({ error: "Pick a nickname." })
  .transform((v) => v.trim().replace(/\s+/g, " "))
  .check((ctx) => {
    const length = [...ctx.value].length;
    if (length < LIMITS.nickMin || length > LIMITS.nickMax) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message: `Nicknames are ${LIMITS.nickMin}–${LIMITS.nickMax} characters long.`,
      });
    } else if (!NICK_CHARS.test(ctx.value)) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message: "Nicknames may use letters, digits, spaces, '.', '_' and '-'.",
      });
    }
  });

/** Room name: lower-case letters, digits and inner dashes, at most 32 (a leading `#` is dropped). */
export const room = z
  .string({ error: "Pick a room." })
  .transform((v) => v.trim().toLowerCase().replace(/^#/, ""))
  .check((ctx) => {
    if (ctx.value.length === 0 || ctx.value.length > LIMITS.roomMax) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message: `Room names are 1–${LIMITS.roomMax} characters long.`,
      });
    } else if (!ROOM_CHARS.test(ctx.value)) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message: "Room names may use a–z, 0–9 and '-'.",
      });
    }
  });

/** A client-chosen message id (delivery ticks and de-duplication). */
const id = z.string({ error: "Malformed message id." }).regex(ID_CHARS, "Malformed message id.");

/** Text: control characters dropped, trimmed, 1–2000 characters. */
const text = z
  .string({ error: "Malformed message." })
  .transform((v) => v.replace(/\r\n?/g, "\n").replace(UNWANTED_CHARS, dropUnwanted).trim())
  .check((ctx) => {
    const n = ctx.value.length;
    if (n === 0) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message: "Empty messages are not sent.",
      });
    } else if (n > LIMITS.textMax) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message: `Message is too long (${n} characters, limit ${LIMITS.textMax}).`,
      });
    }
  });

/** Image bytes: binary only (never base64 text), at most 1 MB, PNG/JPEG/GIF/WebP by content. */
const imageData = z
  .custom(
    (v) => Buffer.isBuffer(v) || v instanceof ArrayBuffer || ArrayBuffer.isView(v),
    "Images must be sent as binary data.",
  )
  .transform((raw) =>
    Buffer.isBuffer(raw)
      ? raw
      : raw instanceof ArrayBuffer
        ? Buffer.from(raw)
        : Buffer.from(
            /** @type {ArrayBufferView} */ (raw).buffer,
            /** @type {ArrayBufferView} */ (raw).byteOffset,
            /** @type {ArrayBufferView} */ (raw).byteLength,
          ),
  )
  .check((ctx) => {
    const size = ctx.value.byteLength;
    if (size > LIMITS.imageMaxBytes) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message: `Image is too large (${megabytes(size)}, limit ${megabytes(LIMITS.imageMaxBytes)}).`,
      });
    } else if (!sniffImage(ctx.value)) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message: "Only PNG, JPEG, GIF and WebP images can be shared.",
      });
    }
  });

/** Every ack of the chat: `{ ok: true, … }` or `{ ok: false, error }`. */
const reply = z.looseObject({ ok: z.boolean(), error: z.string().optional() });

export const chatContract = defineContract({
  clientToServer: {
    join: {
      args: z.tuple([z.object({ nick, room }, { error: "Malformed join request." })]),
      ack: reply,
    },
    leave: { args: z.tuple([]).rest(z.unknown()), ack: reply },
    message: {
      args: z.tuple([z.object({ id, text }, { error: "Malformed message." })]),
      ack: reply,
    },
    image: {
      args: z.tuple([
        z
          .object({ id, data: imageData }, { error: "Malformed image." })
          .transform((m) => ({ ...m, mime: sniffImage(m.data) ?? "image/png" })),
      ]),
      ack: reply,
    },
    typing: { args: z.tuple([z.boolean()]) },
  },
});

/**
 * Rate limits: 5 messages a second with bursts of 10 (images: 1 a second, bursts of 3); a tab
 * refused 50 times within 10 seconds (a script, not a person) is disconnected.
 */
export const chatLimits = {
  events: {
    message: { perSecond: 5, burst: 10 },
    image: { perSecond: 1, burst: 3 },
    join: { perSecond: 2, burst: 5 },
  },
  disconnectAfter: { refusals: 50, perMs: 10_000 },
};
