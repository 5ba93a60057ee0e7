/**
 * Engine.IO v4 packet and payload codec: pure functions, no I/O, browser-safe.
 *
 * - A packet on a WebSocket is one frame: text = type digit + data, binary = raw message bytes.
 * - A long-polling payload joins packets with `\x1e`; a binary message becomes `b` + base64.
 *
 * One codec for server and client. The `parse*` decoders return `undefined` for a malformed
 * packet (the client's form, lean in the browser bundle); `decode*` wrap them in a
 * {@link Result} whose coded error names the cause (the server's form). None throws on
 * untrusted input.
 */
import {
  type EnginePacket,
  PacketTypeCode,
  PacketTypes,
  type RawData,
  RECORD_SEPARATOR,
} from "../../protocol/engine.js";
import { decodeBase64, encodeBase64 } from "../../shared/base64.js";
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
 * Encodes one packet as a WebSocket frame payload: a string (text frame) or bytes (binary frame,
 * only valid on `message` packets); with `text`, as a long-polling record (binary as `b` +
 * base64).
 */
export function encodePacket({ type, data }: EnginePacket, text?: boolean): RawData {
  if (typeof data === "object") return text ? `b${encodeBase64(data)}` : data;
  return PacketTypeCode[type] + (data ?? "");
}

/** Encodes one packet as a long-polling record (binary as `b` + base64). */
export function encodePacketText(packet: EnginePacket): string {
  return encodePacket(packet, true) as string;
}

/** Encodes packets as one long-polling payload. */
export function encodePayload(packets: readonly EnginePacket[]): string {
  let out = "";
  for (let i = 0; i < packets.length; i++) {
    out += (i ? RECORD_SEPARATOR : "") + encodePacket(packets[i] as EnginePacket, true);
  }
  return out;
}

/**
 * Decodes one packet from a WebSocket frame or a polling record; undefined when malformed.
 * Bytes are always a `message`; text starting with `b` is a base64 binary message. The client
 * uses this form (a malformed packet is a `parse error`, whatever the cause);
 * {@link decodePacket} names the cause.
 */
export function parsePacket(raw: RawData): EnginePacket | undefined {
  if (typeof raw !== "string") return { type: "message", data: raw };
  if (raw[0] === "b") {
    const data = decodeBase64(raw.slice(1));
    return data && { type: "message", data };
  }
  // NaN (empty text) or a character outside "0"–"6" indexes nothing.
  const type = PacketTypes[raw.charCodeAt(0) - 48];
  return type && (raw.length > 1 ? { type, data: raw.slice(1) } : { type });
}

/** Decodes a long-polling payload; undefined when any record is malformed. */
export function parsePayload(payload: string): EnginePacket[] | undefined {
  const packets: EnginePacket[] = [];
  for (const record of payload.split(RECORD_SEPARATOR)) {
    const p = parsePacket(record);
    if (!p) return undefined;
    packets.push(p);
  }
  return packets;
}

/** Why {@link parsePacket} refused a text record (a byte frame is always accepted). */
function packetError(raw: string): TetherError {
  if (raw.length === 0) return new TetherError(EngineParseErrors.EMPTY, "empty packet");
  if (raw[0] === "b") return new TetherError(EngineParseErrors.BAD_BASE64, "invalid base64 data");
  return new TetherError(
    EngineParseErrors.UNKNOWN_TYPE,
    `unknown packet type ${JSON.stringify(raw[0])}`,
  );
}

/**
 * Decodes one packet from a WebSocket frame or a polling record, as {@link parsePacket}, with the
 * coded error the server reports.
 */
export function decodePacket(raw: RawData): Result<EnginePacket> {
  const packet = parsePacket(raw);
  return packet ? ok(packet) : fail(packetError(raw as string));
}

/** Decodes a long-polling payload; the first bad record fails the whole payload. */
export function decodePayload(payload: string): Result<EnginePacket[]> {
  const packets = parsePayload(payload);
  if (packets) return ok(packets);
  // Hostile or broken input only: find the record that failed, to name the cause.
  const bad = payload.split(RECORD_SEPARATOR).find((record) => !parsePacket(record)) ?? "";
  return fail(packetError(bad));
}
