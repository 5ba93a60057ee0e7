// Heap per presence entry, in a process of its own (`node --expose-gc heap.mjs <n>`): a Tether
// server tracks `n` entries (n keys, one room, a small meta) directly through its namespace's
// tracker — the entries a node owns — and then receives the same number as another node's full
// state (the entries it replicates). Prints one JSON line.
import { Server } from "tether-io";

const n = Number(process.argv[2] ?? 20_000);
const gc = globalThis.gc;
if (!gc) throw new Error("run with --expose-gc");
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const io = new Server({ serveClient: false, presence: { maxKeysPerRoom: 1_000_000 } });
const tracker = io.of("/")._presenceTracker();
const h0 = heap();
for (let i = 0; i < n; i++) {
  tracker.track(`sock${String(i).padStart(16, "0")}`, "lobby", `user-${i}`, {
    name: `User ${i}`,
    device: "web",
  });
}
const h1 = heap();
const entries = [];
for (let i = 0; i < n; i++)
  entries.push([
    `ruser-${i}`,
    `rsck${String(i).padStart(16, "0")}`,
    { name: `User ${i}`, device: "web" },
  ]);
tracker.onMessage({ t: "f", n: "othernode1", s: 1, rooms: [["lobby", entries]] });
entries.length = 0;
const h2 = heap();
const stats = tracker.stats();
console.log(
  JSON.stringify({
    entries: n,
    ownBytesPerEntry: (h1 - h0) / n,
    replicatedBytesPerEntry: (h2 - h1) / n,
    check: stats,
  }),
);
await io.close();
process.exit(0);
