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

/** Packet type names in wire-digit order: the type of digit `d` is `PacketTypes[d]`. */
export const PacketTypes = Object.keys(PacketTypeCode) as readonly EnginePacketType[];

/** Wire digit → packet type name. */
export const PacketTypeByCode: ReadonlyMap<string, EnginePacketType> = /* @__PURE__ */ new Map(
  PacketTypes.map((type) => [PacketTypeCode[type], type]),
);

/** Data an Engine.IO packet may carry: UTF-8 text or raw bytes (binary is always a message). */
export type RawData = string | Uint8Array;

/** One decoded Engine.IO packet. */
export interface EnginePacket {
  readonly type: EnginePacketType;
  readonly data?: RawData | undefined;
  /** Options of an outgoing packet (engine.io-client's `{ compress }`). */
  readonly options?: { readonly compress?: boolean } | undefined;
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
 * HTTP-level error codes sent as `{code, message}` JSON. Codes 0–5 and their messages are
 * upstream's public API (status 400, or 403 for FORBIDDEN); 6–8 are Tether's limits (status 429,
 * 429 and 503), unknown to upstream, which official clients treat like any failed request.
 */
export const ErrorCodes = {
  UNKNOWN_TRANSPORT: 0,
  UNKNOWN_SID: 1,
  BAD_HANDSHAKE_METHOD: 2,
  BAD_REQUEST: 3,
  FORBIDDEN: 4,
  UNSUPPORTED_PROTOCOL_VERSION: 5,
  /** Tether: `maxConnectionsPerIp` reached (HTTP 429). */
  TOO_MANY_CONNECTIONS: 6,
  /** Tether: the session's polling requests exceeded `pollingRateLimit` (HTTP 429). */
  TOO_MANY_REQUESTS: 7,
  /** Tether: the server is draining and takes no new sessions (HTTP 503). */
  SERVER_DRAINING: 8,
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export const ErrorMessages: Readonly<Record<ErrorCode, string>> = {
  0: "Transport unknown",
  1: "Session ID unknown",
  2: "Bad handshake method",
  3: "Bad request",
  4: "Forbidden",
  5: "Unsupported protocol version",
  6: "Too many connections",
  7: "Too many requests",
  8: "Server draining",
};

/** HTTP status of each refusal code. */
export function errorStatus(code: ErrorCode): number {
  switch (code) {
    case ErrorCodes.FORBIDDEN:
      return 403;
    case ErrorCodes.TOO_MANY_CONNECTIONS:
    case ErrorCodes.TOO_MANY_REQUESTS:
      return 429;
    case ErrorCodes.SERVER_DRAINING:
      return 503;
    default:
      return 400;
  }
}

/**
 * Reasons an Engine.IO session closes, as upstream spells them, plus Tether's `buffer full`
 * (the client stopped reading and its outgoing buffer reached the backpressure limit).
 */
export const CloseReasons = [
  "transport close",
  "transport error",
  "ping timeout",
  "parse error",
  "forced close",
  "server shutting down",
  "buffer full",
] as const;
export type CloseReason = (typeof CloseReasons)[number];
