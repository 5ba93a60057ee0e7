/**
 * The msgpack parser: each packet is one msgpack map `{type, data, nsp, id?}` sent as a single
 * binary message (PROTOCOL.md §3.7). Wire-compatible with `socket.io-msgpack-parser`, whose
 * `notepack.io` codec uses extension type 0 for three things, told apart by the header:
 * fixext 1 → `undefined`, fixext 8 → `Date`, ext 8/16/32 → an `ArrayBuffer`. Browser-safe.
 */
import {
  ExtData,
  type ExtensionCodecType,
  Decoder as MsgpackDecoder,
  Encoder as MsgpackEncoder,
} from "@msgpack/msgpack";
import {
  type Packet,
  PacketType,
  type PacketTypeValue,
  SocketErrorCodes,
} from "../../protocol/socket.js";
import { TetherError } from "../../shared/errors.js";
import { receivedBinary } from "./msgpack-binary.node.js";
import type {
  DecodeResult,
  Decoder,
  DecoderOptions,
  EncodedChunk,
  Encoder,
  Parser,
} from "./types.js";
import {
  type DecodeLimits,
  envelopeDepth,
  isAckId,
  isEventNameTooLong,
  isNamespace,
  isPayloadValid,
  isPlainObject,
  isValueTooDeep,
  resolveLimits,
} from "./validate.js";

const NOTEPACK_EXT = 0;
/** fixext header byte for each fixed data length. */
const FIXEXT_HEADER = new Map([
  [1, 0xd4],
  [2, 0xd5],
  [4, 0xd6],
  [8, 0xd7],
  [16, 0xd8],
]);

function isFixext(data: Uint8Array): boolean {
  const header = FIXEXT_HEADER.get(data.byteLength);
  if (header === undefined || data.byteOffset < 2) return false;
  // An ext 8 header carries the length byte (1..16) here, never 0xd4–0xd8.
  return new Uint8Array(data.buffer, data.byteOffset - 2, 1)[0] === header;
}

function encodeDate(date: Date): Uint8Array {
  const time = date.getTime();
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setInt32(0, Math.floor(time / 2 ** 32));
  view.setUint32(4, time >>> 0);
  return out;
}

const notepackExtensions: ExtensionCodecType<undefined> = {
  tryToEncode(object) {
    return object instanceof Date ? new ExtData(NOTEPACK_EXT, encodeDate(object)) : null;
  },
  decode(data, type) {
    if (type !== NOTEPACK_EXT) return [type, new Uint8Array(data)];
    if (isFixext(data)) {
      if (data.byteLength === 1) return undefined;
      if (data.byteLength === 8) {
        const view = new DataView(data.buffer, data.byteOffset, 8);
        return new Date(view.getInt32(0) * 2 ** 32 + view.getUint32(4));
      }
      return [type, new Uint8Array(data)];
    }
    // Copy: on Node `data` is a Buffer view whose slice() would share the whole pool.
    return new Uint8Array(data).buffer;
  },
};

/**
 * Deepest value the encoder writes (it recurses, so it needs a bound): far above the server's
 * default `maxDepth` of 100 plus the packet map and arguments array, far below the stack.
 */
const ENCODER_MAX_DEPTH = 1000;

/** Encodes each packet as one msgpack map. */
export class MsgpackPacketEncoder implements Encoder {
  // The codec's own depth guard (100 by default) counts the packet map and the arguments
  // array, so it refused to echo an argument the server's `maxDepth` (100) accepts.
  readonly #encoder = new MsgpackEncoder({
    extensionCodec: notepackExtensions,
    maxDepth: ENCODER_MAX_DEPTH,
  });

  encode(packet: Packet): EncodedChunk[] {
    const type =
      packet.type === PacketType.BINARY_EVENT
        ? PacketType.EVENT
        : packet.type === PacketType.BINARY_ACK
          ? PacketType.ACK
          : packet.type;
    const map: { type: number; data?: unknown; nsp: string; id?: number } = {
      type,
      nsp: packet.nsp,
    };
    if (packet.data !== undefined) map.data = packet.data;
    if (packet.id !== undefined) map.id = packet.id;
    return [this.#encoder.encode(map)];
  }
}

function invalid(code: string, message: string): DecodeResult {
  return { ok: false, error: new TetherError(code, message) };
}

/** Decodes and validates one msgpack packet per binary message. */
export class MsgpackPacketDecoder implements Decoder {
  #state: "open" | "destroyed" = "open";
  readonly #decoder = new MsgpackDecoder({ extensionCodec: notepackExtensions });
  readonly #limits: DecodeLimits;

  constructor(opts?: DecoderOptions) {
    this.#limits = resolveLimits(opts);
  }

  add(chunk: string | Uint8Array): DecodeResult {
    if (this.#state === "destroyed")
      return invalid(SocketErrorCodes.DECODER_DESTROYED, "decoder destroyed");
    if (typeof chunk === "string")
      return invalid(SocketErrorCodes.UNEXPECTED_TEXT, "msgpack packets are binary");
    let decoded: unknown;
    try {
      decoded = this.#decoder.decode(chunk);
    } catch {
      return invalid(SocketErrorCodes.INVALID_MSGPACK, "invalid msgpack data");
    }
    if (!isPlainObject(decoded))
      return invalid(SocketErrorCodes.INVALID_PAYLOAD, "packet is not a map");
    const { type, nsp, data, id } = decoded;
    if (
      typeof type !== "number" ||
      !Number.isInteger(type) ||
      type < 0 ||
      type > PacketType.CONNECT_ERROR
    ) {
      return invalid(SocketErrorCodes.UNKNOWN_PACKET_TYPE, "invalid packet type");
    }
    if (!isNamespace(nsp)) return invalid(SocketErrorCodes.INVALID_NAMESPACE, "invalid namespace");
    const t = type as PacketTypeValue;
    if (!isPayloadValid(t, data))
      return invalid(SocketErrorCodes.INVALID_PAYLOAD, "invalid payload");
    if (id !== undefined && !isAckId(id))
      return invalid(SocketErrorCodes.INVALID_ACK_ID, "invalid packet id");
    if (t === PacketType.ACK && id === undefined) {
      return invalid(SocketErrorCodes.INVALID_ACK_ID, "acknowledgement without id");
    }
    const { maxEventNameLength, maxDepth } = this.#limits;
    if (isEventNameTooLong(t, data, maxEventNameLength)) {
      return invalid(
        SocketErrorCodes.EVENT_NAME_TOO_LONG,
        `event name longer than ${maxEventNameLength} characters`,
      );
    }
    // Nesting deeper than `maxDepth` needs at least one header byte per level.
    if (chunk.byteLength > maxDepth && isValueTooDeep(data, maxDepth + envelopeDepth(t))) {
      return invalid(
        SocketErrorCodes.PAYLOAD_TOO_DEEP,
        `arguments nested deeper than ${maxDepth} levels`,
      );
    }
    return { ok: true, packet: { type: t, nsp, data: receivedBinary(data), id } };
  }

  destroy(): void {
    this.#state = "destroyed";
  }
}

/** The msgpack parser, wire-compatible with `socket.io-msgpack-parser`. */
export const msgpackParser: Parser = {
  createEncoder: () => new MsgpackPacketEncoder(),
  createDecoder: (opts) => new MsgpackPacketDecoder(opts),
};
