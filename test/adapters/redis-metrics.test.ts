/**
 * The adapter metrics of `tether-io/metrics` on two Tether nodes sharing a private redis-server
 * through the Redis pub/sub adapter: messages published and received by type, known nodes, the
 * broker round trip of heartbeats, and a cross-node request that times out.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { Registry } from "prom-client";
import { createClient } from "redis";
import { type Socket as ClientSocket, io as ioc } from "socket.io-client";
import { createAdapter } from "../../src/adapters/redis/index.js";
import { Server } from "../../src/index.js";
import { collectMetrics, type ServerMetricsHandle } from "../../src/metrics/index.js";
import { sample, untilSample } from "../helpers/metrics.js";
import { closeServer, listen, onceEvent } from "../helpers/wait.js";
import { type RedisInstance, redisMissing, startRedis } from "./redis-server.js";

interface NodeFixture {
  io: Server;
  register: Registry;
  url: string;
  close(): Promise<void>;
}

async function startNode(redisUrl: string, name: string): Promise<NodeFixture> {
  const pub = createClient({ url: redisUrl });
  const sub = pub.duplicate();
  pub.on("error", () => {});
  sub.on("error", () => {});
  await Promise.all([pub.connect(), sub.connect()]);
  const http = createServer();
  const io = new Server(http, {
    serveClient: false,
    adapter: createAdapter(pub, sub, { heartbeatInterval: 100, requestsTimeout: 300 }),
  });
  const register = new Registry();
  const metrics: ServerMetricsHandle = collectMetrics(io, { register, node: name });
  const port = await listen(http);
  return {
    io,
    register,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      metrics.close();
      await io.close();
      await closeServer(http);
      await Promise.all([pub.quit(), sub.quit()]).catch(() => undefined);
    },
  };
}

describe("tether-io/metrics: Redis adapter traffic", { skip: redisMissing }, () => {
  let redis: RedisInstance;
  let a: NodeFixture;
  let b: NodeFixture;
  const clients: ClientSocket[] = [];

  before(async () => {
    redis = await startRedis();
    a = await startNode(redis.url, "a");
    b = await startNode(redis.url, "b");
  });

  after(async () => {
    for (const c of clients) c.disconnect();
    await a?.close();
    await b?.close();
    await redis?.dispose();
  });

  test("each node counts what it published and received, knows the other and times the broker", async () => {
    await untilSample(a.register, "adapter_nodes", { namespace: "/" }, (v) => v === 2);
    await untilSample(b.register, "adapter_nodes", { namespace: "/" }, (v) => v === 2);
    const c = ioc(b.url, { transports: ["websocket"], reconnection: false });
    clients.push(c);
    await onceEvent(c, "connect");
    const got = onceEvent<[string]>(c, "news");
    a.io.emit("news", "from a");
    assert.deepEqual(await got, ["from a"]);

    assert.ok(
      (await sample(a.register, "adapter_messages_published_total", { type: "broadcast" })) >= 1,
    );
    await untilSample(
      b.register,
      "adapter_messages_received_total",
      { namespace: "/", type: "broadcast" },
      (v) => v >= 1,
    );
    assert.ok(
      (await sample(b.register, "adapter_messages_received_total", { type: "heartbeat" })) >= 1,
    );
    assert.equal(await sample(b.register, "events_sent_total", { event: "news" }), 1);
    assert.equal(await sample(a.register, "events_sent_total", { event: "news" }), 0);
    // Heartbeats every 100 ms come back through Redis to the node that published them.
    await untilSample(
      a.register,
      "adapter_broker_round_trip_seconds_count",
      { namespace: "/" },
      (v) => v >= 1,
    );
    const rtt = await sample(a.register, "adapter_broker_round_trip_seconds_sum");
    const count = await sample(a.register, "adapter_broker_round_trip_seconds_count");
    assert.ok(rtt / count < 1, `mean broker round trip ${rtt / count} s`);
    assert.equal(await sample(a.register, "adapter_publish_errors_total"), 0);
  });

  test("a cross-node request that gets no answer counts as a request timeout", async () => {
    // Node b has a listener that never answers: a's serverSideEmit waits requestsTimeout.
    b.io.on("question", () => {});
    await assert.rejects(a.io.serverSideEmitWithAck("question"));
    assert.equal(await sample(a.register, "adapter_request_timeouts_total", { namespace: "/" }), 1);
    assert.ok(
      (await sample(b.register, "adapter_messages_received_total", { type: "server-side-emit" })) >=
        1,
    );
  });
});
