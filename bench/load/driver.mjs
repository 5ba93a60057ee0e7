// Side-by-side load driver: starts each server implementation in its own process (one at a time),
// a load generator in another, pins them to different cores when `taskset` exists, runs the
// scenarios of issue 6 and returns rows. Every phase is bounded in count and time; loopback only.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startChild } from "../child.mjs";

const here = dirname(fileURLToPath(import.meta.url));
/** Children still running; killed by pid if the driver exits early. */
const children = new Set();
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});
/** A generator busier than this share of its (pinned) core was the bottleneck. */
const GENERATOR_BOUND = 0.9;

export function start(script, args, core) {
  const c = startChild(join(here, script), {
    args,
    core,
    nodeArgs: ["--expose-gc", "--max-old-space-size=4096"],
  });
  children.add(c.child);
  c.child.once("exit", () => children.delete(c.child));
  return c;
}

function slope(points) {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function cpuMicros(a, b) {
  return b.cpu.user - a.cpu.user + (b.cpu.system - a.cpu.system);
}

/**
 * Runs `fn` and measures wall time and the CPU both processes spent meanwhile. `genLoad` is the
 * generator's share of one core: at or above GENERATOR_BOUND the run measured the generator.
 */
export async function measured(server, gen, fn) {
  const [s0, g0] = await Promise.all([server.call("cpu"), gen.call("cpu")]);
  const t0 = performance.now();
  const result = await fn();
  const wallMs = performance.now() - t0;
  const [s1, g1] = await Promise.all([server.call("cpu"), gen.call("cpu")]);
  const genLoad = cpuMicros(g0, g1) / 1000 / wallMs;
  return {
    result,
    wallMs,
    serverCpuUs: cpuMicros(s0, s1),
    serverLoad: cpuMicros(s0, s1) / 1000 / wallMs,
    genLoad,
    generatorBound: genLoad >= GENERATOR_BOUND,
  };
}

/** Waits (bounded) until the server counts `n` connected sockets. */
async function waitSockets(server, n, timeoutMs = 60_000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const { sockets } = await server.call("cpu");
    if (sockets === n) return;
    if (performance.now() > deadline) {
      throw new Error(`server has ${sockets} sockets, expected ${n} after ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Opens `n` more connections and waits until the server has `total`. */
export async function openAndWait(server, gen, port, mode, n, total) {
  const r = await gen.call("open", { port, mode, n }, 300_000);
  if (r.failed > 0) throw new Error(`${r.failed} of ${n} ${mode} connections failed`);
  await waitSockets(server, total);
}

export async function closeAndWait(server, gen) {
  await gen.call("closeAll");
  await waitSockets(server, 0, 120_000);
}

/** Runs every scenario against one implementation; returns { scenario → metrics }. */
async function runImpl(impl, plan, log) {
  const server = start("server.mjs", [impl], 0);
  const gen = start("generator.mjs", [], 1);
  const results = [];
  const add = (scenario, metric, value, extra = {}) =>
    results.push({ impl, scenario, metric, value, ...extra });
  try {
    const { port } = await server.ready;
    await gen.ready;
    const wsMode = impl === "ws" ? "raw" : "websocket";

    for (const n of plan.ack) {
      await openAndWait(server, gen, port, wsMode, n, n);
      // Unmeasured warm-up: JIT-compile the hot path before timing tail latencies.
      await gen.call("ack", { durationMs: 500, maxCount: 200_000, size: 16 });
      const m = await measured(server, gen, () =>
        gen.call("ack", { durationMs: plan.ackMs, maxCount: 2_000_000, size: 16 }),
      );
      const r = m.result;
      const flags = { generatorBound: m.generatorBound, genLoad: m.genLoad };
      add(`ack @${n}`, "round-trips/s", (r.count / r.elapsedMs) * 1000, {
        better: "higher",
        ...flags,
      });
      add(`ack @${n}`, "p50 ms", r.p50, { better: "lower", ...flags });
      add(`ack @${n}`, "p99 ms", r.p99, { better: "lower", ...flags });
      add(`ack @${n}`, "server CPU µs/round-trip", m.serverCpuUs / Math.max(1, r.count), {
        better: "lower",
      });
      await closeAndWait(server, gen);
      log(`${impl}: ack @${n} done`);
    }

    for (const n of plan.broadcast) {
      await openAndWait(server, gen, port, wsMode, n, n);
      for (const size of plan.broadcastSizes) {
        const count = Math.max(20, Math.round(plan.broadcastDeliveries / n));
        const total = count * n;
        const m = await measured(server, gen, async () => {
          const done = gen.nextEvent("expectDone", 90_000);
          await gen.call("expect", { total, timeoutMs: 60_000 });
          await server.call("broadcast", { count, size, burst: 10 });
          return done;
        });
        const r = m.result;
        add(`broadcast @${n} ${size}B`, "deliveries/s", (r.received / r.elapsedMs) * 1000, {
          better: "higher",
          complete: r.complete,
          generatorBound: m.generatorBound,
          genLoad: m.genLoad,
        });
        add(
          `broadcast @${n} ${size}B`,
          "server CPU µs/delivery",
          m.serverCpuUs / Math.max(1, r.received),
          { better: "lower", complete: r.complete },
        );
      }
      await closeAndWait(server, gen);
      log(`${impl}: broadcast @${n} done`);
    }

    if (plan.connRateMs > 0) {
      const m = await measured(server, gen, () =>
        gen.call("connRate", { port, mode: wsMode, durationMs: plan.connRateMs, concurrency: 20 }),
      );
      const r = m.result;
      add("connection rate", "connections/s", (r.count / r.elapsedMs) * 1000, {
        better: "higher",
        complete: r.failed === 0,
        generatorBound: m.generatorBound,
        genLoad: m.genLoad,
      });
      add("connection rate", "server CPU µs/connection", m.serverCpuUs / Math.max(1, r.count), {
        better: "lower",
      });
      await waitSockets(server, 0);
      log(`${impl}: connection rate done`);
    }

    if (plan.polling > 0 && impl !== "ws") {
      await openAndWait(server, gen, port, "polling", plan.polling, plan.polling);
      const count = plan.pollingEmits;
      const total = count * plan.polling;
      const m = await measured(server, gen, async () => {
        const done = gen.nextEvent("expectDone", 90_000);
        await gen.call("expect", { total, timeoutMs: 60_000 });
        await server.call("broadcast", { count, size: 64, burst: 5 });
        return done;
      });
      const r = m.result;
      add(`polling @${plan.polling}`, "deliveries/s", (r.received / r.elapsedMs) * 1000, {
        better: "higher",
        complete: r.complete,
        generatorBound: m.generatorBound,
        genLoad: m.genLoad,
      });
      add(
        `polling @${plan.polling}`,
        "server CPU µs/delivery",
        m.serverCpuUs / Math.max(1, r.received),
        {
          better: "lower",
        },
      );
      await closeAndWait(server, gen);
      log(`${impl}: polling done`);
    }

    if (plan.binaryMs > 0) {
      await openAndWait(server, gen, port, wsMode, 10, 10);
      const m = await measured(server, gen, () =>
        gen.call("ack", {
          durationMs: plan.binaryMs,
          maxCount: 1_000_000,
          size: 65_536,
          binary: true,
        }),
      );
      const r = m.result;
      add("binary 64KB echo", "MB/s", (r.count * 2 * 65_536) / 1e6 / (r.elapsedMs / 1000), {
        better: "higher",
        generatorBound: m.generatorBound,
        genLoad: m.genLoad,
      });
      add("binary 64KB echo", "server CPU µs/echo", m.serverCpuUs / Math.max(1, r.count), {
        better: "lower",
      });
      await closeAndWait(server, gen);
      log(`${impl}: binary done`);
    }

    // Memory last: its 10k–15k-connection rounds inflate both processes' heaps and slow every
    // throughput phase that would follow them (measured: binary echo −40–60% after them).
    for (const mode of impl === "ws" ? ["raw"] : plan.memoryModes) {
      // Slope over the steps only (not from 0): one-time allocations of the first connections
      // (lazily loaded code, grown maps) are not per-connection cost.
      const points = [];
      let open = 0;
      for (const target of plan.memorySteps) {
        await openAndWait(server, gen, port, mode, target - open, target);
        open = target;
        const m = await server.call("memory");
        points.push([m.sockets, m.heapUsed, m.rss]);
      }
      const label = impl === "ws" ? "websocket" : mode;
      add(`idle memory ${label}`, "heap bytes/conn", slope(points.map((p) => [p[0], p[1]])), {
        better: "lower",
      });
      add(`idle memory ${label}`, "rss bytes/conn", slope(points.map((p) => [p[0], p[2]])), {
        better: "lower",
      });
      await closeAndWait(server, gen);
      log(`${impl}: memory ${label} done`);
    }
  } catch (err) {
    // A failed phase ends this implementation's run; rows measured so far are kept.
    log(`${impl}: stopped: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await Promise.all([server.stop(), gen.stop()]);
  }
  return results;
}

export const plans = {
  quick: {
    ack: [1, 100, 1000],
    ackMs: 2000,
    broadcast: [1000],
    broadcastSizes: [64],
    broadcastDeliveries: 200_000,
    memoryModes: ["websocket"],
    memorySteps: [1000, 3000, 5000],
    connRateMs: 0,
    polling: 0,
    pollingEmits: 0,
    binaryMs: 0,
  },
  full: {
    ack: [1, 100, 1000],
    ackMs: 4000,
    broadcast: [1000, 5000, 10000],
    broadcastSizes: [64, 1024],
    broadcastDeliveries: 500_000,
    memoryModes: ["websocket", "upgrade", "polling"],
    memorySteps: [1000, 5000, 10000, 15000],
    connRateMs: 4000,
    polling: 100,
    // Long enough that the steady state, not the first round trips, sets the rate.
    pollingEmits: 2000,
    binaryMs: 4000,
  },
};

export async function runLoad({
  quick = false,
  impls = ["tether", "socketio", "ws"],
  reps = quick ? 1 : 3,
  log = console.error,
} = {}) {
  const plan = quick ? plans.quick : plans.full;
  const rows = [];
  for (let rep = 1; rep <= reps; rep++) {
    // Rotate the order each repetition: whoever runs first after a previous server's teardown
    // (sockets in TIME_WAIT, a cold machine) should not always be the same server.
    const order = impls.map((_, i) => impls[(i + rep - 1) % impls.length]);
    for (const impl of order) {
      for (const r of await runImpl(impl, plan, log)) {
        const row = { ...r, rep };
        console.log(JSON.stringify(row));
        rows.push(row);
      }
    }
  }
  return rows;
}
