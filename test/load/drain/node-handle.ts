/** Forks a drain-test node (`node.ts`) and calls it over IPC; every wait is bounded. */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("./node.ts", import.meta.url));

/** A node process. */
export interface DrainNode {
  readonly name: string;
  readonly port: number;
  call<T>(op: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** Asks the node to exit; kills it if it has not within 5 s. */
  stop(): Promise<void>;
}

/** Starts a node on 127.0.0.1:0 sharing the Redis stream `key`. */
export async function startDrainNode(
  name: string,
  redisUrl: string,
  key: string,
): Promise<DrainNode> {
  const child = fork(SCRIPT, [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, REDIS_URL: redisUrl, KEY: key, NODE_NAME: name },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const pending = new Map<number, (m: { ok: boolean; value?: unknown; error?: string }) => void>();
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready after 30 s`)), 30_000);
    child.on("message", (raw: unknown) => {
      const m = raw as { ready?: boolean; port?: number; id?: number; ok?: boolean };
      if (m.ready === true && typeof m.port === "number") {
        clearTimeout(timer);
        resolve(m.port);
      } else if (typeof m.id === "number") pending.get(m.id)?.(m as { ok: boolean });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited early (${code})`));
    });
  });
  let seq = 0;
  return {
    name,
    port,
    call<T>(op: string, args: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<T> {
      const id = ++seq;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${name}: '${op}' timed out`));
        }, timeoutMs);
        pending.set(id, (m) => {
          clearTimeout(timer);
          pending.delete(id);
          if (m.ok) resolve(m.value as T);
          else reject(new Error(`${name}: '${op}' failed: ${m.error}`));
        });
        child.send({ id, op, ...args });
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      if (child.connected) child.send({ id: 0, op: "exit" });
      else child.kill("SIGTERM");
      await exited;
      clearTimeout(timer);
    },
  };
}
