// Runs the hardening tier with a longer fuzz budget.
// Usage: node scripts/fuzz.mjs [seconds]   (default 300; FUZZ_SECONDS in the environment also works)
// The budget is shared by every property and wire-fuzz test of test/hardening/, in fixed shares.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const seconds = Number(process.argv[2] ?? process.env.FUZZ_SECONDS ?? 300);
if (!Number.isFinite(seconds) || seconds <= 0) {
  console.error(`invalid fuzz budget: ${process.argv[2] ?? process.env.FUZZ_SECONDS}`);
  process.exit(2);
}
console.log(`fuzzing for about ${seconds} s in total`);
const r = spawnSync(process.execPath, [join(root, "scripts/test.mjs"), "hardening"], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, FUZZ_SECONDS: String(seconds) },
});
process.exit(r.status ?? 1);
