/**
 * Integration: `packetCreate` and `packet` on `socket.conn` carry engine.io's packet shape
 * (`{ type, data, options: { compress } }`), for direct emits and broadcasts alike — what
 * monitoring tools such as `@socket.io/admin-ui` count packets and bytes with.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Socket } from "../../src/index.js";
import { waitFor } from "../helpers/wait.js";
import { type Fixture, MODES, next, startServer } from "../interop/server-harness.js";

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

interface Seen {
  type: string;
  data?: unknown;
  options?: unknown;
  keys: string[];
}

function record(list: Seen[]): (p: { type: string; data?: unknown; options?: unknown }) => void {
  return (p) => list.push({ type: p.type, data: p.data, options: p.options, keys: Object.keys(p) });
}

for (const mode of MODES) {
  describe(`engine packet events (${mode})`, () => {
    it("packetCreate sees every outgoing message, socket emits and broadcasts, as { type, data, options: { compress } }", async () => {
      f = await startServer({}, mode);
      const fx = f;
      const conn = next<[Socket]>(fx.io, "connection");
      const c = fx.client();
      await next(c, "connect");
      const [s] = await conn;
      const created: Seen[] = [];
      s.conn.on("packetCreate", record(created));
      const got: string[] = [];
      c.onAny((ev: string) => got.push(ev));
      s.compress(false).emit("direct", 1);
      fx.io.emit("broadcast", "x");
      fx.io.emit("binary", Buffer.from([1, 2, 3]));
      await waitFor(() => got.length === 3, 5000, "three events");
      const messages = created.filter((p) => p.type === "message");
      assert.deepEqual(
        messages.map((p) => [p.data, p.options]),
        [
          ['2["direct",1]', { compress: false }],
          ['2["broadcast","x"]', { compress: true }],
          ['51-["binary",{"_placeholder":true,"num":0}]', { compress: true }],
          [Buffer.from([1, 2, 3]), { compress: true }],
        ],
      );
      assert.ok(Buffer.isBuffer(messages[3]?.data), "binary data is a Buffer");
      // Admin UI: `Buffer.byteLength(data)` for each packet with data.
      const bytes = messages.reduce((n, p) => n + Buffer.byteLength(p.data as string | Buffer), 0);
      assert.equal(bytes, 13 + 18 + 43 + 3);
    });

    it("packet sees every incoming packet as { type, data } with binary as a Buffer", async () => {
      f = await startServer({ pingInterval: 100, pingTimeout: 5000 }, mode);
      const fx = f;
      const conn = next<[Socket]>(fx.io, "connection");
      const c = fx.client();
      await next(c, "connect");
      const [s] = await conn;
      const received: Seen[] = [];
      const created: Seen[] = [];
      s.conn.on("packet", record(received));
      s.conn.on("packetCreate", record(created));
      const done = next(s, "bin");
      c.emit("bin", Uint8Array.from([9, 8]));
      await done;
      await waitFor(() => received.some((p) => p.type === "pong"), 5000, "a pong");
      const messages = received.filter((p) => p.type === "message");
      assert.deepEqual(
        messages.map((p) => p.data),
        ['51-["bin",{"_placeholder":true,"num":0}]', Buffer.from([9, 8])],
      );
      assert.ok(Buffer.isBuffer(messages[1]?.data));
      // Packets without data have no `data` key (engine.io's shape).
      assert.deepEqual(received.find((p) => p.type === "pong")?.keys, ["type"]);
      const ping = created.find((p) => p.type === "ping");
      assert.deepEqual(ping?.keys, ["type", "options"]);
      // engine.io's default for its own packets.
      assert.deepEqual(ping?.options, { compress: true });
    });
  });
}

describe("engine packet events on a broadcast to many sockets", () => {
  it("each recipient's connection sees its own packetCreate for one broadcast", async () => {
    f = await startServer();
    const fx = f;
    const sockets: Socket[] = [];
    const clients = [];
    for (let i = 0; i < 3; i++) {
      const conn = next<[Socket]>(fx.io, "connection");
      const c = fx.client();
      await next(c, "connect");
      sockets.push((await conn)[0]);
      clients.push(c);
    }
    const counts = sockets.map(() => 0);
    sockets.forEach((s, i) => {
      s.conn.on("packetCreate", (p) => {
        if (p.type === "message" && p.options.compress) counts[i] = (counts[i] ?? 0) + 1;
      });
    });
    const arrived = clients.map((c) => next(c, "news"));
    fx.io.emit("news", 1);
    await Promise.all(arrived);
    assert.deepEqual(counts, [1, 1, 1]);
  });
});
