/**
 * Socket.IO packet codecs. `defaultParser` speaks the protocol 5 text format with binary
 * placeholders; `msgpackParser` (in ./msgpack.js) is wire-compatible with
 * `socket.io-msgpack-parser`. Browser-safe.
 */
export { hasBinary, isBinary, reconstruct } from "./binary.js";
export {
  clientParser,
  type DecodeChecks,
  DefaultDecoder,
  DefaultEncoder,
  defaultParser,
} from "./default.js";
export type {
  DecodeResult,
  Decoder,
  DecoderOptions,
  EncodedChunk,
  Encoder,
  Parser,
} from "./types.js";
export { isAckId, isNamespace, isPayloadValid, isPlainObject, limitChecks } from "./validate.js";
