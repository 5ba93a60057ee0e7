/**
 * How a session's transports turn packets into bytes and back: one {@link PollingWire} and one
 * {@link WebSocketWire} per protocol revision, picked once per transport at handshake (upgrade),
 * so the per-packet paths carry no protocol test. Engine.IO v4 is the default; v3 (legacy
 * Socket.IO v2 clients, `allowEIO3`) lives in `wire-v3.ts`.
 */
import { decodePacket, decodePayload } from "../../parser/engine/index.js";
import { type EnginePacket, type RawData, RECORD_SEPARATOR } from "../../protocol/engine.js";
import type { Result } from "../../shared/errors.js";
import type { OutboundPacket } from "./outbound.js";

/** Encoding of long-polling bodies. */
export interface PollingWire {
  /** One GET response body for these packets: text, or bytes (sent as `application/octet-stream`). */
  encode(packets: readonly OutboundPacket[]): string | Uint8Array;
  /** The body of a response holding only the close packet. */
  readonly close: string;
  /**
   * The body answering a GET that arrives after the server closed with no GET pending: a noop,
   * then the close (as engine.io).
   */
  readonly closeAfterNoop: string;
  /** The body of a response holding only a noop packet. */
  readonly noop: string;
  /** Whether a POST body may be binary (`Content-Type: application/octet-stream`). */
  readonly binaryBodies: boolean;
  /** Decodes a POST body (`binary`: sent as `application/octet-stream`). */
  decode(body: Buffer, binary: boolean): Result<EnginePacket[]>;
}

/** Encoding of WebSocket frames. */
export interface WebSocketWire {
  /** The frame payload of one packet: a string is sent as a text frame, bytes as a binary one. */
  frame(packet: OutboundPacket): RawData;
  /**
   * The whole frame of {@link WebSocketWire.frame}'s payload as one buffer (see `ws-frame.ts`), or
   * undefined when the payload is too large to be copied.
   */
  wsFrame(packet: OutboundPacket): Buffer | undefined;
  /** Decodes one received frame. */
  decode(data: Buffer, isBinary: boolean): Result<EnginePacket>;
}

/** Engine.IO v4 polling: records joined by `\x1e`, binary as `b` + base64. */
export const POLLING_V4: PollingWire = {
  encode(packets) {
    let payload = "";
    for (let i = 0; i < packets.length; i++) {
      if (i > 0) payload += RECORD_SEPARATOR;
      payload += (packets[i] as OutboundPacket).record;
    }
    return payload;
  },
  close: "1",
  closeAfterNoop: `6${RECORD_SEPARATOR}1`,
  noop: "6",
  // v4 payloads are always text; binary POST bodies are a v3 feature.
  binaryBodies: false,
  decode: (body) => decodePayload(body.toString("utf8")),
};

/** Engine.IO v4 WebSocket: one packet per frame, binary data as the raw frame. */
export const WEBSOCKET_V4: WebSocketWire = {
  frame: (packet) => packet.frame,
  wsFrame: (packet) => packet.wsFrame,
  decode: (data, isBinary) => (isBinary ? decodePacket(data) : decodePacket(data.toString("utf8"))),
};
