/** Payload validation shared by the parsers: what each packet type may carry, and the limits. */
import {
  DEFAULT_MAX_ATTACHMENTS,
  PacketType,
  type PacketTypeValue,
  RESERVED_EVENTS,
} from "../../protocol/socket.js";
import type { DecoderOptions } from "./types.js";

/** True for a plain object (`{...}`), not an array, null or class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** True when `id` may be an acknowledgement id. */
export function isAckId(id: unknown): id is number {
  return typeof id === "number" && Number.isSafeInteger(id) && id >= 0;
}

/** True when `name` is a valid namespace name. */
export function isNamespace(name: unknown): name is string {
  return typeof name === "string" && name.startsWith("/");
}

/**
 * Checks `data` against its packet type (PROTOCOL.md §3.2): CONNECT → object or absent,
 * DISCONNECT → absent, CONNECT_ERROR → string or object, EVENT → non-empty array starting with
 * a non-reserved string or a number, ACK → array.
 */
export function isPayloadValid(type: PacketTypeValue, data: unknown): boolean {
  switch (type) {
    case PacketType.CONNECT:
      return data === undefined || isPlainObject(data);
    case PacketType.DISCONNECT:
      return data === undefined;
    case PacketType.CONNECT_ERROR:
      return typeof data === "string" || isPlainObject(data);
    case PacketType.EVENT:
    case PacketType.BINARY_EVENT: {
      if (!Array.isArray(data) || data.length === 0) return false;
      const name: unknown = data[0];
      return typeof name === "number" || (typeof name === "string" && !RESERVED_EVENTS.has(name));
    }
    case PacketType.ACK:
    case PacketType.BINARY_ACK:
      return Array.isArray(data);
  }
}

// ── limits ───────────────────────────────────────────────────────────────────────────────────

/** Decoder limits after defaults (see DecoderOptions); `Infinity` turns a check off. */
export interface DecodeLimits {
  readonly maxAttachments: number;
  readonly maxEventNameLength: number;
  readonly maxDepth: number;
}

/** Limits of a decoder created without options: only attachments are bounded. */
const DEFAULT_LIMITS: DecodeLimits = {
  maxAttachments: DEFAULT_MAX_ATTACHMENTS,
  maxEventNameLength: Number.POSITIVE_INFINITY,
  maxDepth: Number.POSITIVE_INFINITY,
};

/** Applies the defaults of {@link DecoderOptions}. */
export function resolveLimits(opts: DecoderOptions | undefined): DecodeLimits {
  if (opts === undefined) return DEFAULT_LIMITS;
  return {
    maxAttachments: opts.maxAttachments ?? DEFAULT_MAX_ATTACHMENTS,
    maxEventNameLength: opts.maxEventNameLength ?? Number.POSITIVE_INFINITY,
    maxDepth: opts.maxDepth ?? Number.POSITIVE_INFINITY,
  };
}

/**
 * Levels of the payload that are not an argument: the array around an EVENT's name and
 * arguments, or around an ACK's arguments. `maxDepth` counts from inside it.
 */
export function envelopeDepth(type: PacketTypeValue): number {
  return type === PacketType.EVENT ||
    type === PacketType.BINARY_EVENT ||
    type === PacketType.ACK ||
    type === PacketType.BINARY_ACK
    ? 1
    : 0;
}

/** True when a valid EVENT payload's name is a string longer than `max`. */
export function isEventNameTooLong(type: PacketTypeValue, data: unknown, max: number): boolean {
  if (type !== PacketType.EVENT && type !== PacketType.BINARY_EVENT) return false;
  const name: unknown = (data as unknown[])[0];
  return typeof name === "string" && name.length > max;
}

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;

/**
 * True when the JSON text `json` from index `from` nests arrays/objects more than `limit`
 * levels deep. Meant to run before `JSON.parse`: most messages are decided by two cheap
 * pre-checks (a text shorter than `2 × (limit + 1)` characters, or fewer than `limit + 1`
 * opening brackets, found with `indexOf`), so only bracket-heavy payloads pay for the exact
 * scan, which skips string contents. Invalid JSON may give either answer; `JSON.parse`
 * refuses it afterwards.
 */
export function isJsonTooDeep(json: string, from: number, limit: number): boolean {
  // Nesting deeper than `limit` needs `limit + 1` opening and as many closing brackets.
  if (json.length - from < 2 * (limit + 1)) return false;
  let brackets = 0;
  for (let i = json.indexOf("[", from); i !== -1 && brackets <= limit; i = json.indexOf("[", i + 1))
    brackets++;
  for (let i = json.indexOf("{", from); i !== -1 && brackets <= limit; i = json.indexOf("{", i + 1))
    brackets++;
  if (brackets <= limit) return false;
  let depth = 0;
  for (let i = from; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === QUOTE) {
      i = endOfString(json, i);
      if (i === -1) return false;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
}

/** Index of the quote closing the JSON string opened at `open`, or -1 if there is none. */
function endOfString(json: string, open: number): number {
  let q = json.indexOf('"', open + 1);
  while (q !== -1) {
    let backslashes = 0;
    for (let j = q - 1; json.charCodeAt(j) === BACKSLASH; j--) backslashes++;
    // An even run of backslashes escapes itself, not the quote.
    if (backslashes % 2 === 0) return q;
    q = json.indexOf('"', q + 1);
  }
  return -1;
}

/**
 * True when `value` nests arrays/plain objects more than `limit` levels deep (a scalar is 0).
 * Iterative, so any depth is safe to inspect; stops at the first level over the limit.
 */
export function isValueTooDeep(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== "object") return false;
  const nodes: object[] = [value];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop() as object;
    const depth = depths.pop() as number;
    if (depth > limit) return true;
    const children: unknown[] | undefined = Array.isArray(node)
      ? node
      : isPlainObject(node)
        ? Object.values(node)
        : undefined;
    if (children === undefined) continue;
    for (const child of children) {
      if (child !== null && typeof child === "object") {
        nodes.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}
