/**
 * socket.io's own Redis adapter (`@socket.io/redis-adapter`, classic pub/sub and sharded pub/sub)
 * running unchanged inside Tether nodes: the shared adapter suite, three nodes in separate
 * processes on a private redis-server.
 */
import { adapterSuite } from "./adapter-suite.js";
import { socketIoRedisBackend } from "./socketio-backends.js";

adapterSuite(socketIoRedisBackend("socket.io Redis adapter (classic) in Tether", "sio-redis"));
adapterSuite(
  socketIoRedisBackend("socket.io Redis adapter (sharded) in Tether", "sio-redis-sharded"),
);
