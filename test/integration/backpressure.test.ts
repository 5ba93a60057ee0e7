/**
 * Integration: the backpressure policy over real sockets, on both transports (issue 8, "slow
 * consumer"). A stalled client is a raw client that stops reading (polling: no next GET;
 * websocket: paused TCP socket) or, for the official client, a proxy that stops passing the
 * server's bytes on. Over websocket the kernel's loopback buffers take several MB before the
 * server's own buffer grows, so the tests fill them with large payloads first.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { describe, type TestContext, test } from "node:test";
import { type Socket as ClientSocket, io as ioc } from "socket.io-client";
import { Server, type ServerOptions, type Socket } from "../../src/index.js";
import { closeServer, listen, onceEvent, waitFor } from "../helpers/wait.js";
import { type PauseProxy, startPauseProxy } from "../load/slow-consumer/pause-proxy.js";
import { type ReceivedEvent, StalledClient } from "../load/slow-consumer/stalled.js";

type Transport = "polling" | "websocket";
const TRANSPORTS: readonly Transport[] = ["polling", "websocket"];
const KiB = 1024;
const MiB = 1024 * KiB;
/** Upper bound on payloads sent to fill a stalled connection (256 KiB each: 64 MiB). */
const MAX_FILLS = 256;

async function startIo(t: TestContext, opts: ServerOptions): Promise<{ io: Server; port: number }> {
  const http = createServer();
  const io = new Server(http, { serveClient: false, ...opts });
  const port = await listen(http);
  t.after(async () => {
    await io.close();
    await closeServer(http);
  });
  return { io, port };
}

/** Connects a raw client (reading) and returns it with its server-side socket. */
async function rawClient(
  t: TestContext,
  io: Server,
  port: number,
  transport: Transport,
): Promise<{ client: StalledClient; socket: Socket }> {
  const connection = onceEvent<[Socket]>(io, "connection");
  const client = await StalledClient.open(port, transport, {}, false);
  t.after(() => client.destroy());
  const [socket] = await connection;
  // A round trip, so that a polling client has no GET left pending once it stalls.
  socket.emit("hello");
  await client.until(() => names(client.events).includes("hello"), 5000, "hello");
  return { client, socket };
}

/** Stalls the client; a polling GET still in flight is released with a `sync` packet first. */
async function stall(client: StalledClient, socket: Socket): Promise<void> {
  const stopped = client.stall();
  socket.emit("sync");
  await stopped;
}

function names(events: readonly ReceivedEvent[]): string[] {
  return events.map((e) => e.event);
}

/** First argument of each event named `name`, in arrival order. */
function argsOf(events: readonly ReceivedEvent[], name: string): unknown[] {
  return events.filter((e) => e.event === name).map((e) => e.args[0]);
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Emits `fill` payloads of 256 KiB (numbered from 1), one per event-loop turn, until `done()`;
 * returns how many were sent. Fails after MAX_FILLS.
 */
async function fill(socket: Socket, done: () => boolean): Promise<number> {
  let n = 0;
  while (!done()) {
    assert.ok(n < MAX_FILLS, `still not done after ${n} payloads of 256 KiB`);
    n++;
    socket.emit("fill", n, Buffer.alloc(256 * KiB, n & 0xff));
    await turn();
  }
  return n;
}

/** An official client through a {@link startPauseProxy} proxy, with its server-side socket. */
async function officialClient(
  t: TestContext,
  io: Server,
  port: number,
  transport: Transport,
): Promise<{ c: ClientSocket; first: Socket; proxy: PauseProxy }> {
  const proxy = await startPauseProxy(port);
  t.after(() => proxy.close());
  const connection = onceEvent<[Socket]>(io, "connection");
  const c = ioc(proxy.url, {
    forceNew: true,
    transports: [transport],
    reconnectionDelay: 20,
    reconnectionDelayMax: 50,
  });
  t.after(() => c.disconnect());
  await onceEvent(c, "connect");
  const [first] = await connection;
  return { c, first, proxy };
}

/**
 * Emits a 64 KiB `fill` to `socket` each turn until it disconnects (bounded: 1,000 payloads),
 * checking that its buffer never holds more than `limit`; returns how many were sent.
 */
async function fillUntilClosed(socket: Socket, limit: number): Promise<number> {
  const payload = Buffer.alloc(64 * KiB);
  let n = 0;
  while (socket.connected) {
    assert.ok(n < 1000, `still connected after ${n} payloads`);
    socket.emit("fill", payload);
    n++;
    // The first payload went out on an empty queue, let through whole (header + attachment) and
    // on top of the limit: the queue may hold the limit plus that one packet.
    assert.ok(
      socket.bufferedAmount <= limit + payload.length + 64,
      `${socket.bufferedAmount} bytes queued`,
    );
    await turn();
  }
  return n;
}

/** The server-side disconnect was the backpressure policy's. */
function assertBufferFull([reason, description]: [string, unknown]): void {
  assert.equal(reason, "buffer full");
  assert.equal((description as { code?: unknown } | undefined)?.code, "EIO_ERR_BUFFER_FULL");
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

for (const transport of TRANSPORTS) {
  describe(`backpressure over ${transport}`, () => {
    test("socket.bufferedAmount grows while the client is stalled and drain fires once it is written", async (t) => {
      const { io, port } = await startIo(t, {
        backpressure: { highWaterMark: 64 * KiB, maxBufferedBytes: 256 * MiB },
      });
      const { client, socket } = await rawClient(t, io, port, transport);
      assert.equal(socket.bufferedAmount, 0);
      await stall(client, socket);
      const seen: number[] = [];
      const sent = await fill(socket, () => {
        seen.push(socket.bufferedAmount);
        return socket.bufferedAmount >= 2 * MiB;
      });
      // Polling holds everything from the first payload; websocket once the kernel is full.
      // Once one payload is held (from the first one over polling; once the kernel is full over
      // websocket), the amount only grows.
      const from = seen.findIndex((n) => n >= 256 * KiB);
      for (let i = from + 1; i < seen.length; i++)
        assert.ok((seen[i] as number) >= (seen[i - 1] as number), `grows: ${seen.join(",")}`);
      const drained = onceEvent(socket, "drain", 10_000);
      client.resume();
      await drained;
      await waitFor(() => socket.bufferedAmount === 0, 5000, "bufferedAmount back to 0");
      await client.until(() => argsOf(client.events, "fill").length === sent, 10_000, "fills");
      assert.deepEqual(argsOf(client.events, "fill"), range(1, sent));
    });

    test("volatile packets are dropped while the connection is above highWaterMark", async (t) => {
      const highWaterMark = 64 * KiB;
      const { io, port } = await startIo(t, {
        backpressure: { highWaterMark, maxBufferedBytes: 256 * MiB },
      });
      const { client, socket } = await rawClient(t, io, port, transport);
      // Over polling a volatile packet is only sent while a GET waits.
      await waitFor(() => socket.conn.transport.writable, 5000, "writable transport");
      socket.volatile.emit("v", 0);
      await client.until(() => argsOf(client.events, "v").length === 1, 5000, "uncongested v");
      await stall(client, socket);
      const sent = await fill(socket, () => socket.bufferedAmount >= highWaterMark);
      assert.equal(socket.conn.needsDrain, true);
      for (let i = 1; i <= 10; i++) socket.volatile.emit("v", i);
      io.volatile.emit("v", 100);
      io.to(socket.id).volatile.emit("v", 101);
      socket.emit("after");
      client.resume();
      await client.until(() => names(client.events).includes("after"), 10_000, "after");
      assert.deepEqual(argsOf(client.events, "v"), [0]);
      assert.deepEqual(argsOf(client.events, "fill"), range(1, sent));
      assert.equal(names(client.events).at(-1), "after");
    });

    test("latest() keeps only the newest queued value per key while stalled; everything else arrives in order", async (t) => {
      const highWaterMark = 64 * KiB;
      const { io, port } = await startIo(t, {
        backpressure: { highWaterMark, maxBufferedBytes: 256 * MiB },
      });
      const { client, socket } = await rawClient(t, io, port, transport);
      socket.latest().emit("price", 0);
      await client.until(() => argsOf(client.events, "price").length === 1, 5000, "price 0");
      await stall(client, socket);
      const sent = await fill(socket, () => socket.bufferedAmount >= highWaterMark);
      // One turn: nothing is written meanwhile, so every packet below meets the congested queue.
      for (let i = 1; i <= 50; i++) {
        socket.latest().emit("price", i);
        socket.emit("trade", i);
        io.latest("ticker").emit("quote", i);
        io.to(socket.id).latest().emit("bid", i);
      }
      socket.emit("end");
      client.resume();
      await client.until(
        () => ["end", "quote", "bid", "price"].every((n) => names(client.events).includes(n)),
        10_000,
        "end of the stream",
      );
      const events = client.events;
      assert.deepEqual(argsOf(events, "price"), [0, 50]);
      assert.deepEqual(argsOf(events, "quote"), [50]);
      assert.deepEqual(argsOf(events, "bid"), [50]);
      assert.deepEqual(argsOf(events, "trade"), range(1, 50));
      assert.deepEqual(argsOf(events, "fill"), range(1, sent));
      assert.ok(
        names(events).indexOf("fill") < names(events).indexOf("trade"),
        "fills before trades",
      );
    });

    test("binary packets ignore latest(): each one queued while stalled arrives", async (t) => {
      const highWaterMark = 64 * KiB;
      const { io, port } = await startIo(t, {
        backpressure: { highWaterMark, maxBufferedBytes: 256 * MiB },
      });
      const { client, socket } = await rawClient(t, io, port, transport);
      await stall(client, socket);
      const sent = await fill(socket, () => socket.bufferedAmount >= highWaterMark);
      for (let i = 1; i <= 5; i++) socket.latest().emit("frame", i, Buffer.from([i]));
      socket.emit("end");
      client.resume();
      await client.until(() => names(client.events).includes("end"), 10_000, "end");
      assert.deepEqual(argsOf(client.events, "frame"), range(1, 5));
      assert.deepEqual(argsOf(client.events, "fill"), range(1, sent));
    });

    test("one packet larger than maxBufferedBytes is still sent when nothing else is queued", async (t) => {
      const { io, port } = await startIo(t, {
        backpressure: { highWaterMark: 16 * KiB, maxBufferedBytes: 64 * KiB },
      });
      const { client, socket } = await rawClient(t, io, port, transport);
      const reasons: string[] = [];
      socket.on("disconnect", (r) => reasons.push(r));
      const big = "x".repeat(256 * KiB);
      socket.emit("big", big);
      await client.until(() => names(client.events).includes("big"), 5000, "big");
      assert.equal(argsOf(client.events, "big")[0], big);
      assert.deepEqual(reasons, []);
      assert.equal(socket.connected, true);
    });

    test("a client over maxBufferedPackets is disconnected with reason 'buffer full'", async (t) => {
      const { io, port } = await startIo(t, {
        backpressure: { maxBufferedPackets: 50, maxBufferedBytes: 1024 * MiB },
      });
      const { client, socket } = await rawClient(t, io, port, transport);
      const reason = onceEvent<[string, unknown]>(socket, "disconnect", 20_000);
      await stall(client, socket);
      const sent = await fill(socket, () => socket.disconnected);
      assertBufferFull(await reason);
      assert.ok(sent > 25, `${sent} payloads (two packets each) before the limit`);
      assert.equal(io.engine.clientsCount, 0);
    });

    test("a client over maxBufferedBytes is disconnected with 'buffer full' and the official client reconnects by itself", async (t) => {
      const maxBufferedBytes = 1 * MiB;
      const { io, port } = await startIo(t, {
        backpressure: { highWaterMark: 256 * KiB, maxBufferedBytes },
      });
      const { c, first, proxy } = await officialClient(t, io, port, transport);
      const reason = onceEvent<[string, unknown]>(first, "disconnect", 20_000);
      proxy.stall();
      const sent = await fillUntilClosed(first, maxBufferedBytes);
      assertBufferFull(await reason);
      assert.ok(sent * 64 * KiB > maxBufferedBytes, `${sent} payloads of 64 KiB`);
      const reconnected = onceEvent<[Socket]>(io, "connection", 20_000);
      proxy.resume();
      const [second] = await reconnected;
      assert.notEqual(second.id, first.id);
      await waitFor(() => c.connected && c.id === second.id, 5000, "client connected again");
      const got = onceEvent<[string]>(c, "after");
      io.emit("after", "hi");
      assert.deepEqual(await got, ["hi"]);
    });
  });
}
