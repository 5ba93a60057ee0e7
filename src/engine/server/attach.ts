/**
 * Hooking an engine into a Node HTTP server the way upstream's `attach` does: engine paths are
 * served by the engine, every other request reaches the server's previous `request` listeners.
 */
import type { Server as HttpServer, IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { type AttachOptions, computePath } from "./options.js";

/** What `attachToServer` drives. */
export interface AttachTarget {
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

function noop(): void {}

/** True when `url` is under `path` (upstream prefix rule; stricter without trailing slash). */
export function underPath(url: string | undefined, path: string): boolean {
  if (url === undefined || !url.startsWith(path)) return false;
  if (path.endsWith("/")) return true;
  const next = url.charAt(path.length);
  return next === "" || next === "/" || next === "?";
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Attaches `engine` to `server` (see `EngineServer.attach`). */
export function attachToServer(
  server: HttpServer,
  opts: AttachOptions,
  engine: AttachTarget,
  websocket: boolean,
): void {
  const path = computePath(opts);
  const destroyUpgrade = opts.destroyUpgrade !== false;
  const destroyUpgradeTimeout = opts.destroyUpgradeTimeout ?? 1000;
  server.on("close", () => engine.close());
  const previous = server.listeners("request").slice() as RequestListener[];
  server.removeAllListeners("request");
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (underPath(req.url, path)) engine.handleRequest(req, res);
    else for (const l of previous) l.call(server, req, res);
  });
  if (!websocket) return;
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (underPath(req.url, path)) {
      engine.handleUpgrade(req, socket, head);
      return;
    }
    // Node drops its own error listener when it hands a socket to `upgrade` listeners: without
    // this, a reset before anyone answers is an unhandled 'error' that kills the process
    // (the class of CVE-2022-41940).
    socket.on("error", noop);
    if (!destroyUpgrade) return;
    // Listening to `upgrade` disables Node's default of destroying unanswered upgrades, so an
    // upgrade nobody else answers is ended here.
    const timer = setTimeout(() => {
      const written = "bytesWritten" in socket ? Number(socket.bytesWritten) : 0;
      if (socket.writable && written <= 0) socket.end();
    }, destroyUpgradeTimeout);
    timer.unref();
  });
}
