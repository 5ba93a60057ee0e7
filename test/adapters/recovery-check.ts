/**
 * Connection state recovery across nodes on Redis Streams, checked the same way for every
 * cluster: a client's node goes away, the session is in Redis, and the client, sent to a live
 * node, gets its id back with the packets it missed — and only those.
 */
import assert from "node:assert/strict";
import { createClient } from "redis";
import { eventually } from "../helpers/wait.js";
import { connectClient, type NodeHandle, type TestClient } from "./harness.js";

/** How the client's node goes away. */
export type NodeEnd =
  /** A graceful shutdown: the socket closes with a recoverable reason, the adapter stores it. */
  | "close"
  /** Killed: only what was written through before the crash is there. */
  | "kill";

/** Waits until Redis at `url` holds exactly one session key. */
async function waitForOneSession(url: string, what: string): Promise<void> {
  const redis = createClient({ url });
  await redis.connect();
  try {
    const sessions = () => redis.keys("*:session:*");
    await eventually(sessions, (keys) => keys.length === 1, what);
  } finally {
    await redis.disconnect();
  }
}

/**
 * Connects a client to `closing`, ends that node (`end`), and checks the client recovers its
 * session on `survivor` with the missed packets. Resolves with the client.
 */
export async function expectRecoveryOnAnotherNode(
  closing: NodeHandle,
  survivor: NodeHandle,
  redisUrl: string,
  end: NodeEnd,
): Promise<TestClient> {
  const client = await connectClient(closing.url, "/", { user: "roamer" });
  const oldId = client.socket.id;
  await client.call("join", "recov");
  await survivor.call("emit", { rooms: ["recov"], ev: "m", payload: 0 });
  await client.waitFor("m", 1);
  if (end === "kill") await waitForOneSession(redisUrl, "the session written through");
  const disconnected = new Promise<void>((r) => client.socket.once("disconnect", () => r()));
  await (end === "kill" ? closing.kill() : closing.call("close"));
  await disconnected;
  if (end === "close") await waitForOneSession(redisUrl, "the session stored in Redis");
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
  return client;
}
