/**
 * Byte-level helpers shared by the codecs of socket.io's Redis protocols: msgpack that reads what
 * `notepack.io` (the official adapters' and emitter's encoder) writes, the JSON-or-msgpack
 * framing of their requests and responses, and binary detection.
 */
import { decode, ExtensionCodec, encode } from "@msgpack/msgpack";
import { ClusterErrorCodes } from "../../adapter/cluster-message.js";
import { fail, ok, type Result, TetherError } from "../../shared/errors.js";

/**
 * notepack.io writes `undefined` as fixext 1 of type 0 and a `Date` as fixext 8 of type 0; read
 * them back as such instead of as opaque extension objects.
 */
const notepack = new ExtensionCodec();
notepack.register({
  type: 0,
  encode: () => null,
  decode: (data) => {
    if (data.byteLength !== 8) return undefined;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    return new Date(view.getInt32(0) * 2 ** 32 + view.getUint32(4));
  },
});

/** Encodes `value` to msgpack (binary as `bin`), as a Buffer view without copying. */
export function packBuffer(value: unknown): Buffer {
  const bytes = encode(value, { ignoreUndefined: true });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes msgpack bytes written by notepack.io or @msgpack/msgpack. Never throws. */
export function unpack(bytes: Uint8Array): Result<unknown> {
  try {
    return ok(decode(bytes, { extensionCodec: notepack }));
  } catch (err) {
    return fail(invalid(`not msgpack: ${err instanceof Error ? err.message : String(err)}`));
  }
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
