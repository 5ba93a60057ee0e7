/**
 * Mixed clusters beyond the shared suite: an official socket.io node on the classic protocol
 * stays up while Tether nodes heartbeat next to it (it used to die of an uncaught TypeError on the
 * first one), node counts agree, a killed Tether node stops holding up requests, and connection
 * state recovery sessions are shared on Redis Streams: stored by one implementation, restored
 * with the missed packets by the other.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createClient } from "redis";
import { eventually } from "../helpers/wait.js";
import { connectClient, type NodeHandle, waitForServerCount } from "./harness.js";
import { mixedBackend } from "./mixed-backends.js";
import { closeSetsAfterEach } from "./node-sets.js";
import { expectRecoveryOnAnotherNode } from "./recovery-check.js";
import { redisMissing } from "./redis-server.js";

const track = closeSetsAfterEach();

/** What an official node recorded that would have ended a process without our handlers. */
const fatal = (events: string[]) =>
  events.filter((e) => e.startsWith("uncaught:") || e.startsWith("unhandled:"));

describe("mixed classic pub/sub cluster", { skip: redisMissing }, () => {
  it("keeps an official node up through Tether heartbeats, and every node counts every node", async () => {
    const set = track(await mixedBackend("classic", "TOT").start(3));
    const [, official] = set.nodes as [NodeHandle, NodeHandle, NodeHandle];
    // Several heartbeat rounds of the Tether nodes (every 250 ms) pass on the channels.
    const watcher = createClient({ url: set.redis?.url ?? "" });
    await watcher.connect();
    let seen = 0;
    try {
      await watcher.pSubscribe("*", () => {
        seen++;
      });
      await eventually(
        () => Promise.resolve(seen),
        (n) => n >= 8,
        "heartbeats on the channels",
      );
    } finally {
      await watcher.disconnect();
    }
    assert.deepEqual(fatal(await official.call<string[]>("redisEvents")), []);
    await waitForServerCount(set.nodes, 3);
  });

  it("stops waiting for a killed Tether node while the official node answers", async () => {
    const set = track(
      await mixedBackend("classic", "TOT").start(3, { REQUESTS_TIMEOUT_MS: "8000" }),
    );
    await waitForServerCount(set.nodes, 3);
    const [a, official, c] = set.nodes as [NodeHandle, NodeHandle, NodeHandle];
    await Promise.all(set.nodes.map((n) => connectClient(n.url)));
    await c.kill();
    // Redis drops the dead node's subscriptions at once: the count is 2 on both sides.
    await waitForServerCount([a, official], 2);
    const fetched = await a.call<{ sockets: unknown[]; ms: number }>("fetchSockets");
    assert.equal(fetched.sockets.length, 2);
    assert.ok(fetched.ms < 4000, `fetchSockets took ${fetched.ms} ms`);
    const replies = await a.call<{ err: unknown; replies: Array<{ node: string }> }>(
      "serverSideEmitWithAck",
      { payload: 1 },
    );
    assert.deepEqual(replies.err, null);
    assert.deepEqual(
      replies.replies.map((r) => r.node),
      [official.name],
    );
  });
});

describe(
  "sessions shared by official and Tether nodes (Redis Streams)",
  { skip: redisMissing },
  () => {
    for (const [from, to] of [
      ["socket.io", "Tether"],
      ["Tether", "socket.io"],
    ] as const) {
      it(`restores on a ${to} node, with the missed packets, a session a ${from} node stored`, async () => {
        const set = track(await mixedBackend("streams", "TO").start(2, { RECOVERY: "1" }));
        await waitForServerCount(set.nodes, 2);
        const [tether, official] = set.nodes as [NodeHandle, NodeHandle];
        const [closing, survivor] = from === "socket.io" ? [official, tether] : [tether, official];
        await expectRecoveryOnAnotherNode(closing, survivor, set.redis?.url ?? "", "close");
        assert.deepEqual(fatal(await official.call<string[]>("redisEvents")), []);
      });
    }
  },
);
