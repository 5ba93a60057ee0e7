// Presence benchmark (issue 15): what presence costs.
//   heap       bytes of heap per entry a node owns, and per entry it replicates from another node
//              (bench/presence/heap.mjs, its own process with --expose-gc)
//   join storm 3 Tether nodes on the Redis adapter (private redis-server), 1,000 raw wire-protocol
//              clients spread over them (bench/scale/generator.mjs); every node makes all its
//              sockets track one room at once. Measured until every node lists 1,000 keys:
//              presence messages between nodes, diffs pushed per node (one per room per batch),
//              node CPU, and the time to agree.
// `node bench/presence/run.mjs [--quick]` alone (after `npm run build`), or `npm run bench -- --only=presence`.
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startChild } from "../child.mjs";
import { redisMissing, startRedis } from "../scale/redis-server.mjs";

const here = dirname(fileURLToPath(import.meta.url));

function heapRow(entries) {
  const out = execFileSync(
    process.execPath,
    ["--expose-gc", join(here, "heap.mjs"), String(entries)],
    {
      encoding: "utf8",
    },
  );
  return JSON.parse(out.trim().split("\n").pop());
}

async function storm({ clients, log }) {
  const redis = await startRedis();
  const nodes = [0, 1, 2].map((i) =>
    startChild(join(here, "node.mjs"), {
      args: [redis.url, String(i)],
      nodeArgs: ["--max-old-space-size=2048"],
    }),
  );
  const gen = startChild(join(here, "../scale/generator.mjs"));
  try {
    const ports = (await Promise.all(nodes.map((n) => n.ready))).map((m) => m.port);
    await gen.ready;
    const per = [0, 1, 2].map((i) => Math.floor(clients / 3) + (i < clients % 3 ? 1 : 0));
    for (const [i, n] of per.entries()) {
      const opened = await gen.call("open", { port: ports[i], n });
      if (opened.failed > 0) throw new Error(`${opened.failed} clients failed to connect`);
    }
    for (const deadline = Date.now() + 15_000; ; ) {
      const counts = await Promise.all(nodes.map((n) => n.call("serverCount")));
      if (counts.every((c) => c.count === 3)) break;
      if (Date.now() > deadline) throw new Error("nodes did not see each other");
      await new Promise((r) => setTimeout(r, 50));
    }
    const before = await Promise.all(nodes.map((n) => n.call("stats")));
    const cpu0 = await Promise.all(nodes.map((n) => n.call("cpu")));
    const t0 = performance.now();
    const tracked = await Promise.all(nodes.map((n) => n.call("storm", { room: "storm" })));
    const trackMs = Math.max(...tracked.map((t) => t.ms));
    for (const deadline = Date.now() + 30_000; ; ) {
      const counts = await Promise.all(nodes.map((n) => n.call("count", { room: "storm" })));
      if (counts.every((c) => c.count === clients)) break;
      if (Date.now() > deadline) throw new Error(`not converged: ${JSON.stringify(counts)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const agreeMs = performance.now() - t0;
    // Let the last diff batch go out before reading the counters.
    await new Promise((r) => setTimeout(r, 200));
    const cpu1 = await Promise.all(nodes.map((n) => n.call("cpu")));
    const after = await Promise.all(nodes.map((n) => n.call("stats")));
    const d = (k) => after.map((a, i) => a.stats[k] - before[i].stats[k]);
    const cpuMs = cpu1.map(
      (c, i) => (c.cpu.user - cpu0[i].cpu.user + c.cpu.system - cpu0[i].cpu.system) / 1000,
    );
    const row = {
      bench: "presence/storm",
      clients,
      nodes: 3,
      trackMs,
      agreeMs,
      messagesSent: d("messagesSent"),
      messagesReceived: d("messagesReceived"),
      diffsPerNode: d("diffs"),
      nodeCpuMs: cpuMs,
      cpuPerJoinUs: (cpuMs.reduce((a, b) => a + b, 0) * 1000) / clients,
    };
    log(`presence: storm of ${clients} joins converged in ${agreeMs.toFixed(0)} ms`);
    return row;
  } finally {
    await gen.stop();
    await Promise.all(nodes.map((n) => n.stop()));
    await redis.stop();
  }
}

/** Rows of the presence benchmark; `lines` is its markdown summary. */
export async function run({ quick = false, log = console.error } = {}) {
  const heap = heapRow(quick ? 5000 : 20_000);
  const rows = [{ bench: "presence/heap", ...heap }];
  if (redisMissing) log(`presence: storm skipped — ${redisMissing}`);
  else rows.push(await storm({ clients: 1000, log }));
  for (const r of rows) console.log(JSON.stringify(r));
  const s = rows.find((r) => r.bench === "presence/storm");
  const lines = [
    "\n### Presence\n",
    `- Heap per entry: **${heap.ownBytesPerEntry.toFixed(0)} B** owned by the node, **${heap.replicatedBytesPerEntry.toFixed(0)} B** replicated from another node (${heap.entries} entries, one room, meta \`{ name, device }\`).`,
  ];
  if (s)
    lines.push(
      `- Join storm, ${s.clients} clients over 3 nodes on Redis, all tracking one room at once: every node listed ${s.clients} keys after **${s.agreeMs.toFixed(0)} ms**; **${s.messagesSent.reduce((a, b) => a + b, 0)}** presence messages sent between nodes in all (${s.messagesSent.join(" / ")} per node); **${s.diffsPerNode.join(" / ")}** diffs pushed per node; node CPU ${s.nodeCpuMs.map((x) => x.toFixed(0)).join(" / ")} ms (**${s.cpuPerJoinUs.toFixed(0)} µs per join**, all nodes).`,
    );
  return { rows, lines };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { lines } = await run({ quick: process.argv.includes("--quick") });
  console.log(lines.join("\n"));
}
