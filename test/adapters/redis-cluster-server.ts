/**
 * A private Redis Cluster for the adapter tests: `count` masters (no replicas) started from
 * `redis-server --cluster-enabled yes` on free loopback ports, each with its node config in a
 * temporary folder, joined with `redis-cli --cluster create`. One master can be killed and
 * started again on the same port with the same node config, so it rejoins owning its slots (its
 * data is gone: no persistence, as a cache-only Redis would run).
 *
 *   start:   N × redis-server (port, bus port) ─▶ redis-cli --cluster create ─▶ cluster_state:ok
 *   restart: SIGKILL master i ─▶ redis-server again (same port, nodes.conf) ─▶ cluster_state:ok
 *
 * Also the backend of Tether nodes on such a cluster (node-server.ts with REDIS_CLUSTER: node-redis
 * `createCluster` clients).
 */
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../helpers/free-port.js";
import { type Backend, forkNodes, type NodeSet, randomPrefix } from "./harness.js";
import { redisMissing } from "./redis-server.js";

const run = promisify(execFile);

/** Why Redis Cluster tests are skipped here, or false when they can run. */
export const redisClusterMissing: string | false =
  redisMissing ||
  (spawnSync("redis-cli", ["--version"]).status === 0
    ? false
    : "redis-cli not found — install with: apt-get install -y redis-server");

/** One master of the cluster. */
export interface ClusterMaster {
  readonly port: number;
  readonly url: string;
  readonly alive: boolean;
}

/** A running private Redis Cluster. */
export interface RedisClusterInstance {
  readonly masters: readonly ClusterMaster[];
  /** `rootNodes` for node-redis `createCluster`. */
  readonly rootNodes: Array<{ url: string }>;
  /** Root node URLs, comma-separated (for a child process's environment). */
  readonly urls: string;
  /** The hash slot of `key` (a channel name hashes the same way). */
  slotOf(key: string): Promise<number>;
  /** The index of the master owning `key`'s slot. */
  ownerOf(key: string): Promise<number>;
  /** SIGKILL master `i`, as a crash would; resolves once it has exited. */
  kill(i: number): Promise<void>;
  /** Starts master `i` again (same port and node config) and waits for cluster_state:ok. */
  start(i: number): Promise<void>;
  /** Kills every master and removes their folders. */
  dispose(): Promise<void>;
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], {
    timeout: 10_000,
  });
  return stdout;
}

interface Proc {
  readonly port: number;
  readonly busPort: number;
  readonly dir: string;
  child: ChildProcess | undefined;
  exited: Promise<void>;
}

function launch(p: Proc): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "redis-server",
      [
        "--port",
        String(p.port),
        "--cluster-port",
        String(p.busPort),
        "--bind",
        "127.0.0.1",
        "--dir",
        p.dir,
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        "nodes.conf",
        "--cluster-node-timeout",
        "5000",
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "no",
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    p.child = child;
    p.exited = new Promise((r) => child.once("exit", () => r()));
    let out = "";
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 15_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("Ready to accept connections")) {
        clearTimeout(timer);
        child.stdout?.removeAllListeners("data");
        child.stdout?.resume();
        resolve();
      }
    });
    child.once("exit", (code) => {
      p.child = undefined;
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}): ${out}`));
    });
  });
}

/** Polls `CLUSTER INFO` on every live master until all say cluster_state:ok. */
async function waitClusterOk(procs: readonly Proc[], timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(
      procs.map((p) => cli(p.port, "cluster", "info").catch((err: Error) => err.message)),
    );
    if (states.every((s) => s.includes("cluster_state:ok"))) return;
    if (Date.now() > deadline) throw new Error(`cluster never became ok: ${states.join(" | ")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts a private Redis Cluster of `count` masters; resolves once cluster_state:ok everywhere. */
export async function startRedisCluster(count = 3): Promise<RedisClusterInstance> {
  const procs: Proc[] = [];
  const dispose = async () => {
    for (const p of procs) p.child?.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.exited));
    for (const p of procs) rmSync(p.dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      let busPort = await freePort();
      while (busPort === port) busPort = await freePort();
      const dir = mkdtempSync(join(tmpdir(), "tether-rcluster-"));
      procs.push({ port, busPort, dir, child: undefined, exited: Promise.resolve() });
    }
    await Promise.all(procs.map(launch));
    await run(
      "redis-cli",
      [
        "--cluster",
        "create",
        ...procs.map((p) => `127.0.0.1:${p.port}`),
        "--cluster-replicas",
        "0",
        "--cluster-yes",
      ],
      { timeout: 30_000 },
    );
    await waitClusterOk(procs);
  } catch (err) {
    await dispose();
    throw err;
  }
  const slotOf = async (key: string) => {
    const live = procs.find((p) => p.child !== undefined) ?? procs[0];
    return Number((await cli(live?.port ?? 0, "cluster", "keyslot", key)).trim());
  };
  const masters = procs.map((p) => ({
    port: p.port,
    url: `redis://127.0.0.1:${p.port}`,
    get alive() {
      return p.child !== undefined;
    },
  }));
  return {
    masters,
    rootNodes: masters.map((m) => ({ url: m.url })),
    urls: masters.map((m) => m.url).join(","),
    slotOf,
    async ownerOf(key) {
      const live = procs.find((p) => p.child !== undefined) ?? procs[0];
      const slot = await slotOf(key);
      const slots = await cli(live?.port ?? 0, "--json", "cluster", "slots");
      const ranges = JSON.parse(slots) as Array<[number, number, [string, number, string]]>;
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      const index = procs.findIndex((p) => p.port === range?.[2][1]);
      if (index < 0) throw new Error(`no master owns slot ${slot}: ${slots}`);
      return index;
    },
    async kill(i) {
      const p = procs[i];
      if (!p) throw new Error(`no master ${i}`);
      p.child?.kill("SIGKILL");
      await p.exited;
    },
    async start(i) {
      const p = procs[i];
      if (!p) throw new Error(`no master ${i}`);
      await launch(p);
      await waitClusterOk(procs);
    },
    dispose,
  };
}

/** The nodes of a Redis Cluster backend, and the cluster they run on. */
export interface ClusterNodeSet extends NodeSet {
  readonly cluster: RedisClusterInstance;
  readonly keyPrefix: string;
}

/** Starts a Redis Cluster and `count` Tether nodes on it (`adapter`: sharded or Streams). */
export async function startClusterNodes(
  adapter: "redis" | "redis-streams",
  count: number,
  env: Record<string, string> = {},
): Promise<ClusterNodeSet> {
  const cluster = await startRedisCluster(3);
  const keyPrefix = randomPrefix();
  const vars = { REDIS_CLUSTER: cluster.urls, KEY_PREFIX: keyPrefix, ...env };
  const set = await forkNodes(adapter, count, vars).catch(async (err: unknown) => {
    await cluster.dispose();
    throw err;
  });
  return {
    nodes: set.nodes,
    cluster,
    keyPrefix,
    async close() {
      await set.close();
      await cluster.dispose();
    },
  };
}

/** A backend for the shared adapter suite: Tether nodes on a private Redis Cluster. */
export function redisClusterBackend(
  name: string,
  adapter: "redis" | "redis-streams",
  extraEnv: Record<string, string> = {},
): Backend {
  return {
    name,
    crossNode: true,
    recoveryAcrossNodes: adapter === "redis-streams",
    skip: redisClusterMissing,
    start: (count, env = {}) => startClusterNodes(adapter, count, { ...extraEnv, ...env }),
  };
}
