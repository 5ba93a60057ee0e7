/** Raw HTTP / raw WebSocket helpers for the engine conformance tests (no engine client code). */
import { createServer, type IncomingHttpHeaders, request, type Server } from "node:http";
import type { TestContext } from "node:test";
import { WebSocket } from "ws";
import {
  type AttachOptions,
  EngineServer,
  type EngineServerOptions,
  type EngineSocket,
} from "../../src/engine/index.js";
import { closeServer, listen } from "../helpers/wait.js";

export interface Harness {
  engine: EngineServer;
  http: Server;
  port: number;
  /** `/engine.io/?EIO=4&transport=polling` + extra query. */
  path(query?: string, transport?: string): string;
}

/** Starts an engine on a fresh HTTP server on port 0; disposed when the test ends. */
export async function startEngine(
  t: TestContext,
  opts?: EngineServerOptions,
  attach?: AttachOptions,
  engine = new EngineServer(opts),
): Promise<Harness> {
  const http = createServer();
  engine.attach(http, attach);
  const port = await listen(http);
  t.after(async () => {
    engine.close();
    await closeServer(http);
  });
  return {
    engine,
    http,
    port,
    path: (query = "", transport = "polling") =>
      `/engine.io/?EIO=4&transport=${transport}${query ? `&${query}` : ""}`,
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/** One raw HTTP request (no agent, no automatic decompression). */
export function raw(
  port: number,
  method: string,
  path: string,
  opts: { body?: string | Buffer; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        agent: false,
        headers: opts.headers,
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            text: body.toString(),
          });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

export interface OpenData {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  maxPayload: number;
}

/** Polling handshake; returns the parsed open packet and the raw response. */
export async function handshake(
  h: Harness,
  query = "",
): Promise<{ open: OpenData; res: RawResponse; rest: string[] }> {
  const res = await raw(h.port, "GET", h.path(query));
  if (res.status !== 200) throw new Error(`handshake failed: ${res.status} ${res.text}`);
  const [first = "", ...rest] = res.text.split("\x1e");
  if (!first.startsWith("0")) throw new Error(`not an open packet: ${first}`);
  return { open: JSON.parse(first.slice(1)) as OpenData, res, rest };
}

/** Polling GET for a session. */
export function poll(h: Harness, sid: string, signal?: AbortSignal): Promise<RawResponse> {
  return raw(h.port, "GET", h.path(`sid=${sid}`), signal ? { signal } : {});
}

/** Polling POST for a session. */
export function post(
  h: Harness,
  sid: string,
  body: string | Buffer,
  headers?: Record<string, string>,
): Promise<RawResponse> {
  return raw(h.port, "POST", h.path(`sid=${sid}`), {
    body,
    headers: { "Content-Type": "text/plain;charset=UTF-8", ...headers },
  });
}

/** A raw ws client with a queue of received frames. */
export class WsClient {
  readonly ws: WebSocket;
  readonly frames: (string | Buffer)[] = [];
  closed = false;
  closeCode = 0;
  #waiters: (() => void)[] = [];

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on("message", (data: Buffer, isBinary: boolean) => {
      this.frames.push(isBinary ? data : data.toString());
      this.#wake();
    });
    this.ws.on("close", (code) => {
      this.closed = true;
      this.closeCode = code;
      this.#wake();
    });
    this.ws.on("error", () => {});
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /** Resolves once the socket is open; rejects on an HTTP error (unexpected-response). */
  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState === WebSocket.OPEN) resolve();
      this.ws.once("open", () => resolve());
      this.ws.once("unexpected-response", (_req, res) =>
        reject(new Error(`HTTP ${res.statusCode}`)),
      );
      this.ws.once("error", reject);
    });
  }

  /** Next received frame (waits up to `timeoutMs`). */
  async next(timeoutMs = 5000): Promise<string | Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.closed) throw new Error("ws closed while waiting for a frame");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for a ws frame");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.frames.shift() as string | Buffer;
  }

  /** Resolves when the socket is closed. */
  async closedP(timeoutMs = 5000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for ws close");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.closeCode;
  }

  send(data: string | Buffer): void {
    this.ws.send(data);
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Opens a raw ws to the engine; closed when the test ends. */
export function openWs(t: TestContext, h: Harness, query = ""): WsClient {
  const c = new WsClient(`ws://127.0.0.1:${h.port}${h.path(query, "websocket")}`);
  t.after(() => c.close());
  return c;
}

/** Resolves with the next `connection` of `engine`. */
export function nextConnection(engine: EngineServer): Promise<EngineSocket> {
  return new Promise((resolve) => engine.once("connection", resolve));
}
