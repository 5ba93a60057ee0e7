// A private, throw-away redis-server on a free loopback port for the scale benchmark (no
// persistence), so the figure never depends on, or disturbs, a Redis someone else uses.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Why the scale benchmark cannot run here, or false when `redis-server` is installed. */
export const redisMissing =
  spawnSync("redis-server", ["--version"]).status === 0
    ? false
    : "redis-server not found — install with: apt-get install -y redis-server";

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts redis-server; resolves `{ url, version, pid, stop() }` once it accepts connections. */
export async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "tether-bench-redis-"));
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir];
  args.push("--save", "", "--appendonly", "no", "--protected-mode", "no");
  const proc = spawn("redis-server", args, { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  const version = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 15_000);
    proc.stdout.on("data", (chunk) => {
      out += chunk;
      if (!out.includes("Ready to accept connections")) return;
      clearTimeout(timer);
      proc.stdout.removeAllListeners("data");
      proc.stdout.resume();
      resolve(/Redis version=([\d.]+)/.exec(out)?.[1] ?? "?");
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}): ${out}`));
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    version,
    pid: proc.pid,
    async stop() {
      proc.kill("SIGKILL");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
