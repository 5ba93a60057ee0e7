// Scale figure (issue 7): cross-node broadcast deliveries/s with Tether nodes on the Redis
// pub/sub adapter vs one node. Every node, the load generator (bench/load/generator.mjs, raw
// wire-protocol LoadClients) and a private redis-server run as separate processes on loopback.
// Node A always emits; the clients sit on A (1 node), on B only (every delivery crosses Redis),
// or half on each. Bounded: fixed counts, a timeout per measurement, every process killed at the end.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startChild } from "../child.mjs";
import { redisMissing, startRedis } from "./redis-server.mjs";

const here = dirname(fileURLToPath(import.meta.url));

/** Starts an IPC-controlled child (see bench/child.mjs). */
function start(script, args = []) {
  return startChild(script, { args, nodeArgs: ["--max-old-space-size=2048"] });
}

/** Where the clients connect, per case. A is the emitting node. */
const CASES = [
  { case: "1 node", redis: false, nodes: 1, share: [1] },
  { case: "1 node + Redis adapter", redis: true, nodes: 1, share: [1] },
  { case: "2 nodes · Redis · clients split", redis: true, nodes: 2, share: [0.5, 0.5] },
  { case: "2 nodes · Redis · all clients remote", redis: true, nodes: 2, share: [0, 1] },
];

export const plans = {
  quick: {
    reps: 1,
    warmup: 5,
    size: 64,
    scenarios: [
      { scenario: "fan-out @200 clients", clients: 200, broadcasts: 250 },
      { scenario: "messages @10 clients", clients: 10, broadcasts: 5000 },
    ],
  },
  full: {
    reps: 3,
    warmup: 20,
    size: 64,
    scenarios: [
      { scenario: "fan-out @1000 clients", clients: 1000, broadcasts: 1000 },
      { scenario: "messages @10 clients", clients: 10, broadcasts: 40_000 },
    ],
  },
};

const cpuMicros = (a, b) => b.cpu.user - a.cpu.user + (b.cpu.system - a.cpu.system);

/** One topology × scenario: start the processes, warm up, measure `reps` times. */
async function measure(c, s, plan, redisUrl, log) {
  const nodeArgs = c.redis ? [redisUrl] : [];
  const nodes = Array.from({ length: c.nodes }, () => start(join(here, "node.mjs"), nodeArgs));
  const gen = start(join(here, "..", "load", "generator.mjs"));
  const rows = [];
  try {
    const ports = (await Promise.all(nodes.map((n) => n.ready))).map((m) => m.port);
    await gen.ready;
    const counts = c.share.map((f) => Math.round(f * s.clients));
    for (const [i, n] of counts.entries()) {
      if (n === 0) continue;
      const opened = await gen.call("open", { port: ports[i], mode: "websocket", n });
      if (opened.failed > 0) throw new Error(`${opened.failed} clients failed to connect`);
    }
    await Promise.all(nodes.map((n) => n.call("settle")));
    const [emitter] = nodes;
    const round = async (count) => {
      const total = count * s.clients;
      const cpu0 = await Promise.all(nodes.map((n) => n.call("cpu")));
      const done = gen.nextEvent("expectDone");
      await gen.call("expect", { total, timeoutMs: 60_000 });
      await emitter.call("broadcast", { count, size: plan.size, burst: 10 });
      const r = await done;
      const cpu1 = await Promise.all(nodes.map((n) => n.call("cpu")));
      const nodeCpu = cpu0.reduce((sum, a, i) => sum + cpuMicros(a, cpu1[i]), 0);
      return { ...r, total, nodeCpu };
    };
    // Warm-up: JIT, and (with Redis) every node subscribed and known to the others.
    const warm = await round(plan.warmup);
    if (!warm.complete) throw new Error(`warm-up: ${warm.received}/${warm.total} deliveries`);
    for (let rep = 1; rep <= plan.reps; rep++) {
      const r = await round(s.broadcasts);
      const base = {
        bench: "scale/redis",
        case: c.case,
        scenario: s.scenario,
        rep,
        clients: s.clients,
        broadcasts: s.broadcasts,
        payloadBytes: plan.size,
        complete: r.complete,
        // Nodes together below half a core: the generator, not Tether, set the pace.
        generatorBound: r.nodeCpu / 1000 / r.elapsedMs < 0.5,
      };
      rows.push(
        {
          ...base,
          metric: "deliveries/s",
          unit: "1/s",
          value: (r.received / r.elapsedMs) * 1000,
          better: "higher",
        },
        {
          ...base,
          metric: "node CPU",
          unit: "µs/delivery",
          value: r.nodeCpu / Math.max(1, r.received),
          better: "lower",
        },
      );
    }
    log(`scale: ${s.scenario} · ${c.case} done`);
  } finally {
    await gen.stop();
    await Promise.all(nodes.map((n) => n.stop()));
  }
  return rows;
}

/**
 * Runs every scenario on every topology; returns rows `{ case, metric, unit, value, … }`
 * (also printed as JSON lines). Empty, with a note on stderr, when redis-server is missing.
 * @param {{ quick?: boolean, log?: (line: string) => void }} [options]
 */
export async function run({ quick = false, log = console.error } = {}) {
  if (redisMissing) {
    log(`scale: skipped — ${redisMissing}`);
    return [];
  }
  const plan = quick ? plans.quick : plans.full;
  const redis = await startRedis();
  const rows = [];
  try {
    for (const s of plan.scenarios) {
      for (const c of CASES) {
        for (const row of await measure(c, s, plan, redis.url, log)) {
          const line = { ...row, redis: redis.version };
          console.log(JSON.stringify(line));
          rows.push(line);
        }
      }
    }
  } finally {
    await redis.stop();
  }
  return rows;
}

// `node bench/scale/redis.mjs [--quick]` runs it alone (after `npm run build`).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await run({ quick: process.argv.includes("--quick") });
}
