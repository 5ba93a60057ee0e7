// Scale benchmark (issues 7 and 14): cross-node deliveries with nodes on Redis pub/sub, Tether
// (bench/scale/node.mjs, tether-io/adapters/redis) side by side with socket.io
// (bench/scale/sio-node.mjs, @socket.io/redis-adapter classic) on one private redis-server.
// Every node, the load generator (bench/scale/generator.mjs, raw wire-protocol clients) and Redis
// are separate processes on loopback; one implementation's processes run at a time.
//   fan-out   node A emits to one room holding every client; clients on A, on B, or split
//   chat      every client emits small events, each broadcast to its room of `roomSize`
//             clients spread over both nodes (so every message crosses Redis)
//   messages  node A emits many broadcasts to a room of few clients (per-broadcast overhead)
// Node CPU is process.cpuUsage() of every node over the measurement; Redis CPU from /proc.
// Bounded: fixed counts, a timeout per measurement, every process stopped at the end.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startChild } from "../child.mjs";
import { capCpu, cpuCapMissing } from "./cpu-cap.mjs";
import { redisMissing, startRedis } from "./redis-server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const SCRIPT = { tether: "node.mjs", socketio: "sio-node.mjs" };
/** A generator busier than this share of one core may have set the pace. */
const GENERATOR_BOUND = 0.9;
/** Children still running; killed by pid if the driver exits early. */
const children = new Set();
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});

/** Starts an IPC-controlled child (see bench/child.mjs). */
function start(script, args = []) {
  const c = startChild(join(here, script), { args, nodeArgs: ["--max-old-space-size=2048"] });
  children.add(c.child);
  c.child.once("exit", () => children.delete(c.child));
  return c;
}

/** Topologies: where the clients connect (share per node); node A emits in fan-out. */
const ONE = { case: "1 node", redis: false, share: [1] };
const ONE_REDIS = { case: "1 node + Redis adapter", redis: true, share: [1] };
const SPLIT = { case: "2 nodes · Redis · clients split", redis: true, share: [0.5, 0.5] };
const REMOTE = { case: "2 nodes · Redis · all clients remote", redis: true, share: [0, 1] };
const both = (...topologies) =>
  topologies.flatMap((t) => [
    { ...t, impl: "tether" },
    { ...t, impl: "socketio" },
  ]);

const fanoutCases = both(ONE, ONE_REDIS, SPLIT, REMOTE);
// Scale-out at a fixed CPU budget per node: 1 node against 2.
const cappedCases = both(ONE, SPLIT);
// Chat on two nodes only (one node would not cross Redis).
const chatCases = both(SPLIT);
const messagesCases = [{ ...ONE, impl: "tether" }, ...both(SPLIT)];

export const plans = {
  quick: {
    reps: 1,
    size: 64,
    scenarios: [
      { kind: "fanout", scenario: "fan-out @200 clients", clients: 200, broadcasts: 200 },
      { kind: "chat", scenario: "chat @200 clients, rooms of 10", clients: 200, roomSize: 10 },
      { kind: "fanout", scenario: "messages @10 clients", clients: 10, broadcasts: 5000 },
    ],
  },
  full: {
    reps: 3,
    size: 64,
    scenarios: [
      { kind: "fanout", scenario: "fan-out @1000 clients", clients: 1000, broadcasts: 600 },
      { kind: "chat", scenario: "chat @1000 clients, rooms of 10", clients: 1000, roomSize: 10 },
      { kind: "fanout", scenario: "messages @10 clients", clients: 10, broadcasts: 20_000 },
      // Every node held to a quarter of a core (cgroup CPU quota): the nodes, not the load
      // generator or the machine's 2 cores, set the pace, as when each node has a machine of its
      // own, and the nodes and generator together leave a core idle. Counts per implementation
      // so that each measurement lasts 2–4 s (CFS quota periods are 100 ms); 5 repetitions.
      {
        kind: "fanout",
        scenario: "fan-out @1000 clients, ¼ core per node",
        clients: 1000,
        broadcasts: { tether: 1000, socketio: 60 },
        capCores: 1 / 4,
        reps: 5,
      },
    ],
  },
};
for (const [name, plan] of Object.entries(plans)) {
  for (const s of plan.scenarios) {
    s.cases =
      s.kind === "chat"
        ? chatCases
        : s.capCores
          ? cappedCases
          : s.clients === 10
            ? messagesCases
            : fanoutCases;
    s.rounds = name === "quick" ? 10 : 30;
    // Warm-up in rounds (chat) or broadcasts. The full plan warms up with as much work as one
    // measured repetition: with 3 chat rounds or 20 broadcasts, the first repetition still ran
    // half-optimised code (its CPU per delivery was up to 2× the next ones', on both servers).
    const measured = s.kind === "chat" ? s.rounds : s.broadcasts;
    s.warmup = name === "quick" ? (s.kind === "chat" ? 3 : 20) : measured;
  }
}

/** A plan value that may differ per implementation (`{ tether, socketio }`). */
const perImpl = (v, impl) => (typeof v === "object" ? v[impl] : v);

const cpuMicros = (a, b) => b.cpu.user - a.cpu.user + (b.cpu.system - a.cpu.system);

/** CPU µs a process used so far, from /proc (Linux); undefined elsewhere. */
function procCpuMicros(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime, stime (fields 14, 15) in clock ticks of 10 ms (CLK_TCK = 100 on Linux).
    return (Number(f[11]) + Number(f[12])) * 10_000;
  } catch {
    return undefined;
  }
}

/** Write syscalls (write, writev, sendmsg…) a process made so far, from /proc (Linux). */
function procWrites(pid) {
  try {
    return Number(/syscw: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, "utf8"))?.[1]);
  } catch {
    return undefined;
  }
}

/** One implementation × topology × scenario: start the processes, warm up, measure `reps` times. */
async function measure(c, s, plan, redis, log) {
  const nodeArgs = c.redis ? [redis.url] : [];
  const nodes = c.share.map(() => start(SCRIPT[c.impl], nodeArgs));
  const gen = start("generator.mjs");
  const rows = [];
  const uncap = [];
  try {
    if (s.capCores) for (const n of nodes) uncap.push(capCpu(n.child.pid, s.capCores));
    const ports = (await Promise.all(nodes.map((n) => n.ready))).map((m) => m.port);
    await gen.ready;
    for (const [i, f] of c.share.entries()) {
      const n = Math.round(f * s.clients);
      if (n === 0) continue;
      const opened = await gen.call("open", { port: ports[i], n });
      if (opened.failed > 0) throw new Error(`${opened.failed} clients failed to connect`);
    }
    await Promise.all(nodes.map((n) => n.call("settle")));
    if (s.kind === "chat") await gen.call("join", { roomSize: s.roomSize });
    const [emitter] = nodes;
    const fanout = async (count) => {
      const total = count * s.clients;
      const done = gen.nextEvent("expectDone");
      await gen.call("expect", { total, timeoutMs: 60_000 });
      await emitter.call("broadcast", { count, size: plan.size, burst: 10 });
      return done;
    };
    const chat = (rounds) =>
      gen.call(
        "chat",
        { rounds, window: 2, size: plan.size, roomSize: s.roomSize, timeoutMs: 60_000 },
        90_000,
      );
    const round = async (count) => {
      const [cpu0, g0] = await Promise.all([
        Promise.all(nodes.map((n) => n.call("cpu"))),
        gen.call("cpu"),
      ]);
      const r0 = procCpuMicros(redis.pid);
      const w0 = nodes.map((n) => procWrites(n.child.pid));
      const r = s.kind === "chat" ? await chat(count) : await fanout(count);
      const r1 = procCpuMicros(redis.pid);
      const w1 = nodes.map((n) => procWrites(n.child.pid));
      const [cpu1, g1] = await Promise.all([
        Promise.all(nodes.map((n) => n.call("cpu"))),
        gen.call("cpu"),
      ]);
      const perNode = cpu0.map((a, i) => cpuMicros(a, cpu1[i]));
      return {
        ...r,
        perNode,
        nodeCpu: perNode.reduce((a, b) => a + b, 0),
        redisCpu: c.redis && r0 !== undefined && r1 !== undefined ? r1 - r0 : undefined,
        genLoad: cpuMicros(g0, g1) / 1000 / r.elapsedMs,
        writes: w0.reduce((sum, w, i) => sum + (w1[i] - w), 0),
      };
    };
    const count = s.kind === "chat" ? s.rounds : perImpl(s.broadcasts, c.impl);
    // Warm-up: JIT, and (with Redis) every node subscribed and known to the others.
    const warm = await round(perImpl(s.warmup, c.impl));
    if (!warm.complete)
      throw new Error(`warm-up: ${warm.received} deliveries of ${s.warmup} rounds`);
    for (let rep = 1; rep <= (s.reps ?? plan.reps); rep++) {
      const r = await round(count);
      const base = {
        bench: "scale/redis",
        impl: c.impl,
        case: c.case,
        scenario: s.scenario,
        rep,
        clients: s.clients,
        ...(s.kind === "chat" ? { roomSize: s.roomSize, rounds: count } : { broadcasts: count }),
        payloadBytes: plan.size,
        complete: r.complete,
        genLoad: r.genLoad,
        generatorBound: r.genLoad >= GENERATOR_BOUND,
        // Cores each node kept busy meanwhile.
        nodeLoad: r.perNode.map((us) => us / 1000 / r.elapsedMs),
        // Write syscalls of all nodes per delivery (1 = no coalescing of packets per socket).
        writesPerDelivery: r.writes / Math.max(1, r.received),
      };
      const per = (us) => us / Math.max(1, r.received);
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
          value: per(r.nodeCpu),
          better: "lower",
        },
      );
      if (r.redisCpu !== undefined)
        rows.push({
          ...base,
          metric: "redis CPU",
          unit: "µs/delivery",
          value: per(r.redisCpu),
          better: "lower",
        });
    }
    log(`scale: ${s.scenario} · ${c.impl} · ${c.case} done`);
  } finally {
    await gen.stop();
    for (const lift of uncap) lift();
    await Promise.all(nodes.map((n) => n.stop()));
  }
  return rows;
}

/**
 * Runs every scenario on every implementation × topology; returns rows
 * `{ impl, scenario, case, metric, unit, value, … }` (also printed as JSON lines). Empty, with a
 * note on stderr, when redis-server is missing.
 * `filter` keeps the runs whose "impl scenario case" contains it (for profiling one case).
 * @param {{ quick?: boolean, filter?: string, log?: (line: string) => void }} [options]
 */
export async function run({ quick = false, filter = "", log = console.error } = {}) {
  if (redisMissing) {
    log(`scale: skipped — ${redisMissing}`);
    return [];
  }
  const plan = quick ? plans.quick : plans.full;
  const redis = await startRedis();
  const rows = [];
  const t0 = performance.now();
  try {
    for (const s of plan.scenarios) {
      if (s.capCores && cpuCapMissing) {
        log(`scale: ${s.scenario} skipped — ${cpuCapMissing}`);
        continue;
      }
      for (const c of s.cases) {
        if (!`${c.impl} ${s.scenario} ${c.case}`.includes(filter)) continue;
        for (const row of await measure(c, s, plan, redis, log)) {
          const line = { ...row, redis: redis.version };
          console.log(JSON.stringify(line));
          rows.push(line);
        }
      }
    }
  } finally {
    await redis.stop();
  }
  log(`scale: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return rows;
}

// `node bench/scale/redis.mjs [--quick] [--filter=text]` runs it alone (after `npm run build`);
// with BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=…" every node writes a profile.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const filter = process.argv.find((a) => a.startsWith("--filter="))?.slice(9);
  await run({ quick: process.argv.includes("--quick"), ...(filter ? { filter } : {}) });
}
