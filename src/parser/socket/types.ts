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

/** Options of a decoder. */
export interface DecoderOptions {
  /** Maximum binary attachments per packet. @default 10 */
  maxAttachments?: number;
}

/** A Socket.IO packet codec. Client and server must use the same one. */
export interface Parser {
  createEncoder(): Encoder;
  createDecoder(opts?: DecoderOptions): Decoder;
}
