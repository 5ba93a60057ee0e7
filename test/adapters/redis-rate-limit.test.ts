/**
 * Cluster-wide key limits: two Tether servers keep a key's token bucket in one (private) Redis
 * through `createRateLimitStore`, so a user's sockets on both nodes share it; idle buckets expire;
 * an unreachable Redis lets events through (fail open).
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import { createClient } from "redis";
import { type Socket as ClientSocket, io as ioc } from "socket.io-client";
import { createRateLimitStore } from "../../src/adapters/redis/index.js";
import { isRefusal, RefusalCodes, Server } from "../../src/index.js";
import { closeServer, listen, onceEvent } from "../helpers/wait.js";
import { type RedisInstance, redisMissing, startRedis } from "./redis-server.js";

describe("cluster-wide rate limits (Redis)", { skip: redisMissing }, () => {
  let redis: RedisInstance;
  const cleanups: (() => unknown)[] = [];
  let urls: string[] = [];
  let client: ReturnType<typeof createClient>;

  before(async () => {
    redis = await startRedis();
    // Without the offline queue, commands fail at once while Redis is down (fail-open test).
    client = createClient({ url: redis.url, disableOfflineQueue: true });
    client.on("error", () => {});
    await client.connect();
    const store = createRateLimitStore(client, { prefix: "test:rl:" });
    for (let i = 0; i < 2; i++) {
      const http = createServer();
      const io = new Server(http);
      io.limit({
        key: { of: (s) => String(s.handshake.auth.user), perSecond: 0.01, burst: 3, store },
      }).on("connection", (s) => s.on("say", (ack: (v: string) => void) => ack("ok")));
      const port = await listen(http);
      urls.push(`http://127.0.0.1:${port}`);
      cleanups.push(async () => {
        await io.close();
        await closeServer(http);
      });
    }
  });

  after(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
    await client.disconnect().catch(() => {});
    await redis.dispose();
    urls = [];
  });

  async function connect(url: string, user: string): Promise<ClientSocket> {
    const c = ioc(url, {
      forceNew: true,
      reconnection: false,
      transports: ["websocket"],
      auth: { user },
    });
    cleanups.push(() => c.disconnect());
    await onceEvent(c, "connect");
    return c;
  }

  it("shares a key's bucket between the sockets of that key on two servers", async () => {
    const [u0, u1] = urls as [string, string];
    const a0 = await connect(u0, "alice");
    const a1 = await connect(u1, "alice");
    const b1 = await connect(u1, "bob");
    assert.equal(await a0.emitWithAck("say"), "ok");
    assert.equal(await a1.emitWithAck("say"), "ok");
    assert.equal(await a0.emitWithAck("say"), "ok");
    const refused = await a1.emitWithAck("say");
    assert.ok(isRefusal(refused));
    assert.equal(refused.code, RefusalCodes.RATE_LIMITED);
    assert.ok((refused.retryAfterMs ?? 0) > 0);
    assert.equal(await b1.emitWithAck("say"), "ok");
    // The bucket expires once it would be full again: Redis keeps nothing for idle keys.
    const ttl = Number(await client.sendCommand(["PTTL", "test:rl:alice"]));
    assert.ok(ttl > 0 && ttl <= 300_000 + 1000, `ttl ${ttl}`);
  });

  it("lets events through while Redis is unreachable (fail open)", async () => {
    const [u0] = urls as [string, string];
    const c = await connect(u0, "carol");
    await redis.kill();
    try {
      for (let i = 0; i < 5; i++) assert.equal(await c.emitWithAck("say"), "ok");
    } finally {
      await redis.start();
    }
  });
});
