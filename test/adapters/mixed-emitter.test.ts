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
import {
  type AnyEmitter,
  broadcastTests,
  expectJoinLeaveDisconnect,
  expectNoteOnEveryNode,
} from "./emitter-checks.js";
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

    broadcastTests("emits to a room and honours except", () => emitter, spread);

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
      const reason = await expectJoinLeaveDisconnect(emitter, nodes[0], clients);
      assert.equal(reason, "io server disconnect");
      assert.equal(clients[0]?.socket.connected && clients[2]?.socket.connected, true);
    });

    it("reaches the server-side listeners of every node with serverSideEmit", async () => {
      emitter.serverSideEmit("note", "from-cron");
      await expectNoteOnEveryNode(nodes);
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
