/** Shared setup for the server's interop/integration tests: servers on port 0, official clients. */
import { createServer, type Server as HttpServer } from "node:http";
import {
  type Socket as ClientSocket,
  io as ioc,
  type ManagerOptions,
  type SocketOptions,
} from "socket.io-client";
import { Server, type ServerOptions } from "../../src/index.js";
import { closeServer, listen } from "../helpers/wait.js";

export type TransportMode = "websocket" | "polling" | "upgrade";
export const MODES: readonly TransportMode[] = ["websocket", "polling", "upgrade"];

export interface Fixture {
  readonly io: Server;
  readonly http: HttpServer;
  readonly port: number;
  readonly url: string;
  /** Opens an official client; closed automatically by `close()`. */
  client(nsp?: string, opts?: Partial<ManagerOptions & SocketOptions>): ClientSocket;
  close(): Promise<void>;
}

export function transportOptions(mode: TransportMode): Partial<ManagerOptions> {
  if (mode === "websocket") return { transports: ["websocket"] };
  if (mode === "polling") return { transports: ["polling"] };
  return { transports: ["polling", "websocket"], upgrade: true };
}

/** Starts a Tether server on 127.0.0.1:0 and returns helpers bound to it. */
export async function startServer(
  opts: ServerOptions = {},
  mode: TransportMode = "websocket",
): Promise<Fixture> {
  const http = createServer();
  const io = new Server(http, opts);
  const port = await listen(http);
  const url = `http://127.0.0.1:${port}`;
  const clients: ClientSocket[] = [];
  return {
    io,
    http,
    port,
    url,
    client(nsp = "/", copts = {}) {
      const s = ioc(`${url}${nsp}`, {
        forceNew: true,
        reconnection: false,
        ...transportOptions(mode),
        ...copts,
      });
      clients.push(s);
      return s;
    },
    async close() {
      for (const c of clients) c.io.engine?.close();
      for (const c of clients) c.disconnect();
      await io.close();
      await closeServer(http);
    },
  };
}

/** Resolves with the args of the next `event` on a client or server socket. */
export function next<T extends unknown[] = unknown[]>(
  emitter: { once(ev: string, fn: (...args: never[]) => void): unknown },
  event: string,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for '${event}'`)),
      timeoutMs,
    );
    emitter.once(event, ((...args: T) => {
      clearTimeout(timer);
      resolve(args);
    }) as unknown as (...args: never[]) => void);
  });
}
