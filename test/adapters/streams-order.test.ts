/**
 * Offsets on the Redis Streams adapter only move forward: a client of a node receives that
 * node's own broadcasts in stream order with the entries of the other nodes. socket.io's client
 * recovers from the offset of the last packet it received, so a packet delivered ahead of an
 * earlier entry would be replayed, and received twice, after the next reconnection.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import {
  closeClients,
  connectClient,
  type NodeHandle,
  type NodeSet,
  waitForServerCount,
} from "./harness.js";
import { redisBackend } from "./redis-backend.js";
import { redisMissing } from "./redis-server.js";

const BURST = 200;

/** Stream ids compared as (milliseconds, sequence). */
function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split("-").map(Number);
  const [bm = 0, bs = 0] = b.split("-").map(Number);
  return am - bm || as - bs;
}

let set: NodeSet | undefined;
after(async () => {
  closeClients();
  await set?.close();
});

describe("Redis Streams adapter: delivery order", { skip: redisMissing }, () => {
  it("delivers a node's own broadcasts in stream order with the other nodes' (offsets never go back)", async () => {
    set = await redisBackend("Redis Streams", "redis-streams").start(2, { RECOVERY: "1" });
    const [a, b] = set.nodes as [NodeHandle, NodeHandle];
    await waitForServerCount(set.nodes, 2);
    const client = await connectClient(a.url);
    await client.call("join", "r");
    // Both nodes broadcast at once: the client's node publishes its own while the other node's
    // entries are still on their way through its read loop.
    await Promise.all(
      Array.from({ length: BURST }, (_, i) =>
        Promise.all([
          a.call("emit", { rooms: ["r"], ev: "m", payload: `a${i}` }),
          b.call("emit", { rooms: ["r"], ev: "m", payload: `b${i}` }),
        ]),
      ),
    );
    const got = await client.waitFor("m", 2 * BURST, 20_000);
    const offsets = got.map((args) => String(args[args.length - 1]));
    const backwards = offsets.filter((o, i) => i > 0 && compareIds(o, offsets[i - 1] ?? o) < 0);
    assert.deepEqual(backwards, []);
    assert.equal(new Set(got.map((args) => args[0])).size, 2 * BURST);
  });
});
