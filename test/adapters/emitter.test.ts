/**
 * The Redis emitter against three server nodes on the Redis pub/sub adapter: messages from a
 * process without a server reach clients and listeners on every node.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { createClient } from "redis";
import { Emitter } from "../../src/emitter/index.js";
import { eventually } from "./adapter-suite.js";
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

  it("emits to every client on every node, binary included", async () => {
    const clients = await spread();
    emitter.emit("from-emitter", "hello", Buffer.from([1, 2, 255]));
    for (const c of clients) {
      const [args] = await c.waitFor("from-emitter");
      assert.equal(args?.[0], "hello");
      assert.deepEqual([...new Uint8Array(args?.[1] as ArrayBuffer)], [1, 2, 255]);
    }
  });

  it("emits to a room (its own sharded channel) and honours except", async () => {
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
    await waitForServerCount(nodes, 3, "/dyn-5");
    emitter.of("/dyn-5").emit("in-dyn", true);
    for (const c of clients) await c.waitFor("in-dyn");
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
    const gone = new Promise<void>((r) => clients[1]?.socket.once("disconnect", () => r()));
    emitter.to(clients[1]?.socket.id ?? "").disconnectSockets();
    await gone;
  });

  it("reaches the server-side listeners of every node with serverSideEmit", async () => {
    emitter.serverSideEmit("note", "from-cron");
    await emitter.flush();
    for (const n of nodes) {
      await eventually(
        () => n.call<unknown[][]>("serverSideLog"),
        (log) => log.some((a) => a[0] === "from-cron"),
        `note on ${n.name}`,
      );
    }
  });

  it("refuses acknowledgements and reserved event names", () => {
    assert.throws(() => emitter.emit("x", () => {}), { code: "EMITTER_ERR_ACK_NOT_SUPPORTED" });
    assert.throws(() => emitter.emit("disconnect"), { code: "SIO_ERR_RESERVED_EVENT" });
  });
});
