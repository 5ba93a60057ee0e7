// CPU budgets for benchmark processes (Linux cgroups, as root): `capCpu(pid, cores)` puts a process
// in a cgroup of its own whose CFS quota is `cores` of one CPU, so that a scale-out measurement is
// paced by the nodes' budgets, not by the load generator or by how many cores the machine has.
// cgroup v2 (`cpu.max`) or v1 (`cpu.cfs_quota_us`); `cpuCapMissing` says why neither can be used.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const V2 = "/sys/fs/cgroup";
const V1 = "/sys/fs/cgroup/cpu";
const PERIOD_US = 100_000;

function detect() {
  try {
    if (readFileSync(join(V2, "cgroup.controllers"), "utf8").split(/\s+/).includes("cpu")) {
      if (!readFileSync(join(V2, "cgroup.subtree_control"), "utf8").includes("cpu")) {
        writeFileSync(join(V2, "cgroup.subtree_control"), "+cpu");
      }
      return { kind: "v2", root: V2 };
    }
  } catch {}
  if (existsSync(join(V1, "cpu.cfs_quota_us"))) return { kind: "v1", root: V1 };
  return undefined;
}

const found = (() => {
  try {
    const d = detect();
    if (!d)
      return { missing: "no cgroup cpu controller (cgroup v2 cpu.max or v1 cpu.cfs_quota_us)" };
    // Probe: creating a cgroup needs root.
    const probe = join(d.root, `tether-bench-probe-${process.pid}`);
    mkdirSync(probe);
    rmdirSync(probe);
    return { cgroup: d };
  } catch (err) {
    return { missing: `cgroups not writable (${err.code ?? err.message}); run as root` };
  }
})();

/** Why CPU budgets cannot be set here, or undefined when they can. */
export const cpuCapMissing = found.missing;

/**
 * Limits process `pid` (all its threads) to `cores` of CPU time; returns the function that lifts
 * the limit and removes the cgroup (call it after the process exited or before it exits).
 */
export function capCpu(pid, cores) {
  const cg = found.cgroup;
  if (!cg) throw new Error(`capCpu: ${cpuCapMissing}`);
  const dir = join(cg.root, `tether-bench-${pid}`);
  mkdirSync(dir);
  const quota = Math.round(cores * PERIOD_US);
  if (cg.kind === "v2") writeFileSync(join(dir, "cpu.max"), `${quota} ${PERIOD_US}`);
  else {
    writeFileSync(join(dir, "cpu.cfs_period_us"), String(PERIOD_US));
    writeFileSync(join(dir, "cpu.cfs_quota_us"), String(quota));
  }
  writeFileSync(join(dir, "cgroup.procs"), String(pid));
  return () => {
    try {
      // Back to the root cgroup if still running, then remove the (now empty) cgroup.
      writeFileSync(join(cg.root, "cgroup.procs"), String(pid));
    } catch {}
    try {
      rmdirSync(dir);
    } catch {}
  };
}
