// Heap per socket of the rate limits' state, in a process of its own (`node --expose-gc heap.mjs
// <n>`): `n` stand-in sockets each pass one event through a namespace guard with the benchmark's
// limits (per socket, one per-event bucket, per key, refusal policy), allocating their state.
// Prints one JSON line.
import { NamespaceGuard } from "tether-io";
import { benchLimits } from "./contract.mjs";

const n = Number(process.argv[2] ?? 50_000);
const gc = globalThis.gc;
if (!gc) throw new Error("run with --expose-gc");
const heap = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};
const guard = new NamespaceGuard();
guard.setLimits({ ...benchLimits, disconnectAfter: { refusals: 20 } });
const stand = (i) => ({
  id: `s${i}`,
  nsp: { name: "/" },
  connected: true,
  handshake: { address: "127.0.0.1" },
  data: {},
  _guardState: undefined,
  _admitted() {},
  _packet() {},
  _onclose() {},
});
// Warm-up: the guard's code compiled, its first allocations made, before the baseline.
for (let i = 0; i < 1000; i++) guard.admit(stand(i), ["say", 1], undefined);
const hEmpty = heap();
const sockets = Array.from({ length: n }, (_, i) => stand(i));
const h0 = heap();
for (const s of sockets) guard.admit(s, ["say", 1], undefined);
const h1 = heap();
// Read after the measure, so the sockets (and their state) are alive when it is taken.
if (sockets.length !== n || hEmpty > h1 * 10) throw new Error("unreachable");
console.log(JSON.stringify({ sockets: n, bytesPerSocket: (h1 - h0) / n, keys: guard.keyCount }));
process.exit(0);
