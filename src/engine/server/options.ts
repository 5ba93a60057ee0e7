/**
 * Engine.IO server options: public shapes, defaults, and their resolution into one frozen record.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TransportName } from "../../protocol/engine.js";
import { serializeCookie } from "./cookie.js";

/** Callback of `allowRequest`: a falsy error and `true` accept the request. */
export type AllowRequestCallback = (err: string | null | undefined, success: boolean) => void;

/** Express-style middleware run on every engine request (polling and WebSocket upgrades). */
export type EngineMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

/** A value the CORS `origin` option may resolve to. */
export type CorsOriginValue = boolean | string | RegExp | readonly (string | RegExp)[];

/** CORS options, with the semantics of the `cors` npm middleware. */
export interface CorsOptions {
  /**
   * Allowed origin(s): `"*"`, one origin, a RegExp, a list, `true` (reflect the request origin),
   * `false` (no CORS), or a function deciding per request origin.
   * @default "*"
   */
  origin?:
    | CorsOriginValue
    | ((
        origin: string | undefined,
        cb: (err: Error | null, allow?: CorsOriginValue) => void,
      ) => void);
  /** Sends `Access-Control-Allow-Credentials: true`. @default false */
  credentials?: boolean;
  /** Methods allowed in a preflight. @default "GET,HEAD,PUT,PATCH,POST,DELETE" */
  methods?: string | readonly string[];
  /** Headers allowed in a preflight; when absent the requested headers are reflected. */
  allowedHeaders?: string | readonly string[];
  /** Response headers the browser may read. */
  exposedHeaders?: string | readonly string[];
  /** Preflight cache lifetime in seconds. */
  maxAge?: number;
  /** Status of a successful preflight. @default 204 */
  optionsSuccessStatus?: number;
}

/** Options of the sticky-session cookie set on the handshake response. */
export interface CookieOptions {
  /** @default "io" */
  name?: string;
  /** `false` omits the attribute. @default "/" */
  path?: string | false;
  /** @default true (false when `path` is false) */
  httpOnly?: boolean;
  /** @default "lax" */
  sameSite?: boolean | "lax" | "strict" | "none";
  domain?: string;
  secure?: boolean;
  /** Lifetime in seconds. */
  maxAge?: number;
  expires?: Date;
  partitioned?: boolean;
}

/**
 * Limits on what one session may have queued for its client (see docs/security.md). A client that
 * stops reading makes its queue grow; these bound it.
 */
export interface BackpressureOptions {
  /**
   * Queued bytes at or above which the session is congested (`needsDrain`): `volatile` packets are
   * dropped and a packet sent with a `latest` key replaces the older queued packet of that key.
   * @default 1048576 (1 MiB)
   */
  highWaterMark?: number;
  /**
   * Queued bytes a new packet may not push the session past: the session closes at once with reason
   * `buffer full` (a recoverable reason; stock clients reconnect). A single packet larger than this is
   * still sent when nothing else is queued.
   * @default 8388608 (8 MiB)
   */
  maxBufferedBytes?: number;
  /** Queued packets a session may hold before it closes with `buffer full`. @default 100000 */
  maxBufferedPackets?: number;
}

/** Options of {@link EngineServer}. */
export interface EngineServerOptions {
  /** Milliseconds between server pings. @default 25000 */
  pingInterval?: number;
  /** Milliseconds the client has to answer a ping. @default 20000 */
  pingTimeout?: number;
  /** Milliseconds an upgrade may take before the probe is dropped. @default 10000 */
  upgradeTimeout?: number;
  /** Largest accepted message / polling body in bytes (advertised as `maxPayload`). @default 1e6 */
  maxHttpBufferSize?: number;
  /** Enabled transports. @default ["polling", "websocket"] */
  transports?: TransportName[];
  /** Whether polling sessions may upgrade to WebSocket. @default true */
  allowUpgrades?: boolean;
  /** Decides whether a handshake is accepted (refusal → 403 code 4). */
  allowRequest?: (req: IncomingMessage, fn: AllowRequestCallback) => void;
  /** WebSocket permessage-deflate (passed to `ws`). @default false */
  perMessageDeflate?: boolean | object;
  /** Compression of polling responses. @default { threshold: 1024 } */
  httpCompression?: boolean | { threshold?: number };
  /** Sticky-session cookie on the handshake response. @default false */
  cookie?: boolean | CookieOptions;
  /** CORS headers on polling responses. @default undefined (no CORS headers) */
  cors?: CorsOptions;
  /** An extra `message` packet sent right after the open packet. */
  initialPacket?: string | Uint8Array;
  /**
   * Accepts Engine.IO protocol 3 clients (the Socket.IO v2 client, still common on embedded and
   * mobile platforms): client-initiated heartbeat, length-prefixed polling payloads, binary with
   * its type byte. The Socket.IO server then speaks Socket.IO protocol 4 to them (see the
   * "Legacy clients" section of docs/server.md). When off, a handshake without `EIO=4` is refused
   * with 400 `{"code":5,"message":"Unsupported protocol version"}`.
   * @default false
   */
  allowEIO3?: boolean;
  /**
   * Outgoing-buffer limits per session; `false` leaves buffers unbounded (upstream's behaviour).
   * @default { highWaterMark: 1 MiB, maxBufferedBytes: 8 MiB, maxBufferedPackets: 100000 }
   */
  backpressure?: BackpressureOptions | false;
  /**
   * Open sessions allowed per remote address (`req.socket.remoteAddress`; behind a proxy that is the
   * proxy's address). A handshake beyond it gets 429 `{"code":6,"message":"Too many connections"}`.
   * @default Infinity
   */
  maxConnectionsPerIp?: number;
  /**
   * Polling requests (GET and POST) per second one session may make, as a token bucket whose burst
   * is the same number. A request over the rate gets 429 `{"code":7,"message":"Too many requests"}`
   * and the session closes (`transport error`). `false` disables the limit.
   * @default 1000
   */
  pollingRateLimit?: number | false;
}

/** Options of {@link EngineServer.attach}. */
export interface AttachOptions {
  /** Path the engine answers under. @default "/engine.io" */
  path?: string;
  /** Appends `/` to the path (so `/engine.io/…` matches and `/engine.io?…` does not). @default true */
  addTrailingSlash?: boolean;
  /** Ends upgrade requests outside the path that no other listener answered. @default true */
  destroyUpgrade?: boolean;
  /** Milliseconds to wait before ending such an upgrade request. @default 1000 */
  destroyUpgradeTimeout?: number;
}

/** Options after defaults are applied. */
export interface ResolvedEngineOptions {
  readonly pingInterval: number;
  readonly pingTimeout: number;
  readonly upgradeTimeout: number;
  readonly maxHttpBufferSize: number;
  readonly transports: readonly TransportName[];
  readonly allowUpgrades: boolean;
  readonly allowRequest: ((req: IncomingMessage, fn: AllowRequestCallback) => void) | undefined;
  readonly perMessageDeflate: boolean | object;
  /** Compression threshold in bytes, or `false` when compression is off. */
  readonly httpCompression: number | false;
  readonly cookie: (Readonly<CookieOptions> & { readonly name: string }) | undefined;
  readonly cors: Readonly<CorsOptions> | undefined;
  readonly initialPacket: string | Uint8Array | undefined;
  readonly allowEIO3: boolean;
  readonly backpressure: Readonly<Required<BackpressureOptions>> | undefined;
  readonly maxConnectionsPerIp: number;
  readonly pollingRateLimit: number | false;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`EngineServer option ${name} must be a positive number`);
  }
  return value;
}

/** Applies defaults and validates options (bad options throw: they are programmer errors). */
export function resolveOptions(opts: EngineServerOptions = {}): ResolvedEngineOptions {
  const transports = opts.transports ?? ["polling", "websocket"];
  for (const t of transports) {
    if (t !== "polling" && t !== "websocket") throw new TypeError(`unknown transport ${String(t)}`);
  }
  const compression = opts.httpCompression ?? true;
  const cookie =
    opts.cookie === undefined || opts.cookie === false
      ? undefined
      : {
          name: "io",
          path: "/",
          httpOnly: opts.cookie === true || opts.cookie.path !== false,
          sameSite: "lax" as const,
          ...(opts.cookie === true ? {} : opts.cookie),
        };
  if (cookie !== undefined) {
    // A bad name or an attribute with control characters would otherwise throw on the first
    // handshake, inside the request path: refuse it here, where it is a programmer error.
    const sample = serializeCookie("x", cookie);
    if (/[^\t\u0020-\u007e]/.test(sample)) {
      throw new TypeError(`invalid cookie attributes ${JSON.stringify(sample)}`);
    }
  }
  return Object.freeze({
    pingInterval: positive("pingInterval", opts.pingInterval, 25_000),
    pingTimeout: positive("pingTimeout", opts.pingTimeout, 20_000),
    upgradeTimeout: positive("upgradeTimeout", opts.upgradeTimeout, 10_000),
    maxHttpBufferSize: positive("maxHttpBufferSize", opts.maxHttpBufferSize, 1e6),
    transports: Object.freeze([...transports]),
    allowUpgrades: opts.allowUpgrades ?? true,
    allowRequest: opts.allowRequest,
    perMessageDeflate: opts.perMessageDeflate ?? false,
    httpCompression:
      compression === false ? false : compression === true ? 1024 : (compression.threshold ?? 1024),
    cookie,
    cors: opts.cors,
    initialPacket: opts.initialPacket,
    allowEIO3: opts.allowEIO3 ?? false,
    backpressure:
      opts.backpressure === false
        ? undefined
        : Object.freeze({
            highWaterMark: positive("highWaterMark", opts.backpressure?.highWaterMark, 1 << 20),
            maxBufferedBytes: positive(
              "maxBufferedBytes",
              opts.backpressure?.maxBufferedBytes,
              8 << 20,
            ),
            maxBufferedPackets: positive(
              "maxBufferedPackets",
              opts.backpressure?.maxBufferedPackets,
              100_000,
            ),
          }),
    maxConnectionsPerIp:
      opts.maxConnectionsPerIp === Infinity
        ? Infinity
        : positive("maxConnectionsPerIp", opts.maxConnectionsPerIp, Infinity),
    pollingRateLimit:
      opts.pollingRateLimit === false
        ? false
        : positive("pollingRateLimit", opts.pollingRateLimit, 1000),
  });
}

/** The engine path as matched against `req.url` (upstream's trailing-slash rule). */
export function computePath(opts: AttachOptions = {}): string {
  let path = (opts.path ?? "/engine.io").replace(/\/$/, "");
  if (opts.addTrailingSlash !== false) path += "/";
  return path;
}
