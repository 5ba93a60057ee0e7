/**
 * Parent side of the soak server child: forks `server.ts` with `--expose-gc`, waits for its
 * port, and calls its ops over IPC. Every wait is bounded.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Extra V8 flags of the server child (`SOAK_SERVER_FLAGS`, e.g. "--no-turbofan"). */
const SERVER_FLAGS = process.env.SOAK_SERVER_FLAGS?.split(" ").filter(Boolean) ?? [];

const SCRIPT = fileURLToPath(new URL("./server-entry.ts", import.meta.url));

/** The running server child. */
export interface SoakServer {
  readonly port: number;
  call<T>(op: string, args?: unknown, timeoutMs?: number): Promise<T>;
  /** Asks the child to close, then kills it if it has not exited within a few seconds. */
  stop(): Promise<void>;
}

interface Reply {
  id?: number;
  value?: unknown;
  error?: string;
  ready?: number;
}

/** Forks the server child; resolves once it listens. */
export async function startSoakServer(): Promise<SoakServer> {
  const child: ChildProcess = fork(SCRIPT, [], {
    execArgv: ["--expose-gc", ...SERVER_FLAGS, "--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const pending = new Map<number, (r: Reply) => void>();
  child.on("message", (m: Reply) => {
    if (typeof m.id === "number") pending.get(m.id)?.(m);
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("soak server not ready after 30 s")), 30_000);
    const onMessage = (m: Reply) => {
      if (typeof m.ready !== "number") return;
      clearTimeout(timer);
      child.off("message", onMessage);
      resolve(m.ready);
    };
    child.on("message", onMessage);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error("soak server exited before listening"));
    });
  });
  let seq = 0;
  const call = <T>(op: string, args?: unknown, timeoutMs = 60_000): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = ++seq;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`soak server: '${op}' timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, (r) => {
        clearTimeout(timer);
        pending.delete(id);
        if (r.error !== undefined) reject(new Error(r.error));
        else resolve(r.value as T);
      });
      child.send({ id, op, args });
    });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    await call("close", undefined, 5000).catch(() => undefined);
    if (child.connected) child.disconnect();
    const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(killer);
  };
  return { port, call, stop };
}
