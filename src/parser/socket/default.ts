/**
 * The default Socket.IO parser (protocol 5): one text message per packet,
 * `<type>[<attachments>-][<nsp>,][<ack id>][<JSON>]`, binary values replaced by placeholders
 * and sent as the following binary messages. Browser-safe.
 */
import {
  type Packet,
  PacketType,
  type PacketTypeValue,
  SocketErrorCodes,
} from "../../protocol/socket.js";
import { TetherError } from "../../shared/errors.js";
import { deconstruct, hasBinary, reconstruct } from "./binary.js";
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
  isEventNameTooLong,
  isPayloadValid,
  isTextPayloadTooDeep,
  resolveLimits,
} from "./validate.js";

function failure(code: string, message: string): DecodeResult {
  return { ok: false, error: new TetherError(code, message) };
}

/** Encodes packets to the protocol 5 text form plus binary attachments. */
export class DefaultEncoder implements Encoder {
  encode(packet: Packet): EncodedChunk[] {
    let type = packet.type;
    if ((type === PacketType.EVENT || type === PacketType.ACK) && hasBinary(packet.data)) {
      type = type === PacketType.EVENT ? PacketType.BINARY_EVENT : PacketType.BINARY_ACK;
    }
    if (type !== PacketType.BINARY_EVENT && type !== PacketType.BINARY_ACK) {
      return [encodeHeader(type, packet, undefined, packet.data)];
    }
    const { data, attachments } = deconstruct(packet.data);
    const out: EncodedChunk[] = [encodeHeader(type, packet, attachments.length, data)];
    for (const a of attachments) {
      // Blobs only exist in browsers, where the client transport reads them; views pass as is.
      out.push(a as Uint8Array);
    }
    return out;
  }
}

function encodeHeader(
  type: PacketTypeValue,
  packet: Packet,
  attachments: number | undefined,
  data: unknown,
): string {
  let s = String(type);
  if (attachments !== undefined) s += `${attachments}-`;
  if (packet.nsp && packet.nsp !== "/") s += `${packet.nsp},`;
  if (packet.id !== undefined) s += String(packet.id);
  if (data !== undefined) s += JSON.stringify(data);
  return s;
}

const DIGIT_0 = 48;
const DIGIT_9 = 57;
/** Digits of Number.MAX_SAFE_INTEGER; longer runs cannot be a valid id or count. */
const MAX_DIGITS = 16;

function readDigits(s: string, from: number): number {
  let i = from;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c < DIGIT_0 || c > DIGIT_9) break;
    i++;
  }
  return i;
}

interface Header {
  readonly packet: Packet;
}

/** Parses one text message (PROTOCOL.md §3.2); never throws. */
export function decodeText(
  str: string,
  limits: DecodeLimits = resolveLimits(undefined),
): { ok: true; value: Header } | { ok: false; error: TetherError } {
  const bad = (code: string, message: string) =>
    ({ ok: false, error: new TetherError(code, message) }) as const;
  const typeCode = str.charCodeAt(0) - DIGIT_0;
  if (!(typeCode >= 0 && typeCode <= 6))
    return bad(SocketErrorCodes.UNKNOWN_PACKET_TYPE, "unknown packet type");
  const type = typeCode as PacketTypeValue;
  let i = 1;
  let attachments: number | undefined;
  if (type === PacketType.BINARY_EVENT || type === PacketType.BINARY_ACK) {
    const end = readDigits(str, 1);
    if (end === 1 || end - 1 > MAX_DIGITS || str.charCodeAt(end) !== 45 /* - */) {
      // socket.io-parser's message: applications and socket.io's tests match on it.
      return bad(SocketErrorCodes.INVALID_ATTACHMENTS, "Illegal attachments");
    }
    attachments = Number(str.slice(1, end));
    if (attachments > limits.maxAttachments) {
      return bad(
        SocketErrorCodes.TOO_MANY_ATTACHMENTS,
        `more than ${limits.maxAttachments} binary attachments`,
      );
    }
    i = end + 1;
  }
  let nsp = "/";
  if (str.charCodeAt(i) === 47 /* / */) {
    const comma = str.indexOf(",", i);
    const end = comma === -1 ? str.length : comma;
    nsp = str.slice(i, end);
    i = comma === -1 ? end : end + 1;
  }
  let id: number | undefined;
  const idEnd = readDigits(str, i);
  if (idEnd > i) {
    if (idEnd - i > MAX_DIGITS) return bad(SocketErrorCodes.INVALID_ACK_ID, "invalid ack id");
    id = Number(str.slice(i, idEnd));
    if (!Number.isSafeInteger(id)) return bad(SocketErrorCodes.INVALID_ACK_ID, "invalid ack id");
    i = idEnd;
  }
  if ((type === PacketType.ACK || type === PacketType.BINARY_ACK) && id === undefined) {
    return bad(SocketErrorCodes.INVALID_ACK_ID, "acknowledgement without id");
  }
  let data: unknown;
  const from = i;
  if (i < str.length) {
    try {
      data = JSON.parse(str.slice(i));
    } catch {
      return bad(SocketErrorCodes.INVALID_JSON, "invalid payload JSON");
    }
  }
  if (!isPayloadValid(type, data)) return bad(SocketErrorCodes.INVALID_PAYLOAD, "invalid payload");
  if (isEventNameTooLong(type, data, limits.maxEventNameLength)) {
    return bad(
      SocketErrorCodes.EVENT_NAME_TOO_LONG,
      `event name longer than ${limits.maxEventNameLength} characters`,
    );
  }
  const maxDepth = limits.maxDepth + envelopeDepth(type);
  if (maxDepth !== Number.POSITIVE_INFINITY && isTextPayloadTooDeep(str, from, data, maxDepth)) {
    return bad(
      SocketErrorCodes.PAYLOAD_TOO_DEEP,
      `arguments nested deeper than ${limits.maxDepth} levels`,
    );
  }
  const packet: Packet = { type, nsp, data, id, attachments };
  return { ok: true, value: { packet } };
}

/** Reassembles packets from text messages and their binary attachments. */
export class DefaultDecoder implements Decoder {
  #state: "idle" | "binary" | "destroyed" = "idle";
  #pending: Packet | undefined;
  #buffers: unknown[] | undefined;
  readonly #limits: DecodeLimits;

  constructor(opts?: DecoderOptions) {
    this.#limits = resolveLimits(opts);
  }

  add(chunk: string | Uint8Array): DecodeResult {
    try {
      return this.#add(chunk);
    } catch (err) {
      // Deeply nested input can exhaust the stack; that is bad input, not a crash.
      this.#transition("idle");
      return failure(SocketErrorCodes.INVALID_PAYLOAD, `invalid packet: ${String(err)}`);
    }
  }

  #add(chunk: string | Uint8Array): DecodeResult {
    if (this.#state === "destroyed")
      return failure(SocketErrorCodes.DECODER_DESTROYED, "decoder destroyed");
    if (typeof chunk === "string") {
      if (this.#state === "binary") {
        this.#transition("idle");
        return failure(
          SocketErrorCodes.UNEXPECTED_TEXT,
          "got plaintext data when reconstructing a packet",
        );
      }
      const r = decodeText(chunk, this.#limits);
      if (!r.ok) return r;
      const { packet } = r.value;
      if (packet.attachments === undefined) return { ok: true, packet };
      if (packet.attachments === 0) return this.#complete(packet, []);
      this.#pending = packet;
      this.#transition("binary");
      return { ok: true, packet: undefined };
    }
    const pending = this.#pending;
    if (this.#state !== "binary" || pending === undefined) {
      return failure(
        SocketErrorCodes.UNEXPECTED_BINARY,
        "got binary data when not reconstructing a packet",
      );
    }
    this.#buffers ??= [];
    const buffers = this.#buffers;
    buffers.push(chunk);
    if (buffers.length < (pending.attachments ?? 0)) return { ok: true, packet: undefined };
    this.#transition("idle");
    return this.#complete(pending, buffers);
  }

  #complete(packet: Packet, buffers: unknown[]): DecodeResult {
    let data: unknown;
    try {
      data = reconstruct(packet.data, buffers);
    } catch (err) {
      if (err instanceof TetherError) return { ok: false, error: err };
      throw err;
    }
    return { ok: true, packet: { ...packet, data } };
  }

  #transition(to: "idle" | "binary" | "destroyed"): void {
    if (to !== "binary") {
      this.#pending = undefined;
      this.#buffers = undefined;
    }
    this.#state = to;
  }

  destroy(): void {
    this.#transition("destroyed");
  }
}

/** The default parser: protocol 5 text packets with binary placeholders. */
export const defaultParser: Parser = {
  createEncoder: () => new DefaultEncoder(),
  createDecoder: (opts) => new DefaultDecoder(opts),
};
