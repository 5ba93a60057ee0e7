/**
 * Browser-safe base64 with strict validation (Node's Buffer silently skips bad characters,
 * which would turn a corrupted payload into wrong data instead of an error). One decoder for
 * server and client: decode first, then check the byte count against what the text's length
 * promises — Buffer (Node) skips stray characters and stops at a misplaced `=`, `atob` (browsers)
 * drops whitespace, so either yields fewer bytes than promised; `atob` throws on anything else.
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

/** Bytes from `atob` (browsers; Node has it too); undefined when `atob` refuses the text. */
function fromAtob(s: string): Uint8Array | undefined {
  try {
    // Every character of `atob`'s result is one byte (below 256).
    return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

const decodeNative = NodeBuffer ? (s: string) => NodeBuffer.from(s, "base64") : fromAtob;

/**
 * Decodes base64 (padding optional); undefined for malformed input, with the verdicts of
 * {@link isBase64}. Decodes with Buffer on Node (every binary polling record of the server goes
 * through it), `atob` elsewhere; tests pass `decode` to run the browser path on Node.
 */
export function decodeBase64(
  s: string,
  decode: (s: string) => Uint8Array | undefined = decodeNative,
): Uint8Array | undefined {
  const pad = s.endsWith("==") ? 2 : +s.endsWith("=");
  const n = s.length - pad;
  // Padding must complete a quantum of 4; one character past a quantum holds no whole byte.
  // Buffer also takes the URL-safe alphabet, refused here.
  if ((pad && s.length % 4) || n % 4 === 1 || s.includes("-") || s.includes("_")) return undefined;
  const bytes = decode(s);
  return bytes?.length === (n * 3) >> 2 ? bytes : undefined;
}

/** {@link decodeBase64} through `atob`, as in browsers: lets Node tests cover that path. */
export function decodeBase64Portable(s: string): Uint8Array | undefined {
  return decodeBase64(s, fromAtob);
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
