/**
 * Entry of the IIFE browser bundles: the global `io` is callable and carries `Manager`,
 * `Socket`, `protocol`, `io` and `connect`, like upstream's `socket.io.js`.
 */
import { io, Manager, protocol, Socket } from "./index.js";

export default Object.assign(io, { io, connect: io, Manager, Socket, protocol });
