/**
 * Byte-level helpers shared by the codecs of socket.io's Redis protocols: msgpack that reads what
 * `notepack.io` (the official adapters' and emitter's encoder) writes, the JSON-or-msgpack
 * framing of their requests and responses, and binary detection.
 */
import { ClusterErrorCodes } from "../../adapter/cluster-message.js";
import { pack, unpackValue } from "../../adapter/msgpack.js";
import { fail, ok, type Result, TetherError } from "../../shared/errors.js";

/** Encodes `value` to msgpack (binary as `bin`), as notepack.io does; a Buffer of its own. */
export function packBuffer(value: unknown): Buffer {
  return pack(value);
}

/** Decodes msgpack bytes written by notepack.io or @msgpack/msgpack. Never throws. */
export function unpack(bytes: Uint8Array): Result<unknown> {
  const result = unpackValue(bytes);
  return result.ok ? result : fail(invalid(`not msgpack: ${result.error.message}`));
}

/**
 * Decodes a request or response of socket.io's Redis adapters: JSON when the first byte is `{`
 * (what they send when there is no binary), msgpack otherwise. Never throws.
 */
export function decodeJsonOrMsgpack(bytes: Uint8Array): Result<unknown> {
  if (bytes[0] !== 0x7b) return unpack(bytes);
  try {
    return ok(JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString()));
  } catch (err) {
    return fail(invalid(`not JSON: ${err instanceof Error ? err.message : String(err)}`));
  }
}

/** Whether `value` holds binary anywhere (so JSON would not carry it). */
export function hasBinary(value: unknown, depth = 0): boolean {
  if (typeof value !== "object" || value === null || depth > 64) return false;
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return true;
  if (Array.isArray(value)) return value.some((v) => hasBinary(v, depth + 1));
  for (const v of Object.values(value)) if (hasBinary(v, depth + 1)) return true;
  return false;
}

/** The error reported for bytes that are not a message of the protocol. */
export function invalid(why: string): TetherError {
  return new TetherError(ClusterErrorCodes.INVALID_MESSAGE, `invalid cluster message: ${why}`);
}

/** A plain object (not an array, not binary). */
export type Obj = { readonly [key: string]: unknown };

/** Whether `v` is a plain object. */
export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}
