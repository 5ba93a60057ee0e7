/**
 * `tether-io/engine`: the Engine.IO v4 server and client.
 * @see docs/protocol/engine-io.md
 */
export type { CloseReason, EnginePacket, RawData, TransportName } from "../protocol/engine.js";
export { ErrorCodes, ErrorMessages } from "../protocol/engine.js";
export {
  type BinaryType,
  type ClientCloseReason,
  type ClientPacket,
  ClientSocket,
  type ClientSocketEvents,
  type ClientSocketState,
  type ClientTransport,
  type EngineClientOptions,
  type MessageData,
  type PacketOptions,
  TransportError,
} from "./client/index.js";
export { EngineServerErrors } from "./server/errors.js";
export type {
  AllowRequestCallback,
  AttachOptions,
  CookieOptions,
  CorsOptions,
  EngineMiddleware,
  EngineServerOptions,
  ResolvedEngineOptions,
} from "./server/options.js";
export { type PreEncodedPacket, preEncode } from "./server/outbound.js";
export {
  type ConnectionErrorEvent,
  EngineServer,
  type EngineServerEvents,
} from "./server/server.js";
export {
  type EngineOutgoingPacketEvent,
  type EnginePacketEvent,
  EngineSocket,
  type EngineSocketEvents,
  type SendOptions,
} from "./server/socket.js";
