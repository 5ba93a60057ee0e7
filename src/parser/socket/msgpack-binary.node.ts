/**
 * Binary values decoded by the msgpack parser, as the receiving side gets them. Node keeps the
 * `Uint8Array`s; browser bundles swap this file for `msgpack-binary.ts`, which gives
 * `ArrayBuffer`s as `socket.io-msgpack-parser` does in a page.
 */
export function receivedBinary(data: unknown): unknown {
  return data;
}
