// Runs the test tiers with Node's test runner (TypeScript through tsx).
// Usage: node scripts/test.mjs [tier ...]   (tiers = folders under test/; default: all)
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const testDir = join(root, "test");
const wanted = process.argv.slice(2);
const tiers = wanted.length > 0 ? wanted : readdirSync(testDir).filter((d) => d !== "helpers");

function collect(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (/\.test\.(ts|mts|cts|mjs|cjs|js)$/.test(name)) out.push(relative(root, p));
  }
  return out;
}

// The `load` tier (hundreds to thousands of clients, timing assertions) runs after the others,
// one file at a time, so that it neither disturbs nor is disturbed by them.
const SERIAL = new Set(["load"]);

function filesOf(list) {
  const out = [];
  for (const tier of list) {
    const d = join(testDir, tier);
    if (!existsSync(d)) {
      console.error(`unknown test tier: ${tier}`);
      process.exit(2);
    }
    collect(d, out);
  }
  return out;
}

function run(files, concurrency) {
  const args = [
    "--import",
    "tsx",
    "--test",
    "--test-reporter=spec",
    `--test-concurrency=${concurrency}`,
    "--test-timeout=180000",
    ...files,
  ];
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
  return r.status ?? 1;
}

const parallel = filesOf(tiers.filter((t) => !SERIAL.has(t)));
const serial = filesOf(tiers.filter((t) => SERIAL.has(t)));
if (parallel.length + serial.length === 0) {
  console.error("no test files found");
  process.exit(1);
}
let status = 0;
if (parallel.length > 0) status = run(parallel, process.env.TEST_CONCURRENCY ?? "2");
if (serial.length > 0) {
  if (parallel.length > 0) console.log("\n# serial tier: load (one file at a time)\n");
  const s = run(serial, "1");
  if (status === 0) status = s;
}
process.exit(status);
