/**
 * The client's Engine.IO packet codec: the wire format of `src/parser/engine` in fewer bytes for
 * the browser bundle (issue 4 §3). A malformed packet is `undefined` rather than a coded
 * `Result` (the client only needs to know that it must close with `parse error`); the type table
 * and the strict base64 are the shared ones. `test/unit/client-engine-codec.test.ts` holds it to
 * the shared codec's output and verdicts.
 */
import {
  type EnginePacket,
  PacketTypeByCode,
  PacketTypeCode,
  type RawData,
  RECORD_SEPARATOR,
} from "../../protocol/engine.js";
import { decodeBase64, encodeBase64 } from "../../shared/base64.js";

/**
 * Decodes a WebSocket frame or a polling record (bytes are a `message`; text starting with `b`
 * is a base64 binary message); undefined when malformed.
 */
export function decodeFrame(raw: RawData): EnginePacket | undefined {
  if (typeof raw !== "string") return { type: "message", data: raw };
  if (raw[0] === "b") {
    const data = decodeBase64(raw.slice(1));
    return data && { type: "message", data };
  }
  const type = PacketTypeByCode.get(raw.charAt(0));
  return type && (raw.length > 1 ? { type, data: raw.slice(1) } : { type });
}

/** Encodes a packet as a WebSocket frame, or (`text`) as a polling record: binary as `b` + base64. */
export function encodeFrame({ type, data }: EnginePacket, text?: boolean): RawData {
  if (typeof data === "object") return text ? `b${encodeBase64(data)}` : data;
  return PacketTypeCode[type] + (data ?? "");
}

/** Decodes a polling payload; undefined when any record is malformed. */
export function decodeRecords(payload: string): EnginePacket[] | undefined {
  const packets: EnginePacket[] = [];
  for (const record of payload.split(RECORD_SEPARATOR)) {
    const p = decodeFrame(record);
    if (!p) return undefined;
    packets.push(p);
  }
  return packets;
}

/** Encodes packets as one polling payload. */
export function encodeRecords(packets: readonly EnginePacket[]): string {
  return packets.map((p) => encodeFrame(p, true)).join(RECORD_SEPARATOR);
}
