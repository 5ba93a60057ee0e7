/**
 * Timer functions for the clients. `useNativeTimers` (socket.io-client's option) makes a client
 * use the functions captured here, when this module loaded, so that a fake clock installed later
 * (sinon, jest) does not drive reconnection, connect, ping or ack timeouts. Without it, the
 * global functions are read at each call, as a fake clock expects.
 */
type SetTimeout = (fn: () => void, ms: number) => unknown;
type ClearTimeout = (timer: unknown) => void;

/** A pair of timer functions. */
export interface Timers {
  set: SetTimeout;
  clear: ClearTimeout;
}

/** The timers captured at module load (bound: browsers refuse another `this`). */
export const nativeTimers: Timers = {
  set: setTimeout.bind(globalThis) as unknown as SetTimeout,
  clear: clearTimeout.bind(globalThis) as unknown as ClearTimeout,
};

/** The global timers, looked up at each call (a free identifier reads the global object). */
export const globalTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
};

/** The timers a client with these options uses. */
export const timersFor = (opts: { useNativeTimers?: boolean | undefined }): Timers =>
  opts.useNativeTimers ? nativeTimers : globalTimers;
