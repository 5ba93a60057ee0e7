/**
 * The typed listener half of Server, Namespace and Socket: `on`/`once`/`off` typed with
 * upstream's reserved-or-user event rules. `emit` is not here: on those objects it sends to
 * clients. Listener calls are isolated: a throwing (or rejecting) application listener is
 * reported and never stops other listeners, other sockets or the process.
 */
import type {
  EventsMap,
  ReservedOrUserEventNames,
  ReservedOrUserListener,
} from "./typed-events.js";

type Listener = (...args: never[]) => unknown;
type Wrapped = Listener & { listener?: Listener };

/** Typed listener registry with error-isolated dispatch. */
export abstract class StrictEventEmitter<
  ListenEvents extends EventsMap,
  ReservedEvents extends EventsMap,
> {
  #listeners: Map<string, Wrapped[]> | undefined;

  on<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    this.#listeners ??= new Map();
    const list = this.#listeners.get(ev);
    if (list) list.push(listener);
    else this.#listeners.set(ev, [listener]);
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
    const wrapper: Wrapped = (...args: never[]) => {
      this.off(ev, listener);
      return (listener as Listener)(...args);
    };
    wrapper.listener = listener;
    return this.on(ev, wrapper as ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>);
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
    const list = this.#listeners.get(ev);
    if (!list) return this;
    const i = list.findIndex((l) => l === listener || l.listener === listener);
    if (i !== -1) list.splice(i, 1);
    if (list.length === 0) this.#listeners.delete(ev);
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

  listeners<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
  ): ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>[] {
    return (this.#listeners?.get(ev) ?? []).slice() as ReservedOrUserListener<
      ReservedEvents,
      ListenEvents,
      Ev
    >[];
  }

  listenerCount(ev: string): number {
    return this.#listeners?.get(ev)?.length ?? 0;
  }

  /** Calls the listeners of `ev` (reserved or user event); returns whether there were any. */
  protected emitReserved(ev: string, ...args: unknown[]): boolean {
    const list = this.#listeners?.get(ev);
    if (!list || list.length === 0) return false;
    const snapshot = list.length === 1 ? list : list.slice();
    for (const l of snapshot) this.invokeListener(l as (...a: unknown[]) => unknown, args);
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
