/**
 * The Socket.IO server: owns the Engine.IO server, the namespaces and the options. Event
 * methods (`on`, `emit`, `to`, …) act on the main namespace `/`, as upstream.
 *
 *   http.Server ──request/upgrade──▶ client bundle? ─▶ ClientFileHandler
 *                                    └─ under path ─▶ EngineServer ──connection──▶ Client
 *                                                                   (one per connection)
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server as HttpServer } from "node:http";
import type { Server as HttpsServer } from "node:https";
import { InMemoryAdapter } from "../adapter/in-memory.js";
import { SessionAwareAdapter } from "../adapter/session-aware.js";
import type { Adapter, AdapterConstructor, AdapterHost, Room, SocketId } from "../adapter/types.js";
import { EngineServer, type EngineSocket } from "../engine/index.js";
import { generateSessionId } from "../engine/server/id.js";
import { defaultParser } from "../parser/socket/default.js";
import type { Encoder, Parser } from "../parser/socket/types.js";
import type { Contract, ContractEmitEvents, ContractListenEvents } from "../shared/contract.js";
import type { BroadcastOperator, RemoteSocket } from "./broadcast-operator.js";
import { Client } from "./client.js";
import {
  isSocketIoAdapter,
  SocketIoAdapterBridge,
  type SocketIoAdapterConstructor,
} from "./compat/socketio-adapter.js";
import { type CloseOptions, drainSessions } from "./drain.js";
import { ConnectionLimiter, type ContractOptions, type RateLimitOptions } from "./guard.js";
import {
  Namespace,
  type NamespaceMiddleware,
  type NamespaceReservedEventsMap,
} from "./namespace.js";
import {
  type ResolvedLimits,
  type ResolvedRecoveryOptions,
  resolveLimits,
  type ServerOptions,
} from "./options.js";
import { ParentNamespace, type ParentNspNameMatchFn } from "./parent-namespace.js";
import type { ServerProbe } from "./probe.js";
import { ClientFileHandler, defaultBundleDir } from "./serve-client.js";
import type { Socket } from "./socket.js";
import type {
  AckValue,
  AllButLast,
  DecorateAcknowledgements,
  DecorateAcknowledgementsWithMultipleResponses,
  DecorateAcknowledgementsWithTimeoutAndMultipleResponses,
  DefaultEventsMap,
  EventNames,
  EventNamesWithAck,
  EventNamesWithoutAck,
  EventParams,
  EventsMap,
  MessageArgs,
  ReservedOrUserEventNames,
  ReservedOrUserListener,
} from "./typed-events.js";

/** Event names `io.on` accepts: the main namespace's reserved events and server-side events. */
type MainNspEventNames<
  L extends EventsMap,
  E extends EventsMap,
  S extends EventsMap,
  D,
> = ReservedOrUserEventNames<NamespaceReservedEventsMap<L, E, S, D>, S>;
/** The listener type of one of those events. */
type MainNspListener<
  L extends EventsMap,
  E extends EventsMap,
  S extends EventsMap,
  D,
  Ev extends MainNspEventNames<L, E, S, D>,
> = ReservedOrUserListener<NamespaceReservedEventsMap<L, E, S, D>, S, Ev>;

/** An HTTP(S) server the Socket.IO server can attach to. */
export type AttachableServer = HttpServer | HttpsServer;

/** Tether's adapters, or one written for socket.io (run through the compat bridge). */
export type AnyAdapterConstructor = AdapterConstructor | SocketIoAdapterConstructor;

function instantiate(ctor: AnyAdapterConstructor, nsp: AdapterHost): unknown {
  // Classes (and pre-ES6 constructor functions) have a prototype object; arrow factories do not.
  // A `function` factory called with `new` returns the object it builds, as socket.io expects.
  if (typeof ctor.prototype === "object" && ctor.prototype !== null) {
    return new (ctor as new (nsp: AdapterHost) => unknown)(nsp);
  }
  return (ctor as (nsp: AdapterHost) => unknown)(nsp);
}

/** The engine-level limiter of `connectionRateLimit`, if it sets any bucket. */
function connLimiter(opts: ServerOptions): ConnectionLimiter | undefined {
  const o = opts.connectionRateLimit;
  return o && (o.packets || o.bytes) ? new ConnectionLimiter(o) : undefined;
}

/**
 * A Socket.IO server.
 * @example
 * const io = new Server(httpServer, { cors: { origin: "*" } });
 * io.on("connection", (socket) => socket.on("chat", (msg) => io.emit("chat", msg)));
 */
export class Server<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // biome-ignore lint/suspicious/noExplicitAny: upstream's default for untyped socket.data
  SocketData = any,
> {
  /** The main namespace `/`. */
  readonly sockets: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** The Engine.IO server (after `attach`/`listen`/`bind`). */
  engine!: EngineServer;
  /** The HTTP server attached to, if any. */
  httpServer: AttachableServer | undefined;
  /** The packet encoder shared by every connection. */
  readonly encoder: Encoder;
  readonly _opts: ServerOptions;
  readonly _parser: Parser;
  readonly _recovery: ResolvedRecoveryOptions | undefined;
  /** Input limits of the Socket.IO layer (resolved from the options). */
  _limits: ResolvedLimits;
  /** Engine-level token buckets (`connectionRateLimit`), if configured. */
  _connLimiter: ConnectionLimiter | undefined;
  readonly _nsps = new Map<
    string,
    Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  >();
  readonly #parents = new Map<
    ParentNspNameMatchFn,
    ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  >();
  readonly #regexParents = new Map<
    RegExp,
    ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  >();
  /** @internal observability hooks (`tether-io/metrics`); unset, they cost nothing. */
  _probe: ServerProbe | undefined;
  #path: string;
  #adapter: AnyAdapterConstructor;
  #connectTimeout: number;

  constructor(opts?: ServerOptions);
  constructor(srv?: AttachableServer | number, opts?: ServerOptions);
  constructor(srv?: AttachableServer | number | ServerOptions, opts: ServerOptions = {}) {
    const options = typeof srv === "object" && srv !== null && !("listen" in srv) ? srv : opts;
    this._opts = { ...options };
    this.#path = (options.path ?? "/socket.io").replace(/\/$/, "");
    this._parser = options.parser ?? defaultParser;
    this._limits = resolveLimits(this._opts);
    this._connLimiter = connLimiter(this._opts);
    this.encoder = this._parser.createEncoder();
    this.#connectTimeout = options.connectTimeout ?? 45_000;
    const csr = options.connectionStateRecovery;
    this._recovery = csr
      ? {
          maxDisconnectionDuration: csr.maxDisconnectionDuration ?? 120_000,
          skipMiddlewares: csr.skipMiddlewares ?? true,
        }
      : undefined;
    const recovery = this._recovery;
    this.#exposeRecovery();
    this.#adapter =
      options.adapter ??
      (recovery
        ? (nsp: AdapterHost) =>
            new SessionAwareAdapter(nsp, {
              maxDisconnectionDuration: recovery.maxDisconnectionDuration,
            })
        : InMemoryAdapter);
    this.sockets = this.of("/");
    if (typeof srv === "number") this.listen(srv, opts);
    else if (typeof srv === "object" && srv !== null && "listen" in srv) this.attach(srv, opts);
  }

  /**
   * Whether connections keep their handshake `IncomingMessage`: when `retainRequest` is set, or
   * when engine middlewares are registered (they usually decorate the request, as
   * express-session does).
   */
  get _retainRequest(): boolean {
    return this._opts.retainRequest === true || (this.engine?.hasMiddlewares ?? false);
  }

  /** Milliseconds a connection may stay without joining a namespace. */
  get _connectTimeout(): number {
    return this.#connectTimeout;
  }

  /**
   * socket.io compatibility: `opts.connectionStateRecovery` carries the defaults in effect (the
   * Redis Streams adapter reads `maxDisconnectionDuration` from it).
   */
  #exposeRecovery(): void {
    const recovery = this._recovery;
    if (recovery) {
      this._opts.connectionStateRecovery = { ...this._opts.connectionStateRecovery, ...recovery };
    }
  }

  /** Creates the adapter of a namespace (a socket.io one behind the compat bridge). */
  _createAdapter(nsp: AdapterHost): Adapter {
    const adapter = instantiate(this.#adapter, nsp);
    if (isSocketIoAdapter(adapter)) return new SocketIoAdapterBridge(adapter, nsp, this.encoder);
    return adapter as Adapter;
  }

  /** A fresh socket / private session id. */
  _generateSocketId(): string {
    return generateSessionId();
  }

  /** Gets or sets the path the server answers under. */
  path(): string;
  path(v: string): this;
  path(v?: string): string | this {
    if (v === undefined) return this.#path;
    this.#path = v.replace(/\/$/, "");
    return this;
  }

  /** Gets or sets the adapter used for namespaces created from now on. */
  adapter(): AnyAdapterConstructor;
  adapter(v: AnyAdapterConstructor): this;
  adapter(v?: AnyAdapterConstructor): AnyAdapterConstructor | this {
    if (v === undefined) return this.#adapter;
    this.#adapter = v;
    for (const nsp of this._nsps.values()) nsp._initAdapter();
    return this;
  }

  /** Gets or sets the connect timeout in milliseconds. */
  connectTimeout(): number;
  connectTimeout(v: number): this;
  connectTimeout(v?: number): number | this {
    if (v === undefined) return this.#connectTimeout;
    this.#connectTimeout = v;
    return this;
  }

  /**
   * Attaches to an HTTP(S) server (or listens on a port).
   * @example io.attach(httpServer);
   */
  attach(srv: AttachableServer | number, opts: ServerOptions = {}): this {
    if (typeof srv === "number") return this.listen(srv, opts);
    Object.assign(this._opts, opts);
    this.#exposeRecovery();
    this._limits = resolveLimits(this._opts);
    this._connLimiter = connLimiter(this._opts);
    if (opts.path !== undefined) this.path(opts.path);
    const engine = new EngineServer(this._opts);
    const attachOpts = {
      path: this.#path,
      ...(this._opts.addTrailingSlash === undefined
        ? {}
        : { addTrailingSlash: this._opts.addTrailingSlash }),
      ...(this._opts.destroyUpgrade === undefined
        ? {}
        : { destroyUpgrade: this._opts.destroyUpgrade }),
      ...(this._opts.destroyUpgradeTimeout === undefined
        ? {}
        : { destroyUpgradeTimeout: this._opts.destroyUpgradeTimeout }),
    };
    engine.attach(srv as HttpServer, attachOpts);
    if (this._opts.serveClient !== false) this.#attachServe(srv);
    this.httpServer = srv;
    this.bind(engine);
    return this;
  }

  /** Creates an HTTP server listening on `port` (other paths → 404) and attaches to it. */
  listen(srv: AttachableServer | number, opts: ServerOptions = {}): this {
    if (typeof srv !== "number") return this.attach(srv, opts);
    const http = createServer((_req, res) => {
      res.writeHead(404);
      res.end();
    });
    http.listen(srv);
    return this.attach(http, opts);
  }

  /** Uses an existing Engine.IO server. */
  bind(engine: EngineServer): this {
    this.engine = engine;
    engine.on("connection", (conn) => {
      new Client(this, conn);
    });
    this._probe?.engineBound(engine);
    return this;
  }

  #attachServe(srv: AttachableServer): void {
    const handler = new ClientFileHandler(this.#path, {
      dir: this._opts.clientBundleDir ?? defaultBundleDir(),
      cors: this._opts.cors,
    });
    const previous = srv.listeners("request").slice() as ((
      req: IncomingMessage,
      res: ServerResponse,
    ) => void)[];
    srv.removeAllListeners("request");
    srv.on("request", (req: IncomingMessage, res: ServerResponse) => {
      const name = handler.match(req);
      if (name !== undefined) handler.handle(req, res, name);
      else for (const l of previous) l.call(srv, req, res);
    });
  }

  /**
   * Gets or creates a namespace; a RegExp or function creates a parent of dynamic namespaces.
   * @example io.of(/^\/team-\d+$/).on("connection", (socket) => socket.nsp.emit("hi"));
   */
  of(
    name: string | RegExp | ParentNspNameMatchFn,
    fn?: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
  ): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    if (typeof name === "function" || name instanceof RegExp) {
      const parent = new ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>(
        this,
      );
      if (name instanceof RegExp) {
        const re = name;
        this.#regexParents.set(re, parent);
        this.#parents.set((nsp, _auth, next) => {
          re.lastIndex = 0;
          next(null, re.test(nsp));
        }, parent);
      } else this.#parents.set(name, parent);
      if (fn) parent.on("connect", fn);
      return parent;
    }
    const nspName = name.startsWith("/") ? name : `/${name}`;
    let nsp = this._nsps.get(nspName);
    if (!nsp) {
      for (const [re, parent] of this.#regexParents) {
        re.lastIndex = 0;
        if (re.test(nspName)) {
          nsp = parent.createChild(nspName);
          break;
        }
      }
    }
    if (!nsp) {
      nsp = new Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>(this, nspName);
      this._nsps.set(nspName, nsp);
      if (nspName !== "/") this.sockets._announce(nsp);
    }
    if (fn) nsp.on("connect", fn);
    return nsp;
  }

  /** Finds (or lets a parent create) the namespace a client asked for. */
  _checkNamespace(
    name: string,
    auth: Record<string, unknown>,
    fn: (
      nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | undefined,
    ) => void,
  ): void {
    const entries = [...this.#parents];
    const next = (i: number): void => {
      const entry = entries[i];
      if (!entry) {
        fn(undefined);
        return;
      }
      const [match, parent] = entry;
      let answered = false;
      // A matcher that throws (or, async, rejects) does not match.
      const noMatch = (): void => {
        if (answered) return;
        answered = true;
        next(i + 1);
      };
      try {
        const result: unknown = match(name, auth, (err, allow) => {
          if (answered) return;
          answered = true;
          if (err || !allow) {
            next(i + 1);
            return;
          }
          fn(this._nsps.get(name) ?? parent.createChild(name));
        });
        if (result instanceof Promise) result.catch(noMatch);
      } catch {
        noMatch();
      }
    };
    next(0);
  }

  #closing: Promise<void> | undefined;
  #closeError: Error | undefined;

  /**
   * Closes the server; resolves once the adapters, the engine and the HTTP server are closed.
   *
   * Without `drain`, every socket disconnects at once (`server shutting down`). With
   * `{ drain: ms }` it is graceful: new handshakes are refused at once (503
   * `{"code":8,"message":"Server draining"}`), then connected clients are asked to reconnect
   * elsewhere in jittered batches over the first half of the window — their sockets disconnect
   * with `server shutting down` (so connection state recovery keeps their sessions in the
   * adapter; a shared adapter such as Redis Streams lets them recover on another node), and the
   * Engine.IO session closes without a Socket.IO DISCONNECT packet, which stock clients see as
   * `transport close` and answer by reconnecting. It goes on as soon as no connection is left,
   * or at the deadline, when the rest are closed as without `drain`. A call during a close
   * returns the same promise.
   * @example await io.close();
   * @example process.once("SIGTERM", () => void io.close({ drain: 10_000 }).then(() => process.exit(0)));
   */
  close(fn?: (err?: Error) => void): Promise<void>;
  close(opts: CloseOptions, fn?: (err?: Error) => void): Promise<void>;
  close(
    optsOrFn?: CloseOptions | ((err?: Error) => void),
    callback?: (err?: Error) => void,
  ): Promise<void> {
    const fn = typeof optsOrFn === "function" ? optsOrFn : callback;
    const drain = typeof optsOrFn === "object" && optsOrFn !== null ? optsOrFn.drain : undefined;
    if (drain !== undefined && !(Number.isFinite(drain) && drain >= 0)) {
      throw new TypeError(`close: drain must be a non-negative number of ms, got ${drain}`);
    }
    let closing = this.#closing;
    if (closing === undefined) {
      const p: Promise<void> = this.#shutdown(drain).then((err) => {
        this.#closeError = err;
        if (this.#closing === p) this.#closing = undefined;
      });
      this.#closing = closing = p;
    }
    if (fn !== undefined) void closing.then(() => fn(this.#closeError));
    return closing;
  }

  /** Drains (if asked), then closes sockets, adapters, engine and HTTP server. */
  async #shutdown(drain: number | undefined): Promise<Error | undefined> {
    const engine: EngineServer | undefined = this.engine;
    if (drain !== undefined && engine !== undefined) {
      engine.stopAccepting();
      // Connections by Engine.IO session, indexed once per batch (a connection that has joined
      // no namespace has nothing to close but its session).
      let clients = new Map<EngineSocket, Client>();
      await drainSessions(
        {
          sessions: () => engine.clients.values(),
          count: () => engine.clientsCount,
          beforeBatch: () => {
            clients = new Map();
            for (const nsp of this._nsps.values()) {
              for (const socket of nsp.sockets.values()) clients.set(socket.conn, socket.client);
            }
          },
          release: (conn) => clients.get(conn)?._closeAll("server shutting down"),
        },
        drain,
      );
    }
    for (const nsp of this._nsps.values()) {
      for (const socket of [...nsp.sockets.values()]) socket._onclose("server shutting down");
    }
    for (const nsp of this._nsps.values()) nsp._presence?.close();
    await Promise.allSettled([...this._nsps.values()].map(async (nsp) => nsp.adapter.close()));
    engine?.close();
    const http = this.httpServer;
    if (http === undefined) return undefined;
    // As socket.io: the HTTP server's close error (ERR_SERVER_NOT_RUNNING when it was not
    // listening) goes to the callback; the promise resolves all the same.
    return new Promise<Error | undefined>((resolve) => {
      http.close((err) => resolve(err));
      http.closeIdleConnections?.();
    });
  }

  // ---- main namespace shortcuts ------------------------------------------------------------

  on<
    Ev extends ReservedOrUserEventNames<
      NamespaceReservedEventsMap<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents
    >,
  >(
    ev: Ev,
    listener: ReservedOrUserListener<
      NamespaceReservedEventsMap<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents,
      Ev
    >,
  ): this {
    this.sockets.on(ev, listener as never);
    return this;
  }

  once<
    Ev extends ReservedOrUserEventNames<
      NamespaceReservedEventsMap<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents
    >,
  >(
    ev: Ev,
    listener: ReservedOrUserListener<
      NamespaceReservedEventsMap<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents,
      Ev
    >,
  ): this {
    this.sockets.once(ev, listener as never);
    return this;
  }

  off<
    Ev extends ReservedOrUserEventNames<
      NamespaceReservedEventsMap<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents
    >,
  >(
    ev?: Ev,
    listener?: ReservedOrUserListener<
      NamespaceReservedEventsMap<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents,
      Ev
    >,
  ): this {
    this.sockets.off(ev, listener as never);
    return this;
  }

  removeAllListeners(ev?: string): this {
    this.sockets.removeAllListeners(ev);
    return this;
  }

  listeners<
    Ev extends ReservedOrUserEventNames<
      NamespaceReservedEventsMap<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents
    >,
  >(
    ev: Ev,
  ): ReservedOrUserListener<
    NamespaceReservedEventsMap<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    ServerSideEvents,
    Ev
  >[] {
    return this.sockets.listeners(ev);
  }

  // ---- socket.io compatibility: options ---------------------------------------------------

  /**
   * The server's options, as socket.io exposes them: adapters written for socket.io read
   * `nsp.server.opts.connectionStateRecovery` (`@socket.io/redis-streams-adapter`,
   * `socket.io-adapter`'s `ClusterAdapter` and `SessionAwareAdapter`). Read-only in practice:
   * changing it after construction changes nothing.
   */
  get opts(): ServerOptions {
    return this._opts;
  }

  // ---- socket.io compatibility: Node EventEmitter methods ----------------------------------
  // socket.io's Server forwards every EventEmitter method to the main namespace; applications
  // call `io.setMaxListeners(0)`, tools such as `@socket.io/admin-ui` prepend listeners.

  addListener<Ev extends MainNspEventNames<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>(
    ev: Ev,
    listener: MainNspListener<ListenEvents, EmitEvents, ServerSideEvents, SocketData, Ev>,
  ): this {
    this.sockets.addListener(ev, listener as never);
    return this;
  }

  removeListener<
    Ev extends MainNspEventNames<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
  >(
    ev: Ev,
    listener: MainNspListener<ListenEvents, EmitEvents, ServerSideEvents, SocketData, Ev>,
  ): this {
    this.sockets.removeListener(ev, listener as never);
    return this;
  }

  prependListener<
    Ev extends MainNspEventNames<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
  >(
    ev: Ev,
    listener: MainNspListener<ListenEvents, EmitEvents, ServerSideEvents, SocketData, Ev>,
  ): this {
    this.sockets.prependListener(ev, listener as never);
    return this;
  }

  prependOnceListener<
    Ev extends MainNspEventNames<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
  >(
    ev: Ev,
    listener: MainNspListener<ListenEvents, EmitEvents, ServerSideEvents, SocketData, Ev>,
  ): this {
    this.sockets.prependOnceListener(ev, listener as never);
    return this;
  }

  rawListeners<
    Ev extends MainNspEventNames<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
  >(ev: Ev): MainNspListener<ListenEvents, EmitEvents, ServerSideEvents, SocketData, Ev>[] {
    return this.sockets.rawListeners(ev);
  }

  listenerCount(ev: string, listener?: (...args: never[]) => unknown): number {
    return this.sockets.listenerCount(ev, listener);
  }

  eventNames(): string[] {
    return this.sockets.eventNames();
  }

  setMaxListeners(n: number): this {
    this.sockets.setMaxListeners(n);
    return this;
  }

  getMaxListeners(): number {
    return this.sockets.getMaxListeners();
  }

  /**
   * Sets the main namespace's contract (see `Namespace.contract`); returns this server typed
   * from it.
   * @example const io = new Server(httpServer).contract(appContract);
   */
  contract<C extends Contract>(
    contract: C,
    options?: ContractOptions,
  ): Server<ContractListenEvents<C>, ContractEmitEvents<C>, ServerSideEvents, SocketData> {
    this.sockets.contract(contract, options);
    return this as unknown as Server<
      ContractListenEvents<C>,
      ContractEmitEvents<C>,
      ServerSideEvents,
      SocketData
    >;
  }

  /** Rate-limits the main namespace's events (see `Namespace.limit`). */
  limit(options: RateLimitOptions): this {
    this.sockets.limit(options);
    return this;
  }

  /** Registers a connection middleware on the main namespace. */
  use(fn: NamespaceMiddleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): this {
    this.sockets.use(fn);
    return this;
  }

  to(
    room: Room | Room[],
  ): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData> {
    return this.sockets.to(room);
  }

  in(
    room: Room | Room[],
  ): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData> {
    return this.sockets.in(room);
  }

  except(
    room: Room | Room[],
  ): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData> {
    return this.sockets.except(room);
  }

  /** Emits to every socket of the main namespace. @example io.emit("news", 1); */
  emit<Ev extends EventNamesWithoutAck<EmitEvents>>(
    ev: Ev,
    ...args: EventParams<EmitEvents, Ev>
  ): boolean {
    return this.sockets.emit(ev, ...args);
  }

  emitWithAck<Ev extends EventNamesWithAck<EmitEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<AckValue<EmitEvents, Ev>[]> {
    return this.sockets.emitWithAck(ev, ...args);
  }

  send(...args: MessageArgs<EmitEvents>): this {
    this.sockets.send(...args);
    return this;
  }

  write(...args: MessageArgs<EmitEvents>): this {
    return this.send(...args);
  }

  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(
    ev: Ev,
    ...args: EventParams<
      DecorateAcknowledgementsWithTimeoutAndMultipleResponses<ServerSideEvents>,
      Ev
    >
  ): boolean {
    return this.sockets.serverSideEmit(ev, ...args);
  }

  serverSideEmitWithAck<Ev extends EventNamesWithAck<ServerSideEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<ServerSideEvents, Ev>>
  ): Promise<AckValue<ServerSideEvents, Ev>[]> {
    return this.sockets.serverSideEmitWithAck(ev, ...args);
  }

  compress(
    compress: boolean,
  ): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData> {
    return this.sockets.compress(compress);
  }

  /** A "latest value" broadcast (see `BroadcastOperator.latest`). */
  latest(
    key?: string,
  ): BroadcastOperator<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>, SocketData> {
    return this.sockets.latest(key);
  }

  get volatile(): BroadcastOperator<
    DecorateAcknowledgementsWithMultipleResponses<EmitEvents>,
    SocketData
  > {
    return this.sockets.volatile;
  }

  get local(): BroadcastOperator<
    DecorateAcknowledgementsWithMultipleResponses<EmitEvents>,
    SocketData
  > {
    return this.sockets.local;
  }

  timeout(
    ms: number,
  ): BroadcastOperator<
    DecorateAcknowledgements<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>>,
    SocketData
  > {
    return this.sockets.timeout(ms);
  }

  allSockets(): Promise<Set<SocketId>> {
    return this.sockets.allSockets();
  }

  fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    return this.sockets.fetchSockets();
  }

  socketsJoin(room: Room | Room[]): void {
    this.sockets.socketsJoin(room);
  }

  socketsLeave(room: Room | Room[]): void {
    this.sockets.socketsLeave(room);
  }

  disconnectSockets(close = false): void {
    this.sockets.disconnectSockets(close);
  }
}
