// What tether-io/metrics costs (issue 16: ≤ 5% of fan-out CPU per delivery and of ack
// round-trips/s). Metrics are switched on and off between short windows with the same connected
// clients (off/on, then on/off, …) so that the drift of a shared machine falls on both sides
// alike. "On" is `collectMetrics` with a scrape every second; "off" is the server without it (its
// probe hooks unset). Fan-out is measured in this process with clients that stop reading during a
// window (server CPU only); acks with the load generator in its own process. Reports the median of
// each side and the median of the per-pair costs.
import { closeAndWait, measured, openAndWait, start } from "./driver.mjs";
import { metricsSwitch } from "./metrics-switch.mjs";

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2));
const pct = (v) => `${(v * 100).toFixed(1)}%`;

/** Runs `window(on)` in pairs, alternating which side goes first; returns its rows. */
async function paired(server, pairs, window) {
  const rows = [];
  // Unmeasured warm-up of both sides: the JIT compiles the hooks too.
  for (const on of [true, false]) {
    await server.call("metrics", { on });
    await window(on);
  }
  for (let pair = 0; pair < pairs; pair++) {
    for (const on of pair % 2 === 0 ? [false, true] : [true, false]) {
      await server.call("metrics", { on });
      for (const row of await window(on)) rows.push({ ...row, on, pair });
    }
  }
  await server.call("metrics", { on: false });
  return rows;
}

/**
 * Fan-out CPU per delivery, in this process: a Tether server with `fans` raw WebSocket clients
 * that stop reading during each window (so the window's CPU is the server's alone: broadcast,
 * encode once, queue, write to every socket) and catch up between windows.
 */
async function fanoutInProcess(pairs, fans, broadcasts) {
  const { createServer } = await import("node:http");
  const { WebSocket } = await import("ws");
  const { Server } = await import("../../dist/esm/index.js");
  const http = createServer();
  const io = new Server(http, { serveClient: false });
  io.on("connection", (socket) => socket.join("r"));
  await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
  const url = `ws://127.0.0.1:${http.address().port}/socket.io/?EIO=4&transport=websocket`;
  const clients = [];
  for (let i = 0; i < fans; i++) {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const c = { ws, received: 0 };
    await new Promise((resolve, reject) => {
      ws.once("error", reject);
      ws.on("message", (data) => {
        const text = data.toString();
        if (text.startsWith("0{")) ws.send("40");
        else if (text.startsWith("40")) resolve();
        else if (text.startsWith("42")) c.received++;
        else if (text === "2") ws.send("3");
      });
    });
    clients.push(c);
  }
  const set = await metricsSwitch(io);
  const payload = "x".repeat(64);
  let expected = 0;
  /** Broadcasts `count` payloads to the paused clients; resolves with the CPU used meanwhile. */
  const burst = async (count) => {
    for (const c of clients) c.ws.pause();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < count; i++) io.to("r").emit("b", payload);
    // Written out once every session's queue is empty (the kernel took the frames).
    for (let turns = 0; turns < 10_000; turns++) {
      await new Promise((resolve) => setImmediate(resolve));
      let queued = 0;
      for (const conn of io.engine.clients.values()) queued += conn.bufferedAmount;
      if (queued === 0) break;
    }
    const cpu = process.cpuUsage(cpu0);
    expected += count;
    for (const c of clients) c.ws.resume();
    const deadline = Date.now() + 30_000;
    while (clients.some((c) => c.received < expected) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return cpu;
  };
  const window = async (on) => {
    set(on);
    // Unmeasured: the hot paths re-optimise after the switch (a server keeps one setting).
    await burst(Math.ceil(broadcasts / 5));
    const cpu = await burst(broadcasts);
    return [
      {
        scenario: `broadcast @${fans} 64B (in-process, server CPU only)`,
        metric: "server CPU µs/delivery",
        better: "lower",
        value: (cpu.user + cpu.system) / (fans * broadcasts),
      },
    ];
  };
  const rows = await paired({ call: async (_cmd, { on }) => set(on) }, pairs, window);
  rows.push(...hookCost(io, set));
  set(false);
  for (const c of clients) c.ws.terminate();
  await io.close();
  http.closeAllConnections?.();
  await new Promise((resolve) => http.close(resolve));
  return rows;
}

/**
 * The hooks' own time, without the noise of a shared machine: the probe calls of one delivery
 * (packet handed to a connection, flush) and of one ack round trip (packet in, event dispatch,
 * ack packet out, flush), on a live server with metrics on, in a tight loop.
 */
function hookCost(io, set) {
  set(true);
  const socket = io.sockets.sockets.values().next().value;
  socket.on("echo", () => {});
  const encode = io.engine.constructor.encodeMessage;
  const probe = io._probe;
  const engine = io.engine._probe;
  const event = { type: 2, nsp: "/", data: ["b", "x".repeat(64)] };
  const wire = [encode(`2["b","${"x".repeat(64)}"]`)];
  const incoming = { type: "message", data: `420["echo","${"x".repeat(16)}"]` };
  const ackPacket = { type: 3, nsp: "/", id: 0, data: ["x".repeat(16)] };
  const ackWire = [encode(`430["${"x".repeat(16)}"]`)];
  for (const p of [...wire, ...ackWire]) void p.size;
  const noop = () => {};
  const time = (n, fn) => {
    for (let i = 0; i < n / 10; i++) fn();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    return Number(process.hrtime.bigint() - t0) / n;
  };
  const delivery = time(2_000_000, () => {
    probe.sent(event);
    engine.flushed(wire);
  });
  const roundTrip = time(500_000, () => {
    engine.received(incoming);
    probe.event(socket, ["echo", "x", noop], noop);
    probe.sent(ackPacket);
    engine.flushed(ackWire);
  });
  socket.off("echo");
  return [
    { hook: "per delivery (sent + flushed)", ns: delivery },
    { hook: "per ack round trip (received + event + sent + flushed)", ns: roundTrip },
  ];
}

/** Rows of `{ scenario, metric, better, on, pair, value }` (and `{ hook, ns }`). */
export async function runMetricsCost({ quick = false, log = console.error } = {}) {
  const rows = [];
  rows.push(...(await fanoutInProcess(quick ? 8 : 20, 1000, quick ? 50 : 100)));
  log("metrics cost: broadcast done");
  const pairs = quick ? 4 : 10;
  const server = start("server.mjs", ["tether"], 0);
  const gen = start("generator.mjs", [], 1);
  try {
    const { port } = await server.ready;
    await gen.ready;
    const ackers = 100;
    await openAndWait(server, gen, port, "websocket", ackers, ackers);
    const durationMs = quick ? 1000 : 1500;
    rows.push(
      ...(await paired(server, pairs, async () => {
        // Unmeasured: the hot paths re-optimise after the switch (a server keeps one setting).
        await gen.call("ack", { durationMs: 300, maxCount: 1_000_000, size: 16 });
        const m = await measured(server, gen, () =>
          gen.call("ack", { durationMs, maxCount: 1_000_000, size: 16 }),
        );
        const r = m.result;
        return [
          {
            scenario: `ack @${ackers}`,
            metric: "round-trips/s",
            better: "higher",
            value: (r.count / r.elapsedMs) * 1000,
          },
          {
            scenario: `ack @${ackers}`,
            metric: "server CPU µs/round-trip",
            better: "lower",
            value: m.serverCpuUs / Math.max(1, r.count),
          },
        ];
      })),
    );
    await closeAndWait(server, gen);
    log("metrics cost: ack done");
  } finally {
    await Promise.all([server.stop(), gen.stop()]);
  }
  for (const r of rows) console.log(JSON.stringify({ bench: "metrics-cost", ...r }));
  return rows;
}

/** Markdown lines of the metrics-cost rows. */
export function metricsCostTable(rows) {
  const pairs = Math.max(...rows.filter((r) => Number.isInteger(r.pair)).map((r) => r.pair)) + 1;
  const out = [
    `### Metrics on vs off (tether-io/metrics, scraped every second; ${pairs} alternating pairs of windows, one server process)\n`,
    "| scenario | metric | off | on | cost (median of pairs) | pair costs |",
    "|---|---|---:|---:|---:|---|",
  ];
  const keys = [
    ...new Set(
      rows.filter((r) => r.hook === undefined).map((r) => `${r.scenario}\u0000${r.metric}`),
    ),
  ];
  for (const k of keys) {
    const [scenario, metric] = k.split("\u0000");
    const of = rows.filter((r) => r.scenario === scenario && r.metric === metric);
    const off = of.filter((r) => !r.on);
    const on = of.filter((r) => r.on);
    const costs = [];
    for (const a of off) {
      const b = on.find((r) => r.pair === a.pair);
      if (b === undefined) continue;
      costs.push(a.better === "higher" ? 1 - b.value / a.value : b.value / a.value - 1);
    }
    out.push(
      `| ${scenario} | ${metric} | ${fmt(median(off.map((r) => r.value)))} | ${fmt(median(on.map((r) => r.value)))} | ${pct(median(costs))} | ${pct(Math.min(...costs))} … ${pct(Math.max(...costs))} |`,
    );
  }
  const perOp = (scenario) =>
    median(
      rows
        .filter((r) => r.scenario?.startsWith(scenario) && !r.on && r.metric?.includes("µs"))
        .map((r) => r.value),
    );
  out.push(
    "",
    "| hooks (metrics on, tight loop) | ns | share of the operation's server CPU (off) |",
    "|---|---:|---:|",
  );
  for (const h of rows.filter((r) => r.hook !== undefined)) {
    const base = perOp(h.hook.includes("delivery") ? "broadcast" : "ack") * 1000;
    out.push(`| ${h.hook} | ${fmt(h.ns)} | ${pct(h.ns / base)} |`);
  }
  out.push(
    "\nCost: positive = metrics made it slower. Budget (issue 16): ≤ 5% of fan-out CPU per delivery and of ack round-trips/s. On a shared machine the paired windows still vary by tens of percent; the hooks' tight-loop time is the stable part of the cost.",
  );
  return out;
}
