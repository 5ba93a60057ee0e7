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

const files = [];
for (const tier of tiers) {
  const d = join(testDir, tier);
  if (!existsSync(d)) {
    console.error(`unknown test tier: ${tier}`);
    process.exit(2);
  }
  collect(d, files);
}
if (files.length === 0) {
  console.error("no test files found");
  process.exit(1);
}
const args = [
  "--import",
  "tsx",
  "--test",
  "--test-reporter=spec",
  `--test-concurrency=${process.env.TEST_CONCURRENCY ?? "2"}`,
  "--test-timeout=120000",
  ...files,
];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
process.exit(r.status ?? 1);
