/**
 * What the Engine.IO client needs from its runtime, and the browser implementation of it
 * (`fetch`, the native `WebSocket`, `location`). The Node implementation lives in
 * `platform.node.ts`; the browser bundle maps that file back to this one, so Node-only code
 * (`node:http`, `ws`) never reaches a page.
 */

/** One long-polling HTTP request. */
export interface HttpRequest {
  readonly method: "GET" | "POST";
  readonly url: string;
  readonly headers: ReadonlyMap<string, string>;
  readonly body?: string;
  readonly withCredentials: boolean;
  readonly signal: AbortSignal;
  /** Node: TLS and agent options, passed to `https.request`. */
  readonly nodeOptions?: Readonly<Record<string, unknown>> | undefined;
  /** Node: do not keep the process alive for this request. */
  readonly unref?: boolean;
}

/** The part of an HTTP response the polling transport reads. */
export interface HttpResponse {
  readonly status: number;
  readonly body: string;
  /** `Set-Cookie` values (Node only; browsers manage cookies themselves). */
  readonly setCookies: readonly string[];
}

/** Minimal WebSocket surface shared by the browser's `WebSocket` and Node's `ws`. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** Options for opening a WebSocket. */
export interface WebSocketInit {
  readonly url: string;
  readonly protocols: string | readonly string[] | undefined;
  readonly headers: ReadonlyMap<string, string>;
  readonly nodeOptions?: Readonly<Record<string, unknown>> | undefined;
  readonly unref?: boolean;
  /** Called with the `Set-Cookie` values of the upgrade response (Node only). */
  readonly onSetCookies?: (cookies: readonly string[]) => void;
}

/** Runtime services used by the client. */
export interface Platform {
  /** True in Node: cookies are kept by the client, headers and TLS options apply everywhere. */
  readonly isNode: boolean;
  request(req: HttpRequest): Promise<HttpResponse>;
  /** Returns undefined when no WebSocket implementation exists (e.g. blocked in a page). */
  createWebSocket(init: WebSocketInit): WebSocketLike | undefined;
  /** Lets a timer not keep the process alive (no-op in browsers). */
  unref(timer: ReturnType<typeof setTimeout>): void;
  /** A cookie store for `withCredentials` (Node only; browsers keep cookies themselves). */
  createCookieJar(): CookieStore | undefined;
}

/** Keeps cookies between requests of one client. */
export interface CookieStore {
  parse(setCookies: readonly string[]): void;
  header(): string | undefined;
}

async function fetchRequest(req: HttpRequest): Promise<HttpResponse> {
  const headers: Record<string, string> = {};
  for (const [k, v] of req.headers) headers[k] = v;
  const init: RequestInit = {
    method: req.method,
    headers,
    credentials: req.withCredentials ? "include" : "same-origin",
    signal: req.signal,
    cache: "no-store",
  };
  if (req.body !== undefined) init.body = req.body;
  const res = await fetch(req.url, init);
  return { status: res.status, body: await res.text(), setCookies: [] };
}

function createNativeWebSocket(init: WebSocketInit): WebSocketLike | undefined {
  const Ctor = (globalThis as { WebSocket?: new (url: string, p?: string | string[]) => unknown })
    .WebSocket;
  if (typeof Ctor !== "function") return undefined;
  const protocols = init.protocols === undefined ? undefined : init.protocols;
  return (
    protocols === undefined ? new Ctor(init.url) : new Ctor(init.url, protocols as string[])
  ) as WebSocketLike;
}

/** Browser platform: `fetch` + native `WebSocket`. */
export const platform: Platform = {
  isNode: false,
  request: fetchRequest,
  createWebSocket: createNativeWebSocket,
  unref() {},
  createCookieJar: () => undefined,
};
