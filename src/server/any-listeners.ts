/** The catch-all listener lists of a socket (`onAny`, `onAnyOutgoing`), allocated on first use. */

/** A catch-all listener: receives the event name then its arguments. */
// biome-ignore lint/suspicious/noExplicitAny: catch-all listeners see untyped arguments, as upstream
export type AnyListener = (...args: any[]) => void;

/** An ordered list of catch-all listeners. */
export class AnyListeners {
  #list: AnyListener[] = [];

  add(listener: AnyListener, prepend: boolean): void {
    if (prepend) this.#list.unshift(listener);
    else this.#list.push(listener);
  }

  /** Removes one listener, or all of them when none is given. */
  remove(listener?: AnyListener): void {
    if (listener === undefined) {
      this.#list = [];
      return;
    }
    const i = this.#list.indexOf(listener);
    if (i !== -1) this.#list.splice(i, 1);
  }

  /** A snapshot (listeners may unregister themselves while being called). */
  list(): AnyListener[] {
    return this.#list.slice();
  }
}
