/**
 * Publishing on the Redis Streams adapter: a burst of broadcasts goes out as batches of
 * entries, each batch appended in one command, so the stream holds them in the order of the
 * calls; where the Redis user may not run scripts, entries go out one `XADD` at a time and the
 * order holds as well.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import { createClient } from "redis";
import { createAdapter } from "../../src/adapters/redis-streams/index.js";
import { io as tetherIo } from "../../src/client/index.js";
import { Server } from "../../src/index.js";
import { closeServer, listen, waitFor } from "../helpers/wait.js";
import { randomPrefix } from "./harness.js";
import { type RedisInstance, redisMissing, startRedis } from "./redis-server.js";

const BURST = 600;

let redis: RedisInstance | undefined;
const cleanups: Array<() => Promise<unknown> | unknown> = [];

before(async () => {
  if (redisMissing) return;
  redis = await startRedis();
  const admin = createClient({ url: redis.url });
  await admin.connect();
  // A user allowed everything but scripts, as some managed services and ACL setups have it.
  await admin.sendCommand([
    "ACL",
    "SETUSER",
    "noscript",
    "on",
    ">pw",
    "~*",
    "&*",
    "+@all",
    "-@scripting",
  ]);
  await admin.quit();
});

after(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
  await redis?.dispose();
});

async function node(url: string, stream: string) {
  const client = createClient({ url });
  client.on("error", () => {});
  await client.connect();
  const http = createServer();
  const io = new Server(http, { adapter: createAdapter(client, { streamName: stream }) });
  const port = await listen(http);
  cleanups.push(async () => {
    await io.close();
    await closeServer(http);
    await client.quit().catch(() => undefined);
  });
  return { io, port };
}

describe("Redis Streams adapter: publishing", { skip: redisMissing }, () => {
  for (const user of ["default", "noscript"] as const) {
    const who = user === "default" ? "a user who may run scripts" : "a user refused scripts";
    it(`a burst of ${BURST} broadcasts reaches another node complete and in call order (${who})`, async () => {
      const r = redis as RedisInstance;
      const stream = randomPrefix();
      const publisherUrl = user === "default" ? r.url : `redis://noscript:pw@127.0.0.1:${r.port}`;
      const a = await node(publisherUrl, stream);
      const b = await node(r.url, stream);
      const c = tetherIo(`http://127.0.0.1:${b.port}`, {
        forceNew: true,
        reconnection: false,
        transports: ["websocket"],
      });
      cleanups.push(() => c.disconnect());
      const got: number[] = [];
      c.on("m", (i: number) => got.push(i));
      await waitFor(() => c.connected, 10_000, "client connected");
      for (let i = 0; i < BURST; i++) a.io.emit("m", i);
      await waitFor(() => got.length >= BURST, 20_000, `${BURST} broadcasts on node B`);
      assert.deepEqual(
        got,
        Array.from({ length: BURST }, (_, i) => i),
      );
    });
  }
});
