/**
 * A private `redis-server` for the Redis adapter tests, on a free loopback port, so fault tests
 * can kill and restart it without touching the machine's shared Redis. Append-only file in a
 * temporary folder (fsync always) so a restart keeps the data, as a production Redis would.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../helpers/free-port.js";

/** Why Redis tests are skipped here, or false when `redis-server` is installed. */
export const redisMissing: string | false =
  spawnSync("redis-server", ["--version"]).status === 0
    ? false
    : "redis-server not found — install with: apt-get install -y redis-server";

/** A running private Redis. */
export interface RedisInstance {
  readonly port: number;
  readonly url: string;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** Starts again on the same port with the same data folder. */
  start(): Promise<void>;
  /** Kills it and removes its data folder. */
  dispose(): Promise<void>;
}

/** Starts a private `redis-server`; resolves once it accepts connections. */
export async function startRedis(): Promise<RedisInstance> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "tether-redis-"));
  let proc: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const p = spawn(
        "redis-server",
        [
          "--port",
          String(port),
          "--bind",
          "127.0.0.1",
          "--dir",
          dir,
          "--save",
          "",
          "--appendonly",
          "yes",
          "--appendfsync",
          "always",
          "--protected-mode",
          "no",
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      proc = p;
      exited = new Promise((r) => p.once("exit", () => r()));
      let out = "";
      const timer = setTimeout(
        () => reject(new Error(`redis-server did not start: ${out}`)),
        15_000,
      );
      p.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("Ready to accept connections")) {
          clearTimeout(timer);
          p.stdout?.removeAllListeners("data");
          p.stdout?.resume();
          resolve();
        }
      });
      p.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}): ${out}`));
      });
    });
  await start();
  const kill = async () => {
    proc?.kill("SIGKILL");
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    async dispose() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
