/**
 * Presence across 3 real node processes on every shared adapter Tether ships (node:cluster IPC,
 * Redis classic and sharded pub/sub, Redis Streams — each Redis one on a private redis-server):
 * the lists agree on every node, a user on two nodes is one key with two metas, a node killed
 * with SIGKILL leaves every other node's view (with a `leaves` diff to clients) within the
 * adapter's node-down timeout, a partition re-converges, and a client recovering its session on
 * another node keeps its entries without a leave/join pair.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PresenceDiff, PresenceState } from "../../src/index.js";
import { startSwitchProxy } from "../helpers/switch-proxy.js";
import { eventually } from "../helpers/wait.js";
import {
  type Backend,
  connectClient,
  forkNodes,
  forkWorkers,
  type NodeHandle,
  randomPrefix,
  type TestClient,
  waitForServerCount,
} from "./harness.js";
import { closeSetsAfterEach } from "./node-sets.js";
import { redisBackend } from "./redis-backend.js";
import { type RedisInstance, redisMissing, startRedis } from "./redis-server.js";

const backends: Backend[] = [
  {
    name: "node:cluster IPC",
    crossNode: true,
    recoveryAcrossNodes: false,
    start: (count, env = {}) => forkWorkers(count, env),
  },
  redisBackend("Redis classic", "redis", { SHARDED: "0" }),
  redisBackend("Redis sharded", "redis"),
  redisBackend("Redis Streams", "redis-streams"),
];

/** Adapter heartbeat timeout of the harness nodes (HEARTBEAT_TIMEOUT_MS default). */
const NODE_DOWN_MS = 1500;

type Summary = Record<string, string[]>;

/** key → sorted "node" metas, comparable across nodes. */
function summary(state: PresenceState): Summary {
  const out: Summary = {};
  for (const key of Object.keys(state).sort()) {
    out[key] = (state[key]?.metas ?? []).map((m) => `${String(m.node)}:${m.socketId}`).sort();
  }
  return out;
}

async function allAgree(nodes: NodeHandle[], room: string, expected: (s: Summary) => boolean) {
  return eventually(
    () =>
      Promise.all(
        nodes.map(async (n) => summary(await n.call<PresenceState>("presence", { rooms: [room] }))),
      ),
    (all) =>
      all.every((s) => JSON.stringify(s) === JSON.stringify(all[0])) && expected(all[0] as Summary),
    `every node lists the same presence of ${room}`,
    15_000,
  );
}

async function track(c: TestClient, room: string, key: string, meta: Record<string, unknown>) {
  const r = await c.call<{ ok?: boolean; code?: string }>("track", room, key, meta);
  assert.equal(r.ok, true, `track: ${r.code}`);
}

const diffs = (c: TestClient) => c.received("presence_diff").map((args) => args[1] as PresenceDiff);

for (const backend of backends) {
  describe(`presence across 3 nodes: ${backend.name}`, { skip: backend.skip ?? false }, () => {
    const keep = closeSetsAfterEach();

    async function start(env: Record<string, string> = {}) {
      const set = keep(await backend.start(3, env));
      await waitForServerCount(set.nodes, 3);
      return set;
    }

    it("lists agree on every node; a user on two nodes is one key with two metas", async () => {
      const { nodes } = await start();
      const [n0, n1, n2] = nodes as [NodeHandle, NodeHandle, NodeHandle];
      const c0 = await connectClient(n0.url, "/", { user: "alice" });
      const c1 = await connectClient(n1.url, "/", { user: "alice" });
      const c2 = await connectClient(n2.url, "/", { user: "bob" });
      await track(c0, "lobby", "alice", { node: n0.name });
      await track(c1, "lobby", "alice", { node: n1.name });
      await track(c2, "lobby", "bob", { node: n2.name });
      const [view] = await allAgree(
        nodes,
        "lobby",
        (s) => s.alice?.length === 2 && s.bob?.length === 1,
      );
      assert.deepEqual(Object.keys(view as Summary), ["alice", "bob"]);
      for (const n of nodes) assert.equal(await n.call("presenceCount", { rooms: ["lobby"] }), 2);
      // Every client ends with the same view from its state and diffs.
      await eventually(
        async () => diffs(c2).flatMap((d) => Object.keys(d.joins)),
        (keys) => keys.filter((k) => k === "alice").length >= 2 || keys.includes("alice"),
        "alice's joins pushed to bob's client on the third node",
      );
      // The namespace event fired on a node that tracked nothing itself.
      const log = await n2.call<Array<[string, PresenceDiff]>>("presenceLog");
      assert.ok(log.some(([room, d]) => room === "lobby" && "alice" in d.joins));
    });

    it("kill -9 of a node removes its entries everywhere within the node-down timeout, with a leaves diff", async () => {
      const { nodes } = await start();
      const [n0, n1, n2] = nodes as [NodeHandle, NodeHandle, NodeHandle];
      const c0 = await connectClient(n0.url, "/", { user: "alice" });
      const c1 = await connectClient(n1.url, "/", { user: "carol" });
      const c2 = await connectClient(n2.url, "/", { user: "bob" });
      await track(c0, "lobby", "alice", { node: n0.name });
      await track(c1, "lobby", "carol", { node: n1.name });
      await track(c2, "lobby", "bob", { node: n2.name });
      await allAgree(nodes, "lobby", (s) => Object.keys(s).length === 3);
      const t0 = Date.now();
      await n2.kill();
      await allAgree([n0, n1], "lobby", (s) => !("bob" in s) && Object.keys(s).length === 2);
      const elapsed = Date.now() - t0;
      // The adapter's node-down timeout, plus one heartbeat period of detection and slack.
      assert.ok(elapsed < NODE_DOWN_MS + 2500, `bob left after ${elapsed} ms`);
      for (const c of [c0, c1]) {
        await eventually(
          async () => diffs(c).some((d) => "bob" in d.leaves),
          (ok) => ok,
          "a leaves diff for bob",
        );
      }
    });

    if (backend.name.startsWith("Redis")) {
      it("a partition re-converges: changes made while Redis was down reach every node after", async () => {
        const set = await start();
        const [n0, n1, n2] = set.nodes as [NodeHandle, NodeHandle, NodeHandle];
        const c0 = await connectClient(n0.url, "/", { user: "alice" });
        const c1 = await connectClient(n1.url, "/", { user: "carol" });
        const c2 = await connectClient(n2.url, "/", { user: "bob" });
        await track(c0, "lobby", "alice", { node: n0.name, v: 1 });
        await track(c1, "lobby", "carol", { node: n1.name });
        await track(c2, "lobby", "bob", { node: n2.name });
        await allAgree(set.nodes, "lobby", (s) => Object.keys(s).length === 3);
        const redis = set.redis;
        assert.ok(redis);
        await redis.kill();
        // Changes on both sides of the cut.
        await c1.call("untrack", "lobby");
        const c0b = await connectClient(n0.url, "/", { user: "dave" });
        await track(c0b, "lobby", "dave", { node: n0.name });
        await redis.start();
        await allAgree(
          set.nodes,
          "lobby",
          (s) => JSON.stringify(Object.keys(s)) === JSON.stringify(["alice", "bob", "dave"]),
        );
      });
    }
  });
}

describe(
  "presence across nodes with connection state recovery: Redis Streams",
  {
    skip: redisBackendSkip(),
  },
  () => {
    const keep = closeSetsAfterEach();
    const backend = redisBackend("Redis Streams", "redis-streams");

    it("a client recovering its session on another node keeps its entries: no leave/join pair", async () => {
      const set = keep(await backend.start(2, { RECOVERY: "1", RECOVERY_MS: "20000" }));
      const [n0, n1] = set.nodes as [NodeHandle, NodeHandle];
      await waitForServerCount(set.nodes, 2);
      const observer = await connectClient(n1.url, "/", { user: "obs" });
      await observer.call("join", "lobby");
      const proxy = await startSwitchProxy(n0.port);
      try {
        const c = await connectClient(proxy.url, "/", { user: "alice", reconnection: true });
        await track(c, "lobby", "alice", { node: "first" });
        await eventually(
          async () => diffs(observer).length,
          (n) => n === 1,
          "alice's join",
        );
        const before = await c.call<{ node: string; id: string }>("whoami");
        // A broadcast gives the client an offset to recover from.
        await n0.call("emit", { ev: "hello" });
        await c.waitFor("hello");
        proxy.switchTo(n1.port);
        c.socket.io.engine.close();
        await eventually(
          () => c.call<{ node: string; id: string; recovered: boolean }>("whoami"),
          (w) => w.node === n1.name && w.recovered,
          "recovered on the second node",
        );
        // The first node hands the entry over and drops its held copy.
        await eventually(
          () => n0.call<{ held: number; entries: number }>("presenceStats"),
          (s) => s.held === 0 && s.entries === 0,
          "the first node released the entry",
        );
        await allAgree(set.nodes, "lobby", (s) => s.alice?.length === 1);
        const state = await n1.call<PresenceState>("presence", { rooms: ["lobby"] });
        assert.equal(state.alice?.metas[0]?.socketId, before.id);
        // A change after the move arrives as the only diff since the join: no leave came before.
        assert.equal(
          (await c.call<{ ok: boolean }>("updatePresence", "lobby", { node: "second" })).ok,
          true,
        );
        await eventually(
          async () => diffs(observer).length,
          (n) => n === 2,
          "the update diff",
        );
        const update = diffs(observer)[1] as PresenceDiff;
        assert.equal(update.leaves.alice?.metas[0]?.node, "first");
        assert.equal(update.joins.alice?.metas[0]?.node, "second");
      } finally {
        await proxy.close();
      }
    });
  },
);

function redisBackendSkip(): string | false {
  return redisBackend("x", "redis-streams").skip ?? false;
}

describe(
  "presence across a node restart at the same address: Redis",
  { skip: redisMissing },
  () => {
    const keep = closeSetsAfterEach();

    it("the restarted node is a new node: the old process's entries time out, the new one's stay", async () => {
      const r: RedisInstance = await startRedis();
      keep({ nodes: [], close: () => r.dispose() });
      const env = { REDIS_URL: r.url, KEY_PREFIX: randomPrefix() };
      const a = keep(await forkNodes("redis", 1, env)).nodes[0] as NodeHandle;
      const b = keep(await forkNodes("redis", 1, env)).nodes[0] as NodeHandle;
      await waitForServerCount([a, b], 2);
      const first = await connectClient(b.url, "/", { user: "alice" });
      await track(first, "lobby", "alice", { process: "first" });
      await allAgree([a, b], "lobby", (s) => s.alice?.length === 1);
      await b.kill();
      // Same port, same name, same Redis and key prefix: only the process is new.
      const b2 = keep(await forkNodes("redis", 1, { ...env, PORT: String(b.port) }))
        .nodes[0] as NodeHandle;
      assert.equal(b2.port, b.port);
      const second = await connectClient(b2.url, "/", { user: "alice" });
      await track(second, "lobby", "alice", { process: "second" });
      // Identical lists on both nodes (same socket ids), one entry for alice: the new one.
      await allAgree([a, b2], "lobby", (s) => s.alice?.length === 1);
      const state = await a.call<PresenceState>("presence", { rooms: ["lobby"] });
      assert.deepEqual(
        state.alice?.metas.map((m) => m.process),
        ["second"],
      );
    });
  },
);
