/** Payload validation shared by the parsers: what each packet type may carry, and the limits. */
import {
  DEFAULT_MAX_ATTACHMENTS,
  PacketType,
  type PacketTypeValue,
  RESERVED_EVENTS,
  type SocketErrorCode,
  SocketErrorCodes,
} from "../../protocol/socket.js";
import { TetherError } from "../../shared/errors.js";
import type { DecodeChecks } from "./default.js";
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
  // Numbers rather than PacketType.*: this runs in the browser bundle, where a property read
  // per case costs bytes.
  switch (type) {
    case 0: // CONNECT
      return data === undefined || isPlainObject(data);
    case 1: // DISCONNECT
      return data === undefined;
    case 4: // CONNECT_ERROR
      return typeof data === "string" || isPlainObject(data);
    case 2: // EVENT
    case 5: {
      // BINARY_EVENT
      if (!Array.isArray(data) || data.length === 0) return false;
      const name: unknown = data[0];
      return typeof name === "number" || (typeof name === "string" && !RESERVED_EVENTS.has(name));
    }
    case 3: // ACK
    case 6: // BINARY_ACK
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

/**
 * Applies the defaults of {@link DecoderOptions}: a decoder created without options bounds only
 * the attachments.
 */
export function resolveLimits(opts: DecoderOptions | undefined): DecodeLimits {
  return {
    maxAttachments: opts?.maxAttachments ?? DEFAULT_MAX_ATTACHMENTS,
    maxEventNameLength: opts?.maxEventNameLength ?? Number.POSITIVE_INFINITY,
    maxDepth: opts?.maxDepth ?? Number.POSITIVE_INFINITY,
  };
}

/** The server's message for each failure of the default parser (a limit's names the limit). */
const MESSAGES: { readonly [C in SocketErrorCode]?: string } = {
  SIO_ERR_UNKNOWN_PACKET_TYPE: "unknown packet type",
  // socket.io-parser's message: applications and socket.io's tests match on it.
  SIO_ERR_INVALID_ATTACHMENTS: "Illegal attachments",
  SIO_ERR_INVALID_ACK_ID: "invalid ack id",
  SIO_ERR_INVALID_JSON: "invalid payload JSON",
  SIO_ERR_INVALID_PAYLOAD: "invalid payload",
  SIO_ERR_INVALID_PLACEHOLDER: "invalid binary placeholder, or an attachment not referenced",
  SIO_ERR_UNEXPECTED_TEXT: "got plaintext data when reconstructing a packet",
  SIO_ERR_UNEXPECTED_BINARY: "got binary data when not reconstructing a packet",
  SIO_ERR_DECODER_DESTROYED: "decoder destroyed",
};

/**
 * The default parser's checks for the given limits, as the server creates its decoders: event
 * name length and nesting depth on top of the attachment count, and a message for every failure.
 */
export function limitChecks(opts: DecoderOptions | undefined): DecodeChecks {
  const { maxAttachments, maxEventNameLength, maxDepth } = resolveLimits(opts);
  return {
    maxAttachments,
    inspect: (type, data, text, from) => {
      if (isEventNameTooLong(type, data, maxEventNameLength)) {
        return new TetherError(
          SocketErrorCodes.EVENT_NAME_TOO_LONG,
          `event name longer than ${maxEventNameLength} characters`,
        );
      }
      const depth = maxDepth + envelopeDepth(type);
      if (depth !== Number.POSITIVE_INFINITY && isTextPayloadTooDeep(text, from, data, depth)) {
        return new TetherError(
          SocketErrorCodes.PAYLOAD_TOO_DEEP,
          `arguments nested deeper than ${maxDepth} levels`,
        );
      }
      return undefined;
    },
    describe: (code) =>
      code === SocketErrorCodes.TOO_MANY_ATTACHMENTS
        ? `more than ${maxAttachments} binary attachments`
        : (MESSAGES[code] ?? "invalid packet"),
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

/**
 * True when `value`, parsed from the JSON text `json` (from index `from`), nests more than
 * `limit` levels deep. Cheapest checks first, so that nearly every message stops early: a text
 * shorter than `2 × (limit + 1)` characters; an array of scalars only (an event whose arguments
 * are strings or numbers, however long); at most `limit` opening brackets in the text. Only
 * bracket-rich payloads get the walk of {@link isValueTooDeep}.
 */
export function isTextPayloadTooDeep(
  json: string,
  from: number,
  value: unknown,
  limit: number,
): boolean {
  if (json.length - from < 2 * (limit + 1)) return false;
  if (limit >= 1 && Array.isArray(value) && !hasObjectElement(value)) return false;
  return mayBeTooDeep(json, from, limit) && isValueTooDeep(value, limit);
}

function hasObjectElement(list: readonly unknown[]): boolean {
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (v !== null && typeof v === "object") return true;
  }
  return false;
}

/**
 * Cheap pre-check for the default parser: false when the JSON text `json` from index `from`
 * cannot nest more than `limit` levels, because it is shorter than `2 × (limit + 1)` characters
 * or holds at most `limit` opening brackets (counted with `indexOf`, stopping at `limit + 1`).
 * Most messages are decided here; for the rest, {@link isValueTooDeep} checks the parsed value.
 */
export function mayBeTooDeep(json: string, from: number, limit: number): boolean {
  // Nesting deeper than `limit` needs `limit + 1` opening and as many closing brackets.
  if (json.length - from < 2 * (limit + 1)) return false;
  let brackets = 0;
  for (let i = json.indexOf("[", from); i !== -1; i = json.indexOf("[", i + 1)) {
    if (++brackets > limit) return true;
  }
  for (let i = json.indexOf("{", from); i !== -1; i = json.indexOf("{", i + 1)) {
    if (++brackets > limit) return true;
  }
  return false;
}

/**
 * True when a decoded `value` (JSON, or msgpack with its binary and date values) nests arrays
 * and objects more than `limit` levels deep; a scalar is 0, and binary values and dates are
 * leaves. Iterative, so any depth is safe to inspect; one step per array element and object
 * property (`for…in`: decoded objects have no enumerable inherited keys).
 */
export function isValueTooDeep(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== "object") return false;
  const nodes: object[] = [value];
  const depths: number[] = [1];
  for (let node = nodes.pop(); node !== undefined; node = nodes.pop()) {
    const depth = depths.pop() as number;
    if (Array.isArray(node)) {
      if (depth > limit) return true;
      for (let i = 0; i < node.length; i++) {
        const child: unknown = node[i];
        if (child !== null && typeof child === "object") {
          nodes.push(child);
          depths.push(depth + 1);
        }
      }
      continue;
    }
    if (ArrayBuffer.isView(node) || node instanceof ArrayBuffer || node instanceof Date) continue;
    if (depth > limit) return true;
    const obj = node as Record<string, unknown>;
    for (const key in obj) {
      const child = obj[key];
      if (child !== null && typeof child === "object") {
        nodes.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}
