/**
 * The Manager owns one Engine.IO connection, shared by the sockets of every namespace it
 * serves, and reconnects it with exponential backoff when it drops.
 *
 * ```
 * closed ──open()──▶ opening ──engine open──▶ open ──engine close──▶ closed
 *   ▲                  │ error / timeout                               │ reconnection on,
 *   └──────────────────┘                                               ▼ not skipped
 *          reconnect_attempt ◀── backoff timer ◀── reconnect() ◀───────┘
 * ```
 * No reconnection follows `io client disconnect` (every socket left: `_close()`) or a socket
 * that the server disconnected (that socket is destroyed, so it does not ask for one).
 */
import {
  type ClientCloseReason,
  ClientSocket,
  type EngineClientOptions,
  isNode,
} from "../engine/client/index.js";
import { clientParser, type Decoder, type Encoder, type Parser } from "../parser/socket/index.js";
import type { Packet } from "../protocol/socket.js";
import { callRethrowingLater, Emitter, type EventsMap } from "../shared/emitter.js";
import { timersFor } from "../shared/timers.js";
import { Backoff } from "./backoff.js";
import { type OutgoingPacket, Socket, type SocketOptions } from "./socket.js";
import type { DisconnectDescription } from "./types.js";

/** Options of a {@link Manager} (and everything the Engine.IO client accepts). */
export interface ManagerOptions extends EngineClientOptions {
  /** Always create a new Manager in `io()`. @default false */
  forceNew?: boolean;
  /** Share one Manager per origin+path between namespaces in `io()`. @default true */
  multiplex?: boolean;
  /** Engine.IO request path. @default "/socket.io" */
  path?: string;
  /** Reconnect automatically. @default true */
  reconnection?: boolean;
  /** Attempts before giving up (`reconnect_failed`). @default Infinity */
  reconnectionAttempts?: number;
  /** First delay between attempts, in ms. @default 1000 */
  reconnectionDelay?: number;
  /** Longest delay between attempts, in ms. @default 5000 */
  reconnectionDelayMax?: number;
  /** Jitter: each delay is randomised by ± this fraction. @default 0.5 */
  randomizationFactor?: number;
  /** Connection timeout per attempt, in ms (`false`: none). @default 20000 */
  timeout?: number | false;
  /** Connect as soon as created. @default true */
  autoConnect?: boolean;
  /** Packet codec; must match the server's. @default the protocol 5 text parser (`clientParser`) */
  parser?: Parser;
}

/** Events of a {@link Manager}. */
export type ManagerEvents = {
  open: () => void;
  error: (err: Error) => void;
  ping: () => void;
  packet: (packet: Packet) => void;
  close: (reason: ClientCloseReason, description?: DisconnectDescription) => void;
  reconnect_failed: () => void;
  reconnect_attempt: (attempt: number) => void;
  reconnect_error: (err: Error) => void;
  reconnect: (attempt: number) => void;
};

/** Options read and set through the Manager's accessor methods. */
type NumericOption =
  | "reconnectionAttempts"
  | "reconnectionDelay"
  | "reconnectionDelayMax"
  | "randomizationFactor"
  | "timeout";

/** Lifecycle of the Manager's connection. */
export type ManagerState = "closed" | "opening" | "open";

/** Defaults shared by every Manager; the msgpack bundle swaps the parser. */
export const managerDefaults: { parser: Parser } = { parser: clientParser };

/**
 * Subscribes and returns the unsubscribe function. A throw from the listener (from application
 * code it calls: an event handler, an ack callback) is rethrown later ({@link callRethrowingLater}),
 * so the emitter (the connection's receive path) goes on delivering, as with upstream's deferred
 * delivery of decoded packets.
 */
export function listen<M extends EventsMap, K extends keyof M & string>(
  target: Emitter<M, M>,
  event: K,
  fn: M[K],
): () => void {
  const guarded = ((...args: unknown[]) =>
    callRethrowingLater(fn as (...a: unknown[]) => void, args)) as M[K];
  target.on(event, guarded);
  return () => target.off(event, guarded);
}

/**
 * A connection to one Socket.IO server, multiplexing namespaces.
 * @example
 * const manager = new Manager("http://localhost:3000", { reconnectionDelayMax: 10000 });
 * const admin = manager.socket("/admin", { auth: { token: "abc" } });
 */
export class Manager<
  // Type-only, as upstream's Manager<ListenEvents, EmitEvents>: the event maps of `socket.io`.
  L extends import("./types.js").EventsMap = import("./types.js").DefaultEventsMap,
  // biome-ignore lint/correctness/noUnusedVariables: type-only (L is used as its default)
  E extends import("./types.js").EventsMap = L,
> extends Emitter<ManagerEvents> {
  /**
   * The current Engine.IO connection. Unset until the first `open()`, but typed as present, as
   * socket.io-client's, so that `socket.io.engine.on("upgrade", …)` compiles in user code.
   */
  engine!: ClientSocket;
  /** Sockets by namespace. */
  readonly nsps = new Map<string, Socket>();
  readonly uri: string | undefined;
  readonly opts: ManagerOptions;
  #state: ManagerState = "closed";
  /** A backoff timer or an attempt is under way (orthogonal to the connection state). */
  #reconnecting = false;
  #skipReconnect = false;
  #subs: (() => void)[] = [];
  readonly #backoff = new Backoff();
  readonly #parser: Parser;
  readonly #encoder: Encoder;
  #decoder: Decoder | undefined;

  constructor(uri?: string | ManagerOptions, opts?: ManagerOptions) {
    super();
    if (typeof uri === "object") {
      opts = uri;
      uri = undefined;
    }
    this.uri = uri;
    this.opts = { ...opts, path: opts?.path ?? "/socket.io" };
    this.#parser = this.opts.parser ?? managerDefaults.parser;
    this.#encoder = this.#parser.createEncoder();
    if (this.opts.autoConnect !== false) this.open();
  }

  /** Reads an option (with its default), or sets it and returns the Manager. */
  #opt<K extends NumericOption>(key: K, v: ManagerOptions[K], fallback: number | false) {
    if (v === undefined) return this.opts[key] ?? fallback;
    this.opts[key] = v;
    return this;
  }

  /** Whether to reconnect; set with an argument. */
  reconnection(): boolean;
  reconnection(v: boolean): this;
  reconnection(v?: boolean): boolean | this {
    if (v === undefined) return this.opts.reconnection !== false;
    this.opts.reconnection = v;
    if (!v) this.#skipReconnect = true;
    return this;
  }

  /** Maximum number of attempts; set with an argument. */
  reconnectionAttempts(): number;
  reconnectionAttempts(v: number): this;
  reconnectionAttempts(v?: number): number | false | this {
    return this.#opt("reconnectionAttempts", v, Number.POSITIVE_INFINITY);
  }

  /** First reconnection delay (ms); set with an argument. */
  reconnectionDelay(): number;
  reconnectionDelay(v: number): this;
  reconnectionDelay(v?: number): number | false | this {
    return this.#opt("reconnectionDelay", v, 1000);
  }

  /** Longest reconnection delay (ms); set with an argument. */
  reconnectionDelayMax(): number;
  reconnectionDelayMax(v: number): this;
  reconnectionDelayMax(v?: number): number | false | this {
    return this.#opt("reconnectionDelayMax", v, 5000);
  }

  /** Jitter fraction; set with an argument. */
  randomizationFactor(): number;
  randomizationFactor(v: number): this;
  randomizationFactor(v?: number): number | false | this {
    return this.#opt("randomizationFactor", v, 0.5);
  }

  /** Connection timeout (ms or false); set with an argument. */
  timeout(): number | false;
  timeout(v: number | false): this;
  timeout(v?: number | false): number | false | this {
    return this.#opt("timeout", v, 20000);
  }

  /** @internal Connection state, read by sockets. */
  get _readyState(): ManagerState {
    return this.#state;
  }

  /** @internal True while a reconnection is scheduled or under way. */
  get _reconnecting(): boolean {
    return this.#reconnecting;
  }

  /**
   * Opens the connection (no-op when open or opening).
   * @example manager.open((err) => { if (err) console.error(err); });
   */
  open(callback?: (err?: Error) => void): this {
    if (this.#state !== "closed") return this;
    const engine = new ClientSocket(this.uri, this.opts);
    this.engine = engine;
    this.#state = "opening";
    this.#skipReconnect = false;
    const onError = (err: Error) => {
      this.#cleanup();
      this.#state = "closed";
      this.emitReserved("error", err);
      if (callback) callback(err);
      // Only on a first connection (#reconnect is a no-op while reconnecting).
      else if (this.reconnection() && !this.#backoff.attempts) this.#reconnect();
    };
    this.#subs.push(
      listen(engine, "open", () => {
        this.#onOpen(engine);
        callback?.();
      }),
      listen(engine, "error", onError),
    );
    const timeout = this.timeout();
    if (timeout !== false)
      this.#timer(() => {
        onError(new Error("timeout"));
        engine.close();
      }, timeout);
    return this;
  }

  /**
   * A timer cleared with the subscriptions; unref'd in Node with `autoUnref`, and on the timers
   * captured at load with `useNativeTimers`.
   */
  #timer(fn: () => void, ms: number): void {
    const { set, clear } = timersFor(this.opts);
    const timer = set(fn, ms);
    if (isNode && this.opts.autoUnref) (timer as { unref?: () => void }).unref?.();
    this.#subs.push(() => clear(timer));
  }

  /** Alias of {@link Manager.open}. */
  connect(callback?: (err?: Error) => void): this {
    return this.open(callback);
  }

  /**
   * The socket for `nsp` on this connection (created on first use).
   * @example const chat = manager.socket("/chat");
   */
  socket(nsp: string, opts?: SocketOptions): Socket {
    let socket = this.nsps.get(nsp);
    if (!socket) {
      socket = new Socket(this, nsp, opts);
      this.nsps.set(nsp, socket);
    } else if (this.opts.autoConnect !== false && !socket.active) socket.connect();
    return socket;
  }

  /** @internal A socket left; close the connection when none is active any more. */
  _destroy(): void {
    for (const s of this.nsps.values()) if (s.active) return;
    this._close();
  }

  /** @internal Encodes and writes one packet (with its write options, e.g. `compress`). */
  _packet(packet: OutgoingPacket): void {
    const engine = this.engine;
    if (!engine) return;
    for (const chunk of this.#encoder.encode(packet)) engine.write(chunk, packet.options);
  }

  /** @internal Closes the connection for good (no reconnection). */
  _close(): void {
    this.#skipReconnect = true;
    this.#reconnecting = false;
    this.#onClose("forced close");
  }

  /** Alias of `_close()`. */
  disconnect(): void {
    this._close();
  }

  #onOpen(engine: ClientSocket): void {
    this.#cleanup();
    this.#state = "open";
    this.#decoder = this.#parser.createDecoder();
    this.#subs.push(
      listen(engine, "ping", () => this.emitReserved("ping")),
      listen(engine, "data", (data: string | Uint8Array) => this.#onData(data)),
      listen(engine, "error", (err: Error) => this.emitReserved("error", err)),
      listen(engine, "close", (reason: ClientCloseReason, desc?: unknown) =>
        this.#onClose(reason, desc),
      ),
    );
    // After subscribing: a throwing `open` listener must not leave the connection unheard.
    this.emitReserved("open");
  }

  #onData(data: string | Uint8Array): void {
    const r = this.#decoder?.add(data);
    if (r?.ok === false) this.#onClose("parse error", r.error);
    else if (r?.packet) this.emitReserved("packet", r.packet);
  }

  #cleanup(): void {
    for (const off of this.#subs) off();
    this.#subs = [];
  }

  #onClose(reason: ClientCloseReason, description?: unknown): void {
    this.#cleanup();
    this.#decoder?.destroy();
    this.#decoder = undefined;
    this.engine?.close();
    this.#backoff.attempts = 0;
    this.#state = "closed";
    this.emitReserved("close", reason, description);
    if (this.reconnection() && !this.#skipReconnect) this.#reconnect();
  }

  #reconnect(): void {
    if (this.#reconnecting || this.#skipReconnect) return;
    if (this.#backoff.attempts >= this.reconnectionAttempts()) {
      this.#backoff.attempts = 0;
      this.#reconnecting = false;
      this.emitReserved("reconnect_failed");
      return;
    }
    const delay = this.#backoff.duration(
      this.reconnectionDelay(),
      this.reconnectionDelayMax(),
      this.randomizationFactor(),
    );
    this.#reconnecting = true;
    this.#timer(() => {
      if (this.#skipReconnect) return;
      this.emitReserved("reconnect_attempt", this.#backoff.attempts);
      if (this.#skipReconnect) return;
      this.open((err) => {
        if (err) {
          this.#reconnecting = false;
          this.#reconnect();
          this.emitReserved("reconnect_error", err);
        } else {
          const attempt = this.#backoff.attempts;
          this.#reconnecting = false;
          this.#backoff.attempts = 0;
          this.emitReserved("reconnect", attempt);
        }
      });
    }, delay);
  }
}
