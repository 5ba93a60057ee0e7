/**
 * A Redis Cluster master restarted during traffic, under Tether's sharded pub/sub and Redis
 * Streams adapters (node-redis `createCluster` clients): the master that serves the adapter (the
 * namespace channel's shard, or the stream key's) is killed while a node broadcasts in a loop,
 * then started again with its node config. Every node reports the outage as an adapter `error`,
 * no node crashes, and broadcasts flow again once the master is back.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { eventually } from "../helpers/wait.js";
import { closeClients, connectClient, type NodeHandle, waitForServerCount } from "./harness.js";
import {
  type ClusterNodeSet,
  redisClusterMissing,
  startClusterNodes,
} from "./redis-cluster-server.js";

const sets = new Set<ClusterNodeSet>();
afterEach(async () => {
  closeClients();
  await Promise.all([...sets].map((s) => s.close()));
  sets.clear();
});

const reported = (events: string[]) => events.some((e) => e.startsWith("adapter-error:"));

/** Broadcasts `during` from `node` every 20 ms until `stop()` (at most `max` times). */
function broadcastLoop(node: NodeHandle, max: number) {
  let stopped = false;
  let sent = 0;
  const done = (async () => {
    while (!stopped && sent < max) {
      await node.call("emit", { ev: "during", payload: sent });
      sent++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    get sent() {
      return sent;
    },
    async stop() {
      stopped = true;
      await done;
      return sent;
    },
  };
}

describe("a Redis Cluster master restarted during traffic", { skip: redisClusterMissing }, () => {
  it("sharded pub/sub: every node reports the error, none crashes, and broadcasts (to rooms too) after the restart arrive", async () => {
    const set = await startClusterNodes("redis", 3);
    sets.add(set);
    const { nodes, cluster } = set;
    const [a, b] = nodes as [NodeHandle, NodeHandle];
    await waitForServerCount(nodes, 3);
    const clients = await Promise.all(nodes.map((n) => connectClient(n.url)));
    await a.call("emit", { ev: "before" });
    await Promise.all(clients.map((c) => c.waitFor("before")));

    // The master serving the namespace channel (heartbeats, broadcasts, the node count), and a
    // room whose channel it also serves, in another slot: every node then holds two channels
    // of different slots on that master, which node-redis v4 cannot resubscribe in one command.
    const main = `${set.keyPrefix}#/#`;
    const owner = await cluster.ownerOf(main);
    const mainSlot = await cluster.slotOf(main);
    let room = "";
    for (let i = 0; room === ""; i++) {
      const channel = `${main}room${i}#`;
      const same = (await cluster.ownerOf(channel)) === owner;
      if (same && (await cluster.slotOf(channel)) !== mainSlot) room = `room${i}`;
    }
    await Promise.all(clients.map((c) => c.call("join", room)));
    const loop = broadcastLoop(b, 500);
    await cluster.kill(owner);
    await eventually(
      () => Promise.all(nodes.map((n) => n.call<string[]>("redisEvents"))),
      (all) => all.every(reported),
      "an adapter error on every node",
    );
    await cluster.start(owner);
    const sent = await loop.stop();
    assert.ok(sent > 0);
    assert.ok(
      nodes.every((n) => n.alive),
      "no node crashed",
    );

    // Pub/sub keeps nothing: what was published while a subscriber was away may be lost, so
    // broadcast until every client has one from after the restart.
    let n = 0;
    await eventually(
      async () => {
        await b.call("emit", { ev: "after", payload: n++ });
        await new Promise((r) => setTimeout(r, 50));
        return clients.map((c) => c.received("after").length);
      },
      (counts) => counts.every((c) => c > 0),
      "a broadcast after the restart on every client",
      20_000,
    );
    await eventually(
      async () => {
        await b.call("emit", { rooms: [room], ev: "after-room", payload: n++ });
        await new Promise((r) => setTimeout(r, 50));
        return clients.map((c) => c.received("after-room").length);
      },
      (counts) => counts.every((c) => c > 0),
      "a room broadcast after the restart on every client",
      10_000,
    );
    await waitForServerCount(nodes, 3);
    const fetched = await a.call<{ sockets: unknown[] }>("fetchSockets");
    assert.equal(fetched.sockets.length, 3);
  });

  it("Redis Streams: every node reports the error, none crashes, readers resume and every broadcast arrives in order", async () => {
    const set = await startClusterNodes("redis-streams", 3);
    sets.add(set);
    const { nodes, cluster } = set;
    const [a, b] = nodes as [NodeHandle, NodeHandle];
    await waitForServerCount(nodes, 3);
    const clients = await Promise.all(nodes.map((n) => connectClient(n.url)));
    await a.call("emit", { ev: "before" });
    await Promise.all(clients.map((c) => c.waitFor("before")));

    const owner = await cluster.ownerOf(set.keyPrefix);
    const loop = broadcastLoop(b, 500);
    await cluster.kill(owner);
    await eventually(
      () => Promise.all(nodes.map((n) => n.call<string[]>("redisEvents"))),
      (all) => all.every(reported),
      "an adapter error on every node",
    );
    await cluster.start(owner);
    const sent = await loop.stop();
    assert.ok(
      nodes.every((n) => n.alive),
      "no node crashed",
    );
    // XADDs waiting in node-redis's queue are written once the master is back, and every
    // reader resumes from the last entry it saw.
    const expected = Array.from({ length: sent }, (_, i) => i);
    for (const c of clients) {
      const got = await c.waitFor("during", sent, 20_000);
      assert.deepEqual(
        got.map((args) => args[0]),
        expected,
      );
    }
    await a.call("emit", { ev: "after" });
    await Promise.all(clients.map((c) => c.waitFor("after")));
  });
});
