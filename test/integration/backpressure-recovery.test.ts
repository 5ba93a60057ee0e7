/**
 * Backpressure meets connection state recovery and large packets: a client cut off with
 * "buffer full" gets back every broadcast it missed (the replay is not held to the limits that
 * cut it off), and one packet larger than `maxBufferedBytes` — text or with binary attachments —
 * still reaches a client that reads.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { test } from "node:test";
import { io as ioc } from "socket.io-client";
import { Server, type Socket } from "../../src/index.js";
import { closeServer, listen, onceEvent, waitFor } from "../helpers/wait.js";
import { startPauseProxy } from "../load/slow-consumer/pause-proxy.js";
import { StalledClient } from "../load/slow-consumer/stalled.js";

const KiB = 1024;

for (const transport of ["polling", "websocket"] as const) {
  test(`${transport}: after 'buffer full' the official client recovers every missed broadcast exactly once`, async (t) => {
    const http = createServer();
    const io = new Server(http, {
      serveClient: false,
      connectionStateRecovery: { maxDisconnectionDuration: 60_000 },
      backpressure: { highWaterMark: 256 * KiB, maxBufferedBytes: 1024 * KiB },
    });
    const port = await listen(http);
    const proxy = await startPauseProxy(port);
    const closes: string[] = [];
    io.engine.on("connection", (conn) => conn.on("close", (r) => closes.push(r)));
    const connection = onceEvent<[Socket]>(io, "connection");
    const c = ioc(proxy.url, {
      forceNew: true,
      transports: [transport],
      reconnectionDelay: 20,
      reconnectionDelayMax: 50,
    });
    t.after(async () => {
      c.disconnect();
      await proxy.close();
      await io.close();
      await closeServer(http);
    });
    const got: number[] = [];
    c.on("m", (n: number) => got.push(n));
    await onceEvent(c, "connect");
    const [first] = await connection;
    const reasons: string[] = [];
    first.on("disconnect", (r) => reasons.push(r));
    let seq = 0;
    proxy.stall(); // the client stops reading
    while (first.connected && seq < 1000) {
      io.emit("m", seq++, Buffer.alloc(64 * KiB)); // broadcasts, kept for recovery
      await new Promise((r) => setImmediate(r));
    }
    assert.deepEqual(reasons, ["buffer full"]);
    const recovered = onceEvent<[Socket]>(io, "connection", 20_000);
    proxy.resume();
    const [second] = await recovered;
    assert.equal(second.recovered, true);
    await waitFor(
      () => c.connected,
      5000,
      `client connected (engine closes: ${closes.join(", ")})`,
    );
    await waitFor(() => got.length >= seq, 10_000, "every broadcast");
    assert.deepEqual(
      got,
      Array.from({ length: seq }, (_, i) => i),
    );
    assert.equal(second.connected, true);
  });

  for (const kind of ["text", "binary"] as const) {
    test(`${transport}: one ${kind} emit larger than maxBufferedBytes reaches a reading client, and so does what follows`, async (t) => {
      const http = createServer();
      const io = new Server(http, {
        serveClient: false,
        backpressure: { highWaterMark: 16 * KiB, maxBufferedBytes: 64 * KiB },
      });
      const port = await listen(http);
      t.after(async () => {
        await io.close();
        await closeServer(http);
      });
      const conn = onceEvent<[Socket]>(io, "connection");
      const c = await StalledClient.open(port, transport, {}, false);
      t.after(() => c.destroy());
      const [s] = await conn;
      const reasons: string[] = [];
      s.on("disconnect", (r) => reasons.push(r));
      s.emit("big", kind === "text" ? "x".repeat(256 * KiB) : Buffer.alloc(256 * KiB));
      // Packets sent right behind it get the usual allowance on top of it.
      for (let i = 0; i < 10; i++) s.emit("small", "y".repeat(KiB));
      await c.until(
        () => c.events.filter((e) => e.event === "small").length === 10 || c.isClosed,
        5000,
        "the big packet and the small ones",
      );
      assert.deepEqual(reasons, []);
      assert.equal(c.events.filter((e) => e.event === "big").length, 1);
    });
  }
}
