/**
 * The typed listener half of Server, Namespace and Socket: `on`/`once`/`off` typed with
 * upstream's reserved-or-user event rules. `emit` is not here: on those objects it sends to
 * clients. Listener calls are isolated: a throwing (or rejecting) application listener is
 * reported and never stops other listeners, other sockets or the process.
 */
import { getMaxListenersOf, setMaxListenersOf } from "../shared/emitter.js";
import type {
  EventsMap,
  ReservedOrUserEventNames,
  ReservedOrUserListener,
} from "./typed-events.js";

type Listener = (...args: never[]) => unknown;
type Wrapped = Listener & { listener?: Listener };
/** One listener is stored bare (most events have one), several as an array. */
type Entry = Wrapped | Wrapped[];

function asList(entry: Entry | undefined): readonly Wrapped[] {
  return entry === undefined ? [] : typeof entry === "function" ? [entry] : entry;
}

/** Typed listener registry with error-isolated dispatch. */
export abstract class StrictEventEmitter<
  ListenEvents extends EventsMap,
  ReservedEvents extends EventsMap,
> {
  #listeners: Map<string, Entry> | undefined;

  /** Adds `listener` after (or, `first`, before) the others of `ev`. */
  #add(ev: string, listener: Wrapped, first: boolean): void {
    this.#listeners ??= new Map();
    const entry = this.#listeners.get(ev);
    if (entry === undefined) this.#listeners.set(ev, listener);
    else if (typeof entry === "function")
      this.#listeners.set(ev, first ? [listener, entry] : [entry, listener]);
    else if (first) entry.unshift(listener);
    else entry.push(listener);
  }

  on<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    this.#add(ev, listener, false);
    return this;
  }

  addListener<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    return this.on(ev, listener);
  }

  once<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    return this.on(ev, this.#onceWrapper(ev, listener));
  }

  #onceWrapper<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): ReservedOrUserListener<ReservedEvents, ListenEvents, Ev> {
    const wrapper: Wrapped = (...args: never[]) => {
      this.off(ev, wrapper as ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>);
      return (listener as Listener)(...args);
    };
    wrapper.listener = listener;
    return wrapper as ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>;
  }

  off<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev?: Ev,
    listener?: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    if (!this.#listeners) return this;
    if (ev === undefined) {
      this.#listeners.clear();
      return this;
    }
    if (listener === undefined) {
      this.#listeners.delete(ev);
      return this;
    }
    const entry = this.#listeners.get(ev);
    if (entry === undefined) return this;
    const matches = (l: Wrapped): boolean => l === listener || l.listener === listener;
    if (typeof entry === "function") {
      if (matches(entry)) this.#listeners.delete(ev);
      return this;
    }
    const i = entry.findIndex(matches);
    if (i !== -1) entry.splice(i, 1);
    if (entry.length === 0) this.#listeners.delete(ev);
    return this;
  }

  removeListener<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    return this.off(ev, listener);
  }

  removeAllListeners<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev?: Ev,
  ): this {
    return this.off(ev);
  }

  /** The listeners of `ev`, `once` wrappers unwrapped (as Node's `listeners`). */
  listeners<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
  ): ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>[] {
    return asList(this.#listeners?.get(ev)).map((l) => l.listener ?? l) as ReservedOrUserListener<
      ReservedEvents,
      ListenEvents,
      Ev
    >[];
  }

  /** Listeners registered for `ev`; with `listener`, only those that are (or wrap) it. */
  listenerCount(ev: string, listener?: (...args: never[]) => unknown): number {
    const entry = this.#listeners?.get(ev);
    if (entry === undefined) return 0;
    if (listener === undefined) return typeof entry === "function" ? 1 : entry.length;
    let n = 0;
    for (const l of asList(entry)) if (l === listener || l.listener === listener) n++;
    return n;
  }

  // ---- Node `EventEmitter` compatibility -----------------------------------------------------
  // socket.io's Server, Namespace and Socket are Node emitters; code written for them (the
  // official `@socket.io/admin-ui` prepends `connection` listeners, apps call
  // `io.setMaxListeners(0)`) calls these.

  /** Adds `listener` before the others of `ev`. */
  prependListener<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    this.#add(ev, listener, true);
    return this;
  }

  /** Adds a one-time `listener` before the others of `ev`. */
  prependOnceListener<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    return this.prependListener(ev, this.#onceWrapper(ev, listener));
  }

  /** The listeners of `ev` as registered (`once` wrappers included). */
  rawListeners<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
  ): ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>[] {
    return asList(this.#listeners?.get(ev)).slice() as ReservedOrUserListener<
      ReservedEvents,
      ListenEvents,
      Ev
    >[];
  }

  /** Names of the events that have listeners. */
  eventNames(): string[] {
    return [...(this.#listeners?.keys() ?? [])];
  }

  /**
   * Stores the listener limit reported by {@link getMaxListeners} (`0` or `Infinity`: no limit).
   * Tether never warns about listener counts; the call exists for code written for Node's
   * emitters (`io.setMaxListeners(0)`).
   */
  setMaxListeners(n: number): this {
    setMaxListenersOf(this, n);
    return this;
  }

  /** The limit set with {@link setMaxListeners}, else Node's default (10). */
  getMaxListeners(): number {
    return getMaxListenersOf(this);
  }

  /** Calls the listeners of `ev` (reserved or user event); returns whether there were any. */
  protected emitReserved(ev: string, ...args: unknown[]): boolean {
    const entry = this.#listeners?.get(ev);
    if (entry === undefined) return false;
    if (typeof entry === "function") {
      this.invokeListener(entry as (...a: unknown[]) => unknown, args);
      return true;
    }
    if (entry.length === 0) return false;
    for (const l of entry.slice()) this.invokeListener(l as (...a: unknown[]) => unknown, args);
    return true;
  }

  /** Calls one application function, reporting a throw or a rejected promise. */
  protected invokeListener(fn: (...a: unknown[]) => unknown, args: readonly unknown[]): void {
    try {
      const r = fn.apply(this, args as unknown[]);
      if (r instanceof Promise) r.catch((err: unknown) => this.onListenerError(err));
    } catch (err) {
      this.onListenerError(err);
    }
  }

  /** Where listener failures go; the default logs them. */
  protected onListenerError(err: unknown): void {
    console.error("tether-io: uncaught error in an event listener:", err);
  }
}
