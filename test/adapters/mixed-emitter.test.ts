/**
 * Emitters across implementations, on socket.io's classic Redis protocol: Tether's emitter
 * reaching official socket.io nodes (the `socket.io` package with `@socket.io/redis-adapter`),
 * and `@socket.io/redis-emitter` reaching Tether nodes — broadcasts (binary included), rooms,
 * except, namespaces, socketsJoin / socketsLeave, disconnectSockets and serverSideEmit. Plus
 * Tether's emitter in sharded mode reaching official nodes on the sharded adapter.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { Emitter as OfficialEmitter } from "@socket.io/redis-emitter";
import { createClient } from "redis";
import { Emitter as TetherEmitter } from "../../src/emitter/index.js";
import { eventually } from "./adapter-suite.js";
import {
  closeClients,
  connectClient,
  forkMixedNodes,
  type NodeHandle,
  type NodeSet,
  type TestClient,
  waitForServerCount,
} from "./harness.js";
import { type Flavour, mixedEnv, mixedSpecs } from "./mixed-backends.js";
import { type RedisInstance, redisMissing, startRedis } from "./redis-server.js";

type Redis = ReturnType<typeof createClient>;

/** What both emitters offer (their own types differ in generics only). */
interface AnyEmitter {
  emit(ev: string, ...args: unknown[]): unknown;
  to(room: string): AnyEmitter;
  except(room: string): AnyEmitter;
  of(nsp: string): AnyEmitter;
  socketsJoin(room: string): unknown;
  socketsLeave(room: string): unknown;
  disconnectSockets(close?: boolean): unknown;
  serverSideEmit(ev: string, ...args: unknown[]): unknown;
}

function emitterSuite(
  title: string,
  flavour: Flavour,
  layout: string,
  make: (redis: Redis, key: string) => AnyEmitter,
): void {
  describe(title, { skip: redisMissing }, () => {
    let redisServer: RedisInstance;
    let set: NodeSet;
    let nodes: NodeHandle[];
    let redis: Redis;
    let emitter: AnyEmitter;
    before(async () => {
      redisServer = await startRedis();
      const env = { REDIS_URL: redisServer.url, ...mixedEnv(flavour) };
      set = await forkMixedNodes(mixedSpecs(flavour, layout), env);
      nodes = set.nodes;
      await waitForServerCount(nodes, nodes.length);
      redis = createClient({ url: redisServer.url });
      await redis.connect();
      emitter = make(redis, env.KEY_PREFIX);
    });
    after(async () => {
      closeClients();
      await redis?.disconnect();
      await set?.close();
      await redisServer?.dispose();
    });
    afterEach(() => closeClients());

    const spread = (nsp = "/"): Promise<TestClient[]> =>
      Promise.all(
        [0, 1, 2].map((i) =>
          connectClient((nodes[i % nodes.length] as NodeHandle).url, nsp, { user: `e${i}` }),
        ),
      );

    it("emits to every client on every node, binary included", async () => {
      const clients = await spread();
      emitter.emit("from-emitter", "hello", Buffer.from([1, 2, 255]));
      for (const c of clients) {
        const [args] = await c.waitFor("from-emitter");
        assert.equal(args?.[0], "hello");
        assert.deepEqual([...new Uint8Array(args?.[1] as ArrayBuffer)], [1, 2, 255]);
      }
    });

    it("emits to a room and honours except", async () => {
      const clients = await spread();
      const [c0, c1, c2] = clients as [TestClient, TestClient, TestClient];
      await Promise.all([
        c0.call("join", "em-room"),
        c1.call("join", "em-room"),
        c1.call("join", "em-muted"),
      ]);
      emitter.to("em-room").emit("room-msg", 1);
      emitter.to("em-room").except("em-muted").emit("room-msg", 2);
      emitter.emit("marker");
      await Promise.all(clients.map((c) => c.waitFor("marker")));
      await c0.waitFor("room-msg", 2);
      await c1.waitFor("room-msg", 1);
      assert.deepEqual(c0.received("room-msg"), [[1], [2]]);
      assert.deepEqual(c1.received("room-msg"), [[1]]);
      assert.equal(c2.received("room-msg").length, 0);
    });

    it("emits into another namespace with of()", async () => {
      const clients = await spread("/dyn-5");
      const main = await connectClient((nodes[0] as NodeHandle).url);
      emitter.of("/dyn-5").emit("in-dyn", true);
      for (const c of clients) await c.waitFor("in-dyn");
      emitter.emit("marker");
      await main.waitFor("marker");
      assert.equal(main.received("in-dyn").length, 0);
    });

    it("makes sockets join and leave rooms, and disconnects them, on every node", async () => {
      const clients = await spread();
      const count = async (room: string) =>
        (await nodes[0]?.call<{ sockets: unknown[] }>("fetchSockets", { rooms: [room] }))?.sockets
          .length;
      emitter.socketsJoin("em-joined");
      await eventually(
        () => count("em-joined"),
        (n) => n === 3,
        "3 sockets joined",
      );
      emitter.except(clients[0]?.socket.id ?? "").socketsLeave("em-joined");
      await eventually(
        () => count("em-joined"),
        (n) => n === 1,
        "2 sockets left",
      );
      const gone = new Promise<string>((r) => clients[1]?.socket.once("disconnect", r));
      emitter.to(clients[1]?.socket.id ?? "").disconnectSockets();
      assert.equal(await gone, "io server disconnect");
      assert.equal(clients[0]?.socket.connected && clients[2]?.socket.connected, true);
    });

    it("reaches the server-side listeners of every node with serverSideEmit", async () => {
      emitter.serverSideEmit("note", "from-cron");
      for (const n of nodes) {
        await eventually(
          () => n.call<unknown[][]>("serverSideLog"),
          (log) => log.some((a) => a[0] === "from-cron"),
          `note on ${n.name}`,
        );
      }
    });
  });
}

emitterSuite(
  "Tether's emitter → official socket.io nodes (@socket.io/redis-adapter, classic)",
  "classic",
  "OO",
  (redis, key) => new TetherEmitter(redis, { key }) as unknown as AnyEmitter,
);

emitterSuite(
  "@socket.io/redis-emitter → Tether nodes (createAdapter, classic)",
  "classic",
  "TT",
  (redis, key) => new OfficialEmitter(redis, { key }) as unknown as AnyEmitter,
);

emitterSuite(
  "Tether's emitter (sharded) → official socket.io nodes (createShardedAdapter)",
  "sharded",
  "OO",
  (redis, key) => new TetherEmitter(redis, { key, sharded: true }) as unknown as AnyEmitter,
);
