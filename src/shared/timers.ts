/**
 * Timer functions for the clients. `useNativeTimers` (socket.io-client's option) makes a client
 * use the functions captured here, when this module loaded, so that a fake clock installed later
 * (sinon, jest) does not drive reconnection, connect, ping or ack timeouts. Without it, the
 * global functions are read at each call, as a fake clock expects.
 */
type SetTimeout = (fn: () => void, ms: number) => unknown;
type ClearTimeout = (timer: unknown) => void;

const nativeSet = globalThis.setTimeout as unknown as SetTimeout;
const nativeClear = globalThis.clearTimeout as unknown as ClearTimeout;

/** A pair of timer functions. */
export interface Timers {
  set: SetTimeout;
  clear: ClearTimeout;
}

/** The timers captured at module load. */
export const nativeTimers: Timers = {
  set: (fn, ms) => nativeSet.call(globalThis, fn, ms),
  clear: (t) => nativeClear.call(globalThis, t),
};

/** The global timers, looked up at each call. */
export const globalTimers: Timers = {
  set: (fn, ms) => (globalThis.setTimeout as unknown as SetTimeout)(fn, ms),
  clear: (t) => (globalThis.clearTimeout as unknown as ClearTimeout)(t),
};

/** The timers a client with these options uses. */
export const timersFor = (opts: { useNativeTimers?: boolean | undefined }): Timers =>
  opts.useNativeTimers ? nativeTimers : globalTimers;
