/**
 * One official socket.io server node (the `socket.io` package with one of socket.io's Redis
 * adapters), the other side of the mixed-cluster tests: the same harness protocol and the same
 * commands as node-server.ts, so the shared adapter suite drives official and Tether nodes alike.
 *
 * Env: BACKEND (official-redis | official-redis-sharded | official-redis-streams), NODE_NAME,
 * REDIS_URL, KEY_PREFIX, RECOVERY ("1": connection state recovery), HEARTBEAT_MS,
 * HEARTBEAT_TIMEOUT_MS, REQUESTS_TIMEOUT_MS.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "redis";
import { Server } from "socket.io";

const env = process.env;
const name = env.NODE_NAME ?? "official";
const backend = env.BACKEND ?? "official-redis";
const key = env.KEY_PREFIX ?? "tether-test";
const heartbeatInterval = Number(env.HEARTBEAT_MS ?? 250);
const heartbeatTimeout = Number(env.HEARTBEAT_TIMEOUT_MS ?? 1500);
const requestsTimeout = Number(env.REQUESTS_TIMEOUT_MS ?? 3000);
const events: string[] = [];
/** Room channel subscriptions in flight (sharded adapter). */
const subscribing = new Set<Promise<void>>();

function toParent(msg: unknown): void {
  if (process.connected) process.send?.(msg);
}

async function redisClient() {
  const client = createClient({ url: env.REDIS_URL ?? "redis://127.0.0.1:6379" });
  client.on("error", (err: Error) => events.push(`error:${err.message}`));
  await client.connect();
  return client;
}

// The official factories' types differ per package; the server takes any of them.
async function makeAdapter(): Promise<unknown> {
  switch (backend) {
    case "official-redis": {
      const { createAdapter } = await import("@socket.io/redis-adapter");
      const pub = await redisClient();
      const sub = pub.duplicate();
      await sub.connect();
      return createAdapter(pub, sub, { key, requestsTimeout });
    }
    case "official-redis-sharded": {
      const { createShardedAdapter } = await import("@socket.io/redis-adapter");
      const pub = await redisClient();
      const sub = pub.duplicate();
      await sub.connect();
      // The sharded adapter subscribes a new room's channel without waiting for Redis; the
      // `join` command waits for it (below), so tests measure delivery, not that race.
      const sSubscribe = sub.sSubscribe.bind(sub) as (...a: unknown[]) => Promise<void>;
      (sub as unknown as { sSubscribe: unknown }).sSubscribe = (...a: unknown[]) => {
        const p = sSubscribe(...a);
        subscribing.add(p);
        void p.finally(() => subscribing.delete(p)).catch(() => undefined);
        return p;
      };
      return createShardedAdapter(pub, sub, { channelPrefix: key, subscriptionMode: "dynamic" });
    }
    case "official-redis-streams": {
      const { createAdapter } = await import("@socket.io/redis-streams-adapter");
      const client = await redisClient();
      return createAdapter(client, {
        streamName: key,
        sessionKeyPrefix: `${key}:session:`,
        heartbeatInterval,
        heartbeatTimeout,
      });
    }
    default:
      throw new Error(`unknown backend ${backend}`);
  }
}

// An uncaught error would end the process: record it, so a test can tell "survived" apart.
process.on("uncaughtException", (err) => events.push(`uncaught:${err.message}`));
process.on("unhandledRejection", (err) => events.push(`unhandled:${String(err)}`));

const adapter = await makeAdapter();
const http = createServer();
const io = new Server(http, {
  adapter: adapter as never,
  ...(env.RECOVERY === "1"
    ? { connectionStateRecovery: { maxDisconnectionDuration: 60_000 } }
    : {}),
  pingInterval: 1000,
  pingTimeout: 2000,
});

const serverSideLog: unknown[][] = [];

type AnyNsp = ReturnType<typeof io.of>;
function setup(nsp: AnyNsp): void {
  nsp.on("connection", (socket) => {
    socket.data = { node: name, user: socket.handshake.auth.user };
    socket.on("join", async (room: string, cb: (node: string) => void) => {
      await socket.join(room);
      await Promise.allSettled([...subscribing]);
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
    socket.on("whoami", (cb: (info: unknown) => void) =>
      cb({ node: name, id: socket.id, recovered: socket.recovered }),
    );
  });
}
setup(io.of("/"));
setup(io.of(/^\/dyn-\d+$/) as unknown as AnyNsp);
io.of("/").on("ping-node", (arg: unknown, cb: (reply: unknown) => void) => cb({ node: name, arg }));
io.of("/").on("note", (...args: unknown[]) => serverSideLog.push(args));

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
  // socket.io's allSockets() asks adapter.sockets(), which its Redis adapters leave node-local
  // (in-memory); the cluster-wide ids come from fetchSockets(), as socket.io's docs advise.
  allSockets: async (a) => (await target(a).fetchSockets()).map((s) => s.id),
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
  redisEvents: () => events,
  close: async () => {
    await new Promise<void>((resolve) => io.close(() => resolve()));
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

http.listen({ port: 0, host: "127.0.0.1" }, () => {
  toParent({ harness: "ready", port: (http.address() as AddressInfo).port, name });
});
