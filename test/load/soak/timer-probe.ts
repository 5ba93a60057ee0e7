/**
 * Counts the timers alive in the soak server child, unref'd ones included (Node's
 * `getActiveResourcesInfo()` lists only timers that keep the process up, and Tether unrefs
 * most of its own). Wraps the global `setTimeout` / `setInterval` / `clear*` — what Tether and
 * `ws` use — before the server's modules load. A timeout stops counting once it fired or was
 * cleared, an interval once cleared.
 */
type Timer = ReturnType<typeof setTimeout>;
type Callback = (...args: unknown[]) => void;

const live = new Set<Timer>();

/** Timers created through the globals and still pending. */
export function liveTimers(): number {
  return live.size;
}

/** Installs the wrappers (once). */
export function installTimerProbe(): void {
  const g = globalThis as unknown as Record<string, unknown>;
  if (g.__soakTimerProbe) return;
  g.__soakTimerProbe = true;
  const realTimeout = setTimeout;
  const realInterval = setInterval;
  const realClearTimeout = clearTimeout;
  const realClearInterval = clearInterval;
  g.setTimeout = (fn: Callback, ms?: number, ...args: unknown[]): Timer => {
    const t: Timer = realTimeout(
      (...a: unknown[]) => {
        live.delete(t);
        fn(...a);
      },
      ms,
      ...args,
    );
    live.add(t);
    return t;
  };
  g.setInterval = (fn: Callback, ms?: number, ...args: unknown[]): Timer => {
    const t: Timer = realInterval(fn, ms, ...args);
    live.add(t);
    return t;
  };
  const clear = (t: unknown) => {
    if (typeof t === "object" && t !== null) live.delete(t as Timer);
  };
  g.clearTimeout = (t?: Timer) => {
    clear(t);
    realClearTimeout(t);
  };
  g.clearInterval = (t?: Timer) => {
    clear(t);
    realClearInterval(t);
  };
}
