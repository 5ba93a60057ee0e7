/**
 * The typed parser interface: an encoder and a decoder factory. The default (text + binary
 * placeholders) and msgpack parsers implement it; a custom parser plugs in the same way.
 */
import type { Packet } from "../../protocol/socket.js";
import type { TetherError } from "../../shared/errors.js";

/** One encoded chunk: each travels as one Engine.IO message. */
export type EncodedChunk = string | Uint8Array;

/** Turns a packet into Engine.IO messages (text first for the default parser, then binaries). */
export interface Encoder {
  encode(packet: Packet): EncodedChunk[];
}

/**
 * Result of feeding one Engine.IO message to a decoder: a complete packet, `undefined` while
 * binary attachments are still expected, or an error (the connection must then be closed).
 */
export type DecodeResult =
  | { readonly ok: true; readonly packet: Packet | undefined }
  | { readonly ok: false; readonly error: TetherError };

/** Stateful decoder, one per connection. Never throws on untrusted input. */
export interface Decoder {
  add(chunk: string | Uint8Array): DecodeResult;
  /** Drops any partially received packet; later `add` calls fail. */
  destroy(): void;
}

/**
 * Options of a decoder: limits on untrusted input. A packet over a limit is a decode failure
 * whose error code names the limit. The server passes its resolved limits; a decoder created
 * without them (as the client's) checks only `maxAttachments`.
 */
export interface DecoderOptions {
  /** Maximum binary attachments per packet. @default 10 */
  maxAttachments?: number;
  /**
   * Longest event name (UTF-16 code units) of an EVENT / BINARY_EVENT; numeric names pass.
   * @default Infinity (unchecked)
   */
  maxEventNameLength?: number;
  /**
   * Deepest nesting of one EVENT / ACK argument, or of a CONNECT auth object: a scalar is 0,
   * `{}` and `[]` are 1, `{"a":[1]}` is 2. The array holding an EVENT's name and arguments
   * does not count.
   * @default Infinity (unchecked)
   */
  maxDepth?: number;
}

/** A Socket.IO packet codec. Client and server must use the same one. */
export interface Parser {
  createEncoder(): Encoder;
  createDecoder(opts?: DecoderOptions): Decoder;
}
