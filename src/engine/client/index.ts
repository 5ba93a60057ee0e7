/**
 * Engine.IO client (browser-safe): polling over fetch / node:http, WebSocket (native or `ws`),
 * upgrade, heartbeat. Node-only code lives in `*.node.ts`, swapped out by the browser bundle.
 */
export { ENGINE_PROTOCOL as protocol } from "../../protocol/engine.js";
export type { EngineClientOptions, NodeTlsOptions, TransportOverrides } from "./options.js";
export type { BinaryType, MessageData, Platform } from "./platform.js";
export { isNode, platform as clientPlatform } from "./platform.node.js";
export {
  type ClientCloseReason,
  type ClientPacket,
  ClientSocket,
  type ClientSocketEvents,
  type ClientSocketState,
  type PacketOptions,
} from "./socket.js";
export { type ClientTransport, TransportError } from "./transport.js";
