/** Options of the Socket.IO server: the engine's, plus the Socket.IO layer's own. */
import type { AdapterConstructor } from "../adapter/types.js";
import type { AttachOptions, EngineServerOptions } from "../engine/server/options.js";
import type { Parser } from "../parser/socket/types.js";
import {
  DEFAULT_MAX_ATTACHMENTS,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_EVENT_NAME_LENGTH,
  DEFAULT_MAX_NAMESPACE_LENGTH,
  SocketErrorCodes,
} from "../protocol/socket.js";
import { TetherError } from "../shared/errors.js";
import type { SocketIoAdapterConstructor } from "./compat/socketio-adapter.js";
import type { BucketOptions } from "./guard.js";
import type { PresenceOptions } from "./presence.js";

/** Connection state recovery settings (opt-in). */
export interface ConnectionStateRecoveryOptions {
  /** How long a disconnected session can be restored. @default 120000 */
  maxDisconnectionDuration?: number;
  /** Whether middlewares are skipped for a recovered socket. @default true */
  skipMiddlewares?: boolean;
}

/** Options of {@link Server}. */
export interface ServerOptions extends EngineServerOptions, Omit<AttachOptions, "path"> {
  /** Path the server answers under. @default "/socket.io" */
  path?: string;
  /** Whether the client bundles are served under the path. @default true */
  serveClient?: boolean;
  /**
   * Adapter class or factory, one instance per namespace: one of Tether's, or one written for
   * socket.io (built on `socket.io-adapter`, e.g. `createAdapter()` of `@socket.io/redis-adapter`),
   * which runs behind a compatibility bridge. @default InMemoryAdapter
   */
  adapter?: AdapterConstructor | SocketIoAdapterConstructor;
  /** Packet codec; the client must use the same one. @default defaultParser */
  parser?: Parser;
  /** Milliseconds a connection may stay without joining any namespace. @default 45000 */
  connectTimeout?: number;
  /** Enables connection state recovery. @default undefined (off) */
  connectionStateRecovery?: ConnectionStateRecoveryOptions;
  /** Presence (`socket.track()`, `io.in(room).presence()`): batching, sync and limits. */
  presence?: PresenceOptions;
  /**
   * Keeps each connection's handshake `IncomingMessage` for its whole life. By default it is
   * dropped once the connection joined its first namespace (its `connection` listeners have
   * run), saving about 0.5 KB per connection; `socket.handshake` is unaffected and
   * `socket.request` then returns a request rebuilt from the handshake's URL and headers.
   * Registering an engine middleware (`io.engine.use`) keeps requests as if this were set,
   * since middlewares such as express-session decorate the request; so does reading
   * `socket.request` (e.g. in an `io.use` middleware) on a connection, for that connection.
   * @default false
   */
  retainRequest?: boolean;
  /**
   * Removes dynamic child namespaces once their last socket leaves, or once the only connection
   * to one was refused (by a middleware, or closed during its CONNECT). @default false
   */
  cleanupEmptyChildNamespaces?: boolean;
  /**
   * Most binary attachments one packet may declare. A packet declaring more closes the
   * connection: its sockets disconnect with `parse error`, described by a TetherError
   * `SIO_ERR_TOO_MANY_ATTACHMENTS`.
   * @default 10
   */
  maxAttachments?: number;
  /**
   * Longest event name (UTF-16 code units) a client may send. Event names are identifiers that
   * end up in listener lookups, `onAny` handlers, logs and metrics; 256 is far above any
   * name seen in practice while keeping a hostile name from flooding those. A longer name
   * closes the connection: `parse error`, described by `SIO_ERR_EVENT_NAME_TOO_LONG`.
   * `Infinity` turns the check off.
   * @default 256
   */
  maxEventNameLength?: number;
  /**
   * Deepest nesting of one event or acknowledgement argument, or of a CONNECT auth object
   * (a scalar is 0, `{}` and `[]` are 1, `{"a":[1]}` is 2). Application code usually walks
   * payloads recursively (validation, cloning, logging), and a few hundred thousand nested
   * brackets in a 1 MB message overflow such code's stack. A deeper payload closes the
   * connection: `parse error`, described by `SIO_ERR_PAYLOAD_TOO_DEEP`. Messages shorter than
   * `2 × maxDepth` characters, or with at most `maxDepth` brackets, skip the check (the rest
   * get an iterative walk of the parsed value).
   * `Infinity` turns the check off.
   * @default 100
   */
  maxDepth?: number;
  /**
   * Longest namespace name (UTF-16 code units, with the leading `/`) a client may join. A
   * CONNECT to a longer name gets `CONNECT_ERROR` `{"message":"Namespace name too long"}`
   * before any namespace lookup or parent-namespace matcher runs; the connection stays open.
   * @default 256
   */
  maxNamespaceLength?: number;
  /**
   * Token buckets per connection at the Engine.IO level, before decoding: Engine.IO messages and
   * their bytes (text length or binary size). A connection over either limit is closed: its
   * sockets disconnect with `forced close`, described by a TetherError `RATE_ERR_CONNECTION`.
   * Namespace-level limits (`nsp.limit()`) refuse single events instead; this one is a flood
   * guard. @default undefined (none)
   * @example new Server({ connectionRateLimit: { packets: { perSecond: 100, burst: 200 } } })
   */
  connectionRateLimit?: {
    packets?: BucketOptions;
    bytes?: BucketOptions;
  };
  /**
   * Folder holding the client bundles (`socket.io.js`, …). Defaults to this package's
   * `dist/bundles/`.
   */
  clientBundleDir?: string;
}

/** The Socket.IO layer's input limits after defaults. */
export interface ResolvedLimits {
  readonly maxAttachments: number;
  readonly maxEventNameLength: number;
  readonly maxDepth: number;
  readonly maxNamespaceLength: number;
}

/** Connection state recovery settings after defaults. */
export interface ResolvedRecoveryOptions {
  readonly maxDisconnectionDuration: number;
  readonly skipMiddlewares: boolean;
}

function limit(opts: ServerOptions, name: keyof ResolvedLimits, fallback: number): number {
  const v = opts[name];
  if (v === undefined) return fallback;
  if (typeof v !== "number" || Number.isNaN(v) || v < 0) {
    throw new TetherError(
      SocketErrorCodes.INVALID_ARGUMENT,
      `${name} must be a non-negative number or Infinity, got ${String(v)}`,
    );
  }
  return v;
}

/** Applies the defaults of the Socket.IO layer's limits; throws on an invalid value. */
export function resolveLimits(opts: ServerOptions): ResolvedLimits {
  return {
    maxAttachments: limit(opts, "maxAttachments", DEFAULT_MAX_ATTACHMENTS),
    maxEventNameLength: limit(opts, "maxEventNameLength", DEFAULT_MAX_EVENT_NAME_LENGTH),
    maxDepth: limit(opts, "maxDepth", DEFAULT_MAX_DEPTH),
    maxNamespaceLength: limit(opts, "maxNamespaceLength", DEFAULT_MAX_NAMESPACE_LENGTH),
  };
}
