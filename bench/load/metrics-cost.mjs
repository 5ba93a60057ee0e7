// What tether-io/metrics costs (issue 16: ≤ 5% of fan-out CPU per delivery and of ack
// round-trips/s): one Tether server process and one generator with the same connected clients,
// metrics switched on and off between short windows (off/on, then on/off, …) so that the drift of
// a shared machine falls on both sides alike. "On" is `collectMetrics` with a scrape every second;
// "off" is a server on which it was never called (the probe hooks unset). Reports the median of
// each side and the median of the per-pair costs.
import { closeAndWait, measured, openAndWait, start } from "./driver.mjs";

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

/** Rows of `{ scenario, metric, better, on, pair, value }`. */
export async function runMetricsCost({ quick = false, log = console.error } = {}) {
  const pairs = quick ? 4 : 8;
  const server = start("server.mjs", ["tether"], 0);
  const gen = start("generator.mjs", [], 1);
  const rows = [];
  try {
    const { port } = await server.ready;
    await gen.ready;

    const fans = 1000;
    await openAndWait(server, gen, port, "websocket", fans, fans);
    const count = quick ? 100 : 400;
    rows.push(
      ...(await paired(server, pairs, async () => {
        const m = await measured(server, gen, async () => {
          const done = gen.nextEvent("expectDone", 90_000);
          await gen.call("expect", { total: count * fans, timeoutMs: 60_000 });
          await server.call("broadcast", { count, size: 64, burst: 10 });
          return done;
        });
        const received = Math.max(1, m.result.received);
        return [
          {
            scenario: `broadcast @${fans} 64B`,
            metric: "server CPU µs/delivery",
            better: "lower",
            value: m.serverCpuUs / received,
          },
        ];
      })),
    );
    await closeAndWait(server, gen);
    log("metrics cost: broadcast done");

    const ackers = 100;
    await openAndWait(server, gen, port, "websocket", ackers, ackers);
    const durationMs = quick ? 1000 : 3000;
    rows.push(
      ...(await paired(server, pairs, async () => {
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
  const pairs = Math.max(...rows.map((r) => r.pair)) + 1;
  const out = [
    `### Metrics on vs off (tether-io/metrics, scraped every second; ${pairs} alternating pairs of windows, one server process)\n`,
    "| scenario | metric | off | on | cost (median of pairs) | pair costs |",
    "|---|---|---:|---:|---:|---|",
  ];
  const keys = [...new Set(rows.map((r) => `${r.scenario}\u0000${r.metric}`))];
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
  out.push(
    "\nCost: positive = metrics made it slower. Budget (issue 16): ≤ 5% of fan-out CPU per delivery and of ack round-trips/s.",
  );
  return out;
}
