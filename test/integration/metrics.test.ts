/**
 * Integration: every Prometheus metric of `tether-io/metrics` after a scripted scenario, over
 * real sockets — both transports and upgrades, refused handshakes and CONNECTs, events and acks,
 * a stalled client hitting `buffer full`, hostile input hitting limits, a recovery and a drain.
 * Each test has its own server and registry; values are read from the registry as a scrape
 * would (prom-client's `get()`).
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { describe, type TestContext, test } from "node:test";
import { Registry } from "prom-client";
import {
  type Socket as ClientSocket,
  io as ioc,
  type ManagerOptions,
  type SocketOptions,
} from "socket.io-client";
import { WebSocket } from "ws";
import { Server, type ServerOptions, type Socket } from "../../src/index.js";
import { type CollectMetricsOptions, collectMetrics } from "../../src/metrics/index.js";
import { sample, untilSample } from "../helpers/metrics.js";
import { closeServer, listen, onceEvent, waitFor } from "../helpers/wait.js";
import { StalledClient } from "../load/slow-consumer/stalled.js";

const KiB = 1024;

interface Fixture {
  io: Server;
  port: number;
  url: string;
  register: Registry;
  client(nsp?: string, opts?: Partial<ManagerOptions & SocketOptions>): ClientSocket;
}

async function start(
  t: TestContext,
  opts: ServerOptions = {},
  metricsOpts: CollectMetricsOptions = {},
): Promise<Fixture> {
  const http = createServer();
  const io = new Server(http, { serveClient: false, ...opts });
  const register = new Registry();
  const metrics = collectMetrics(io, { register, node: "test", ...metricsOpts });
  const port = await listen(http);
  const url = `http://127.0.0.1:${port}`;
  const clients: ClientSocket[] = [];
  t.after(async () => {
    for (const c of clients) c.disconnect();
    metrics.close();
    await io.close();
    await closeServer(http);
  });
  return {
    io,
    port,
    url,
    register,
    client: (nsp = "/", copts = {}) => {
      const c = ioc(`${url}${nsp}`, { reconnection: false, ...copts });
      clients.push(c);
      return c;
    },
  };
}

/** Resolves with the next server-side socket of namespace `/`, once `c` is connected. */
async function connected(f: Fixture, c: ClientSocket): Promise<Socket> {
  const [socket] = await onceEvent<[Socket]>(f.io, "connection");
  if (!c.connected) await onceEvent(c, "connect");
  return socket;
}

describe("tether-io/metrics: Prometheus metrics after a scripted scenario", () => {
  test("counts sessions by transport, upgrades, closes by reason and sockets by namespace", async (t) => {
    const f = await start(t);
    const ws = f.client("/", { transports: ["websocket"] });
    await connected(f, ws);
    const polling = f.client("/", { transports: ["polling"], forceNew: true });
    const pollingSocket = await connected(f, polling);
    const upgraded = f.client("/", { forceNew: true });
    await connected(f, upgraded);
    await waitFor(() => upgraded.io.engine.transport.name === "websocket", 5000, "upgrade");
    await untilSample(f.register, "engine_upgrades_total", {}, (v) => v === 1);

    assert.equal(await sample(f.register, "engine_connections", { transport: "websocket" }), 2);
    assert.equal(await sample(f.register, "engine_connections", { transport: "polling" }), 1);
    assert.equal(
      await sample(f.register, "engine_connections_opened_total", { transport: "polling" }),
      2,
    );
    assert.equal(
      await sample(f.register, "engine_connections_opened_total", { transport: "websocket" }),
      1,
    );
    assert.equal(await sample(f.register, "sockets", { namespace: "/", node: "test" }), 3);
    assert.equal(await sample(f.register, "sockets_connected_total", { namespace: "/" }), 3);
    assert.ok(
      (await sample(f.register, "engine_packets_received_total", { type: "message" })) >= 3,
    );
    assert.ok((await sample(f.register, "engine_received_bytes_total", { type: "message" })) >= 6);
    assert.ok((await sample(f.register, "engine_packets_sent_total", { type: "open" })) === 3);
    assert.ok((await sample(f.register, "engine_sent_bytes_total", { type: "open" })) > 100);

    const gone = onceEvent(pollingSocket, "disconnect");
    polling.disconnect();
    await gone;
    await untilSample(
      f.register,
      "engine_connections_closed_total",
      { transport: "polling", reason: "transport close" },
      (v) => v === 1,
    );
    assert.equal(
      await sample(f.register, "sockets_disconnected_total", {
        namespace: "/",
        reason: "client namespace disconnect",
      }),
      1,
    );
    assert.equal(await sample(f.register, "sockets", { namespace: "/" }), 2);
    assert.equal(await sample(f.register, "engine_connections", { transport: "polling" }), 0);
  });

  test("counts refused handshakes by Engine.IO code and refused CONNECTs by reason", async (t) => {
    const f = await start(t, {
      allowRequest: (req, cb) => cb(null, !req.url?.includes("deny=1")),
      maxConnectionsPerIp: 1,
    });
    const base = `${f.url}/socket.io/?EIO=4`;
    assert.equal((await fetch(`${base}&transport=polling&deny=1`)).status, 403);
    assert.equal((await fetch(`${base}&transport=carrier-pigeon`)).status, 400);
    f.io.of("/private").use((_s, next) => next(new Error("not allowed")));
    const main = f.client("/");
    await connected(f, main);
    // Same manager, same connection: namespaces multiplexed over the one session.
    const priv = f.client("/private");
    const nope = f.client("/nope");
    await Promise.all([onceEvent(priv, "connect_error"), onceEvent(nope, "connect_error")]);
    // A second session from this address is over maxConnectionsPerIp.
    assert.equal((await fetch(`${base}&transport=polling`)).status, 429);

    assert.equal(await sample(f.register, "engine_handshake_refusals_total", { code: "4" }), 1);
    assert.equal(await sample(f.register, "engine_handshake_refusals_total", { code: "0" }), 1);
    assert.equal(await sample(f.register, "engine_handshake_refusals_total", { code: "6" }), 1);
    assert.equal(await sample(f.register, "limits_hit_total", { limit: "connections_per_ip" }), 1);
    assert.equal(
      await sample(f.register, "connect_refusals_total", {
        namespace: "/private",
        reason: "middleware",
      }),
      1,
    );
    assert.equal(
      await sample(f.register, "connect_refusals_total", {
        namespace: "(none)",
        reason: "invalid namespace",
      }),
      1,
    );
    assert.equal(await sample(f.register, "sockets_connected_total", { namespace: "/private" }), 0);
  });

  test("counts events by name within the cap, and acks: round trips and timeouts", async (t) => {
    const f = await start(t, {}, { maxEventNames: 2 });
    const a = f.client("/", { transports: ["websocket"] });
    const sa = await connected(f, a);
    const b = f.client("/", { transports: ["websocket"], forceNew: true });
    const sb = await connected(f, b);
    let handled = 0;
    for (const name of ["a", "b", "c"]) sa.on(name, () => handled++);
    for (const name of ["a", "a", "b", "c", "no-listener"]) a.emit(name);
    await waitFor(() => handled === 4, 5000, "events handled");
    await untilSample(f.register, "events_received_total", { event: "(other)" }, (v) => v === 2);
    assert.equal(await sample(f.register, "events_received_total", { event: "a" }), 2);
    assert.equal(await sample(f.register, "events_received_total", { event: "b" }), 1);
    assert.equal(await sample(f.register, "events_received_total", { namespace: "/" }), 5);

    // Out: one per recipient.
    sa.emit("hello");
    f.io.emit("news", 1);
    await Promise.all([onceEvent(a, "news"), onceEvent(b, "news")]);
    assert.equal(await sample(f.register, "events_sent_total", { event: "news" }), 2);
    assert.equal(await sample(f.register, "events_sent_total", { event: "hello" }), 1);

    // Acks the server waits for: one answered, one never (timeout), a broadcast answered by one.
    a.on("ping", (ack: (v: string) => void) => ack("pong"));
    b.on("ping", () => {});
    assert.equal(await sa.timeout(2000).emitWithAck("ping"), "pong");
    await assert.rejects(sb.timeout(50).emitWithAck("ping"));
    await assert.rejects(f.io.timeout(100).emitWithAck("ping"));
    await untilSample(f.register, "ack_timeouts_total", { namespace: "/" }, (v) => v === 2);
    assert.equal(await sample(f.register, "ack_duration_seconds_count", { namespace: "/" }), 2);
    const fast = await sample(f.register, "ack_duration_seconds_bucket", { le: "1" });
    assert.equal(fast, 2, "both answered acks took under a second");
    assert.ok((await sample(f.register, "ack_duration_seconds_sum")) < 2);
  });

  test("counts a stalled client's queued bytes, latest-value replacements, volatile drops and its buffer full close", async (t) => {
    const f = await start(t, {
      backpressure: {
        highWaterMark: 1 * KiB,
        maxBufferedPackets: 40,
        maxBufferedBytes: 64 * 1024 * KiB,
      },
    });
    const connection = onceEvent<[Socket]>(f.io, "connection");
    const client = await StalledClient.open(f.port, "polling", {}, false);
    t.after(() => client.destroy());
    const [socket] = await connection;
    socket.emit("hello");
    await client.until(() => client.events.some((e) => e.event === "hello"), 5000, "hello");
    const stalled = client.stall();
    socket.emit("sync");
    await stalled;

    socket.volatile.emit("volatile");
    socket.emit("big", "x".repeat(4 * KiB));
    for (let i = 0; i < 3; i++) socket.latest().emit("price", i);
    assert.equal(await sample(f.register, "volatile_dropped_total", { namespace: "/" }), 1);
    assert.equal(await sample(f.register, "engine_latest_replaced_total"), 2);
    assert.ok((await sample(f.register, "engine_buffered_bytes_max")) > 4 * KiB);
    assert.ok((await sample(f.register, "engine_buffered_bytes")) > 4 * KiB);
    assert.equal(await sample(f.register, "engine_congested_connections"), 1);

    const gone = onceEvent<[string]>(socket, "disconnect");
    for (let i = 0; i < 100 && socket.connected; i++) socket.emit("fill", i);
    assert.equal((await gone)[0], "buffer full");
    assert.equal(await sample(f.register, "limits_hit_total", { limit: "buffer_full" }), 1);
    assert.equal(
      await sample(f.register, "engine_connections_closed_total", {
        transport: "polling",
        reason: "buffer full",
      }),
      1,
    );
    assert.equal(
      await sample(f.register, "sockets_disconnected_total", { reason: "buffer full" }),
      1,
    );
    assert.equal(await sample(f.register, "engine_buffered_bytes"), 0);
  });

  test("counts limits hit by hostile input: nesting depth and message size", async (t) => {
    const f = await start(t, { maxDepth: 2, maxHttpBufferSize: 1000 });
    const open = async (): Promise<WebSocket> => {
      const ws = new WebSocket(`ws://127.0.0.1:${f.port}/socket.io/?EIO=4&transport=websocket`);
      t.after(() => ws.terminate());
      ws.on("error", () => {});
      await onceEvent(ws, "message");
      ws.send("40");
      await onceEvent(ws, "message");
      return ws;
    };
    const deep = await open();
    deep.send('42["e",[[[1]]]]');
    await onceEvent(deep, "close");
    const large = await open();
    large.send(`42["e","${"x".repeat(2000)}"]`);
    await onceEvent(large, "close");
    await untilSample(f.register, "limits_hit_total", { limit: "payload_size" }, (v) => v === 1);
    assert.equal(await sample(f.register, "limits_hit_total", { limit: "payload_depth" }), 1);
    assert.equal(
      await sample(f.register, "decode_errors_total", { code: "SIO_ERR_PAYLOAD_TOO_DEEP" }),
      1,
    );
    assert.equal(await sample(f.register, "limits_hit_total", { limit: "buffer_full" }), 0);
    assert.equal(
      await sample(f.register, "sockets_disconnected_total", { reason: "parse error" }),
      1,
    );
  });

  test("counts connection state recovery attempts and successes", async (t) => {
    const f = await start(t, { connectionStateRecovery: {} });
    const c = f.client("/", {
      reconnection: true,
      reconnectionDelay: 20,
      reconnectionDelayMax: 50,
    });
    const first = await connected(f, c);
    // The client needs an offset (the last event it got) to ask for its session back.
    const got = onceEvent(c, "m");
    f.io.emit("m");
    await got;
    const again = onceEvent<[Socket]>(f.io, "connection");
    c.io.engine.close();
    const [second] = await again;
    assert.equal(second.recovered, true);
    assert.equal(await sample(f.register, "recovery_attempts_total", { namespace: "/" }), 1);
    assert.equal(await sample(f.register, "recovery_successes_total", { namespace: "/" }), 1);
    assert.equal(first.disconnected, true);
    assert.equal(
      await sample(f.register, "sockets_disconnected_total", { reason: "transport close" }),
      1,
    );
  });

  test("reports a drain in progress, the sessions left and the handshakes it refuses", async (t) => {
    const f = await start(t);
    for (let i = 0; i < 3; i++) {
      const c = f.client("/", { transports: ["websocket"], forceNew: true });
      await connected(f, c);
    }
    assert.equal(await sample(f.register, "drain_in_progress"), 0);
    const closing = f.io.close({ drain: 2000 });
    assert.equal(await sample(f.register, "drain_in_progress"), 1);
    assert.equal(await sample(f.register, "drain_sessions_left"), 3);
    const refused = await fetch(`${f.url}/socket.io/?EIO=4&transport=polling`);
    assert.equal(refused.status, 503);
    await closing;
    assert.equal(await sample(f.register, "drain_sessions_left"), 0);
    // Over once no session is left (the closed engine keeps its draining flag).
    assert.equal(await sample(f.register, "drain_in_progress"), 0);
    assert.equal(await sample(f.register, "engine_handshake_refusals_total", { code: "8" }), 1);
    assert.equal(
      await sample(f.register, "sockets_disconnected_total", { reason: "server shutting down" }),
      3,
    );
  });

  test("counts from the start when set up before the server is attached", async (t) => {
    const io = new Server({ serveClient: false });
    const register = new Registry();
    const metrics = collectMetrics(io, { register, defaultMetrics: true });
    const http = createServer();
    io.attach(http);
    const port = await listen(http);
    t.after(async () => {
      metrics.close();
      await io.close();
      await closeServer(http);
    });
    const c = ioc(`http://127.0.0.1:${port}`, { transports: ["websocket"], reconnection: false });
    t.after(() => c.disconnect());
    await onceEvent(c, "connect");
    assert.equal(await sample(register, "engine_connections", { transport: "websocket" }), 1);
    assert.equal(
      await sample(register, "engine_connections_opened_total", { transport: "websocket" }),
      1,
    );
    assert.ok(register.getSingleMetric("process_cpu_seconds_total") !== undefined);
    metrics.close();
    assert.equal(register.getMetricsAsArray().length, 0, "process metrics unregistered too");
  });

  test("stops counting and unregisters its metrics on close", async (t) => {
    const http = createServer();
    const io = new Server(http, { serveClient: false });
    const register = new Registry();
    const metrics = collectMetrics(io, { register });
    const port = await listen(http);
    t.after(async () => {
      await io.close();
      await closeServer(http);
    });
    assert.ok(register.getSingleMetric("tether_sockets") !== undefined);
    assert.throws(() => collectMetrics(io, { register: new Registry() }), /already called/);
    metrics.close();
    assert.equal(register.getMetricsAsArray().length, 0);
    assert.equal(io._probe, undefined);
    assert.equal(io.engine._probe, undefined);
    // A second collector on the same server works again.
    const again = collectMetrics(io, { register, prefix: "again_" });
    const c = ioc(`http://127.0.0.1:${port}`, { transports: ["websocket"], reconnection: false });
    t.after(() => c.disconnect());
    await onceEvent(c, "connect");
    const value = await register.getSingleMetric("again_sockets")?.get();
    assert.equal(value?.values[0]?.value, 1);
    again.close();
  });
});
