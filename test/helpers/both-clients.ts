/**
 * Tests that run a Tether server against both clients (the official `socket.io-client` and
 * Tether's): a server per test with its cleanup, and the two clients behind one small interface.
 */
import { createServer } from "node:http";
import { afterEach } from "node:test";
import { io as officialIo } from "socket.io-client";
import { io as tetherIo } from "../../src/client/index.js";
import { Server, type ServerOptions } from "../../src/index.js";
import { closeServer, listen, onceEvent } from "./wait.js";

/** What the tests need of a client socket (both clients have it). */
export interface TestClient {
  connected: boolean;
  emit(ev: string, ...args: unknown[]): unknown;
  emitWithAck(ev: string, ...args: unknown[]): Promise<unknown>;
  on(ev: string, fn: (...args: never[]) => void): unknown;
  once(ev: string, fn: (...args: never[]) => void): unknown;
  disconnect(): unknown;
}

export type Connect = (url: string, auth?: Record<string, unknown>) => TestClient;

const opts = { forceNew: true, reconnection: false, transports: ["websocket"] as "websocket"[] };

/** Both clients, by name: WebSocket only, no reconnection. */
export const CLIENTS: readonly [string, Connect][] = [
  [
    "socket.io-client",
    (url, auth = {}) => officialIo(url, { ...opts, auth }) as unknown as TestClient,
  ],
  ["tether client", (url, auth = {}) => tetherIo(url, { ...opts, auth }) as unknown as TestClient],
];

/**
 * Registers an `afterEach` that runs the cleanups in reverse; returns `start` (a Tether server
 * on 127.0.0.1:0 set up by `setup`, resolving with its URL) and `connect` (a client, connected).
 */
export function bothClientsFixture() {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });
  async function start(setup: (io: Server) => void, options: ServerOptions = {}): Promise<string> {
    const http = createServer();
    const io = new Server(http, options);
    setup(io);
    const port = await listen(http);
    cleanups.push(async () => {
      await io.close();
      await closeServer(http);
    });
    return `http://127.0.0.1:${port}`;
  }
  async function connect(
    make: Connect,
    url: string,
    auth?: Record<string, unknown>,
  ): Promise<TestClient> {
    const c = make(url, auth);
    cleanups.push(() => c.disconnect());
    await onceEvent(c, "connect");
    return c;
  }
  return { start, connect, cleanups };
}
