/** Options of the Socket.IO server: the engine's, plus the Socket.IO layer's own. */
import type { AdapterConstructor } from "../adapter/types.js";
import type { AttachOptions, EngineServerOptions } from "../engine/server/options.js";
import type { Parser } from "../parser/socket/types.js";

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
  /** Adapter class or factory, one instance per namespace. @default InMemoryAdapter */
  adapter?: AdapterConstructor;
  /** Packet codec; the client must use the same one. @default defaultParser */
  parser?: Parser;
  /** Milliseconds a connection may stay without joining any namespace. @default 45000 */
  connectTimeout?: number;
  /** Enables connection state recovery. @default undefined (off) */
  connectionStateRecovery?: ConnectionStateRecoveryOptions;
  /**
   * Keeps each connection's handshake `IncomingMessage` for its whole life. By default it is
   * dropped once the connection joined its first namespace (its `connection` listeners have
   * run), saving about 0.5 KB per connection; `socket.handshake` is unaffected and
   * `socket.request` then returns a request rebuilt from the handshake's URL and headers.
   * Registering an engine middleware (`io.engine.use`) keeps requests as if this were set,
   * since middlewares such as express-session decorate the request.
   * @default false
   */
  retainRequest?: boolean;
  /** Removes dynamic child namespaces once their last socket leaves. @default false */
  cleanupEmptyChildNamespaces?: boolean;
  /**
   * Folder holding the client bundles (`socket.io.js`, …). Defaults to this package's
   * `dist/bundles/`.
   */
  clientBundleDir?: string;
}

/** Connection state recovery settings after defaults. */
export interface ResolvedRecoveryOptions {
  readonly maxDisconnectionDuration: number;
  readonly skipMiddlewares: boolean;
}
