/**
 * Engine.IO v4 packet and payload codec: pure functions, no I/O, browser-safe.
 *
 * - A packet on a WebSocket is one frame: text = type digit + data, binary = raw message bytes.
 * - A long-polling payload joins packets with `\x1e`; a binary message becomes `b` + base64.
 *
 * Decoders return a {@link Result} and never throw on untrusted input.
 */
import {
  type EnginePacket,
  type EnginePacketType,
  PacketTypeByCode,
  PacketTypeCode,
  type RawData,
  RECORD_SEPARATOR,
} from "../../protocol/engine.js";
import { decodeBase64Fast, encodeBase64 } from "../../shared/base64.js";
import { fail, ok, type Result, TetherError } from "../../shared/errors.js";

/** Error codes raised by the engine codec. */
export const EngineParseErrors = {
  EMPTY: "EIO_ERR_EMPTY_PACKET",
  UNKNOWN_TYPE: "EIO_ERR_UNKNOWN_PACKET_TYPE",
  BAD_BASE64: "EIO_ERR_INVALID_BASE64",
  BAD_TYPE_FOR_BINARY: "EIO_ERR_BINARY_NOT_MESSAGE",
} as const;

/** Anything an application may hand to `send()`. */
export type SendableData = string | ArrayBuffer | ArrayBufferView;

/** Normalises binary send data to a Uint8Array view (no copy). Strings pass through. */
export function toRawData(data: SendableData): RawData {
  if (typeof data === "string") return data;
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** Byte length of packet data as it will travel (UTF-8 for text). */
export function byteLength(data: RawData | undefined): number {
  if (data === undefined) return 0;
  if (typeof data !== "string") return data.byteLength;
  return utf8Length(data);
}

/** UTF-8 byte length of a string without allocating. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/**
 * Encodes one packet as a WebSocket frame payload: a string (text frame) or bytes (binary frame).
 * Binary data is only valid on `message` packets.
 */
export function encodePacket(packet: EnginePacket): RawData {
  const { type, data } = packet;
  if (data !== undefined && typeof data !== "string") return data;
  return data === undefined ? PacketTypeCode[type] : PacketTypeCode[type] + data;
}

/** Encodes one packet as a long-polling record (binary as `b` + base64). */
export function encodePacketText(packet: EnginePacket): string {
  const { type, data } = packet;
  if (data !== undefined && typeof data !== "string") return `b${encodeBase64(data)}`;
  return data === undefined ? PacketTypeCode[type] : PacketTypeCode[type] + data;
}

function parseError(code: string, message: string): { ok: false; error: TetherError } {
  return fail(new TetherError(code, message));
}

/**
 * Decodes one packet from a WebSocket frame or a polling record.
 * Bytes are always a `message`; text starting with `b` is a base64 binary message.
 */
export function decodePacket(raw: RawData): Result<EnginePacket> {
  if (typeof raw !== "string") return ok({ type: "message", data: raw });
  if (raw.length === 0) return parseError(EngineParseErrors.EMPTY, "empty packet");
  const head = raw[0] as string;
  if (head === "b") {
    const bytes = decodeBase64Fast(raw.slice(1));
    if (bytes === undefined) return parseError(EngineParseErrors.BAD_BASE64, "invalid base64 data");
    return ok({ type: "message", data: bytes });
  }
  const type: EnginePacketType | undefined = PacketTypeByCode.get(head);
  if (type === undefined) {
    return parseError(
      EngineParseErrors.UNKNOWN_TYPE,
      `unknown packet type ${JSON.stringify(head)}`,
    );
  }
  return ok(raw.length > 1 ? { type, data: raw.slice(1) } : { type });
}

/** Encodes packets as one long-polling payload. */
export function encodePayload(packets: readonly EnginePacket[]): string {
  let out = "";
  for (let i = 0; i < packets.length; i++) {
    if (i > 0) out += RECORD_SEPARATOR;
    out += encodePacketText(packets[i] as EnginePacket);
  }
  return out;
}

/** Decodes a long-polling payload; the first bad record fails the whole payload. */
export function decodePayload(payload: string): Result<EnginePacket[]> {
  const records = payload.split(RECORD_SEPARATOR);
  const packets: EnginePacket[] = [];
  for (const record of records) {
    const r = decodePacket(record);
    if (!r.ok) return r;
    packets.push(r.value);
  }
  return ok(packets);
}
