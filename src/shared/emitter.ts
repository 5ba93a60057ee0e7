/**
 * A small typed event emitter, browser-safe (no Node `events`), used by every stateful object.
 * Listener exceptions are not caught here: owners decide how to report them.
 */

// biome-ignore lint/suspicious/noExplicitAny: user-facing generic default — listener maps accept any argument lists
export type EventsMap = Record<string, (...args: any[]) => void>;
export type EventNames<M extends EventsMap> = keyof M & string;
export type EventParams<M extends EventsMap, K extends EventNames<M>> = Parameters<M[K]>;

type Listener = (...args: never[]) => void;

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
 * An emitter whose listeners cannot hurt the emitter's caller: a listener that throws is reported
 * (`console.error`) and the next listener still runs. Server-side objects driven by network input
 * (engine server and sessions, adapters) use it, so that an application listener failing on one
 * connection's event never reaches the event loop and never affects other connections.
 */
export class IsolatedEmitter<
  Listen extends EventsMap,
  Emit extends EventsMap = Listen,
> extends Emitter<Listen, Emit> {
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
