/** notepack.io (the official Redis adapters' and emitters' msgpack encoder) ships no types. */
declare module "notepack.io" {
  export function encode(value: unknown): Buffer;
  export function decode(bytes: Uint8Array): unknown;
}
