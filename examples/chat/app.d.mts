// Types of app.mjs for TypeScript callers (the browser tests start the chat in-process).
import type { Server as HttpServer } from "node:http";

/**
 * The parts of the Socket.IO server that callers of the chat touch. Written structurally so
 * this file does not name an implementation (io.mjs is the only place that does).
 */
export interface ChatIoServer {
  on(event: "connection", listener: (socket: ChatIoSocket) => void): unknown;
  off(event: "connection", listener: (socket: ChatIoSocket) => void): unknown;
}

/** A server-side connection, as far as callers of the chat need it. */
export interface ChatIoSocket {
  readonly id: string;
  readonly conn: { readonly transport: { readonly name: string } };
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** Options of {@link createChatServer}. */
export interface ChatServerOptions {
  /** TCP port; 0 picks a free one. @default 3000 */
  port?: number;
  /** Interface to listen on. @default "127.0.0.1" */
  host?: string;
  /** Called with errors thrown by chat handlers and Redis connection errors. */
  onError?: (err: unknown) => void;
  /**
   * Share rooms with every chat using the same Redis (e.g. `redis://127.0.0.1:6379`): two
   * node-redis clients and Tether's Redis adapter. Without it the chat runs in memory.
   */
  redisUrl?: string;
  /** The `node` label of this process's metrics (`GET /metrics`). @default `${hostname}:${pid}` */
  node?: string;
}

/** A running chat. */
export interface ChatServer {
  /** Where the chat is served, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  /** The port actually bound. */
  readonly port: number;
  /** The Socket.IO server. */
  readonly io: ChatIoServer;
  /** The HTTP server. */
  readonly http: HttpServer;
  /** The Prometheus registry served at `GET /metrics` (a prom-client `Registry`). */
  readonly metrics: { metrics(): Promise<string> };
  /**
   * Disconnects everyone, stops listening and closes the Redis clients. With `{ drain: ms }`,
   * a graceful drain (`io.close({ drain })`): new connections are refused, connected tabs are
   * asked to reconnect elsewhere in batches over the window.
   */
  close(options?: { drain?: number }): Promise<void>;
}

/** Starts the chat: Express page + Socket.IO on one HTTP server. */
export function createChatServer(options?: ChatServerOptions): Promise<ChatServer>;
