/**
 * Server-to-client WebSocket frames (RFC 6455 §5.2) built as one buffer: FIN set, no mask, no
 * extension bits. The WebSocket transport writes these straight to the TCP socket when no
 * extension (permessage-deflate) was negotiated, so that a broadcast's frame is encoded once and
 * shared by every recipient, and a batch of frames is one write.
 */
import type { RawData } from "../../protocol/engine.js";

/**
 * Payloads above this size keep `ws`'s framing (header and payload written apart, no copy); it is
 * also the largest length a 16-bit header field holds, so a frame here has a 2- or 4-byte header.
 */
export const MAX_DIRECT_PAYLOAD = 0xffff;

const OPCODE_TEXT = 0x81;
const OPCODE_BINARY = 0x82;

/**
 * The whole frame for a payload: a string is a text frame (UTF-8), bytes a binary frame. Undefined
 * when the payload is larger than {@link MAX_DIRECT_PAYLOAD}.
 */
export function encodeFrame(payload: RawData): Buffer | undefined {
  const text = typeof payload === "string";
  const length = text ? Buffer.byteLength(payload, "utf8") : payload.byteLength;
  if (length > MAX_DIRECT_PAYLOAD) return undefined;
  const header = length < 126 ? 2 : 4;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = text ? OPCODE_TEXT : OPCODE_BINARY;
  if (header === 2) frame[1] = length;
  else {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  }
  if (text) frame.write(payload, header, length, "utf8");
  else frame.set(payload, header);
  return frame;
}
