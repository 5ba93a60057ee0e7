/**
 * Fault tests of the cluster adapters: a node killed (dropped after the heartbeat timeout,
 * requests stop waiting for it), Redis restarted mid-stream (pub/sub resumes; streams lose
 * nothing), and a client whose node died recovering its session on another node (streams).
 * Redis runs as a private redis-server on a free port, never the machine's shared one.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createClient } from "redis";
import { eventually } from "../helpers/wait.js";
import { type Backend, connectClient, forkWorkers, waitForServerCount } from "./harness.js";
import { closeSetsAfterEach } from "./node-sets.js";
import { expectRecoveryOnAnotherNode } from "./recovery-check.js";
import { redisBackend } from "./redis-backend.js";
import { redisMissing } from "./redis-server.js";

const track = closeSetsAfterEach();

async function start(backend: Backend, count: number, env: Record<string, string> = {}) {
  const set = track(await backend.start(count, env));
  await waitForServerCount(set.nodes, count);
  return set;
}

const crossNode: Backend[] = [
  {
    name: "node:cluster IPC",
    crossNode: true,
    recoveryAcrossNodes: false,
    start: (count, env = {}) => forkWorkers(count, env),
  },
  redisBackend("Redis pub/sub", "redis"),
  redisBackend("Redis Streams", "redis-streams"),
];

interface Fetched {
  sockets: Array<{ id: string }>;
  ms: number;
}

for (const backend of crossNode) {
  describe(`a killed node (${backend.name})`, { skip: backend.skip ?? false }, () => {
    it("is dropped after the heartbeat timeout, and requests stop waiting for it", async () => {
      // Requests would wait 8 s; the heartbeat timeout (1.5 s) must end them much sooner.
      const { nodes } = await start(backend, 3, { REQUESTS_TIMEOUT_MS: "8000" });
      const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];
      const clients = await Promise.all([a, b, c].map((n) => connectClient(n.url)));
      await c.kill();
      const fetched = await a.call<Fetched>("fetchSockets");
      assert.ok(fetched.ms < 6000, `fetchSockets took ${fetched.ms} ms`);
      assert.deepEqual(
        fetched.sockets.map((s) => s.id).sort(),
        [clients[0]?.socket.id, clients[1]?.socket.id].sort(),
      );
      await waitForServerCount([a, b], 2);
      const reply = await a.call<{
        err: string | null;
        replies: Array<{ node: string }>;
        ms: number;
      }>("serverSideEmitWithAck", { payload: 1 });
      assert.equal(reply.err, null);
      assert.deepEqual(
        reply.replies.map((r) => r.node),
        [b.name],
      );
      assert.ok(reply.ms < 6000, `serverSideEmitWithAck took ${reply.ms} ms`);
    });
  });
}

describe("Redis restarted mid-stream", { skip: redisMissing }, () => {
  it("pub/sub: the cluster resumes and later broadcasts arrive", async () => {
    const set = await start(redisBackend("Redis pub/sub", "redis"), 2);
    const [a, b] = set.nodes as [(typeof set.nodes)[0], (typeof set.nodes)[0]];
    const client = await connectClient(a.url);
    await b.call("emit", { ev: "before" });
    await client.waitFor("before");
    await set.redis?.kill();
    await set.redis?.start();
    // Pub/sub keeps nothing: broadcasts published before the subscriber is back may be lost,
    // so keep publishing until one arrives.
    let n = 0;
    await eventually(
      async () => {
        await b.call("emit", { ev: "after", payload: n++ });
        await new Promise((r) => setTimeout(r, 100));
        return client.received("after").length;
      },
      (count) => count > 0,
      "a broadcast after the restart",
      20_000,
    );
  });

  it("streams: nothing published during the outage is lost", async () => {
    const set = await start(redisBackend("Redis Streams", "redis-streams"), 2);
    const [a, b] = set.nodes as [(typeof set.nodes)[0], (typeof set.nodes)[0]];
    const client = await connectClient(a.url);
    await b.call("emit", { ev: "gap", payload: -1 });
    await client.waitFor("gap");
    await set.redis?.kill();
    for (let i = 0; i < 20; i++) await b.call("emit", { ev: "gap", payload: i });
    await set.redis?.start();
    const got = await client.waitFor("gap", 21, 20_000);
    assert.deepEqual(
      got.map((args) => args[0]),
      Array.from({ length: 21 }, (_, i) => i - 1),
    );
  });
});

describe("sharded pub/sub channels", { skip: redisMissing }, () => {
  it("subscribes a node to a room's channel only while it has members in the room", async () => {
    const prefix = `tether-shard-${process.pid}`;
    const set = await start(redisBackend("Redis pub/sub", "redis"), 2, { KEY_PREFIX: prefix });
    const redis = createClient({ url: set.redis?.url ?? "" });
    await redis.connect();
    try {
      const subscribers = async () => {
        const reply = await redis.sendCommand<unknown[]>([
          "PUBSUB",
          "SHARDNUMSUB",
          `${prefix}#/#lonely#`,
        ]);
        return Number(reply[1]);
      };
      const client = await connectClient(set.nodes[0]?.url ?? "");
      assert.equal(await subscribers(), 0);
      await client.call("join", "lonely");
      assert.equal(await subscribers(), 1, "only the node with a member subscribes");
      await client.call("leave", "lonely");
      await eventually(subscribers, (n) => n === 0, "unsubscribed after the last member left");
    } finally {
      await redis.disconnect();
    }
  });
});

describe("connection state recovery across nodes (Redis Streams)", { skip: redisMissing }, () => {
  it("restores the session and missed packets of a client whose node died, on another node", async () => {
    const set = await start(redisBackend("Redis Streams", "redis-streams"), 2, { RECOVERY: "1" });
    const [survivor, doomed] = set.nodes as [(typeof set.nodes)[0], (typeof set.nodes)[0]];
    await expectRecoveryOnAnotherNode(doomed, survivor, set.redis?.url ?? "", "kill");
  });
});
