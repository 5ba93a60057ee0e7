/**
 * A small typed event emitter, browser-safe (no Node `events`), used by every stateful object.
 * Listener exceptions are not caught here: owners decide how to report them.
 */

// biome-ignore lint/suspicious/noExplicitAny: user-facing generic default — listener maps accept any argument lists
export type EventsMap = Record<string, (...args: any[]) => void>;
export type EventNames<M extends EventsMap> = keyof M & string;
export type EventParams<M extends EventsMap, K extends EventNames<M>> = Parameters<M[K]>;

type Listener = (...args: never[]) => void;
type Wrapped = Listener & { listener?: Listener };

/** Typed emitter with the familiar `on`/`once`/`off`/`emit` surface. */
export class Emitter<Listen extends EventsMap, Emit extends EventsMap = Listen> {
  /** Allocated on the first `on`: most server-side objects never get a listener. */
  #listeners: Map<string, Listener[]> | undefined;

  on<K extends EventNames<Listen>>(event: K, listener: Listen[K]): this {
    this.#listeners ??= new Map();
    const list = this.#listeners.get(event);
    if (list) list.push(listener);
    else this.#listeners.set(event, [listener]);
    return this;
  }

  /** The listener table (created on first use), for subclasses. */
  protected listenerTable(): Map<string, Listener[]> {
    this.#listeners ??= new Map();
    return this.#listeners;
  }

  addListener<K extends EventNames<Listen>>(event: K, listener: Listen[K]): this {
    return this.on(event, listener);
  }

  once<K extends EventNames<Listen>>(event: K, listener: Listen[K]): this {
    const wrapper = ((...args: Parameters<Listen[K]>) => {
      this.off(event, wrapper as Listen[K]);
      listener(...args);
    }) as Listen[K] & { listener?: Listen[K] };
    wrapper.listener = listener;
    return this.on(event, wrapper);
  }

  off<K extends EventNames<Listen>>(event?: K, listener?: Listen[K]): this {
    if (event === undefined) {
      this.#listeners?.clear();
      return this;
    }
    if (listener === undefined) {
      this.#listeners?.delete(event);
      return this;
    }
    const list = this.#listeners?.get(event);
    if (!list) return this;
    const i = list.findIndex(
      (l) => l === listener || (l as { listener?: unknown }).listener === listener,
    );
    if (i !== -1) list.splice(i, 1);
    if (list.length === 0) this.#listeners?.delete(event);
    return this;
  }

  removeListener<K extends EventNames<Listen>>(event: K, listener: Listen[K]): this {
    return this.off(event, listener);
  }

  removeAllListeners<K extends EventNames<Listen>>(event?: K): this {
    return event === undefined ? this.off() : this.off(event);
  }

  listeners<K extends EventNames<Listen>>(event: K): Listen[K][] {
    return (this.#listeners?.get(event) ?? []).slice() as Listen[K][];
  }

  listenerCount<K extends EventNames<Listen>>(event: K): number {
    return this.#listeners?.get(event)?.length ?? 0;
  }

  hasListeners<K extends EventNames<Listen>>(event: K): boolean {
    return this.listenerCount(event) > 0;
  }

  /** Calls the listeners registered for `event`; returns whether there were any. */
  emit<K extends EventNames<Emit>>(event: K, ...args: EventParams<Emit, K>): boolean {
    return this.emitReserved(event, ...(args as unknown[]));
  }

  /** Emits without the public type restriction (for events an owner reserves for itself). */
  protected emitReserved(event: string, ...args: unknown[]): boolean {
    const list = this.#listeners?.get(event);
    if (!list || list.length === 0) return false;
    const snapshot = list.length === 1 ? list : list.slice();
    for (const l of snapshot) this.callListener(l as (...a: unknown[]) => void, args, event);
    return true;
  }

  /** Calls one listener (a hook for emitters that isolate their listeners' failures). */
  protected callListener(l: (...a: unknown[]) => void, args: unknown[], _event: string): void {
    l(...args);
  }
}

/**
 * Calls `fn(...args)`; a throw is rethrown from a microtask, where it surfaces as an uncaught
 * exception in the application, while the caller (a connection's receive path) goes on. A
 * try/catch costs nothing when nothing throws, unlike deferring every call to a new task.
 */
export function callRethrowingLater(fn: (...a: unknown[]) => void, args: unknown[]): void {
  try {
    fn(...args);
  } catch (err) {
    queueMicrotask(() => {
      throw err;
    });
  }
}

/** Node's `EventEmitter.defaultMaxListeners`. */
const DEFAULT_MAX_LISTENERS = 10;
/**
 * Limits set with `setMaxListeners`, kept outside the emitters: few applications call it, and
 * every session and adapter is an emitter (no per-object field for a value almost never set).
 */
const maxListeners = new WeakMap<object, number>();

/**
 * `setMaxListeners(n)` for an emitter that is not Node's: validates `n` as Node does and stores it
 * for {@link getMaxListenersOf}. Tether never warns about listener counts.
 */
export function setMaxListenersOf(emitter: object, n: number): void {
  if (typeof n !== "number" || n < 0 || Number.isNaN(n)) {
    throw new RangeError(`setMaxListeners: expected a non-negative number, got ${String(n)}`);
  }
  maxListeners.set(emitter, n);
}

/** The limit set with {@link setMaxListenersOf}, else Node's default (10). */
export function getMaxListenersOf(emitter: object): number {
  return maxListeners.get(emitter) ?? DEFAULT_MAX_LISTENERS;
}

/**
 * An emitter whose listeners cannot hurt the emitter's caller: a listener that throws is reported
 * (`console.error`) and the next listener still runs. Server-side objects driven by network input
 * (engine server and sessions, adapters) use it, so that an application listener failing on one
 * connection's event never reaches the event loop and never affects other connections.
 */
export class IsolatedEmitter<
  Listen extends EventsMap,
  Emit extends EventsMap = Listen,
> extends Emitter<Listen, Emit> {
  // ---- Node `EventEmitter` compatibility -----------------------------------------------------
  // Code written for engine.io / socket.io calls these on `io.engine`, `socket.conn` and the
  // adapters, which are Node emitters there (the official `@socket.io/admin-ui` among them).
  // Kept out of `Emitter`: the browser client does not need them.

  /** Adds `listener` before the others of `event`. */
  prependListener<K extends EventNames<Listen>>(event: K, listener: Listen[K]): this {
    const table = this.listenerTable();
    const list = table.get(event);
    if (list) list.unshift(listener);
    else table.set(event, [listener]);
    return this;
  }

  /** Adds a one-time `listener` before the others of `event`. */
  prependOnceListener<K extends EventNames<Listen>>(event: K, listener: Listen[K]): this {
    const wrapper: Wrapped = (...args: never[]) => {
      this.off(event, wrapper as Listen[K]);
      (listener as Listener)(...args);
    };
    wrapper.listener = listener;
    return this.prependListener(event, wrapper as Listen[K]);
  }

  /** The listeners of `event`, `once` wrappers unwrapped (as Node's `listeners`). */
  override listeners<K extends EventNames<Listen>>(event: K): Listen[K][] {
    return this.rawListeners(event).map((l) => (l as Wrapped).listener ?? l) as Listen[K][];
  }

  /** The listeners of `event` as registered (`once` wrappers included). */
  rawListeners<K extends EventNames<Listen>>(event: K): Listen[K][] {
    return super.listeners(event);
  }

  /** Listeners registered for `event`; with `listener`, only those that are (or wrap) it. */
  override listenerCount<K extends EventNames<Listen>>(event: K, listener?: Listen[K]): number {
    if (listener === undefined) return super.listenerCount(event);
    let n = 0;
    for (const l of super.listeners(event)) {
      if (l === listener || (l as Wrapped).listener === listener) n++;
    }
    return n;
  }

  /** Names of the events that have listeners. */
  eventNames(): string[] {
    return [...this.listenerTable().keys()];
  }

  /**
   * Stores the listener limit reported by {@link getMaxListeners} (`0` or `Infinity`: no limit).
   * Tether never warns about listener counts: the call exists for code written for Node's
   * emitters (e.g. `io.engine.setMaxListeners(0)`).
   */
  setMaxListeners(n: number): this {
    setMaxListenersOf(this, n);
    return this;
  }

  /** The limit set with {@link setMaxListeners}, else Node's default (10). */
  getMaxListeners(): number {
    return getMaxListenersOf(this);
  }

  protected override callListener(
    l: (...a: unknown[]) => void,
    args: unknown[],
    event: string,
  ): void {
    try {
      l(...args);
    } catch (err) {
      console.error(`tether-io: uncaught error in a "${event}" listener:`, err);
    }
  }
}
