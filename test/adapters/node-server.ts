/**
 * One server node of the multi-node adapter suite, run in its own process
 * (`node --import tsx node-server.ts`, forked with IPC). Starts a Tether `Server` on
 * 127.0.0.1:0 with the backend's adapter, reports `{ harness: "ready", port }` to the parent,
 * then runs the commands the test sends (`{ harness: "call", id, op, args }`).
 *
 * Env: BACKEND (memory | cluster | redis | redis-streams, or socket.io's own adapters: sio-redis |
 * sio-redis-sharded | sio-redis-streams | sio-postgres | sio-cluster), NODE_NAME, REDIS_URL, PG_URL, KEY_PREFIX,
 * RECOVERY ("1" enables connection state recovery), HEARTBEAT_MS, HEARTBEAT_TIMEOUT_MS,
 * REQUESTS_TIMEOUT_MS, PORT (default 0: a free one). REDIS_CLUSTER (comma-separated root node URLs): Tether's redis and
 * redis-streams backends run on that Redis Cluster (node-redis `createCluster`) instead.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient, createCluster } from "redis";
import { Server } from "../../src/index.js";
import type { AnyAdapterConstructor } from "../../src/server/server.js";

const env = process.env;
const name = env.NODE_NAME ?? "node";
const backend = env.BACKEND ?? "memory";
const timing = {
  heartbeatInterval: Number(env.HEARTBEAT_MS ?? 250),
  heartbeatTimeout: Number(env.HEARTBEAT_TIMEOUT_MS ?? 1500),
  requestsTimeout: Number(env.REQUESTS_TIMEOUT_MS ?? 3000),
};
const recovery = env.RECOVERY === "1";
const redisEvents: string[] = [];

function toParent(msg: unknown): void {
  if (process.connected) process.send?.(msg);
}

async function redisClient() {
  const client = createClient({
    url: env.REDIS_URL ?? "redis://127.0.0.1:6379",
    socket: { reconnectStrategy: (retries: number) => Math.min(50 + retries * 50, 300) },
  });
  client.on("error", (err: Error) => redisEvents.push(`error:${err.message}`));
  client.on("ready", () => redisEvents.push("ready"));
  await client.connect();
  return client;
}

const reconnectStrategy = (retries: number) => Math.min(50 + retries * 50, 300);

/** A connected node-redis Redis Cluster client on the REDIS_CLUSTER root nodes. */
async function redisCluster() {
  const cluster = createCluster({
    rootNodes: (env.REDIS_CLUSTER ?? "").split(",").map((url) => ({ url })),
    defaults: { socket: { reconnectStrategy } },
  });
  cluster.on("error", (err: Error) => redisEvents.push(`error:${err.message}`));
  await cluster.connect();
  return cluster;
}

async function makeAdapter(): Promise<AnyAdapterConstructor | undefined> {
  const key = env.KEY_PREFIX ?? "tether-test";
  switch (backend) {
    case "memory":
      return undefined;
    case "cluster": {
      const { createAdapter } = await import("../../src/adapters/cluster/index.js");
      return createAdapter(timing);
    }
    case "redis": {
      const { createAdapter, createShardedAdapter } = await import(
        "../../src/adapters/redis/index.js"
      );
      if (env.REDIS_CLUSTER) {
        const pub = await redisCluster();
        const sub = pub.duplicate();
        sub.on("error", (err: Error) => redisEvents.push(`sub-error:${err.message}`));
        await sub.connect();
        if (env.SHARDED === "0") return createAdapter(pub, sub, { key, ...timing });
        return createShardedAdapter(pub, sub, { channelPrefix: key, ...timing });
      }
      const pub = await redisClient();
      const sub = pub.duplicate();
      sub.on("error", (err: Error) => redisEvents.push(`sub-error:${err.message}`));
      await sub.connect();
      // SHARDED=0: the classic protocol (createAdapter); otherwise the sharded one.
      if (env.SHARDED === "0") return createAdapter(pub, sub, { key, ...timing });
      return createShardedAdapter(pub, sub, { channelPrefix: key, ...timing });
    }
    case "redis-streams": {
      const { createAdapter } = await import("../../src/adapters/redis-streams/index.js");
      const client = env.REDIS_CLUSTER ? await redisCluster() : await redisClient();
      return createAdapter(client, {
        streamName: key,
        sessionKeyPrefix: `${key}:session:`,
        ...timing,
      });
    }
    // socket.io's own adapters (official packages) inside Tether, through the compat bridge.
    case "sio-redis": {
      const { createAdapter } = await import("@socket.io/redis-adapter");
      const pub = await redisClient();
      const sub = pub.duplicate();
      sub.on("error", (err: Error) => redisEvents.push(`sub-error:${err.message}`));
      await sub.connect();
      return createAdapter(pub, sub, { key, requestsTimeout: timing.requestsTimeout });
    }
    case "sio-redis-sharded": {
      const { createShardedAdapter } = await import("@socket.io/redis-adapter");
      const pub = await redisClient();
      const sub = pub.duplicate();
      sub.on("error", (err: Error) => redisEvents.push(`sub-error:${err.message}`));
      await sub.connect();
      return createShardedAdapter(pub, sub, {
        channelPrefix: key,
        subscriptionMode: "dynamic",
      });
    }
    case "sio-redis-streams": {
      const { createAdapter } = await import("@socket.io/redis-streams-adapter");
      const client = await redisClient();
      return createAdapter(client, {
        streamName: key,
        sessionKeyPrefix: `${key}:session:`,
        heartbeatInterval: timing.heartbeatInterval,
        heartbeatTimeout: timing.heartbeatTimeout,
      });
    }
    case "sio-postgres": {
      const { createAdapter } = await import("@socket.io/postgres-adapter");
      const { default: pg } = await import("pg");
      const pool = new pg.Pool({ connectionString: env.PG_URL, max: 4 });
      pool.on("error", (err: Error) => redisEvents.push(`pg-error:${err.message}`));
      // The heartbeat options reach ClusterAdapterWithHeartbeat (not in the factory's type).
      const opts = {
        channelPrefix: key,
        tableName: env.PG_TABLE ?? "socket_io_attachments",
        heartbeatInterval: timing.heartbeatInterval,
        heartbeatTimeout: timing.heartbeatTimeout,
      };
      return createAdapter(pool, opts);
    }
    case "sio-cluster": {
      const { createAdapter } = await import("@socket.io/cluster-adapter");
      return createAdapter({ requestsTimeout: timing.requestsTimeout });
    }
    default:
      throw new Error(`unknown backend ${backend}`);
  }
}

const adapter = await makeAdapter();
const http = createServer();
const io = new Server(http, {
  ...(adapter ? { adapter } : {}),
  ...(recovery
    ? {
        connectionStateRecovery: {
          maxDisconnectionDuration: Number(env.RECOVERY_MS ?? 60_000),
        },
      }
    : {}),
  presence: {
    syncInterval: Number(env.PRESENCE_SYNC_MS ?? 500),
    ...(env.PRESENCE_TIMEOUT_MS ? { nodeTimeout: Number(env.PRESENCE_TIMEOUT_MS) } : {}),
  },
  pingInterval: 1000,
  pingTimeout: 2000,
});

if (env.STICKY === "1") {
  const { setupStickyWorker } = await import("../../src/adapters/cluster/index.js");
  setupStickyWorker(http, io);
}

const serverSideLog: unknown[][] = [];

type AnyNsp = ReturnType<typeof io.of>;
function setup(nsp: AnyNsp): void {
  nsp.on("connection", (socket) => {
    socket.data = { node: name, user: socket.handshake.auth.user };
    socket.on("join", async (room: string, cb: (node: string) => void) => {
      await socket.join(room);
      cb(name);
    });
    socket.on("leave", async (room: string, cb: (node: string) => void) => {
      await socket.leave(room);
      cb(name);
    });
    socket.on("broadcast", (ev: string, payload: unknown, cb?: () => void) => {
      socket.broadcast.emit(ev, payload);
      cb?.();
    });
    // Presence: replies `{ ok: true }` or `{ code }` of the refusal.
    const settle = (p: Promise<void>, cb: (r: unknown) => void) =>
      p.then(
        () => cb({ ok: true, node: name }),
        (err: { code?: string }) => cb({ code: err.code ?? String(err) }),
      );
    socket.on("track", (room: string, key: string, meta: Record<string, unknown>, cb) =>
      settle(socket.track(room, key, meta), cb),
    );
    socket.on("updatePresence", (room: string, meta: Record<string, unknown>, cb) =>
      settle(socket.updatePresence(room, meta), cb),
    );
    socket.on("untrack", (room: string, cb) => settle(socket.untrack(room), cb));
    socket.on("whoami", (cb: (info: unknown) => void) =>
      cb({ node: name, id: socket.id, recovered: socket.recovered }),
    );
  });
}
setup(io.of("/"));
// What the adapter reports (e.g. a malformed message from another node), for the tests to read.
io.of("/").adapter.on("error", (err: Error) => redisEvents.push(`adapter-error:${err.message}`));
setup(io.of(/^\/dyn-\d+$/) as unknown as AnyNsp);
io.of("/").on("ping-node", (arg: unknown, cb: (reply: unknown) => void) => cb({ node: name, arg }));
io.of("/").on("note", (...args: unknown[]) => serverSideLog.push(args));
const presenceLog: unknown[][] = [];
io.of("/").on("presence", (room, diff) => presenceLog.push([room, diff]));

interface Target {
  nsp?: string;
  rooms?: string[];
  except?: string[];
}
function target(t: Target) {
  let op = io.of(t.nsp ?? "/").except(t.except ?? []);
  if (t.rooms && t.rooms.length > 0) op = op.to(t.rooms);
  return op;
}

type Args = Record<string, unknown> & Target;
const ops: Record<string, (a: Args) => unknown> = {
  name: () => name,
  keyPrefix: () => env.KEY_PREFIX ?? "tether-test",
  serverCount: (a) => io.of(a.nsp ?? "/").adapter.serverCount(),
  emit: (a) => {
    const payload = a.binary ? Buffer.from(a.binary as number[]) : a.payload;
    target(a).emit(a.ev as string, payload);
    return true;
  },
  emitLocal: (a) => target(a).local.emit(a.ev as string, a.payload),
  emitWithAck: async (a) => {
    try {
      const replies = await target(a)
        .timeout(Number(a.timeout ?? 3000))
        .emitWithAck(a.ev as string, a.payload);
      return { err: null, replies };
    } catch (err) {
      return { err: (err as Error).message };
    }
  },
  fetchSockets: async (a) => {
    const started = Date.now();
    const sockets = await target(a).fetchSockets();
    const list = sockets.map((s) => ({ id: s.id, rooms: [...s.rooms].sort(), data: s.data }));
    return { sockets: list, ms: Date.now() - started };
  },
  allSockets: async (a) => [...(await target(a).allSockets())],
  socketsJoin: (a) => target(a).socketsJoin(a.room as string),
  socketsLeave: (a) => target(a).socketsLeave(a.room as string),
  disconnectSockets: (a) => target(a).disconnectSockets(a.close === true),
  serverSideEmitWithAck: async (a) => {
    const started = Date.now();
    try {
      const replies = await io.of("/").serverSideEmitWithAck("ping-node", a.payload);
      return { err: null, replies, ms: Date.now() - started };
    } catch (err) {
      return { err: (err as Error).message, ms: Date.now() - started };
    }
  },
  serverSideEmit: (a) => io.of("/").serverSideEmit("note", a.payload),
  serverSideLog: () => serverSideLog,
  redisEvents: () => redisEvents,
  presence: (a) => target(a).presence(),
  presenceCount: (a) => target(a).presenceCount(),
  presenceLog: () => presenceLog,
  presenceStats: () => io.of("/")._presenceTracker().stats(),
  trackMany: async (a) => {
    // Every connected socket of this node tracks `a.room` under its own handshake user.
    const sockets = [...io.of("/").sockets.values()];
    await Promise.all(sockets.map((s) => s.track(a.room as string, String(s.handshake.auth.user))));
    return sockets.length;
  },
  close: async () => {
    await io.close();
    return true;
  },
};

process.on("message", async (msg: unknown) => {
  const m = msg as { harness?: string; id?: number; op?: string; args?: Args };
  if (m?.harness !== "call" || typeof m.id !== "number" || typeof m.op !== "string") return;
  const fn = ops[m.op];
  try {
    if (!fn) throw new Error(`unknown op ${m.op}`);
    const value = await fn(m.args ?? {});
    toParent({ harness: "result", id: m.id, value: value ?? null });
  } catch (err) {
    toParent({ harness: "result", id: m.id, error: String((err as Error)?.stack ?? err) });
  }
});
process.on("disconnect", () => process.exit(0));

// exclusive: cluster workers would otherwise share one round-robin port through the primary.
http.listen({ port: Number(env.PORT ?? 0), host: "127.0.0.1", exclusive: true }, () => {
  toParent({ harness: "ready", port: (http.address() as AddressInfo).port, name });
});
