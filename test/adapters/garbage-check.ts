/**
 * Redis adapters fed garbage, checked the same way for Tether's and socket.io's: two nodes, a
 * client in a room on the second, garbage published on the adapter's own channels or stream,
 * then nothing reaches the client but the real broadcasts, every node answers, and the adapter
 * reported an error.
 */
import assert from "node:assert/strict";
import { createClient } from "redis";
import { eventually } from "../helpers/wait.js";
import { connectClient, type NodeHandle, type NodeSet, type TestClient } from "./harness.js";

/** A connected client of the private Redis. */
export type Redis = ReturnType<typeof createClient>;

/** Not msgpack, not JSON. */
export const NOISE = Buffer.from([0xc1, 0xff, 0x00, 0x7f]);

/**
 * A Redis Streams entry (socket.io-adapter's fields) for a cluster message given as JSON:
 * its `type` and `data` split out, or the text itself as `data` when it is not such a message.
 */
export function streamEntry(json: string): Record<string, string> {
  const m = (() => {
    try {
      return JSON.parse(json) as { type?: unknown; data?: unknown } | null;
    } catch {
      return null;
    }
  })();
  const data = m?.data === undefined ? json : JSON.stringify(m.data);
  return { uid: "x", nsp: "/", type: String(m?.type ?? "3"), data };
}

/** The two nodes of the set and the client connected to the second. */
export interface GarbageScene {
  readonly n0: NodeHandle;
  readonly n1: NodeHandle;
  readonly client: TestClient;
}

/**
 * Feeds `set`'s Redis garbage through `feed` (given a connection and the first node) and checks
 * the cluster is unharmed; `more` adds checks after the client's, before the nodes answer.
 */
export async function expectGarbageHarmless(
  set: NodeSet,
  feed: (redis: Redis, n0: NodeHandle) => Promise<void>,
  more: (scene: GarbageScene) => Promise<void> = async () => {},
): Promise<void> {
  const [n0, n1] = set.nodes as [NodeHandle, NodeHandle];
  const client = await connectClient(n1.url);
  await client.call("join", "room");
  const redis = createClient({ url: set.redis?.url ?? "" });
  await redis.connect();
  try {
    await feed(redis, n0);
  } finally {
    await redis.disconnect();
  }
  await n0.call("emit", { ev: "after", payload: 1 });
  await n0.call("emit", { rooms: ["room"], ev: "after", payload: 2 });
  await client.waitFor("after", 2);
  assert.deepEqual(client.events, [
    { ev: "after", args: [1] },
    { ev: "after", args: [2] },
  ]);
  await more({ n0, n1, client });
  for (const node of set.nodes) assert.equal(await node.call("name"), node.name);
  await eventually(
    () => n1.call<string[]>("redisEvents"),
    (events) => events.some((e) => e.startsWith("adapter-error:")),
    "an adapter error reported",
  );
  assert.equal(n0.alive && n1.alive, true);
}
