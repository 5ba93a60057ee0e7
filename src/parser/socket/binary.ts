/**
 * Binary attachments of the default parser: detection, replacement by
 * `{"_placeholder":true,"num":N}` (depth-first order) and reconstruction from received chunks.
 * Browser-safe.
 */
import type { SocketErrorCode } from "../../protocol/socket.js";
import { TetherError } from "../../shared/errors.js";

/**
 * The one code this module raises, as a literal: importing the `SocketErrorCodes` catalog would put
 * the whole object into the browser bundle, which only needs this entry.
 */
const INVALID_PLACEHOLDER: SocketErrorCode = "SIO_ERR_INVALID_PLACEHOLDER";

const hasBlob = typeof Blob === "function";
const hasFile = typeof File === "function";

/** True for a value the encoder sends as a binary attachment. */
export function isBinary(value: unknown): value is ArrayBuffer | ArrayBufferView | Blob {
  if (value === null || typeof value !== "object") return false;
  return (
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value) ||
    (hasBlob && value instanceof Blob) ||
    (hasFile && value instanceof File)
  );
}

/**
 * True when `data` contains binary anywhere (arrays and own enumerable properties, deep;
 * an object's `toJSON()` result is inspected, as upstream does).
 */
export function hasBinary(data: unknown): boolean {
  return hasBinaryAt(data, true, 0);
}

function hasBinaryAt(data: unknown, followToJSON: boolean, depth: number): boolean {
  if (data === null || typeof data !== "object") return false;
  // Cycles or absurd nesting cannot be JSON-encoded anyway; stop instead of overflowing.
  if (depth > 1000) return false;
  if (Array.isArray(data)) {
    for (const item of data) if (hasBinaryAt(item, true, depth + 1)) return true;
    return false;
  }
  if (isBinary(data)) return true;
  const toJSON = (data as { toJSON?: unknown }).toJSON;
  if (followToJSON && typeof toJSON === "function") {
    return hasBinaryAt(toJSON.call(data), false, depth + 1);
  }
  for (const key of Object.keys(data)) {
    if (hasBinaryAt((data as Record<string, unknown>)[key], true, depth + 1)) return true;
  }
  return false;
}

/** Binary chunk as sent to the engine: a byte view (Blobs are left to the transport). */
export type Attachment = Uint8Array | Blob;

function toAttachment(value: ArrayBuffer | ArrayBufferView | Blob): Attachment {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value))
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return value;
}

/**
 * Returns a copy of `data` with every binary value replaced by a placeholder, and the binaries
 * in placeholder order. The input is not mutated.
 */
export function deconstruct(data: unknown): { data: unknown; attachments: Attachment[] } {
  const attachments: Attachment[] = [];
  const out = replaceBinary(data, attachments);
  return { data: out, attachments };
}

function replaceBinary(data: unknown, attachments: Attachment[]): unknown {
  if (data === null || typeof data !== "object") return data;
  if (isBinary(data)) {
    const placeholder = { _placeholder: true, num: attachments.length };
    attachments.push(toAttachment(data));
    return placeholder;
  }
  if (Array.isArray(data)) return data.map((item) => replaceBinary(item, attachments));
  if (data instanceof Date) return data;
  const toJSON = (data as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return replaceBinary(toJSON.call(data), attachments);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(data)) {
    setOwn(out, key, replaceBinary((data as Record<string, unknown>)[key], attachments));
  }
  return out;
}

/** Assigns an own data property; `__proto__` must never reach the prototype setter. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else target[key] = value;
}

function placeholderNum(value: object): unknown {
  if (!Object.hasOwn(value, "_placeholder")) return undefined;
  const v = value as { _placeholder?: unknown; num?: unknown };
  if (v._placeholder !== true) return undefined;
  return Object.hasOwn(value, "num") ? v.num : Number.NaN;
}

/**
 * Replaces the placeholders in JSON-decoded `data` (in place) with `buffers[num]`. Throws a
 * TetherError for a placeholder whose `num` is not an integer in range, or when some buffer is
 * never referenced; callers turn that into a decode failure.
 */
export function reconstruct(data: unknown, buffers: readonly unknown[]): unknown {
  const used = new Set<number>();
  const out = substitute(data, buffers, used);
  if (used.size !== buffers.length) {
    throw new TetherError(
      INVALID_PLACEHOLDER,
      `${buffers.length - used.size} attachment(s) not referenced by any placeholder`,
    );
  }
  return out;
}

function substitute(data: unknown, buffers: readonly unknown[], used: Set<number>): unknown {
  if (data === null || typeof data !== "object") return data;
  const num = placeholderNum(data);
  if (num !== undefined) {
    if (typeof num !== "number" || !Number.isInteger(num) || num < 0 || num >= buffers.length) {
      throw new TetherError(INVALID_PLACEHOLDER, "illegal attachment index");
    }
    used.add(num);
    return buffers[num];
  }
  if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) data[i] = substitute(data[i], buffers, used);
    return data;
  }
  const obj = data as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    const before = obj[key];
    const after = substitute(before, buffers, used);
    if (after !== before) setOwn(obj, key, after);
  }
  return data;
}
