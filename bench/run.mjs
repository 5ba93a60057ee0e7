// `npm run bench [-- --quick]`: runs every benchmark under bench/ side by side with the official
// packages and prints one JSON line per case plus a markdown summary (ratio = Tether / official
// time per op; < 1 means Tether is faster). Requires `npm run build` first (done by this script).
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const quick = process.argv.includes("--quick");
execFileSync(process.execPath, [join(root, "scripts/build.mjs")], { stdio: "inherit" });

const summary = [];
for (const group of ["micro"]) {
  const dir = join(root, "bench", group);
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith(".mjs"))
    .sort()) {
    const mod = await import(pathToFileURL(join(dir, f)).href);
    for (const row of await mod.run({ quick })) {
      const line = { bench: `${group}/${f.replace(/\.mjs$/, "")}`, ...row };
      console.log(JSON.stringify(line));
      summary.push(line);
    }
  }
}
console.log(
  `\n## Benchmark summary (node ${process.version}, ${cpus()[0]?.model ?? "cpu"}, ${quick ? "quick" : "full"})\n`,
);
console.log("| bench | case | tether ns/op | official ns/op | ratio |");
console.log("|---|---|---:|---:|---:|");
for (const r of summary) {
  console.log(
    `| ${r.bench} | ${r.case} | ${r.tether.toFixed(0)} | ${r.official.toFixed(0)} | ${r.ratio.toFixed(2)}× |`,
  );
}
