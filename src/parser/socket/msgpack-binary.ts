/**
 * Browser sibling of `msgpack-binary.node.ts`: binary values decoded by the msgpack parser become
 * `ArrayBuffer`s, as `socket.io-msgpack-parser` gives them in a page (the default parser's
 * attachments already arrive as `ArrayBuffer`s from the engine). Converts freshly decoded data
 * in place; only changed entries are redefined (a `__proto__` own key must not reach the
 * prototype setter).
 */
export function receivedBinary(v: unknown): unknown {
  if (v instanceof Uint8Array) return v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength);
  if (v !== null && typeof v === "object") {
    for (const k of Object.keys(v)) {
      const before = (v as Record<string, unknown>)[k];
      const after = receivedBinary(before);
      if (after !== before) Object.defineProperty(v, k, { value: after });
    }
  }
  return v;
}
