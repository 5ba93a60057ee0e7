/**
 * socket.io's Redis adapters inside Tether nodes, fed garbage, foreign and truncated messages on
 * their own channels (classic pub/sub, sharded pub/sub, the Redis Streams stream): no node
 * crashes or stops serving, no client receives anything from them, and the adapter reports them
 * as `error` events. Two nodes per adapter on a private redis-server.
 */
import { describe, it } from "node:test";
import { expectGarbageHarmless, NOISE, type Redis, streamEntry } from "./garbage-check.js";
import { randomPrefix, waitForServerCount } from "./harness.js";
import { closeSetsAfterEach } from "./node-sets.js";
import { redisMissing } from "./redis-server.js";
import { socketIoRedisBackend } from "./socketio-backends.js";

/** msgpack by hand: `["x", {nsp: "/"}, nil]` (a broadcast without options). */
const TRUNCATED_BROADCAST = Buffer.from([
  0x93, 0xa1, 0x78, 0x81, 0xa3, 0x6e, 0x73, 0x70, 0xa1, 0x2f, 0xc0,
]);

/** ClusterAdapter messages that are valid JSON but malformed (socket.io-adapter's MessageType). */
const CLUSTER_GARBAGE = [
  "{",
  "{}",
  "null",
  '{"uid":"x","nsp":"/","type":3}',
  '{"uid":"x","nsp":"/","type":3,"data":{"packet":{"type":2,"nsp":"/","data":"x"},"opts":{"rooms":[],"except":[]}}}',
  '{"uid":"x","nsp":"/","type":3,"data":{"packet":{"type":2,"nsp":"/","data":["connect"]},"opts":{"rooms":[],"except":[]}}}',
  '{"uid":"x","nsp":"/","type":3,"data":{"packet":{"type":2,"nsp":"/","data":["e"]},"opts":{"rooms":5}}}',
  '{"uid":"x","nsp":"/","type":4,"data":{"opts":{"rooms":[],"except":[]},"rooms":42}}',
  '{"uid":"x","nsp":"/","type":5,"data":{"opts":{"rooms":[],"except":[]},"rooms":"r"}}',
  '{"uid":"x","nsp":"/","type":6,"data":null}',
  '{"uid":"x","nsp":"/","type":7,"data":{"requestId":"r","opts":null}}',
  '{"uid":"x","nsp":"/","type":9,"data":{"requestId":"r","packet":7}}',
  '{"uid":"x","nsp":"/","type":9,"data":{"packet":["connection",1]}}',
  '{"uid":"x","nsp":"/","type":10,"data":null}',
  '{"uid":"x","nsp":"/","type":99,"data":{}}',
];

const cases: Array<{
  backend: "sio-redis" | "sio-redis-sharded" | "sio-redis-streams";
  name: string;
  feed: (redis: Redis, key: string) => Promise<void>;
}> = [
  {
    backend: "sio-redis",
    name: "classic pub/sub",
    async feed(redis, key) {
      for (const channel of [`${key}#/#`, `${key}#/#room#`]) {
        await redis.publish(channel, NOISE);
        await redis.publish(channel, TRUNCATED_BROADCAST);
        await redis.publish(channel, "{}");
      }
      // The request channel (socket.io-redis' RequestType: 5 fetch, 6 serverSideEmit, 7 broadcast).
      for (const request of [
        "{",
        '{"type":5,"requestId":"r","opts":null}',
        '{"type":6,"requestId":"r","data":5}',
        '{"type":6,"data":["connection"]}',
        '{"type":7,"requestId":"r","opts":null}',
        '{"type":2,"opts":{"rooms":7}}',
      ]) {
        await redis.publish(`${key}-request#/#`, request);
      }
      await redis.publish(`${key}-request#/#`, NOISE);
      await redis.publish(`${key}-response#/#`, '{"requestId":"zz","type":8}');
      await redis.publish(`${key}-response#/#`, NOISE);
    },
  },
  {
    backend: "sio-redis-sharded",
    name: "sharded pub/sub",
    async feed(redis, key) {
      for (const message of CLUSTER_GARBAGE) await redis.sPublish(`${key}#/#`, message);
      await redis.sPublish(`${key}#/#`, NOISE);
      await redis.sPublish(`${key}#/#`, TRUNCATED_BROADCAST);
    },
  },
  {
    backend: "sio-redis-streams",
    name: "Redis Streams",
    async feed(redis, key) {
      const entries: Array<Record<string, string>> = [
        { junk: "1" },
        { uid: "x", nsp: "/", type: "3" },
        { uid: "x", nsp: "/", type: "3", data: "not base64 msgpack" },
        ...CLUSTER_GARBAGE.map(streamEntry),
      ];
      for (const fields of entries) await redis.xAdd(key, "*", fields);
    },
  },
];

for (const c of cases) {
  describe(
    `socket.io Redis adapter (${c.name}) in Tether, fed garbage`,
    {
      skip: redisMissing,
    },
    () => {
      const track = closeSetsAfterEach();

      it("keeps every node up and serving, writes nothing to clients, and reports the messages", async () => {
        const key = randomPrefix();
        const backend = socketIoRedisBackend(c.name, c.backend);
        const set = track(await backend.start(2, { KEY_PREFIX: key }));
        await waitForServerCount(set.nodes, 2);
        await expectGarbageHarmless(set, (redis) => c.feed(redis, key));
      });
    },
  );
}
