/**
 * socket.io's own Redis Streams adapter (`@socket.io/redis-streams-adapter`) running unchanged
 * inside Tether nodes, on a private redis-server: the shared adapter suite, and connection state
 * recovery across nodes (the session the adapter stores in Redis when a node shuts down is
 * restored, with the packets missed meanwhile, by another node).
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { createClient } from "redis";
import { adapterSuite, eventually } from "./adapter-suite.js";
import { closeClients, connectClient, type NodeSet, waitForServerCount } from "./harness.js";
import { redisMissing } from "./redis-server.js";
import { socketIoRedisBackend } from "./socketio-backends.js";

const backend = socketIoRedisBackend(
  "socket.io Redis Streams adapter in Tether",
  "sio-redis-streams",
);

adapterSuite(backend);

describe(
  "connection state recovery across nodes (socket.io Redis Streams adapter in Tether)",
  {
    skip: redisMissing,
  },
  () => {
    let set: NodeSet | undefined;
    afterEach(async () => {
      closeClients();
      await set?.close();
      set = undefined;
    });

    it("restores the session and missed packets of a client whose node shut down, on another node", async () => {
      set = await backend.start(2, { RECOVERY: "1" });
      await waitForServerCount(set.nodes, 2);
      const [survivor, closing] = set.nodes as [(typeof set.nodes)[0], (typeof set.nodes)[0]];
      const client = await connectClient(closing.url, "/", { user: "roamer" });
      const oldId = client.socket.id;
      await client.call("join", "recov");
      await survivor.call("emit", { rooms: ["recov"], ev: "m", payload: 0 });
      await client.waitFor("m", 1);
      const disconnected = new Promise<void>((r) => client.socket.once("disconnect", () => r()));
      // A graceful shutdown: the socket closes with a recoverable reason, the adapter stores it.
      await closing.call("close");
      await disconnected;
      const redis = createClient({ url: set.redis?.url ?? "" });
      await redis.connect();
      try {
        const sessions = () => redis.keys("*:session:*");
        await eventually(sessions, (keys) => keys.length === 1, "the session stored in Redis");
      } finally {
        await redis.disconnect();
      }
      for (let i = 1; i <= 3; i++) {
        await survivor.call("emit", { rooms: ["recov"], ev: "m", payload: i });
      }
      await survivor.call("emit", { rooms: ["elsewhere"], ev: "m", payload: 99 });
      // A load balancer would now send the client to a live node.
      (client.socket.io as unknown as { uri: string }).uri = survivor.url;
      const reconnected = new Promise<void>((r) => client.socket.once("connect", () => r()));
      client.socket.connect();
      await reconnected;
      assert.equal(client.socket.recovered, true);
      assert.equal(client.socket.id, oldId);
      const got = await client.waitFor("m", 4);
      assert.deepEqual(
        got.map((args) => args[0]),
        [0, 1, 2, 3],
      );
      const info = await client.call<{ node: string; recovered: boolean }>("whoami");
      assert.deepEqual([info.node, info.recovered], [survivor.name, true]);
      await survivor.call("emit", { rooms: ["recov"], ev: "m", payload: 4 });
      await client.waitFor("m", 5);
    });
  },
);
