/** Starts the slow-consumer server child and talks to it over IPC (every wait bounded). */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ChildConfig, Command, Memory, Reply, Stats } from "./protocol.js";

const SCRIPT = fileURLToPath(new URL("./server.ts", import.meta.url));

type CommandName = Command["cmd"];
type Extra<C extends CommandName> = Omit<Extract<Command, { cmd: C }>, "id" | "cmd">;

/** A running server child. */
export interface ServerChild {
  readonly port: number;
  readonly process: ChildProcess;
  call<C extends CommandName>(
    cmd: C,
    extra: Extra<C>,
    timeoutMs?: number,
  ): Promise<{ memory?: Memory; stats?: Stats }>;
  memory(): Promise<Memory>;
  stats(): Promise<Stats>;
  /** Asks the child to exit; kills it if it has not within 5 s. */
  stop(): Promise<void>;
}

/** Forks `server.ts` with `--expose-gc` and tsx; resolves once it listens. */
export async function startServerChild(config: ChildConfig): Promise<ServerChild> {
  const child = fork(SCRIPT, [], {
    // SC_NODE_ARGS adds flags for the child, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    execArgv: [
      "--expose-gc",
      "--import",
      "tsx",
      ...(process.env.SC_NODE_ARGS?.split(" ").filter(Boolean) ?? []),
    ],
    env: { ...process.env, SC_CONFIG: JSON.stringify(config) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const pending = new Map<number, (r: Reply) => void>();
  let seq = 0;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("server child not ready after 30 s")), 30_000);
    child.on("message", (raw: unknown) => {
      const m = raw as Reply;
      if ("ready" in m) {
        clearTimeout(timer);
        resolve(m.port);
      } else pending.get(m.id)?.(m);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server child exited early (${code})`));
    });
  });
  const call: ServerChild["call"] = (cmd, extra, timeoutMs = 30_000) =>
    new Promise((resolve, reject) => {
      const id = ++seq;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`server child: '${cmd}' timed out`));
      }, timeoutMs);
      pending.set(id, (r) => {
        clearTimeout(timer);
        pending.delete(id);
        if ("ok" in r && r.ok)
          resolve({
            ...(r.memory ? { memory: r.memory } : {}),
            ...(r.stats ? { stats: r.stats } : {}),
          });
        else reject(new Error(`server child: '${cmd}' failed: ${"error" in r ? r.error : "?"}`));
      });
      child.send({ id, cmd, ...extra });
    });
  return {
    port,
    process: child,
    call,
    async memory() {
      const { memory } = await call("memory", {});
      if (memory === undefined) throw new Error("no memory in reply");
      return memory;
    },
    async stats() {
      const { stats } = await call("stats", {});
      if (stats === undefined) throw new Error("no stats in reply");
      return stats;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) await call("exit", {}, 5000).catch(() => {});
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
