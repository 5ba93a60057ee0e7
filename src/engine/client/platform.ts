/**
 * What the Engine.IO client needs from its runtime, and the browser implementation of it
 * (`fetch`, the native `WebSocket`). The Node implementation lives in `platform.node.ts`; the
 * browser bundle maps that file back to this one, so Node-only code (`node:http`, `ws`, TLS
 * options, cookies, `unref`) never reaches a page.
 */
import type { ResolvedOptions } from "./options.js";

/**
 * True in the Node implementation. A constant, so the bundler drops Node-only branches
 * (`if (isNode) …`) from the browser build — esbuild inlines it only while this module has no
 * runtime imports (type imports are fine).
 */
export const isNode = false;

/**
 * How received binary is delivered (engine.io-client's `binaryType`): in Node, `nodebuffer` gives
 * Buffers and `arraybuffer` ArrayBuffers; in browsers, `blob` gives Blobs and anything else
 * ArrayBuffers.
 */
export type BinaryType = "nodebuffer" | "arraybuffer" | "blob";

/** A received message: text, or binary as the socket's `binaryType` asks. */
export type MessageData = string | Uint8Array | ArrayBuffer | Blob;

/**
 * Received bytes as `binaryType` asks: a Blob for `blob`, else (as engine.io-client in browsers)
 * an ArrayBuffer. Browser bytes always fill their buffer (a WebSocket's ArrayBuffer, a decoded
 * base64 record), so no copy is made.
 */
export const asBinaryType = (d: Uint8Array, type: BinaryType): MessageData =>
  type === "blob" ? new Blob([d as Uint8Array<ArrayBuffer>]) : (d.buffer as ArrayBuffer);

/** One long-polling HTTP request. */
export interface HttpRequest {
  readonly method: "GET" | "POST";
  readonly url: string;
  readonly body?: string | undefined;
  readonly signal: AbortSignal;
  /** `extraHeaders` for polling (Node adds the jar's `Cookie`). */
  readonly headers: Record<string, string>;
  /** The connection's options: credentials, and (Node) TLS options and `autoUnref`. */
  readonly opts: ResolvedOptions;
  /** Node: the connection's cookie jar (`withCredentials`). */
  readonly jar?: CookieStore | undefined;
}

/** The part of an HTTP response the polling transport reads. */
export interface HttpResponse {
  readonly status: number;
  readonly body: string;
}

/** Minimal WebSocket surface shared by the browser's `WebSocket` and Node's `ws`. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  /** `options` reaches `ws` (per-message `compress`); browsers ignore it. */
  send(data: string | Uint8Array, options?: { compress?: boolean }): void;
  close(code?: number, reason?: string): void;
}

/** Runtime services used by the client. */
export interface Platform {
  request(req: HttpRequest): Promise<HttpResponse>;
  /**
   * Opens a WebSocket with binary delivered as bytes (`arraybuffer` / `nodebuffer`); returns
   * undefined when no WebSocket implementation exists (e.g. blocked in a page).
   */
  createWebSocket(
    url: string,
    opts: ResolvedOptions,
    jar: CookieStore | undefined,
  ): WebSocketLike | undefined;
  /** A cookie store for `withCredentials` (Node only; browsers keep cookies themselves). */
  createCookieJar?(): CookieStore;
}

/** Keeps cookies between requests of one client. */
export interface CookieStore {
  parse(setCookies: readonly string[]): void;
  header(): string | undefined;
}

/** Browser platform: `fetch` + native `WebSocket`. */
export const platform: Platform = {
  async request({ method, url, body, signal, headers, opts }) {
    const res = await fetch(url, {
      method,
      body: body ?? null,
      signal,
      headers,
      credentials:
        (opts.transportOptions?.polling?.withCredentials ?? opts.withCredentials)
          ? "include"
          : "same-origin",
      cache: "no-store",
    });
    return { status: res.status, body: await res.text() };
  },
  createWebSocket(url, opts) {
    const Ctor = (globalThis as { WebSocket?: new (url: string, p?: string | string[]) => unknown })
      .WebSocket;
    if (typeof Ctor !== "function") return undefined;
    const ws = new Ctor(url, opts.protocols) as WebSocketLike;
    ws.binaryType = "arraybuffer";
    return ws;
  },
};
