// Server-side broadcast driver shared by the benchmark servers: `count` emits in bursts of
// `burst` per macrotask, so the packets bound for one socket share an event-loop turn.

/** Calls `emit(n)` with bursts summing to `count`, one burst per macrotask, then `done()`. */
export function inBursts(count, burst, emit, done) {
  let left = count;
  const step = () => {
    const n = Math.min(burst, left);
    emit(n);
    left -= n;
    if (left > 0) setImmediate(step);
    else done();
  };
  step();
}
