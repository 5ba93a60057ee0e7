/**
 * Forks one server node of the adapter harness (Tether's node-server.ts or the official
 * sio-node-server.ts) under a name of the test's choosing, for tests that start and stop nodes
 * one by one (rolling deploys), where forkMixedNodes' positional names would repeat.
 */
import { fork } from "node:child_process";
import type { NodeHandle } from "./harness.js";

/** Starts `script` with `backend` as node `name`; resolves once it listens. */
export async function forkNamedNode(
  script: string,
  backend: string,
  name: string,
  env: Record<string, string>,
): Promise<NodeHandle> {
  const proc = fork(script, [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, ...env, BACKEND: backend, NODE_NAME: name },
    serialization: "advanced",
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let alive = true;
  const exited = new Promise<void>((resolve) =>
    proc.once("exit", () => {
      alive = false;
      resolve();
    }),
  );
  let seq = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let onReady: ((port: number) => void) | undefined;
  proc.on("message", (msg: unknown) => {
    const m = msg as {
      harness?: string;
      id?: number;
      value?: unknown;
      error?: string;
      port?: number;
    };
    if (m?.harness === "ready" && typeof m.port === "number") onReady?.(m.port);
    if (m?.harness !== "result" || typeof m.id !== "number") return;
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error !== undefined) p?.reject(new Error(`${name}: ${m.error}`));
    else p?.resolve(m.value);
  });
  void exited.then(() => {
    for (const p of pending.values()) p.reject(new Error(`${name} exited`));
    pending.clear();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`${name} did not start`));
    }, 30_000);
    void exited.then(() => reject(new Error(`${name} exited before ready`)));
    onReady = (p) => {
      clearTimeout(timer);
      resolve(p);
    };
  });
  return {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    get alive() {
      return alive;
    },
    call<T>(op: string, args: Record<string, unknown> = {}): Promise<T> {
      const id = ++seq;
      return new Promise<T>((resolve, reject) => {
        if (!alive) {
          reject(new Error(`${name} exited`));
          return;
        }
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        proc.send({ harness: "call", id, op, args });
      });
    },
    async kill() {
      if (alive) proc.kill("SIGKILL");
      await exited;
    },
  };
}
