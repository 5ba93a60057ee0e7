/**
 * Binary attachments of the default parser: each binary value travels as
 * `{"_placeholder":true,"num":N}` (numbered depth-first, in JSON order) plus one binary message.
 * Replacement on the way out, reconstruction from the received chunks on the way in.
 * Browser-safe.
 */

import { toRawData } from "../engine/index.js";

const hasBlob = typeof Blob === "function";

/** True for a value the encoder sends as a binary attachment. */
export function isBinary(value: unknown): value is ArrayBuffer | ArrayBufferView | Blob {
  if (value === null || typeof value !== "object") return false;
  return (
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value) ||
    // A File is a Blob.
    (hasBlob && value instanceof Blob)
  );
}

/** Binary chunk as sent to the engine: a byte view (Blobs are left to the transport). */
export type Attachment = Uint8Array | Blob;

/**
 * `data` with every binary value replaced by a placeholder, the binaries appended to
 * `attachments` in placeholder order; `data` itself (same reference) when it holds none. The
 * input is never mutated: only the objects on the path to a binary are copied. Follows what
 * `JSON.stringify` will write: an object's `toJSON()` result (once), arrays, own enumerable keys.
 * One walk serves both questions "is there binary?" and "what goes on the wire?": for data
 * without binary it allocates nothing.
 */
export function replaceBinary(
  data: unknown,
  attachments: Attachment[],
  followToJSON = true,
  depth = 0,
): unknown {
  // Cycles or absurd nesting cannot be JSON-encoded anyway (JSON.stringify reports them).
  if (data === null || typeof data !== "object" || depth > 1000) return data;
  // A child held binary when `attachments` grew (comparing values would fail on NaN).
  if (Array.isArray(data)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < data.length; i++) {
      const n = attachments.length;
      const out = replaceBinary(data[i], attachments, true, depth + 1);
      if (attachments.length === n) continue;
      copy ??= data.slice();
      copy[i] = out;
    }
    return copy ?? data;
  }
  if (isBinary(data)) {
    const bytes = hasBlob && data instanceof Blob ? data : toRawData(data as ArrayBufferView);
    return { _placeholder: true, num: attachments.push(bytes as Attachment) - 1 };
  }
  const found = attachments.length;
  const toJSON = (data as { toJSON?: unknown }).toJSON;
  if (followToJSON && typeof toJSON === "function") {
    const out = replaceBinary(toJSON.call(data), attachments, false, depth + 1);
    // Without binary, leave the call to JSON.stringify (a Date stays a Date).
    return attachments.length > found ? out : data;
  }
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(data)) {
    const n = attachments.length;
    const out = replaceBinary((data as Record<string, unknown>)[key], attachments, true, depth + 1);
    if (attachments.length === n) continue;
    // The spread copies `__proto__` as an own property, so assigning it stays own.
    copy ??= { ...data } as Record<string, unknown>;
    copy[key] = out;
  }
  return copy ?? data;
}

/**
 * True when `data` contains binary anywhere (arrays and own enumerable properties, deep;
 * an object's `toJSON()` result is inspected, as upstream does).
 */
export function hasBinary(data: unknown): boolean {
  const found: Attachment[] = [];
  replaceBinary(data, found);
  return found.length > 0;
}

/** Thrown by {@link reconstruct}; the decoder turns it into `SIO_ERR_INVALID_PLACEHOLDER`. */
export const BAD_PLACEHOLDER: unique symbol = Symbol();

/**
 * Replaces the placeholders in JSON-decoded `data` (in place) with `buffers[num]`. Throws
 * {@link BAD_PLACEHOLDER} for a placeholder whose `num` is not an integer in range, or when some
 * buffer is never referenced; callers turn that into a decode failure.
 */
export function reconstruct(data: unknown, buffers: readonly unknown[]): unknown {
  const used = new Set<number>();
  const out = substitute(data, buffers, used);
  if (used.size !== buffers.length) throw BAD_PLACEHOLDER;
  return out;
}

function substitute(data: unknown, buffers: readonly unknown[], used: Set<number>): unknown {
  if (data === null || typeof data !== "object") return data;
  const obj = data as Record<string, unknown>;
  if (obj._placeholder === true && Object.hasOwn(obj, "_placeholder")) {
    const num = obj.num as number;
    if (!Object.hasOwn(obj, "num") || !Number.isInteger(num) || num < 0 || num >= buffers.length)
      throw BAD_PLACEHOLDER;
    used.add(num);
    return buffers[num];
  }
  if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) data[i] = substitute(data[i], buffers, used);
    return data;
  }
  for (const key of Object.keys(obj)) {
    const before = obj[key];
    const after = substitute(before, buffers, used);
    // `key` is an own data property (JSON.parse makes `__proto__` one too), so assigning it
    // never reaches the prototype setter.
    if (after !== before) obj[key] = after;
  }
  return data;
}
