// `npm run bench [-- --quick] [-- --only=micro|load|scale]`: Tether side by side with the official
// packages in one run. Prints one JSON line per (server, scenario, repetition), then a markdown
// summary with Tether / socket.io ratios (raw `ws` as the floor), and the Redis scale-out figure
// (bench/scale: 2 Tether nodes on Redis vs 1 node). Builds dist/ first.
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { runLoad } from "./load/driver.mjs";
import { loadTable } from "./load/summary.mjs";
import { run as runScale } from "./scale/redis.mjs";

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

if (wants("scale")) {
  // Cheap enough (~10 s) to stay in --quick.
  const rows = await runScale({ quick });
  out.push("\n### Scale-out on Redis (median of repetitions; ratio = case / 1 node)\n");
  if (rows.length === 0) out.push("Skipped: redis-server is not installed.");
  else {
    out.push(
      `Redis ${rows[0].redis}; node A emits ${rows[0].payloadBytes} B events to one room; nodes, generator and redis-server are separate processes on ${cpus().length} cores.\n`,
      "| scenario | case | deliveries/s | ratio | spread | node CPU µs/delivery |",
      "|---|---|---:|---:|---|---:|",
    );
    const pick = (scenario, c, metric) =>
      rows.filter((r) => r.scenario === scenario && r.case === c && r.metric === metric);
    for (const scenario of new Set(rows.map((r) => r.scenario))) {
      const base = median(pick(scenario, "1 node", "deliveries/s").map((r) => r.value));
      for (const c of new Set(rows.filter((r) => r.scenario === scenario).map((r) => r.case))) {
        const d = pick(scenario, c, "deliveries/s");
        const v = d.map((r) => r.value);
        const flag = d.some((r) => r.generatorBound || !r.complete) ? " ⚠" : "";
        const cpu = median(pick(scenario, c, "node CPU").map((r) => r.value));
        out.push(
          `| ${scenario}${flag} | ${c} | ${fmt(median(v))} | ${(median(v) / base).toFixed(2)}× | ${fmt(Math.min(...v))}–${fmt(Math.max(...v))} | ${fmt(cpu)} |`,
        );
      }
    }
  }
}
console.log(`\n${out.join("\n")}`);
