/**
 * The chat application: an Express app serving `public/`, with a Socket.IO server attached to
 * the same HTTP server (which also serves the browser client at `/socket.io/socket.io.js`).
 */
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import express from "express";
import { Registry } from "prom-client";
import { collectMetrics } from "tether-io/metrics";
import { attachChat } from "./chat.mjs";
import { Server } from "./io.mjs";
import { LIMITS } from "./limits.mjs";
import { connectRedis } from "./redis.mjs";

const publicDir = join(dirname(fileURLToPath(import.meta.url)), "public");
/** How often the server measures each tab's round trip (an emit the page acknowledges). */
const LATENCY_PROBE_MS = 15_000;

// User content is only ever shown as text or as blob: images, so the page needs nothing else.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * @typedef {object} ChatServerOptions
 * @property {number} [port] TCP port; 0 picks a free one. @default 3000
 * @property {string} [host] Interface to listen on. @default "127.0.0.1"
 * @property {(err: unknown) => void} [onError] Called with errors thrown by chat handlers and
 *   Redis connection errors.
 * @property {string} [redisUrl] Share rooms with every chat using the same Redis (e.g.
 *   `redis://127.0.0.1:6379`); without it the chat runs on this process alone, in memory.
 * @property {string} [node] The `node` label of this process's metrics (`GET /metrics`).
 *   @default `${hostname}:${pid}`
 *
 * @typedef {object} ChatServer
 * @property {string} url Where the chat is served, e.g. `http://127.0.0.1:3000`.
 * @property {number} port The port actually bound.
 * @property {import("./app.d.mts").ChatIoServer} io The Socket.IO server.
 * @property {import("node:http").Server} http The HTTP server.
 * @property {Registry} metrics The Prometheus registry served at `/metrics`.
 * @property {(options?: { drain?: number }) => Promise<void>} close Disconnects everyone,
 *   stops listening and closes the Redis clients. With `{ drain: ms }`, new connections are
 *   refused at once and connected tabs are moved away gradually over the window (they reconnect
 *   to another chat process behind the same load balancer and rejoin their room).
 */

/**
 * Starts the chat.
 * @param {ChatServerOptions} [options]
 * @returns {Promise<ChatServer>}
 * @example
 * const chat = await createChatServer({ port: 0 });
 * console.log(`open ${chat.url}`);
 * await chat.close();
 */
export async function createChatServer(options = {}) {
  const { port = 3000, host = "127.0.0.1", onError, redisUrl, node } = options;
  const redis = redisUrl ? await connectRedis(redisUrl, onError ?? (() => {})) : undefined;
  const app = express();
  app.disable("x-powered-by");
  app.use((_req, res, next) => {
    res.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "no-referrer");
    next();
  });
  app.use(express.static(publicDir));

  const http = createServer(app);
  const io = new Server(http, {
    maxHttpBufferSize: LIMITS.maxHttpBufferSize,
    ...(redis ? { adapter: redis.adapter } : {}),
  });
  const chat = attachChat(io, { ...(onError ? { onError } : {}), clustered: redis !== undefined });

  // Prometheus metrics of this process at GET /metrics (docs/observability.md lists them; a
  // public deployment would serve them on an internal port instead). Tether-specific: with
  // io.mjs switched to the official server, drop these lines.
  const registry = new Registry();
  const metrics = collectMetrics(io, {
    register: registry,
    defaultMetrics: true,
    ...(node ? { node } : {}),
  });
  app.get("/metrics", metrics.handler);
  // Each tab's round trip, measured by the server: an emit the page acknowledges at once. The
  // acks feed `tether_ack_duration_seconds` (and `tether_ack_timeouts_total` for silent tabs).
  io.on("connection", (socket) => {
    const probe = () => socket.timeout(5000).emit("latency", () => {});
    probe();
    const timer = setInterval(probe, LATENCY_PROBE_MS);
    timer.unref();
    socket.on("disconnect", () => clearInterval(timer));
  });

  try {
    await new Promise((resolve, reject) => {
      http.once("error", reject);
      http.listen(port, host, () => {
        http.off("error", reject);
        resolve(undefined);
      });
    });
  } catch (err) {
    chat.close();
    metrics.close();
    await io.close();
    await redis?.close();
    throw err;
  }
  const address = http.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  const urlHost =
    host === "0.0.0.0" || host === "::" ? "localhost" : host.includes(":") ? `[${host}]` : host;

  /** @type {Promise<void> | undefined} */
  let closing;
  /** @param {{ drain?: number }} [options] */
  const close = (options = {}) => {
    closing ??= (async () => {
      const closed = new Promise((resolve) => http.once("close", resolve));
      if (options.drain === undefined) {
        chat.close();
        await io.close();
      } else {
        // Handlers keep running while tabs leave; pending announcements stop afterwards.
        await io.close({ drain: options.drain });
        chat.close();
      }
      // Socket.IO closes the HTTP server it is attached to; make sure of it, and end idle
      // keep-alive connections so the port is free at once.
      if (http.listening) http.close();
      http.closeAllConnections();
      await closed;
      // After io.close(): the adapter has told the other nodes this one is gone.
      await redis?.close();
      metrics.close();
    })();
    return closing;
  };

  return {
    url: `http://${urlHost}:${boundPort}`,
    port: boundPort,
    io,
    http,
    metrics: registry,
    close,
  };
}
