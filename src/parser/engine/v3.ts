/**
 * Engine.IO protocol 3 packet and payload codec (Socket.IO v2 clients, `allowEIO3`): pure
 * functions, no I/O. What differs from v4:
 *
 * - A binary packet keeps its type: a WebSocket binary frame is the type byte then the data
 *   (`0x04 …`); as text it is `b` + type digit + base64 (`b4AQID`).
 * - A text polling payload is a run of `<length>:<packet>` records, the length counting UTF-16
 *   code units (`6:4hello2:4é`); an empty payload is `0:`.
 * - A client that supports binary (no `b64` query parameter) exchanges payloads holding binary
 *   packets in the binary payload format, one record per packet:
 *
 *       ┌──────────────┬───────────────────────────┬──────┬──────────────────────────────┐
 *       │ 0 text/1 bin │ length, one byte per digit │ 0xff │ packet (text: UTF-8 bytes)   │
 *       └──────────────┴───────────────────────────┴──────┴──────────────────────────────┘
 *
 * Decoders return a {@link Result} and never throw on untrusted input; every length is checked
 * against the input before anything is allocated for it.
 */
import {
  type EnginePacket,
  type EnginePacketType,
  PacketTypeByCode,
  PacketTypeCode,
  type RawData,
} from "../../protocol/engine.js";
import { decodeBase64, encodeBase64 } from "../../shared/base64.js";
import { fail, ok, type Result, TetherError } from "../../shared/errors.js";
import { EngineParseErrors } from "./index.js";

/** The Engine.IO protocol revision this codec speaks. */
export const ENGINE_PROTOCOL_V3 = 3;

/** Error codes raised by the v3 payload codec only (packet errors reuse {@link EngineParseErrors}). */
export const EngineV3ParseErrors = {
  BAD_LENGTH: "EIO_ERR_V3_BAD_LENGTH",
  EMPTY_PAYLOAD: "EIO_ERR_V3_EMPTY_PAYLOAD",
} as const;

/** Longest record length a payload may declare, in digits (`Number.MAX_SAFE_INTEGER` has 16). */
const MAX_LENGTH_DIGITS = 16;
const BINARY_TEXT = 0;
const BINARY_BYTES = 1;
const LENGTH_END = 0xff;

function parseError(code: string, message: string): { ok: false; error: TetherError } {
  return fail(new TetherError(code, message));
}

/** A text packet as v3 writes it: type digit + data, binary data as `b4` + base64. */
export function encodePacketTextV3(packet: EnginePacket): string {
  const { type, data } = packet;
  if (data !== undefined && typeof data !== "string") {
    return `b${PacketTypeCode[type]}${encodeBase64(data)}`;
  }
  return data === undefined ? PacketTypeCode[type] : PacketTypeCode[type] + data;
}

/**
 * A WebSocket frame payload: text packets as in v4; binary data as the type byte then the
 * bytes, or as `b4` + base64 text when the client asked for base64 (`b64=1`).
 */
export function encodePacketV3(packet: EnginePacket, supportsBinary: boolean): RawData {
  const data = packet.data;
  if (data === undefined || typeof data === "string") return encodePacketTextV3(packet);
  if (!supportsBinary) return encodePacketTextV3(packet);
  const out = new Uint8Array(data.byteLength + 1);
  out[0] = Number(PacketTypeCode[packet.type]);
  out.set(data, 1);
  return out;
}

function typeOf(code: string): EnginePacketType | undefined {
  return PacketTypeByCode.get(code);
}

function binaryPacket(type: EnginePacketType | undefined, data: Uint8Array): Result<EnginePacket> {
  if (type === undefined) {
    return parseError(EngineParseErrors.UNKNOWN_TYPE, "unknown binary packet type");
  }
  // Only messages carry binary data in any client; anything else is refused, not guessed at.
  if (type !== "message") {
    return parseError(EngineParseErrors.BAD_TYPE_FOR_BINARY, "binary data on a non-message packet");
  }
  return ok({ type, data });
}

/**
 * Decodes one v3 packet: a WebSocket frame (bytes: type byte + data), or a text record
 * (`b<type><base64>` is binary).
 */
export function decodePacketV3(raw: RawData): Result<EnginePacket> {
  if (typeof raw !== "string") {
    if (raw.byteLength === 0) return parseError(EngineParseErrors.EMPTY, "empty packet");
    const code = raw[0] as number;
    return binaryPacket(code <= 6 ? typeOf(String(code)) : undefined, raw.subarray(1));
  }
  if (raw.length === 0) return parseError(EngineParseErrors.EMPTY, "empty packet");
  const head = raw[0] as string;
  if (head === "b") {
    const bytes = decodeBase64(raw.slice(2));
    if (bytes === undefined) return parseError(EngineParseErrors.BAD_BASE64, "invalid base64 data");
    return binaryPacket(typeOf(raw.charAt(1)), bytes);
  }
  const type = typeOf(head);
  if (type === undefined) {
    return parseError(
      EngineParseErrors.UNKNOWN_TYPE,
      `unknown packet type ${JSON.stringify(head)}`,
    );
  }
  return ok(raw.length > 1 ? { type, data: raw.slice(1) } : { type });
}

/** A text payload: `<length>:<packet>` per packet (binary as base64); no packets is `0:`. */
export function encodePayloadV3(packets: readonly EnginePacket[]): string {
  if (packets.length === 0) return "0:";
  let out = "";
  for (const packet of packets) {
    const record = encodePacketTextV3(packet);
    out += `${record.length}:${record}`;
  }
  return out;
}

/**
 * Decodes a text payload. Lengths count UTF-16 code units; a zero-length record is skipped; the
 * first malformed record fails the whole payload (as engine.io v3 drops it).
 */
export function decodePayloadV3(payload: string): Result<EnginePacket[]> {
  if (payload.length === 0) return parseError(EngineV3ParseErrors.EMPTY_PAYLOAD, "empty payload");
  const packets: EnginePacket[] = [];
  let i = 0;
  while (i < payload.length) {
    const colon = payload.indexOf(":", i);
    const digits = colon - i;
    if (colon === -1 || digits === 0 || digits > MAX_LENGTH_DIGITS) {
      return parseError(EngineV3ParseErrors.BAD_LENGTH, "invalid record length");
    }
    let n = 0;
    for (let j = i; j < colon; j++) {
      const d = payload.charCodeAt(j) - 48;
      if (d < 0 || d > 9)
        return parseError(EngineV3ParseErrors.BAD_LENGTH, "invalid record length");
      n = n * 10 + d;
    }
    const start = colon + 1;
    if (n > payload.length - start) {
      return parseError(EngineV3ParseErrors.BAD_LENGTH, "record longer than the payload");
    }
    if (n > 0) {
      const r = decodePacketV3(payload.slice(start, start + n));
      if (!r.ok) return r;
      packets.push(r.value);
    }
    i = start + n;
  }
  return ok(packets);
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8");

function lengthDigits(n: number): number[] {
  const s = String(n);
  const out = new Array<number>(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) - 48;
  return out;
}

/**
 * A binary payload (what v3 sends a binary-capable client when a packet carries bytes): text
 * packets as UTF-8, binary ones as type byte + data, each behind its length header.
 */
export function encodeBinaryPayloadV3(packets: readonly EnginePacket[]): Uint8Array {
  const parts: { kind: number; header: number[]; body: Uint8Array; type: number }[] = [];
  let total = 0;
  for (const packet of packets) {
    const data = packet.data;
    const binary = data !== undefined && typeof data !== "string";
    const body = binary ? data : utf8.encode(encodePacketTextV3(packet));
    const length = binary ? body.byteLength + 1 : body.byteLength;
    const header = lengthDigits(length);
    parts.push({
      kind: binary ? BINARY_BYTES : BINARY_TEXT,
      header,
      body,
      type: binary ? Number(PacketTypeCode[packet.type]) : -1,
    });
    total += 2 + header.length + length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out[at++] = part.kind;
    for (const d of part.header) out[at++] = d;
    out[at++] = LENGTH_END;
    if (part.type >= 0) out[at++] = part.type;
    out.set(part.body, at);
    at += part.body.byteLength;
  }
  return out;
}

/**
 * Decodes a binary payload (a POST with `Content-Type: application/octet-stream`). Text records
 * are UTF-8; binary ones are type byte + data. Any record that does not fit fails the payload.
 */
export function decodeBinaryPayloadV3(bytes: Uint8Array): Result<EnginePacket[]> {
  if (bytes.byteLength === 0) {
    return parseError(EngineV3ParseErrors.EMPTY_PAYLOAD, "empty payload");
  }
  const packets: EnginePacket[] = [];
  let i = 0;
  while (i < bytes.byteLength) {
    const kind = bytes[i] as number;
    if (kind !== BINARY_TEXT && kind !== BINARY_BYTES) {
      return parseError(EngineV3ParseErrors.BAD_LENGTH, "invalid record kind");
    }
    let n = 0;
    let j = i + 1;
    for (; j < bytes.byteLength && bytes[j] !== LENGTH_END; j++) {
      const d = bytes[j] as number;
      if (d > 9 || j - i > MAX_LENGTH_DIGITS) {
        return parseError(EngineV3ParseErrors.BAD_LENGTH, "invalid record length");
      }
      n = n * 10 + d;
    }
    if (j === i + 1 || j >= bytes.byteLength) {
      return parseError(EngineV3ParseErrors.BAD_LENGTH, "invalid record length");
    }
    const start = j + 1;
    if (n > bytes.byteLength - start) {
      return parseError(EngineV3ParseErrors.BAD_LENGTH, "record longer than the payload");
    }
    const body = bytes.subarray(start, start + n);
    const r =
      kind === BINARY_TEXT ? decodePacketV3(utf8Decoder.decode(body)) : decodePacketV3(body);
    if (!r.ok) return r;
    packets.push(r.value);
    i = start + n;
  }
  return ok(packets);
}
