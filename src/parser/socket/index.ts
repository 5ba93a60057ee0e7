/**
 * Socket.IO packet codecs. `defaultParser` speaks the protocol 5 text format with binary
 * placeholders; `msgpackParser` (in ./msgpack.js) is wire-compatible with
 * `socket.io-msgpack-parser`. Browser-safe.
 */
export { deconstruct, hasBinary, isBinary, reconstruct } from "./binary.js";
export { DefaultDecoder, DefaultEncoder, decodeText, defaultParser } from "./default.js";
export type {
  DecodeResult,
  Decoder,
  DecoderOptions,
  EncodedChunk,
  Encoder,
  Parser,
} from "./types.js";
export { isAckId, isNamespace, isPayloadValid, isPlainObject } from "./validate.js";
