/**
 * Tether's Redis adapters (classic pub/sub, sharded pub/sub, Redis Streams) fed garbage,
 * foreign and truncated messages on their channels: bytes that are neither msgpack nor JSON,
 * cut-off msgpack, well-formed messages with fields of the wrong kind, packets no node ever
 * broadcasts (DISCONNECT, reserved event names), messages of the other protocols. No node
 * crashes or stalls (requests still complete), no client receives anything from them, and the
 * adapter reports the malformed ones as `error` events. Two Tether nodes per adapter.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encode } from "@msgpack/msgpack";
import { expectGarbageHarmless, NOISE, type Redis, streamEntry } from "./garbage-check.js";
import { type NodeHandle, waitForServerCount } from "./harness.js";
import { type Flavour, mixedBackend } from "./mixed-backends.js";
import { closeSetsAfterEach } from "./node-sets.js";
import { redisMissing } from "./redis-server.js";

const pack = (v: unknown) => Buffer.from(encode(v));
/** msgpack `["x", {nsp: "/"}, nil]` cut after its second element's key. */
const TRUNCATED = Buffer.from([0x93, 0xa1, 0x78, 0x81, 0xa3, 0x6e, 0x73, 0x70]);
const OPTS = { rooms: [], except: [] };
/** Broadcasts (classic main channel) that must reach no client. */
const BAD_BROADCASTS = [
  NOISE,
  TRUNCATED,
  pack({}),
  pack(null),
  pack(["x"]),
  pack(["x", { type: 1, nsp: "/" }, OPTS]),
  pack(["x", { type: 2, nsp: "/", data: ["connect"] }, OPTS]),
  pack(["x", { type: 2, nsp: "/", data: "x" }, OPTS]),
  pack(["x", { type: 2, nsp: "/", data: [] }, OPTS]),
  pack(["x", { type: 2, nsp: "/", data: ["e"] }, { rooms: 5 }]),
  pack(["x", { type: 2, nsp: "/", data: ["e"] }, null]),
  // Tether's former own format, and a sharded-protocol message: foreign here.
  pack({ type: "broadcast", uid: "x", nsp: "/", packet: { type: 2, data: ["e"] }, opts: OPTS }),
  '{"uid":"x","nsp":"/","type":3,"data":{"packet":{"type":2,"nsp":"/","data":["e"]},"opts":{"rooms":[],"except":[]}}}',
];
/** socket.io-adapter messages (sharded channels, Streams `data`) that must have no effect. */
const BAD_CLUSTER_MESSAGES = [
  "{",
  "{}",
  "null",
  "[]",
  '{"uid":"x","nsp":"/","type":3}',
  '{"uid":"x","nsp":"/","type":3,"data":{"packet":{"type":2,"nsp":"/","data":"x"},"opts":{"rooms":[],"except":[]}}}',
  '{"uid":"x","nsp":"/","type":3,"data":{"packet":{"type":1,"nsp":"/"},"opts":{"rooms":[],"except":[]}}}',
  '{"uid":"x","nsp":"/","type":3,"data":{"packet":{"type":2,"nsp":"/","data":["connect"]},"opts":{"rooms":[],"except":[]}}}',
  '{"uid":"x","nsp":"/","type":3,"data":{"packet":{"type":2,"nsp":"/","data":["e"]},"opts":{"rooms":5}}}',
  '{"uid":"x","nsp":"/","type":4,"data":{"opts":{"rooms":[],"except":[]},"rooms":42}}',
  '{"uid":"x","nsp":"/","type":6,"data":null}',
  '{"uid":"x","nsp":"/","type":7,"data":{"requestId":"r","opts":null}}',
  '{"uid":"x","nsp":"/","type":8,"data":{"requestId":"r","sockets":"s"}}',
  '{"uid":"x","nsp":"/","type":9,"data":{"requestId":"r","packet":7}}',
  '{"uid":"x","nsp":"/","type":9,"data":{"packet":["connection",1]}}',
  '{"uid":"x","nsp":"/","type":11,"data":{"requestId":"r","clientCount":-1}}',
  '{"uid":"x","nsp":"/","type":99,"data":{}}',
  '{"uid":7,"nsp":"/","type":2}',
  '{"uid":"x","nsp":"nope","type":2}',
];

const cases: Record<Flavour, (redis: Redis, key: string) => Promise<void>> = {
  async classic(redis, key) {
    for (const channel of [`${key}#/#`, `${key}#/#room#`]) {
      for (const message of BAD_BROADCASTS) await redis.publish(channel, message);
    }
    for (const request of [
      "{",
      "null",
      "[1,2]",
      '{"type":5,"requestId":"r","opts":null}',
      '{"type":6,"requestId":"r","data":5}',
      '{"type":6,"data":["connection"]}',
      '{"type":6,"data":[]}',
      '{"type":7,"requestId":"r","opts":null}',
      '{"type":7,"requestId":"r","packet":{"type":1},"opts":{"rooms":[],"except":[]}}',
      '{"type":2,"opts":{"rooms":7}}',
      '{"type":4,"opts":{"rooms":[],"except":"x"},"close":true}',
      '{"type":0}',
      '{"type":"heartbeat"}',
      '{"type":"heartbeat","uid":"x","nsp":"/other"}',
      '{"type":42}',
    ]) {
      await redis.publish(`${key}-request#/#`, request);
    }
    await redis.publish(`${key}-request#/#`, NOISE);
    await redis.publish(`${key}-request#/#`, TRUNCATED);
    for (const response of ['{"requestId":"zz","type":8}', '{"sockets":[1,2]}', "{", "[]"]) {
      await redis.publish(`${key}-response#/#`, response);
    }
    await redis.publish(`${key}-response#/#`, NOISE);
  },
  async sharded(redis, key) {
    for (const channel of [`${key}#/#`, `${key}#/#room#`]) {
      for (const message of BAD_CLUSTER_MESSAGES) await redis.sPublish(channel, message);
      await redis.sPublish(channel, NOISE);
      await redis.sPublish(channel, TRUNCATED);
      await redis.sPublish(channel, pack(["x", { type: 2, nsp: "/", data: ["e"] }, OPTS]));
    }
  },
  async streams(redis, key) {
    const entries: Array<Record<string, string>> = [
      { junk: "1" },
      { uid: "x", nsp: "/", type: "3" },
      { uid: "x", nsp: "/", type: "3", data: "not base64 msgpack" },
      { uid: "x", nsp: "/", type: "3", data: NOISE.toString("base64") },
      { uid: "x", nsp: "/", type: "3", data: TRUNCATED.toString("base64") },
      { uid: "x", type: "3", data: "{}" },
      { m: "tether's former entry field" },
      ...BAD_CLUSTER_MESSAGES.map((json) => ({ uid: "x", nsp: "/", type: "3", data: json })),
      ...BAD_CLUSTER_MESSAGES.map(streamEntry),
    ];
    for (const fields of entries) await redis.xAdd(key, "*", fields);
  },
};

const NAMES: Record<Flavour, string> = {
  classic: "classic pub/sub",
  sharded: "sharded pub/sub",
  streams: "Redis Streams",
};

for (const flavour of ["classic", "sharded", "streams"] as Flavour[]) {
  describe(
    `Tether's Redis adapter (${NAMES[flavour]}), fed garbage`,
    { skip: redisMissing },
    () => {
      const track = closeSetsAfterEach();

      it("keeps every node up and answering, writes nothing to clients, and reports the messages", async () => {
        const set = track(await mixedBackend(flavour, "TT").start(2));
        await waitForServerCount(set.nodes, 2);
        const feed = async (redis: Redis, n0: NodeHandle) =>
          cases[flavour](redis, (await n0.call<string>("keyPrefix")) ?? "");
        await expectGarbageHarmless(set, feed, async ({ n0, n1, client }) => {
          assert.equal(client.socket.connected, true);
          // Requests still complete, with the real answers.
          const fetched = await n0.call<{ sockets: Array<{ id: string }> }>("fetchSockets");
          assert.deepEqual(
            fetched.sockets.map((s) => s.id),
            [client.socket.id],
          );
          const emitted = await n0.call<{ err: unknown; replies: unknown[] }>(
            "serverSideEmitWithAck",
            { payload: 3 },
          );
          assert.deepEqual(emitted, {
            ...emitted,
            err: null,
            replies: [{ node: n1.name, arg: 3 }],
          });
        });
      });
    },
  );
}
