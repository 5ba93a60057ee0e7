/**
 * `tether-io`: a Socket.IO v4 server (Engine.IO 4 / Socket.IO 5). Server code written for
 * `socket.io` switches by changing only the import.
 * @example
 * import { Server } from "tether-io";
 * const io = new Server(3000);
 * io.on("connection", (socket) => socket.emit("hello", "world"));
 */
import { Server } from "./server/server.js";

export { InMemoryAdapter, SessionAwareAdapter } from "./adapter/index.js";
export type {
  Adapter,
  AdapterConstructor,
  AdapterHost,
  BroadcastFlags,
  BroadcastOptions,
  PrivateSessionId,
  Room,
  Session,
  SocketId,
} from "./adapter/types.js";
export { EngineServer as Engine, EngineSocket } from "./engine/index.js";
export { defaultParser } from "./parser/socket/default.js";
export { msgpackParser } from "./parser/socket/msgpack.js";
export type { Decoder, Encoder, Parser } from "./parser/socket/types.js";
export { type Packet, PacketType, SOCKET_PROTOCOL as protocol } from "./protocol/socket.js";
export {
  SocketIoAdapterBridge,
  type SocketIoAdapterConstructor,
  type SocketIoAdapterLike,
} from "./server/compat/socketio-adapter.js";
export * from "./server/index.js";
export { Server };
export default Server;
