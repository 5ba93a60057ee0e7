/**
 * Integration: graceful drain, `io.close({ drain: ms })` — refuses new handshakes, moves clients
 * away in jittered batches without a DISCONNECT packet, resolves when empty or at the deadline.
 */
import assert from "node:assert/strict";
import { createServer, type Server as HttpServer, request } from "node:http";
import { afterEach, describe, it } from "node:test";
import { createClient } from "redis";
import { type Socket as ClientSocket, io as ioc } from "socket.io-client";
import { createAdapter } from "../../src/adapters/redis-streams/index.js";
import { io as tetherIo } from "../../src/client/index.js";
import { Server, type ServerOptions, type Socket } from "../../src/index.js";
import { randomPrefix } from "../adapters/harness.js";
import { type RedisInstance, redisMissing, startRedis } from "../adapters/redis-server.js";
import { startSwitchProxy } from "../helpers/switch-proxy.js";
import { closeServer, listen, waitFor } from "../helpers/wait.js";

interface Node {
  readonly io: Server;
  readonly http: HttpServer;
  readonly port: number;
  readonly url: string;
}

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function startNode(opts: ServerOptions = {}): Promise<Node> {
  const http = createServer();
  const io = new Server(http, opts);
  const port = await listen(http);
  cleanups.push(async () => {
    await io.close();
    await closeServer(http);
  });
  return { io, http, port, url: `http://127.0.0.1:${port}` };
}

function client(url: string, opts: Record<string, unknown> = {}): ClientSocket {
  const c = ioc(url, { forceNew: true, reconnection: false, transports: ["websocket"], ...opts });
  cleanups.push(() => c.disconnect());
  return c;
}

/** Connects `n` official clients and waits until the server has them all. */
async function connectMany(node: Node, n: number, opts: Record<string, unknown> = {}) {
  const clients = Array.from({ length: n }, () => client(node.url, opts));
  await waitFor(() => clients.every((c) => c.connected), 10_000, "clients connected");
  return clients;
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("graceful drain: io.close({ drain })", () => {
  it("refuses new handshakes with 503 Server draining while open connections carry on", async () => {
    const node = await startNode();
    const clients = await connectMany(node, 4);
    const closing = node.io.close({ drain: 4000 });
    assert.equal(node.io.engine.draining, true);
    const res = await get(node.port, "/socket.io/?EIO=4&transport=polling");
    assert.equal(res.status, 503);
    assert.deepEqual(JSON.parse(res.body), { code: 8, message: "Server draining" });
    // The batches after the first one are still ahead: most clients are still connected.
    assert.ok(clients.filter((c) => c.connected).length >= 2);
    for (const c of clients) c.disconnect();
    await closing;
  });

  it("asks clients to leave in jittered batches spread over the first half of the window, with no DISCONNECT packet", async () => {
    const node = await startNode();
    const n = 12;
    const windowMs = 1200;
    const clients = await connectMany(node, n);
    const serverReasons: string[] = [];
    const times: number[] = [];
    const start = performance.now();
    for (const s of node.io.sockets.sockets.values()) {
      s.on("disconnect", (reason) => {
        serverReasons.push(reason);
        times.push(performance.now() - start);
      });
    }
    const clientReasons: string[] = [];
    for (const c of clients) c.on("disconnect", (reason) => clientReasons.push(reason));
    await node.io.close({ drain: windowMs });
    await waitFor(() => clientReasons.length === n, 5000, "client disconnects");
    assert.deepEqual(new Set(serverReasons), new Set(["server shutting down"]));
    // A DISCONNECT packet would show as "io server disconnect" (and stop reconnection).
    assert.deepEqual(new Set(clientReasons), new Set(["transport close"]));
    times.sort((a, b) => a - b);
    const first = times[0] ?? 0;
    const last = times.at(-1) ?? 0;
    assert.ok(last - first >= windowMs * 0.2, `spread ${Math.round(last - first)} ms`);
    assert.ok(last <= windowMs * 0.5 + 250, `last batch at ${Math.round(last)} ms`);
    const buckets = new Set(times.map((t) => Math.floor(t / 20)));
    assert.ok(buckets.size >= n / 2, `only ${buckets.size} distinct moments for ${n} batches`);
  });

  it("resolves as soon as no connection is left, long before the deadline", async () => {
    const node = await startNode();
    const clients = await connectMany(node, 3);
    const start = performance.now();
    const closing = node.io.close({ drain: 60_000 });
    // The first batch goes at once; the others leave by themselves.
    await waitFor(() => clients.some((c) => !c.connected), 5000, "first batch");
    for (const c of clients) c.disconnect();
    await closing;
    assert.ok(performance.now() - start < 10_000);
    assert.equal(node.io.engine.clientsCount, 0);
    assert.equal(node.http.listening, false);
  });

  it("closes whatever is left at the deadline", async () => {
    const node = await startNode();
    // A raw polling session that never polls again: asked to close, it can only wait for a GET.
    const open = await get(node.port, "/socket.io/?EIO=4&transport=polling");
    assert.equal(open.status, 200);
    assert.equal(node.io.engine.clientsCount, 1);
    const start = performance.now();
    await node.io.close({ drain: 300 });
    const elapsed = performance.now() - start;
    assert.ok(elapsed >= 290, `resolved after ${Math.round(elapsed)} ms`);
    assert.ok(elapsed < 5000, `resolved after ${Math.round(elapsed)} ms`);
    assert.equal(node.io.engine.clientsCount, 0);
  });

  it("keeps the callback forms and returns the same promise to a second close during a drain", async () => {
    const a = await startNode();
    await connectMany(a, 1);
    const cbArgs: unknown[][] = [];
    const first = a.io.close({ drain: 1000 }, (...args: unknown[]) => cbArgs.push(args));
    const second = a.io.close((...args: unknown[]) => cbArgs.push(args));
    assert.equal(second, first);
    await first;
    await waitFor(() => cbArgs.length === 2, 2000, "callbacks");
    assert.deepEqual(cbArgs, [[undefined], [undefined]]);

    const b = await startNode();
    const done = await new Promise<unknown[]>((resolve) => {
      void b.io.close((...args: unknown[]) => resolve(args));
    });
    assert.deepEqual(done, [undefined]);
    assert.throws(() => b.io.close({ drain: -1 }), TypeError);
  });
});

describe(
  "graceful drain moves clients to another node with recovery",
  { skip: redisMissing },
  () => {
    let redis: RedisInstance | undefined;

    async function startNodes(count: number): Promise<Node[]> {
      redis ??= await startRedis();
      const r = redis;
      cleanups.push(async () => {
        await r.dispose();
        redis = undefined;
      });
      const key = randomPrefix();
      const nodes: Node[] = [];
      for (let i = 0; i < count; i++) {
        const redisClient = createClient({ url: r.url });
        redisClient.on("error", () => {});
        await redisClient.connect();
        cleanups.push(() => redisClient.quit().catch(() => undefined));
        nodes.push(
          await startNode({
            adapter: createAdapter(redisClient, { streamName: key, sessionKeyPrefix: `${key}:s:` }),
            connectionStateRecovery: { maxDisconnectionDuration: 30_000 },
          }),
        );
      }
      return nodes;
    }

    async function twoNodes(): Promise<{ a: Node; b: Node }> {
      const [a, b] = (await startNodes(2)) as [Node, Node];
      return { a, b };
    }

    for (const kind of ["official", "tether"] as const) {
      it(`the ${kind} client reconnects to the second node and recovers its session and missed packets`, async () => {
        const { a, b } = await twoNodes();
        const proxy = await startSwitchProxy(a.port);
        cleanups.push(() => proxy.close());
        const joined = new Promise<Socket>((resolve) => {
          a.io.on("connection", (s) => {
            s.join("room");
            s.data = { user: "ada" };
            resolve(s);
          });
        });
        const opts = {
          forceNew: true,
          reconnectionDelay: 50,
          reconnectionDelayMax: 100,
          transports: ["websocket" as const],
        };
        const c = kind === "official" ? ioc(proxy.url, opts) : tetherIo(proxy.url, opts);
        cleanups.push(() => c.disconnect());
        const got: number[] = [];
        c.on("seq", (n: number) => got.push(n));
        const first = await joined;
        const firstId = first.id;
        b.io.to("room").emit("seq", 1);
        await waitFor(() => got.length === 1, 5000, "first packet");

        proxy.switchTo(b.port);
        const onB = new Promise<Socket>((resolve) => b.io.on("connection", resolve));
        const reasons: string[] = [];
        c.on("disconnect", (reason: string) => {
          reasons.push(reason);
          // Published while the client is between nodes (once): replayed by B on recovery.
          if (reasons.length === 1) b.io.to("room").emit("seq", 2);
        });
        await a.io.close({ drain: 2000 });
        const second = await onB;
        await waitFor(() => got.length === 2, 5000, "missed packet");
        b.io.to("room").emit("seq", 3);
        await waitFor(() => got.length >= 3, 5000, "live packet");
        assert.deepEqual(reasons, ["transport close"]);
        assert.equal(second.recovered, true);
        assert.equal(second.id, firstId);
        assert.ok(second.rooms.has("room"));
        assert.deepEqual(second.data, { user: "ada" });
        assert.equal(c.recovered, true);
        assert.deepEqual(got, [1, 2, 3]);
      });
    }

    for (const from of ["the node they move to", "a third node"] as const) {
      it(`loses and repeats no packet while ${from} broadcasts fast during the move (polling and websocket)`, async () => {
        const [a, b, c3] = (await startNodes(from === "a third node" ? 3 : 2)) as [
          Node,
          Node,
          Node?,
        ];
        const publisherNode = c3 ?? b;
        const proxy = await startSwitchProxy(a.port, { sticky: true });
        cleanups.push(() => proxy.close());
        a.io.on("connection", (s) => s.join("room"));
        const n = 8;
        const clients = Array.from({ length: n }, (_, i) =>
          ioc(proxy.url, {
            forceNew: true,
            reconnectionDelay: 20,
            reconnectionDelayMax: 50,
            transports: [i % 2 === 0 ? "polling" : "websocket"],
          }),
        );
        for (const c of clients) cleanups.push(() => c.disconnect());
        const got = clients.map(() => [] as number[]);
        clients.forEach((c, i) => {
          c.on("seq", (v: number) => got[i]?.push(v));
        });
        await waitFor(() => clients.every((c) => c.connected), 10_000, "clients on A");
        let seq = 0;
        // A broadcast every 2 ms (pacing, not a wait) so that some land while sessions are restored.
        const publisher = setInterval(() => publisherNode.io.to("room").emit("seq", ++seq), 2);
        cleanups.push(() => clearInterval(publisher));
        await waitFor(() => got.every((g) => g.length >= 5), 10_000, "first packets");
        proxy.switchTo(b.port);
        await a.io.close({ drain: 400 });
        await waitFor(() => clients.every((c) => c.connected && c.recovered), 10_000, "recovered");
        const mark = seq;
        await waitFor(() => got.every((g) => (g.at(-1) ?? 0) >= mark + 20), 10_000, "more packets");
        clearInterval(publisher);
        await waitFor(() => got.every((g) => g.at(-1) === seq), 10_000, "last packet");
        for (const g of got)
          assert.deepEqual(
            g,
            Array.from({ length: seq }, (_, i) => i + 1),
          );
      });
    }
  },
);
