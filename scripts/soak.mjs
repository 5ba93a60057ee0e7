// The long soak (issue 8): `npm run soak` runs test/load/soak.test.ts for 10 minutes of faults
// and traffic (SOAK_SECONDS=600) with progress lines; `npm test` runs the same test for 60 s.
// Env: SOAK_SECONDS, SOAK_CLIENTS and the other knobs in test/load/soak/protocol.ts.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const env = {
  ...process.env,
  SOAK_SECONDS: process.env.SOAK_SECONDS ?? "600",
  SOAK_PROGRESS: process.env.SOAK_PROGRESS ?? "1",
};
const r = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-reporter=spec", "test/load/soak.test.ts"],
  { cwd: root, env, stdio: "inherit" },
);
process.exit(r.status ?? 1);
