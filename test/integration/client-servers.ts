/**
 * Socket.IO servers for the client suites: the official `socket.io` server always, and
 * Tether's own server when `src/index.ts` exports a working `Server`. Each suite runs once per
 * available server. Servers listen on 127.0.0.1, port 0, and can restart on the same port.
 */
import { createServer, type Server as HttpServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { Server as OfficialServer, type ServerOptions } from "socket.io";

/** The server API the tests use (the official type; Tether's server matches it). */
export type IoServer = OfficialServer;

/** A running server that can be stopped and restarted on the same port. */
export interface TestServer {
  readonly port: number;
  readonly url: string;
  io: IoServer;
  /** Called after every (re)start, to install handlers on the new `io`. */
  setup: (io: IoServer) => void;
  /** Stops the server and drops every connection (clients see a transport close, not a kick). */
  stop(): Promise<void>;
  /** Starts a new server on the same port. */
  restart(): Promise<void>;
}

type Factory = (http: HttpServer, opts: Partial<ServerOptions>) => IoServer;

/** One server implementation under test. */
export interface ServerKind {
  readonly name: string;
  start(
    opts?: Partial<ServerOptions>,
    setup?: (io: IoServer) => void,
    /** Handles the HTTP requests the Socket.IO server does not (e.g. test pages). */
    pages?: RequestListener,
  ): Promise<TestServer>;
}

function listenOn(http: HttpServer, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    http.once("error", reject);
    http.listen(port, "127.0.0.1", () => resolve((http.address() as AddressInfo).port));
  });
}

function kind(name: string, factory: Factory): ServerKind {
  return {
    name,
    async start(opts = {}, setup = () => {}, pages?: RequestListener) {
      const newHttp = () => (pages ? createServer(pages) : createServer());
      let http = newHttp();
      let io = factory(http, opts);
      setup(io);
      const port = await listenOn(http, 0);
      let running = true;
      const server: TestServer = {
        port,
        url: `http://127.0.0.1:${port}`,
        io,
        setup,
        async stop() {
          if (!running) return;
          running = false;
          const closed = new Promise<void>((r) => http.close(() => r()));
          // Like a process going down: no DISCONNECT packets, just the connections closing.
          await new Promise<void>((r) => {
            void io.close(() => r());
          });
          http.closeAllConnections();
          await closed.catch(() => {});
        },
        async restart() {
          await server.stop();
          http = newHttp();
          io = factory(http, opts);
          server.io = io;
          server.setup(io);
          await listenOn(http, port);
          running = true;
        },
      };
      return server;
    },
  };
}

/**
 * The servers available in this checkout (official always; Tether's when it works).
 * `CLIENT_TEST_SERVERS=official` (or `tether`) restricts the list.
 */
export async function serverKinds(): Promise<ServerKind[]> {
  const only = process.env.CLIENT_TEST_SERVERS;
  const kinds = [kind("official socket.io", (http, opts) => new OfficialServer(http, opts))];
  if (only === "official") return kinds;
  if (only === "tether") kinds.pop();
  try {
    const mod = (await import("../../src/index.js")) as { Server?: unknown };
    if (typeof mod.Server === "function") {
      const Tether = mod.Server as new (http: HttpServer, opts: unknown) => IoServer;
      const k = kind("tether", (http, opts) => new Tether(http, opts));
      const probe = await k.start();
      await probe.stop();
      kinds.push(k);
    }
  } catch {
    // Tether's server is not there (yet): run against the official one only.
  }
  return kinds;
}
