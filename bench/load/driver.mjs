// Side-by-side load driver: starts each server implementation in its own process (one at a time),
// a load generator in another, pins them to different cores when `taskset` exists, runs the
// scenarios of issue 6 and returns rows. Every phase is bounded in count and time; loopback only.
import { spawn, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const hasTaskset = spawnSync("taskset", ["-c", "0", "true"]).status === 0;

function start(script, args, core) {
  const nodeArgs = ["--expose-gc", "--max-old-space-size=4096", join(here, script), ...args];
  const [cmd, argv] = hasTaskset
    ? ["taskset", ["-c", String(core), process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
  const child = spawn(cmd, argv, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let seq = 0;
  const handlers = new Map();
  const waiters = new Map();
  child.on("message", (m) => {
    if (m.event) {
      waiters.get(m.event)?.(m);
      waiters.delete(m.event);
    } else handlers.get(m.id)?.(m);
  });
  /** Resolves with the next unsolicited `event` message. */
  const nextEvent = (event) => new Promise((resolve) => waiters.set(event, resolve));
  const ready = new Promise((res, rej) => {
    child.once("message", res);
    child.once("exit", (code) => rej(new Error(`${script} exited early (${code})`)));
  });
  /** Sends a command; resolves with its reply. */
  const call = (cmd, data = {}, timeoutMs = 120_000) =>
    new Promise((resolve, reject) => {
      const id = ++seq;
      const timer = setTimeout(() => {
        handlers.delete(id);
        reject(new Error(`${script}: '${cmd}' timed out`));
      }, timeoutMs);
      handlers.set(id, (m) => {
        clearTimeout(timer);
        handlers.delete(id);
        resolve(m);
      });
      child.send({ id, cmd, ...data });
    });
  const stop = () => {
    child.kill("SIGKILL");
  };
  return { child, ready, call, stop, nextEvent };
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
      await gen.call("open", { port, mode: wsMode, n });
      const r = await gen.call("ack", { durationMs: plan.ackMs, maxCount: 2_000_000, size: 16 });
      add(`ack @${n}`, "round-trips/s", (r.count / r.elapsedMs) * 1000, { better: "higher" });
      add(`ack @${n}`, "p50 ms", r.p50, { better: "lower" });
      add(`ack @${n}`, "p99 ms", r.p99, { better: "lower" });
      await gen.call("closeAll");
      log(`${impl}: ack @${n} done`);
    }

    for (const n of plan.broadcast) {
      await gen.call("open", { port, mode: wsMode, n });
      for (const size of plan.broadcastSizes) {
        const count = Math.max(20, Math.round(plan.broadcastDeliveries / n));
        const total = count * n;
        const cpu0 = await server.call("cpu");
        const done = gen.nextEvent("expectDone");
        await gen.call("expect", { total, timeoutMs: 60_000 });
        await server.call("broadcast", { count, size, burst: 10 });
        const r = await done;
        const cpu1 = await server.call("cpu");
        const saturated = r.elapsedMs > 0 && cpuMicros(cpu0, cpu1) / 1000 / r.elapsedMs < 0.5;
        add(`broadcast @${n} ${size}B`, "deliveries/s", (r.received / r.elapsedMs) * 1000, {
          better: "higher",
          complete: r.complete,
          generatorBound: saturated,
        });
        add(
          `broadcast @${n} ${size}B`,
          "server CPU µs/delivery",
          cpuMicros(cpu0, cpu1) / Math.max(1, r.received),
          { better: "lower" },
        );
      }
      await gen.call("closeAll");
      log(`${impl}: broadcast @${n} done`);
    }

    for (const mode of impl === "ws" ? ["raw"] : plan.memoryModes) {
      const points = [];
      let open = 0;
      const base = await server.call("memory");
      points.push([0, base.heapUsed, base.rss]);
      for (const target of plan.memorySteps) {
        await gen.call("open", { port, mode, n: target - open }, 300_000);
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
      await gen.call("closeAll");
      log(`${impl}: memory ${label} done`);
    }

    if (plan.connRateMs > 0) {
      const r = await gen.call("connRate", {
        port,
        mode: wsMode,
        durationMs: plan.connRateMs,
        concurrency: 20,
      });
      add("connection rate", "connections/s", (r.count / r.elapsedMs) * 1000, { better: "higher" });
    }

    if (plan.polling > 0 && impl !== "ws") {
      await gen.call("open", { port, mode: "polling", n: plan.polling });
      const count = 200;
      const total = count * plan.polling;
      const done = gen.nextEvent("expectDone");
      await gen.call("expect", { total, timeoutMs: 60_000 });
      await server.call("broadcast", { count, size: 64, burst: 5 });
      const r = await done;
      add(`polling @${plan.polling}`, "deliveries/s", (r.received / r.elapsedMs) * 1000, {
        better: "higher",
        complete: r.complete,
      });
      await gen.call("closeAll");
    }

    if (plan.binaryMs > 0) {
      await gen.call("open", { port, mode: wsMode, n: 10 });
      const r = await gen.call("ack", {
        durationMs: plan.binaryMs,
        maxCount: 1_000_000,
        size: 65_536,
        binary: true,
      });
      add("binary 64KB echo", "MB/s", (r.count * 2 * 65_536) / 1e6 / (r.elapsedMs / 1000), {
        better: "higher",
      });
      await gen.call("closeAll");
    }
  } finally {
    server.stop();
    gen.stop();
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
    for (const impl of impls) {
      for (const r of await runImpl(impl, plan, log)) {
        const row = { ...r, rep };
        console.log(JSON.stringify(row));
        rows.push(row);
      }
    }
  }
  return rows;
}
