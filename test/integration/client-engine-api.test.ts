/**
 * The Engine.IO client's API as engine.io-client's: `binaryType`, packet options on
 * `packetCreate`, and `send(data, { compress })` reaching the WebSocket frame (RSV1 bit).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ClientPacket } from "../../src/engine/client/index.js";
import type { EnginePacket, TransportName } from "../../src/protocol/engine.js";
import { engineHarness } from "../helpers/engine-server.js";
import { onceEvent, waitFor } from "../helpers/wait.js";
import { sniffClientFrames } from "../helpers/ws-frames.js";

const { engineServer, client } = engineHarness();

for (const transport of ["polling", "websocket"] as TransportName[]) {
  test(`binaryType 'arraybuffer' delivers exact ArrayBuffers over ${transport}; the default delivers Buffers`, async () => {
    const { eio, url } = await engineServer();
    eio.on("connection", (s) => {
      // Sent together: over websocket the small frames share one TCP read, so `ws` hands out
      // views into a larger buffer (the copy path); over polling they share one payload.
      s.send(Buffer.from([1, 2, 3]));
      s.send(Buffer.from([4, 5]));
    });

    const plain = client(url, { transports: [transport] });
    assert.equal(plain.binaryType, "nodebuffer");
    const defaults: unknown[] = [];
    plain.on("message", (d) => defaults.push(d));

    const ab = client(url, { transports: [transport] });
    ab.binaryType = "arraybuffer";
    const got: unknown[] = [];
    const packets: ClientPacket[] = [];
    ab.on("message", (d) => got.push(d));
    ab.on("packet", (p) => {
      if (p.type === "message") packets.push(p);
    });

    await waitFor(() => got.length === 2 && defaults.length === 2, 5_000, "binary messages");
    for (const d of got)
      assert.ok(d instanceof ArrayBuffer, `got ${Object.prototype.toString.call(d)}`);
    assert.deepEqual(
      got.map((d) => [...new Uint8Array(d as ArrayBuffer)]),
      [
        [1, 2, 3],
        [4, 5],
      ],
    );
    assert.deepEqual(
      packets.map((p) => p.data),
      got,
      "the packet event carries the same ArrayBuffers",
    );
    for (const d of defaults) assert.ok(Buffer.isBuffer(d));
    assert.deepEqual(
      defaults.map((d) => [...(d as Buffer)]),
      [
        [1, 2, 3],
        [4, 5],
      ],
    );
  });
}

test("packetCreate carries each outgoing packet's options, compress defaulting to true", async () => {
  const { eio, url } = await engineServer();
  const received: unknown[] = [];
  eio.on("connection", (s) => s.on("message", (d: unknown) => received.push(d)));
  const c = client(url, { transports: ["websocket"] });
  const created: EnginePacket[] = [];
  c.on("packetCreate", (p) => created.push(p));
  await onceEvent(c, "open");
  let flushed = 0;
  c.send("a", { compress: false });
  c.write("b", {}, () => flushed++);
  c.send("c", () => flushed++);
  await waitFor(() => received.length === 3, 5_000, "messages");
  assert.deepEqual(received, ["a", "b", "c"]);
  assert.deepEqual(created, [
    { type: "message", data: "a", options: { compress: false } },
    { type: "message", data: "b", options: { compress: true } },
    { type: "message", data: "c", options: { compress: true } },
  ]);
  await waitFor(() => flushed === 2, 5_000, "flush callbacks");
});

test("send(data, { compress: false }) goes out as an uncompressed WebSocket frame with permessage-deflate on", async () => {
  const { eio, http, url } = await engineServer({ perMessageDeflate: { threshold: 0 } });
  const frames = sniffClientFrames(http);
  const received: unknown[] = [];
  eio.on("connection", (s) => s.on("message", (d: unknown) => received.push(d)));
  const c = client(url, { transports: ["websocket"], perMessageDeflate: { threshold: 0 } });
  await onceEvent(c, "open");
  const big = (ch: string) => ch.repeat(300);
  c.send(big("a"), { compress: false });
  c.send(big("b"));
  c.write(big("c"), { compress: false });
  c.send(big("d"), { compress: true });
  await waitFor(() => received.length === 4, 5_000, "messages");
  assert.deepEqual(received, [big("a"), big("b"), big("c"), big("d")]);
  assert.deepEqual(frames, [false, true, false, true]);
});
