/**
 * Entry of `presence.min.js`: adds `Presence` to the global `io` that `socket.io.js` (or any
 * Socket.IO client bundle) defines, beside `io.Manager` and `io.Socket`. Load it after that one.
 */
import { Presence } from "./presence.js";

const io = (globalThis as { io?: unknown }).io;
if (typeof io !== "function") {
  throw new Error("presence.min.js: load /socket.io/socket.io.js before it (no global io)");
}
Object.assign(io, { Presence });
