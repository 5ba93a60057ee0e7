// The markdown table of the load section, from its rows. Also a CLI that rebuilds the table from
// a saved log of JSON lines: `node bench/load/summary.mjs < bench.log`.
import { fileURLToPath } from "node:url";

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (v) => (v === undefined ? "–" : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2));
const spreadOf = (xs) => (xs.length ? `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}` : "–");

/** Markdown lines: median per (scenario, metric, server), Tether / socket.io ratio, spreads. */
export function loadTable(rows) {
  const out = [];
  const keys = [...new Set(rows.map((r) => `${r.scenario}\u0000${r.metric}`))];
  const reps = Math.max(...rows.map((r) => r.rep));
  out.push(
    `### Load (median of ${reps} repetition${reps === 1 ? "" : "s"}; ratio = Tether / socket.io)\n`,
    "| scenario | metric | tether | socket.io | raw ws | ratio | spread tether | spread socket.io |",
    "|---|---|---:|---:|---:|---:|---|---|",
  );
  for (const k of keys) {
    const [scenario, metric] = k.split("\u0000");
    const pick = (impl) =>
      rows
        .filter((r) => r.impl === impl && r.scenario === scenario && r.metric === metric)
        .map((r) => r.value);
    const t = pick("tether");
    const s = pick("socketio");
    const w = pick("ws");
    const mt = t.length ? median(t) : undefined;
    const ms = s.length ? median(s) : undefined;
    const ratio = mt !== undefined && ms ? `${(mt / ms).toFixed(2)}×` : "–";
    const bound = [
      ...new Set(
        rows
          .filter((r) => r.scenario === scenario && (r.generatorBound || r.complete === false))
          .map((r) => r.impl),
      ),
    ];
    const flag = bound.length ? ` ⚠ ${bound.join(", ")}` : "";
    out.push(
      `| ${scenario}${flag} | ${metric} | ${fmt(mt)} | ${fmt(ms)} | ${fmt(w.length ? median(w) : undefined)} | ${ratio} | ${spreadOf(t)} | ${spreadOf(s)} |`,
    );
  }
  out.push(
    "\n⚠ server… = in at least one repetition against that server, the generator was busier than 90% of its core (it, not the server, may have set the rate) or deliveries were incomplete; compare server CPU per operation there.",
  );
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let text = "";
  process.stdin.setEncoding("utf8");
  for await (const chunk of process.stdin) text += chunk;
  const rows = text
    .split("\n")
    .filter((l) => l.startsWith('{"impl"'))
    .map((l) => JSON.parse(l));
  console.log(loadTable(rows).join("\n"));
}
