/**
 * Engine.IO client options, their defaults (those of upstream's `engine.io-client`) and the
 * request URLs built from them.
 */
import type { TransportName } from "../../protocol/engine.js";

/** Options a single transport may override through `transportOptions`. */
export interface TransportOverrides {
  query?: string | Record<string, string>;
  extraHeaders?: Record<string, string>;
  path?: string;
  withCredentials?: boolean;
}

/** Node-only TLS / agent options, passed to `https.request` and `ws`. */
export interface NodeTlsOptions {
  agent?: unknown;
  pfx?: unknown;
  key?: unknown;
  passphrase?: string;
  cert?: unknown;
  ca?: unknown;
  ciphers?: string;
  rejectUnauthorized?: boolean;
}

/** Options of the Engine.IO client socket. */
export interface EngineClientOptions extends NodeTlsOptions {
  /** Server host name (taken from the URI or the page location when omitted). */
  hostname?: string;
  /** Server port. */
  port?: string | number;
  /** Use https / wss. */
  secure?: boolean;
  /** Request path. @default "/engine.io" */
  path?: string;
  /** Append `/` to the path. @default true */
  addTrailingSlash?: boolean;
  /** Extra query parameters, sent on every request (`handshake.query` on the server). */
  query?: string | Record<string, string>;
  /** Transports to use, in order of preference. @default ["polling", "websocket"] */
  transports?: readonly TransportName[];
  /** Probe and upgrade from polling to websocket. @default true */
  upgrade?: boolean;
  /** Start on websocket directly when a previous connection upgraded successfully. @default false */
  rememberUpgrade?: boolean;
  /** When the first transport fails to open, try the next one in `transports`. @default false */
  tryAllTransports?: boolean;
  /** Headers added to every request (Node; browsers only honour them on polling). */
  extraHeaders?: Record<string, string>;
  /** Send cookies cross-origin (browsers); keep and replay cookies (Node). @default false */
  withCredentials?: boolean;
  /** Add a cache-busting parameter: polling unless `false`, websocket only when `true`. */
  timestampRequests?: boolean;
  /** Name of the cache-busting parameter. @default "t" */
  timestampParam?: string;
  /** Per-transport overrides, e.g. `{ polling: { extraHeaders: {...} } }`. */
  transportOptions?: Partial<Record<TransportName, TransportOverrides>>;
  /** Close the connection on the page's `beforeunload`. @default false */
  closeOnBeforeunload?: boolean;
  /** Node: timers and sockets do not keep the process alive. @default false */
  autoUnref?: boolean;
  /**
   * Use the timer functions captured when the client loaded, not the global ones at each call,
   * so that fake clocks (sinon, jest) do not drive the client's timers. @default false
   */
  useNativeTimers?: boolean;
  /** WebSocket sub-protocols. */
  protocols?: string | string[];
  /** Node `ws` per-message deflate. @default false */
  perMessageDeflate?: boolean | Record<string, unknown>;
}

/**
 * Options after defaults, with the target resolved. Boolean options keep their raw value and
 * are read with their default where used (`upgrade !== false`), which keeps the bundle small.
 */
export interface ResolvedOptions extends EngineClientOptions {
  hostname: string;
  port: string;
  secure: boolean;
  path: string;
  query: Record<string, string>;
  transports: readonly TransportName[];
}

/** Parses `a=1&b=2` into a map-like record. */
export function parseQuery(q: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(q));
}

/** Applies defaults and merges the URI (if any) into the options. */
export function resolveOptions(
  uri: string | undefined,
  opts: EngineClientOptions = {},
): ResolvedOptions {
  let { hostname, port, secure } = opts;
  let query = typeof opts.query === "string" ? parseQuery(opts.query) : { ...opts.query };
  const loc = (globalThis as { location?: { hostname: string; port: string; protocol: string } })
    .location;
  if (uri !== undefined) {
    const u = new URL(uri, loc ? String(loc) : undefined);
    secure = u.protocol === "https:" || u.protocol === "wss:";
    hostname = u.hostname;
    port = u.port;
    if (u.search) query = { ...parseQuery(u.search), ...query };
  }
  hostname ??= loc?.hostname ?? "localhost";
  secure ??= loc?.protocol === "https:";
  port = String(port || (uri === undefined && loc?.port) || (secure ? "443" : "80"));
  let path = (opts.path ?? "/engine.io").replace(/\/$/, "");
  if (opts.addTrailingSlash !== false) path += "/";
  return {
    ...opts,
    hostname,
    port,
    secure,
    path,
    query,
    transports: opts.transports ?? ["polling", "websocket"],
  };
}

let counter = 0;
/** A short unique cache-busting value (time + counter, base 36). */
export function timestamp(): string {
  counter = (counter + 1) % 1296;
  return Date.now().toString(36) + counter.toString(36);
}

/** Builds the URL of one request for `transport`. */
export function buildUrl(
  opts: ResolvedOptions,
  transport: TransportName,
  sid: string | undefined,
): string {
  const over = opts.transportOptions?.[transport];
  const ws = transport === "websocket";
  const s = opts.secure ? "s" : "";
  const host = opts.hostname.includes(":") ? `[${opts.hostname}]` : opts.hostname;
  const params = new URLSearchParams(opts.query);
  const extra = over?.query;
  if (extra !== undefined) {
    for (const [k, v] of Object.entries(typeof extra === "string" ? parseQuery(extra) : extra))
      params.set(k, v);
  }
  params.set("EIO", "4");
  params.set("transport", transport);
  if (sid !== undefined) params.set("sid", sid);
  // Polling is stamped unless `timestampRequests: false`; websocket only when it is `true`.
  if (ws ? opts.timestampRequests : opts.timestampRequests !== false)
    params.set(opts.timestampParam ?? "t", timestamp());
  const port = opts.port === (s ? "443" : "80") ? "" : `:${opts.port}`;
  return `${ws ? "ws" : "http"}${s}://${host}${port}${over?.path ?? opts.path}?${params}`;
}

/** Headers for one request: `extraHeaders`, then the transport's overrides. */
export function buildHeaders(
  opts: ResolvedOptions,
  transport: TransportName,
): Record<string, string> {
  return { ...opts.extraHeaders, ...opts.transportOptions?.[transport]?.extraHeaders };
}
