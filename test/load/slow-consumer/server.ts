/**
 * The server of the slow-consumer scenario, run in its own process
 * (`node --expose-gc --import tsx server.ts`, forked with IPC) so that its memory and event loop
 * are measured apart from the 1,000 clients. Configuration in `SC_CONFIG` (see ChildConfig).
 *
 * While started it broadcasts, every `tickMs`, `tick(phase, sentAt)` to every socket, and every
 * `chunkMs` a fresh `chunkBytes` binary payload to each socket of the `bulk` room (roles `bulk`,
 * `stalled-ws`, `stalled-polling`), so that a client that stops reading has its buffer filled.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { Server, type Socket } from "../../../src/index.js";
import {
  BULK_ROLES,
  type ChildConfig,
  type Command,
  type Memory,
  type Reply,
  type Role,
  type RoleStats,
  type Stats,
} from "./protocol.js";

const config = JSON.parse(process.env.SC_CONFIG ?? "{}") as ChildConfig;

function toParent(msg: Reply): void {
  if (process.connected) process.send?.(msg);
}

const http = createServer();
const io = new Server(http, {
  serveClient: false,
  ...(config.backpressure === null ? {} : { backpressure: config.backpressure }),
});

const ROLES: readonly Role[] = ["fast", "bulk", "stalled-ws", "stalled-polling"];
const roles = Object.fromEntries(
  ROLES.map((r): [Role, RoleStats] => [
    r,
    { connected: 0, disconnects: {}, maxBufferedAmount: 0, disconnectMs: [] },
  ]),
) as Record<Role, RoleStats>;

function roleOf(socket: Socket): Role {
  const auth: unknown = socket.handshake.auth;
  const role = typeof auth === "object" && auth !== null ? Reflect.get(auth, "role") : undefined;
  return ROLES.includes(role as Role) ? (role as Role) : "fast";
}

/** Bulk sockets with their role, in connection order. */
const bulk = new Map<Socket, RoleStats>();

io.on("connection", (socket) => {
  const role = roleOf(socket);
  const stats = roles[role];
  stats.connected++;
  if (BULK_ROLES.has(role)) bulk.set(socket, stats);
  socket.on("disconnect", (reason: string) => {
    bulk.delete(socket);
    stats.disconnects[reason] = (stats.disconnects[reason] ?? 0) + 1;
    stats.disconnectMs.push(Math.round(now() - startedAt));
  });
});

const now = (): number => performance.timeOrigin + performance.now();

let phase = 0;
let startedAt = now();
const ticks: Record<string, number> = {};
let chunks = 0;
let peakTotal = 0;
let maxTimerLag = 0;
let timers: ReturnType<typeof setInterval>[] = [];
let tickTimer: ReturnType<typeof setTimeout> | undefined;

function sampleMemory(): void {
  const m = process.memoryUsage();
  peakTotal = Math.max(peakTotal, m.heapUsed + m.external);
}

/**
 * Ticks run on a fixed schedule and carry their scheduled time, so that a late event loop shows
 * up in the clients' latency (no coordinated omission); a late tick fires at once.
 */
function scheduleTicks(t0: number, k: number): void {
  const due = t0 + k * config.tickMs;
  tickTimer = setTimeout(
    () => {
      maxTimerLag = Math.max(maxTimerLag, now() - due);
      io.emit("tick", phase, due);
      ticks[phase] = (ticks[phase] ?? 0) + 1;
      scheduleTicks(t0, k + 1);
    },
    Math.max(0, due - now()),
  );
}

function start(p: number): void {
  stop();
  phase = p;
  startedAt = now();
  peakTotal = 0;
  maxTimerLag = 0;
  scheduleTicks(startedAt, 1);
  let seq = 0;
  timers.push(
    setInterval(() => {
      seq++;
      for (const [socket, stats] of bulk) {
        stats.maxBufferedAmount = Math.max(stats.maxBufferedAmount, socket.conn.bufferedAmount);
        // A buffer per socket (what a slow consumer holds is its own, not shared), unfilled:
        // the data is the application's, producing it is not what is measured.
        socket.emit("chunk", seq, Buffer.allocUnsafe(config.chunkBytes));
        chunks++;
      }
    }, config.chunkMs),
  );
  timers.push(setInterval(sampleMemory, 100));
}

function stop(): void {
  if (tickTimer !== undefined) clearTimeout(tickTimer);
  tickTimer = undefined;
  for (const t of timers) clearInterval(t);
  timers = [];
}

function memory(): Memory {
  // Two passes: the first may only schedule finalizers of external buffers.
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  return {
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    rss: m.rss,
    total: m.heapUsed + m.external,
  };
}

function stats(): Stats {
  return { roles, ticks, chunks, peakTotal, maxTimerLag };
}

process.on("message", (raw: unknown) => {
  const msg = raw as Command;
  try {
    switch (msg.cmd) {
      case "start":
        start(msg.phase);
        toParent({ id: msg.id, ok: true });
        return;
      case "stop":
        stop();
        toParent({ id: msg.id, ok: true });
        return;
      case "memory":
        toParent({ id: msg.id, ok: true, memory: memory() });
        return;
      case "stats":
        toParent({ id: msg.id, ok: true, stats: stats() });
        return;
      case "exit":
        stop();
        toParent({ id: msg.id, ok: true });
        void io.close().finally(() => process.exit(0));
        return;
    }
  } catch (err) {
    toParent({ id: msg.id, ok: false, error: String((err as Error)?.stack ?? err) });
  }
});
process.on("disconnect", () => process.exit(0));

http.listen(0, "127.0.0.1", () => {
  toParent({ ready: true, port: (http.address() as AddressInfo).port });
});
