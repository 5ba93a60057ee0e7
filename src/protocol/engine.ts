/**
 * Engine.IO protocol 4: wire constants, packet shapes and the error-code catalog.
 * Imports nothing; every other layer builds on these values.
 * @see docs/protocol/engine-io.md
 */

/** The Engine.IO protocol revision this implementation speaks. */
export const ENGINE_PROTOCOL = 4;

/** Packet type name → the ASCII digit that starts it on the wire. */
export const PacketTypeCode = {
  open: "0",
  close: "1",
  ping: "2",
  pong: "3",
  message: "4",
  upgrade: "5",
  noop: "6",
} as const;

/** An Engine.IO packet type. */
export type EnginePacketType = keyof typeof PacketTypeCode;

/** Wire digit → packet type name. */
export const PacketTypeByCode: ReadonlyMap<string, EnginePacketType> = new Map(
  (Object.entries(PacketTypeCode) as [EnginePacketType, string][]).map(([k, v]) => [v, k]),
);

/** Data an Engine.IO packet may carry: UTF-8 text or raw bytes (binary is always a message). */
export type RawData = string | Uint8Array;

/** One decoded Engine.IO packet. */
export interface EnginePacket {
  readonly type: EnginePacketType;
  readonly data?: RawData | undefined;
}

/** Separates packets in a long-polling payload (v4). */
export const RECORD_SEPARATOR = "\x1e";

/** Transport names. */
export const Transports = ["polling", "websocket"] as const;
export type TransportName = (typeof Transports)[number];

/** Body of the `open` packet, in wire key order. */
export interface HandshakeData {
  readonly sid: string;
  readonly upgrades: readonly TransportName[];
  readonly pingInterval: number;
  readonly pingTimeout: number;
  readonly maxPayload: number;
}

/**
 * HTTP-level error codes sent as `{code, message}` JSON (status 400, or 403 for FORBIDDEN).
 * These numbers and messages are upstream's public API.
 */
export const ErrorCodes = {
  UNKNOWN_TRANSPORT: 0,
  UNKNOWN_SID: 1,
  BAD_HANDSHAKE_METHOD: 2,
  BAD_REQUEST: 3,
  FORBIDDEN: 4,
  UNSUPPORTED_PROTOCOL_VERSION: 5,
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export const ErrorMessages: Readonly<Record<ErrorCode, string>> = {
  0: "Transport unknown",
  1: "Session ID unknown",
  2: "Bad handshake method",
  3: "Bad request",
  4: "Forbidden",
  5: "Unsupported protocol version",
};

/** Reasons an Engine.IO session closes, as upstream spells them. */
export const CloseReasons = [
  "transport close",
  "transport error",
  "ping timeout",
  "parse error",
  "forced close",
  "server shutting down",
] as const;
export type CloseReason = (typeof CloseReasons)[number];
