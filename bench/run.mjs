// `npm run bench [-- --quick] [-- --only=micro|load|metrics|scale|presence|contracts]`: Tether side by side with the
// official packages in one run. Prints one JSON line per (server, scenario, repetition), then a
// markdown summary with Tether / socket.io ratios (raw `ws` as the floor), the cost of
// tether-io/metrics (bench/load/metrics-cost.mjs: metrics on vs off in one server), and the Redis
// scale-out tables (bench/scale: Tether and socket.io nodes on one Redis; 2 Tether nodes vs 1),
// presence costs and contract/rate-limit costs. Builds dist/ first.
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { runLoad } from "./load/driver.mjs";
import { metricsCostTable, runMetricsCost } from "./load/metrics-cost.mjs";
import { loadTable } from "./load/summary.mjs";
import { run as runPresence } from "./presence/run.mjs";
import { run as runScale } from "./scale/redis.mjs";
import { scaleTable } from "./scale/summary.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const quick = process.argv.includes("--quick");
const only = process.argv.find((a) => a.startsWith("--only="))?.slice(7);
/** Whether a section runs: every section without --only, else just the one named. */
const wants = (section) => only === undefined || only === section;
execFileSync(process.execPath, [join(root, "scripts/build.mjs")], { stdio: "inherit" });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (v) => (v === undefined ? "–" : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2));
const out = [];
out.push(
  `## Benchmark summary\n\nnode ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${quick ? "--quick" : "full"} run, ${new Date().toISOString()}\n`,
);

if (wants("micro")) {
  const micro = [];
  const dir = join(root, "bench", "micro");
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith(".mjs"))
    .sort()) {
    const mod = await import(pathToFileURL(join(dir, f)).href);
    for (const row of await mod.run({ quick })) {
      const line = { bench: `micro/${f.replace(/\.mjs$/, "")}`, ...row };
      console.log(JSON.stringify(line));
      micro.push(line);
    }
  }
  out.push("### Micro (time per op; ratio < 1 = Tether faster)\n");
  out.push("| bench | case | tether ns/op | official ns/op | ratio |", "|---|---|---:|---:|---:|");
  for (const r of micro)
    out.push(
      `| ${r.bench} | ${r.case} | ${fmt(r.tether)} | ${fmt(r.official)} | ${r.ratio.toFixed(2)}× |`,
    );
  out.push("");
}

if (wants("load")) {
  const reps = Number(process.argv.find((a) => a.startsWith("--reps="))?.slice(7)) || undefined;
  const rows = await runLoad({ quick, reps });
  out.push(...loadTable(rows));
}

if (wants("metrics")) {
  // ~1 min with --quick, ~3 min full.
  out.push(...metricsCostTable(await runMetricsCost({ quick })));
}

if (wants("scale")) {
  // ~1 min with --quick, ~5 min full.
  out.push(...scaleTable(await runScale({ quick }), median, fmt));
}
if (wants("presence")) {
  out.push(...(await runPresence({ quick })).lines);
}
if (wants("contracts")) {
  // Imported after the build above: it loads tether-io (dist/) itself.
  const { run: runContracts } = await import("./contracts/run.mjs");
  // ~20 s with --quick, ~1.5 min full.
  out.push(...(await runContracts({ quick })).lines);
}
console.log(`\n${out.join("\n")}`);
