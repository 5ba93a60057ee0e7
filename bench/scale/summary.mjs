// Markdown tables of the scale benchmark (rows of bench/scale/redis.mjs): Tether vs socket.io on
// the same topology, and each implementation's scale-out against its own 1-node case.
// `node bench/scale/summary.mjs < log` rebuilds them from a saved log of JSON lines.
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";

const NAME = { tether: "Tether", socketio: "socket.io" };

/**
 * @param {object[]} rows
 * @param {(xs: number[]) => number} median
 * @param {(v: number | undefined) => string} fmt
 * @returns {string[]} markdown lines
 */
export function scaleTable(rows, median, fmt) {
  const out = ["\n### Scale-out on Redis (median of repetitions; spread = min–max)\n"];
  if (rows.length === 0) return [...out, "Skipped: redis-server is not installed."];
  const pick = (impl, scenario, c, metric) =>
    rows.filter(
      (r) => r.impl === impl && r.scenario === scenario && r.case === c && r.metric === metric,
    );
  const values = (...k) => pick(...k).map((r) => r.value);
  const med = (...k) => {
    const v = values(...k);
    return v.length ? median(v) : undefined;
  };
  const spread = (...k) => {
    const v = values(...k);
    return v.length ? `${fmt(Math.min(...v))}–${fmt(Math.max(...v))}` : "–";
  };
  const flag = (...k) => {
    const d = pick(...k.slice(0, 3), "deliveries/s");
    return d.some((r) => !r.complete) ? " ✗" : d.some((r) => r.generatorBound) ? " ⚠" : "";
  };
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  const casesOf = (scenario) => [
    ...new Set(rows.filter((r) => r.scenario === scenario).map((r) => r.case)),
  ];
  out.push(
    `Redis ${rows[0].redis}; ${rows[0].payloadBytes} B events; nodes, generator and redis-server are separate processes on ${cpus().length} cores. Node CPU = all nodes' process CPU over the measurement, per delivery. **per-CPU ratio** = Tether deliveries per node-CPU-second ÷ socket.io's (= socket.io node µs/delivery ÷ Tether's).\n`,
    "#### Tether vs socket.io + @socket.io/redis-adapter (classic)\n",
    "| scenario | case | Tether deliveries/s | socket.io deliveries/s | ratio | Tether node µs/delivery | socket.io node µs/delivery | **per-CPU ratio** | Redis µs/delivery T / s.io |",
    "|---|---|---:|---:|---:|---:|---:|---:|---|",
  );
  for (const s of scenarios) {
    for (const c of casesOf(s)) {
      const t = ["tether", s, c];
      const o = ["socketio", s, c];
      const tr = med(...t, "deliveries/s");
      const or = med(...o, "deliveries/s");
      if (tr === undefined || or === undefined) continue;
      const tc = med(...t, "node CPU");
      const oc = med(...o, "node CPU");
      const redis = (k) => fmt(med(...k, "redis CPU"));
      out.push(
        `| ${s} | ${c} | ${fmt(tr)}${flag(...t)} (${spread(...t, "deliveries/s")}) | ${fmt(or)}${flag(...o)} (${spread(...o, "deliveries/s")}) | ${(tr / or).toFixed(2)}× | ${fmt(tc)} (${spread(...t, "node CPU")}) | ${fmt(oc)} (${spread(...o, "node CPU")}) | **${(oc / tc).toFixed(2)}×** | ${redis(t)} / ${redis(o)} |`,
      );
    }
  }
  out.push(
    "\n#### Scale-out per implementation (ratio = deliveries/s ÷ the same implementation's 1-node case)\n",
    "| scenario | implementation | case | deliveries/s | ratio | spread | node µs/delivery | node write syscalls/delivery | node load (cores) |",
    "|---|---|---|---:|---:|---|---:|---:|---|",
  );
  for (const s of scenarios) {
    for (const impl of ["tether", "socketio"]) {
      const base = med(impl, s, "1 node", "deliveries/s");
      for (const c of casesOf(s)) {
        const k = [impl, s, c];
        const d = med(...k, "deliveries/s");
        if (d === undefined) continue;
        const loads = pick(...k, "deliveries/s")[0].nodeLoad.map((_, i) =>
          median(pick(...k, "deliveries/s").map((r) => r.nodeLoad[i])).toFixed(2),
        );
        const writes = median(
          pick(...k, "deliveries/s").map((r) => r.writesPerDelivery ?? Number.NaN),
        );
        out.push(
          `| ${s} | ${NAME[impl]} | ${c}${flag(...k)} | ${fmt(d)} | ${base ? `${(d / base).toFixed(2)}×` : "–"} | ${spread(...k, "deliveries/s")} | ${fmt(med(...k, "node CPU"))} | ${Number.isNaN(writes) ? "–" : writes.toFixed(3)} | ${loads.join(" + ")} |`,
        );
      }
    }
  }
  out.push(
    "\n⚠ = in some repetition the generator used ≥ 90% of a core (it may have set the pace; read the CPU columns). ✗ = deliveries incomplete within the timeout.",
  );
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { readFileSync } = await import("node:fs");
  const rows = readFileSync(0, "utf8")
    .split("\n")
    .filter((l) => l.startsWith('{"bench":"scale/'))
    .map((l) => JSON.parse(l));
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const fmt = (v) => (v === undefined ? "–" : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2));
  console.log(scaleTable(rows, median, fmt).join("\n"));
}
