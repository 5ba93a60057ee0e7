/**
 * Socket.IO protocol 5: packet types, the packet shape, reserved event names, disconnect
 * reasons and the `SIO_ERR_*` error-code catalog. Imports nothing.
 * @see https://github.com/socketio/socket.io/blob/main/docs/socket.io-protocol/v5-current.md
 */

/** The Socket.IO protocol revision this implementation speaks. */
export const SOCKET_PROTOCOL = 5;

/** Packet type name → the number that starts it on the wire (`42[...]` is an EVENT). */
export const PacketType = {
  CONNECT: 0,
  DISCONNECT: 1,
  EVENT: 2,
  ACK: 3,
  CONNECT_ERROR: 4,
  BINARY_EVENT: 5,
  BINARY_ACK: 6,
} as const;

/** A Socket.IO packet type number (0–6). */
export type PacketTypeValue = (typeof PacketType)[keyof typeof PacketType];

/**
 * One Socket.IO packet. `data` is per type: CONNECT → object or absent, DISCONNECT → absent,
 * EVENT → `[name, ...args]`, ACK → `[...args]`, CONNECT_ERROR → string or object.
 */
export interface Packet {
  readonly type: PacketTypeValue;
  /** Namespace, always starting with `/`. */
  readonly nsp: string;
  readonly data?: unknown;
  /** Acknowledgement id (non-negative safe integer). */
  readonly id?: number | undefined;
  /** Number of binary attachments (BINARY_EVENT / BINARY_ACK only). */
  readonly attachments?: number | undefined;
}

/** Event names that applications may neither emit nor receive as regular events. */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "removeListener",
]);

/** Default maximum number of binary attachments accepted in one packet. */
export const DEFAULT_MAX_ATTACHMENTS = 10;

/** Default longest event name (UTF-16 code units) a server accepts. */
export const DEFAULT_MAX_EVENT_NAME_LENGTH = 256;

/** Default deepest nesting of one argument (or CONNECT auth object) a server accepts. */
export const DEFAULT_MAX_DEPTH = 100;

/** Default longest namespace name (UTF-16 code units, with the leading `/`) a server accepts. */
export const DEFAULT_MAX_NAMESPACE_LENGTH = 256;

/** Reasons a server-side socket disconnects, exactly as upstream spells them. */
export const ServerDisconnectReasons = [
  "transport error",
  "transport close",
  "forced close",
  "ping timeout",
  "parse error",
  "server shutting down",
  "forced server close",
  "client namespace disconnect",
  "server namespace disconnect",
  "buffer full",
] as const;
/** A server-side disconnect reason. */
export type ServerDisconnectReason = (typeof ServerDisconnectReasons)[number];

/** Reasons a client-side socket disconnects, exactly as upstream spells them. */
export const ClientDisconnectReasons = [
  "io server disconnect",
  "io client disconnect",
  "ping timeout",
  "transport close",
  "transport error",
  "parse error",
] as const;
/** A client-side disconnect reason. */
export type ClientDisconnectReason = (typeof ClientDisconnectReasons)[number];

/**
 * Disconnect reasons after which a session may be restored (connection state recovery):
 * the connection was lost, not closed on purpose.
 */
export const RECOVERABLE_DISCONNECT_REASONS: ReadonlySet<string> = new Set([
  "transport error",
  "transport close",
  "forced close",
  "ping timeout",
  "server shutting down",
  "forced server close",
  "buffer full",
]);

/** Stable error codes of the Socket.IO layer (parser and server); each used for one meaning. */
export const SocketErrorCodes = {
  /** First character is not a packet type 0–6 (or msgpack `type` not 0–4). */
  UNKNOWN_PACKET_TYPE: "SIO_ERR_UNKNOWN_PACKET_TYPE",
  /** Attachment count missing, not a non-negative integer, or not followed by `-`. */
  INVALID_ATTACHMENTS: "SIO_ERR_INVALID_ATTACHMENTS",
  /** Declared attachment count above `maxAttachments`. */
  TOO_MANY_ATTACHMENTS: "SIO_ERR_TOO_MANY_ATTACHMENTS",
  /** An event name longer than `maxEventNameLength`. */
  EVENT_NAME_TOO_LONG: "SIO_ERR_EVENT_NAME_TOO_LONG",
  /** An argument (or CONNECT auth object) nested deeper than `maxDepth`. */
  PAYLOAD_TOO_DEEP: "SIO_ERR_PAYLOAD_TOO_DEEP",
  /** Namespace not a string starting with `/`. */
  INVALID_NAMESPACE: "SIO_ERR_INVALID_NAMESPACE",
  /** Ack id not a non-negative safe integer. */
  INVALID_ACK_ID: "SIO_ERR_INVALID_ACK_ID",
  /** Payload is not valid JSON. */
  INVALID_JSON: "SIO_ERR_INVALID_JSON",
  /** Payload has the wrong shape for its packet type. */
  INVALID_PAYLOAD: "SIO_ERR_INVALID_PAYLOAD",
  /** A binary placeholder with a bad or out-of-range `num`. */
  INVALID_PLACEHOLDER: "SIO_ERR_INVALID_PLACEHOLDER",
  /** A binary chunk arrived while no binary packet was being reconstructed. */
  UNEXPECTED_BINARY: "SIO_ERR_UNEXPECTED_BINARY",
  /** A text packet arrived while attachments were still expected (or text for a binary-only parser). */
  UNEXPECTED_TEXT: "SIO_ERR_UNEXPECTED_TEXT",
  /** The msgpack body could not be decoded. */
  INVALID_MSGPACK: "SIO_ERR_INVALID_MSGPACK",
  /** The decoder was destroyed. */
  DECODER_DESTROYED: "SIO_ERR_DECODER_DESTROYED",
  /** `emit` of a reserved event name. */
  RESERVED_EVENT: "SIO_ERR_RESERVED_EVENT",
  /** An acknowledgement did not arrive in time. */
  ACK_TIMEOUT: "SIO_ERR_ACK_TIMEOUT",
  /** An invalid option or argument given by the application. */
  INVALID_ARGUMENT: "SIO_ERR_INVALID_ARGUMENT",
} as const;
/** A Socket.IO-layer error code. */
export type SocketErrorCode = (typeof SocketErrorCodes)[keyof typeof SocketErrorCodes];
