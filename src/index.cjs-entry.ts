/**
 * CommonJS entry of `tether-io` (built into `dist/cjs/index.cjs` by scripts/build.mjs; the ESM
 * build does not use it). socket.io compatibility: `require("socket.io")` is a callable factory,
 * and CommonJS code calls it directly — `require("socket.io")(httpServer, opts)`,
 * `require("socket.io")(3000)` — or reads `.Server` from it. The export here is the same: a
 * function that creates a {@link Server}, carrying every named export of the package as a
 * property (`Server`, `Namespace`, `Socket`, …) and `default` (the `Server` class, as the ESM
 * default export).
 * @example
 * const io = require("tether-io")(3000);
 * const { Server } = require("tether-io");
 */
import * as api from "./index.js";
import type { ServerOptions } from "./server/options.js";
import { type AttachableServer, Server } from "./server/server.js";

/** `require("tether-io")`: creates a server; also callable with `new`. */
function createServer(
  srv?: AttachableServer | number | ServerOptions,
  opts?: ServerOptions,
): Server {
  // A plain function returning an object: `new` on it returns that object too.
  return srv !== undefined && typeof srv === "object" && !("listen" in srv)
    ? new Server(srv)
    : new Server(srv, opts);
}

module.exports = Object.assign(createServer, api);
