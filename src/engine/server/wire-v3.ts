/**
 * Engine.IO v3 wire formats for the server transports (Socket.IO v2 clients, `allowEIO3`), see
 * `parser/engine/v3.ts`. Text packets share the v4 encodings cached on each {@link OutboundPacket}
 * (a broadcast is still encoded once); only binary data is framed differently.
 *
 * `supportsBinary` is false when the transport's opening request carried `b64` (a client that
 * cannot handle binary): binary data then travels as `b4` + base64 text.
 */
import {
  decodeBinaryPayloadV3,
  decodePacketV3,
  decodePayloadV3,
  encodeBinaryPayloadV3,
  encodePacketV3,
} from "../../parser/engine/v3.js";
import type { OutboundPacket } from "./outbound.js";
import type { PollingWire, WebSocketWire } from "./wire.js";
import { encodeFrame } from "./ws-frame.js";

function isBinary(packet: OutboundPacket): boolean {
  return packet.data !== undefined && typeof packet.data !== "string";
}

/** The v3 text record of a packet: the cached v4 record, binary data as `b4` instead of `b`. */
function recordV3(packet: OutboundPacket): string {
  const record = packet.record;
  return isBinary(packet) ? `b4${record.slice(1)}` : record;
}

function textPayload(packets: readonly OutboundPacket[]): string {
  let payload = "";
  for (const packet of packets) {
    const record = recordV3(packet);
    payload += `${record.length}:${record}`;
  }
  return payload;
}

const POLLING_V3_BASE64: PollingWire = {
  encode: textPayload,
  close: "1:1",
  closeAfterNoop: "1:61:1",
  noop: "1:6",
  binaryBodies: true,
  decode: (body, binary) =>
    binary ? decodeBinaryPayloadV3(body) : decodePayloadV3(body.toString("utf8")),
};

const POLLING_V3_BINARY: PollingWire = {
  ...POLLING_V3_BASE64,
  encode: (packets) =>
    packets.some(isBinary) ? encodeBinaryPayloadV3(packets) : textPayload(packets),
};

/** v3 long-polling: `<length>:<packet>` text payloads, or binary payloads for binary data. */
export function pollingWireV3(supportsBinary: boolean): PollingWire {
  return supportsBinary ? POLLING_V3_BINARY : POLLING_V3_BASE64;
}

const WEBSOCKET_V3_BINARY: WebSocketWire = {
  frame: (packet) => (isBinary(packet) ? encodePacketV3(packet, true) : packet.frame),
  wsFrame: (packet) =>
    isBinary(packet) ? encodeFrame(encodePacketV3(packet, true)) : packet.wsFrame,
  decode: (data, binary) => decodePacketV3(binary ? data : data.toString("utf8")),
};

const WEBSOCKET_V3_BASE64: WebSocketWire = {
  frame: (packet) => (isBinary(packet) ? recordV3(packet) : packet.frame),
  wsFrame: (packet) => (isBinary(packet) ? encodeFrame(recordV3(packet)) : packet.wsFrame),
  decode: WEBSOCKET_V3_BINARY.decode,
};

/** v3 WebSocket: binary frames start with the packet type byte. */
export function webSocketWireV3(supportsBinary: boolean): WebSocketWire {
  return supportsBinary ? WEBSOCKET_V3_BINARY : WEBSOCKET_V3_BASE64;
}
