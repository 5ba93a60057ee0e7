/**
 * The Redis emitter against three server nodes on the Redis pub/sub adapter: messages from a
 * process without a server reach clients and listeners on every node.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { createClient } from "redis";
import { Emitter } from "../../src/emitter/index.js";
import {
  broadcastTests,
  expectJoinLeaveDisconnect,
  expectNoteOnEveryNode,
} from "./emitter-checks.js";
import {
  closeClients,
  connectClient,
  type NodeHandle,
  type NodeSet,
  randomPrefix,
  type TestClient,
  waitForServerCount,
} from "./harness.js";
import { redisBackend } from "./redis-backend.js";
import { redisMissing } from "./redis-server.js";

describe("emitter (Redis pub/sub cluster)", { skip: redisMissing }, () => {
  const prefix = randomPrefix();
  let set: NodeSet;
  let nodes: NodeHandle[];
  let redis: ReturnType<typeof createClient>;
  let emitter: Emitter;
  before(async () => {
    set = await redisBackend("Redis pub/sub", "redis").start(3, { KEY_PREFIX: prefix });
    nodes = set.nodes;
    await waitForServerCount(nodes, 3);
    redis = createClient({ url: set.redis?.url ?? "" });
    await redis.connect();
    emitter = new Emitter(redis, { key: prefix, sharded: true });
  });
  after(async () => {
    closeClients();
    await redis?.disconnect();
    await set?.close();
  });
  afterEach(() => closeClients());

  const spread = (nsp = "/"): Promise<TestClient[]> =>
    Promise.all(nodes.map((n, i) => connectClient(n.url, nsp, { user: `e${i}` })));

  broadcastTests(
    "emits to a room (its own sharded channel) and honours except",
    () => emitter,
    spread,
  );

  it("emits into another namespace with of()", async () => {
    const clients = await spread("/dyn-5");
    await waitForServerCount(nodes, 3, "/dyn-5");
    emitter.of("/dyn-5").emit("in-dyn", true);
    for (const c of clients) await c.waitFor("in-dyn");
  });

  it("makes sockets join and leave rooms, and disconnects them, on every node", async () => {
    await expectJoinLeaveDisconnect(emitter, nodes[0], await spread());
  });

  it("reaches the server-side listeners of every node with serverSideEmit", async () => {
    emitter.serverSideEmit("note", "from-cron");
    await emitter.flush();
    await expectNoteOnEveryNode(nodes);
  });

  it("refuses acknowledgements and reserved event names", () => {
    assert.throws(() => emitter.emit("x", () => {}), { code: "EMITTER_ERR_ACK_NOT_SUPPORTED" });
    assert.throws(() => emitter.emit("disconnect"), { code: "SIO_ERR_RESERVED_EVENT" });
  });
});
