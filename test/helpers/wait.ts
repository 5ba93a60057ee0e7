/** Test helpers: event-driven waits with deadlines (never fixed sleeps). */
import type { AddressInfo, Server as NetServer } from "node:net";

/** Resolves when `cond()` is true, checking on every macrotask; rejects after `timeoutMs`. */
export async function waitFor(
  cond: () => boolean,
  timeoutMs = 10_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise<void>((r) => setImmediate(r));
    // Yield to I/O for a moment without spinning the CPU.
    await new Promise<void>((r) => setTimeout(r, 5));
  }
}

/**
 * Polls the async `get` until `ok(value)` (for state with no event to wait on: another process,
 * Redis, Prometheus), every `intervalMs`; fails with `what` and the last value after `timeoutMs`.
 */
export async function eventually<T>(
  get: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
  timeoutMs = 10_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (ok(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

interface OnceEmitter {
  once(event: string, listener: (...args: never[]) => void): unknown;
}

/** Resolves with the arguments of the next `event`; rejects after `timeoutMs`. */
export function onceEvent<T extends unknown[] = unknown[]>(
  emitter: OnceEmitter,
  event: string,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for '${event}'`)),
      timeoutMs,
    );
    emitter.once(event, ((...args: T) => {
      clearTimeout(timer);
      resolve(args);
    }) as unknown as (...args: never[]) => void);
  });
}

/** Starts `server` on 127.0.0.1, port 0; resolves with the port. */
export function listen(server: NetServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

/** Closes a server, also ending keep-alive connections so the test process can exit. */
export function closeServer(
  server: NetServer & { closeAllConnections?: () => void },
): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}
