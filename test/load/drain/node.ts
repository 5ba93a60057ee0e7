/**
 * One Tether node of the drain load test, in its own process (forked with IPC by
 * `node-handle.ts`): a Server on 127.0.0.1:0 with the Redis Streams adapter and connection state
 * recovery; every new socket joins `room`. Commands from the parent (`{ id, op, ... }`, answered
 * with `{ id, ok, value }` or `{ id, ok: false, error }`):
 *
 *   publish { every }  emit `seq` 1, 2, 3, … to `room` every `every` ms
 *   stop               stop publishing; value: the last sequence number sent
 *   drain { ms }       `io.close({ drain: ms })`; value: figures of the drain (DrainFigures)
 *   stats              value: NodeStats
 *
 * Env: REDIS_URL, KEY (stream name and session key prefix), NODE_NAME.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "redis";
import { createAdapter } from "../../../src/adapters/redis-streams/index.js";
import { Server } from "../../../src/index.js";

/** What a drain did, as seen on the draining node. */
export interface DrainFigures {
  /** Milliseconds until `io.close({ drain })` resolved. */
  readonly elapsedMs: number;
  /** Distinct moments at which sockets were released ("server shutting down"). */
  readonly batches: number;
  /** Sockets released by the drain. */
  readonly released: number;
  /** Milliseconds from the start of the drain to the first and the last release. */
  readonly firstReleaseMs: number;
  readonly lastReleaseMs: number;
}

/** A node's view of its sockets. */
export interface NodeStats {
  readonly engineClients: number;
  readonly sockets: Array<{ id: string; recovered: boolean; inRoom: boolean }>;
  /** Socket connections by kind since start. */
  readonly connections: { fresh: number; recovered: number };
  /** Server-side disconnect reasons since start. */
  readonly disconnects: Record<string, number>;
}

const env = process.env;
const key = env.KEY ?? "tether-drain";
const redis = createClient({ url: env.REDIS_URL ?? "redis://127.0.0.1:6379" });
redis.on("error", () => {});
await redis.connect();

const http = createServer();
const io = new Server(http, {
  adapter: createAdapter(redis, { streamName: key, sessionKeyPrefix: `${key}:session:` }),
  connectionStateRecovery: { maxDisconnectionDuration: 120_000 },
});
const connections = { fresh: 0, recovered: 0 };
const disconnects: Record<string, number> = {};
let drainStart = 0;
const releases: number[] = [];

io.on("connection", (socket) => {
  if (socket.recovered) connections.recovered++;
  else {
    connections.fresh++;
    socket.join("room");
  }
  socket.on("disconnect", (reason) => {
    disconnects[reason] = (disconnects[reason] ?? 0) + 1;
    if (reason === "server shutting down" && drainStart > 0) {
      releases.push(performance.now() - drainStart);
    }
  });
});

await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
const port = (http.address() as AddressInfo).port;

let seq = 0;
let publisher: ReturnType<typeof setInterval> | undefined;

async function run(op: string, msg: Record<string, unknown>): Promise<unknown> {
  switch (op) {
    case "publish": {
      const every = Number(msg.every ?? 100);
      publisher = setInterval(() => {
        seq++;
        io.to("room").emit("seq", seq);
      }, every);
      return seq;
    }
    case "stop":
      if (publisher !== undefined) clearInterval(publisher);
      publisher = undefined;
      return seq;
    case "drain": {
      drainStart = performance.now();
      const ms = Number(msg.ms);
      // DRAIN_DEBUG: what is still open just before the deadline.
      const probe = env.DRAIN_DEBUG
        ? setTimeout(() => {
            for (const conn of io.engine.clients.values()) {
              console.error(
                `${conn.id} ${conn.transport.name} ${conn.readyState} writable=${conn.transport.writable} buffered=${conn.bufferedAmount}`,
              );
            }
          }, ms - 100)
        : undefined;
      await io.close({ drain: ms });
      clearTimeout(probe);
      const elapsedMs = performance.now() - drainStart;
      // One batch is released in one synchronous loop: releases closer than 20 ms are one batch.
      const sorted = [...releases].sort((x, y) => x - y);
      const batches = sorted.filter((t, i) => i === 0 || t - (sorted[i - 1] ?? 0) > 20).length;
      const figures: DrainFigures = {
        elapsedMs,
        batches,
        released: releases.length,
        firstReleaseMs: releases.length > 0 ? Math.min(...releases) : 0,
        lastReleaseMs: releases.length > 0 ? Math.max(...releases) : 0,
      };
      return figures;
    }
    case "stats": {
      const stats: NodeStats = {
        engineClients: io.engine.clientsCount,
        sockets: [...io.sockets.sockets.values()].map((s) => ({
          id: s.id,
          recovered: s.recovered,
          inRoom: s.rooms.has("room"),
        })),
        connections,
        disconnects,
      };
      return stats;
    }
    case "exit":
      if (publisher !== undefined) clearInterval(publisher);
      await io.close();
      await redis.quit().catch(() => undefined);
      setImmediate(() => process.exit(0));
      return true;
    default:
      throw new Error(`unknown op ${op}`);
  }
}

process.on("message", (raw: unknown) => {
  const msg = raw as { id: number; op: string } & Record<string, unknown>;
  run(msg.op, msg).then(
    (value) => process.send?.({ id: msg.id, ok: true, value }),
    (err: unknown) => process.send?.({ id: msg.id, ok: false, error: String(err) }),
  );
});
process.on("disconnect", () => process.exit(0));
process.send?.({ ready: true, port });
