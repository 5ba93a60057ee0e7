/**
 * Browser-safe base64 with strict validation (Node's Buffer silently skips bad characters,
 * which would turn a corrupted payload into wrong data instead of an error).
 */

interface BufferLike {
  from(data: string, encoding: "base64"): Uint8Array;
  from(
    data: ArrayBufferLike,
    offset?: number,
    length?: number,
  ): Uint8Array & {
    toString(encoding: "base64"): string;
  };
}

const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/** True when `s` is well-formed base64 (padding optional, no stray characters). */
export function isBase64(s: string): boolean {
  if (!BASE64_RE.test(s)) return false;
  const unpadded = s.replace(/=+$/, "");
  if (unpadded.length % 4 === 1) return false;
  // Padding, when present, must complete a quantum of 4.
  return s.length === unpadded.length || s.length % 4 === 0;
}

/** Decodes base64; returns undefined for malformed input. */
export function decodeBase64(s: string): Uint8Array | undefined {
  if (!isBase64(s)) return undefined;
  if (NodeBuffer) return NodeBuffer.from(s, "base64");
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Encodes bytes as padded base64. */
export function encodeBase64(bytes: Uint8Array): string {
  if (NodeBuffer)
    return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  let bin = "";
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    bin += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(bin);
}
