// IPC-controlled benchmark child processes, shared by bench/load and bench/scale: the child sends
// a first message when ready, then answers `{ id, cmd }` with `{ id, … }` and may send unsolicited
// `{ event }` messages. Every wait is bounded.
import { spawn, spawnSync } from "node:child_process";

const hasTaskset = spawnSync("taskset", ["-c", "0", "true"]).status === 0;

/**
 * Starts `script` with Node. `core` pins it with taskset when available; `nodeArgs` go before the
 * script (BENCH_NODE_ARGS, e.g. `--cpu-prof`, is appended to them).
 */
export function startChild(script, { args = [], core, nodeArgs = [] } = {}) {
  const argv = [
    ...nodeArgs,
    ...(process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? []),
    script,
    ...args,
  ];
  const [cmd, cmdArgs] =
    core !== undefined && hasTaskset
      ? ["taskset", ["-c", String(core), process.execPath, ...argv]]
      : [process.execPath, argv];
  const child = spawn(cmd, cmdArgs, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let seq = 0;
  const handlers = new Map();
  const waiters = new Map();
  child.on("message", (m) => {
    if (m.event) {
      waiters.get(m.event)?.(m);
      waiters.delete(m.event);
    } else handlers.get(m.id)?.(m);
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} not ready after 30 s`)), 30_000);
    child.once("message", (m) => {
      clearTimeout(timer);
      resolve(m);
    });
    child.once("exit", (code) => reject(new Error(`${script} exited early (${code})`)));
  });
  // Awaited later (or never, when an earlier step failed): not an unhandled rejection.
  ready.catch(() => {});
  /** Sends a command; resolves with its reply. */
  const call = (cmd, data = {}, timeoutMs = 120_000) =>
    new Promise((resolve, reject) => {
      const id = ++seq;
      const timer = setTimeout(() => {
        handlers.delete(id);
        reject(new Error(`${script}: '${cmd}' timed out`));
      }, timeoutMs);
      handlers.set(id, (m) => {
        clearTimeout(timer);
        handlers.delete(id);
        resolve(m);
      });
      child.send({ id, cmd, ...data });
    });
  /** Resolves with the next unsolicited `event` message (rejects after `timeoutMs`). */
  const nextEvent = (event, timeoutMs = 120_000) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(event);
        reject(new Error(`${script}: no '${event}' within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.set(event, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  /** Asks the child to exit (so profiles get written), killing it if it has not within 5 s. */
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.send({ cmd: "exit" });
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  return { child, ready, call, nextEvent, stop };
}
