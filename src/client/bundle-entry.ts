/**
 * Entry of the IIFE browser bundles: sets the global `io` (callable, carrying `Manager`,
 * `Socket`, `protocol`, `io` and `connect`), like upstream's `socket.io.js`. Assigning the global
 * here, instead of through esbuild's `globalName`, keeps its export helpers out of the bundle.
 */
import { io, Manager, protocol, Socket } from "./index.js";

(globalThis as { io?: unknown }).io = Object.assign(io, {
  io,
  connect: io,
  Manager,
  Socket,
  protocol,
});
