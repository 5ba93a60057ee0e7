/**
 * Integration: the WebSocket transport writes small frames straight to the TCP socket (one buffer
 * per frame, cached on a broadcast packet) and leaves large payloads and negotiated extensions to
 * `ws`. Whatever path a frame takes, a real `ws` client must read every frame intact, with its
 * type (text/binary), in the order the packets were sent — including batches mixing both paths,
 * payloads on each side of the 7-bit/16-bit length boundaries, and the Engine.IO v3 binary form.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { describe, it, type TestContext } from "node:test";
import * as wsModule from "ws";
import { WebSocket } from "ws";
import {
  EngineServer,
  type EngineServerOptions,
  type EngineSocket,
} from "../../src/engine/index.js";
import { OutboundPacket } from "../../src/engine/server/outbound.js";
import { encodeFrame, MAX_DIRECT_PAYLOAD } from "../../src/engine/server/ws-frame.js";
import { closeServer, listen, waitFor } from "../helpers/wait.js";

/** `ws`'s frame parser (exported at runtime, absent from @types/ws). */
const { Receiver } = wsModule as unknown as {
  Receiver: new (opts: {
    isServer: boolean;
    maxPayload: number;
  }) => NodeJS.WritableStream & {
    on(ev: "message", fn: (data: Buffer, binary: boolean) => void): void;
    on(ev: "error", fn: (err: Error) => void): void;
  };
};

interface Frame {
  binary: boolean;
  data: Buffer;
}

/** A raw `ws` client on the engine's WebSocket endpoint; collects every frame after the open. */
async function setup(
  t: TestContext,
  opts: EngineServerOptions = {},
  query = "EIO=4",
  clientOpts: ConstructorParameters<typeof WebSocket>[2] = {},
) {
  const http = createServer();
  const engine = new EngineServer({ pingInterval: 60_000, pingTimeout: 60_000, ...opts });
  engine.attach(http);
  const port = await listen(http);
  const session = new Promise<EngineSocket>((resolve) => engine.once("connection", resolve));
  const ws = new WebSocket(
    `ws://127.0.0.1:${port}/engine.io/?${query}&transport=websocket`,
    clientOpts,
  );
  const frames: Frame[] = [];
  ws.on("message", (data: Buffer, binary: boolean) => frames.push({ binary, data }));
  t.after(async () => {
    ws.terminate();
    engine.close();
    await closeServer(http);
  });
  const socket = await session;
  await waitFor(() => frames.length >= 1, 5000, "the open packet");
  frames.shift();
  return { ws, socket, frames };
}

/** Payloads around every length boundary of the frame header, and both sides of the copy limit. */
function payloads(): (string | Buffer)[] {
  return [
    "",
    "a",
    "héllo ✓ 😀",
    "x".repeat(124), // + type digit = 125: the largest 7-bit length
    "x".repeat(125), // 126: the smallest 16-bit length
    "é".repeat(40_000), // multi-byte, 80,001 bytes: beyond the copy limit
    Buffer.from([0, 1, 2, 255]),
    Buffer.alloc(MAX_DIRECT_PAYLOAD, 7), // exactly the limit: still one buffer
    Buffer.alloc(MAX_DIRECT_PAYLOAD + 1, 9), // one byte more: framed by `ws`
    "y".repeat(65_534), // 65,535 bytes: the largest 16-bit length, the last one framed directly
    "y".repeat(65_535), // 65,536 bytes: a 64-bit length, framed by `ws`
    "z".repeat(70_000),
    "last",
  ];
}

function expected(p: string | Buffer): Frame {
  return typeof p === "string"
    ? { binary: false, data: Buffer.from(`4${p}`) }
    : { binary: true, data: p };
}

function assertFrames(got: Frame[], sent: (string | Buffer)[]): void {
  assert.equal(got.length, sent.length);
  got.forEach((f, i) => {
    const want = expected(sent[i] as string | Buffer);
    assert.equal(f.binary, want.binary, `frame ${i} type`);
    assert.ok(f.data.equals(want.data), `frame ${i} content (${f.data.length} bytes)`);
  });
}

describe("WebSocket frames written by the engine", () => {
  it("frames of every size reach a ws client intact and in order when sent in one batch", async (t) => {
    const { socket, frames } = await setup(t);
    const sent = payloads();
    for (const p of sent) socket.send(p);
    await waitFor(() => frames.length === sent.length, 5000, "every frame");
    assertFrames(frames, sent);
  });

  it("frames sent one per tick, and a pre-encoded packet shared by two sessions, arrive intact", async (t) => {
    const a = await setup(t);
    const b = await setup(t);
    const shared = new OutboundPacket("message", "shared ✓");
    const sent = payloads();
    for (const p of sent) {
      a.socket.send(p);
      a.socket.sendPreEncoded(shared);
      b.socket.sendPreEncoded(shared);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(() => a.frames.length === sent.length * 2, 5000, "every frame on a");
    await waitFor(() => b.frames.length === sent.length, 5000, "every frame on b");
    assertFrames(
      a.frames,
      sent.flatMap((p) => [p, "shared ✓"]),
    );
    assertFrames(b.frames, Array(sent.length).fill("shared ✓"));
  });

  it("with permessage-deflate negotiated, ws frames every packet (compressed) in order", async (t) => {
    const { ws, socket, frames } = await setup(
      t,
      { perMessageDeflate: { threshold: 0 } },
      "EIO=4",
      { perMessageDeflate: true },
    );
    assert.match(ws.extensions, /permessage-deflate/);
    const sent = payloads();
    for (const p of sent) socket.send(p);
    await waitFor(() => frames.length === sent.length, 5000, "every frame");
    assertFrames(frames, sent);
  });

  it("Engine.IO v3 sessions get binary frames prefixed by the message type byte", async (t) => {
    const { socket, frames } = await setup(t, { allowEIO3: true }, "EIO=3");
    socket.send(Buffer.from([1, 2, 3]));
    socket.send("text");
    socket.send(Buffer.alloc(MAX_DIRECT_PAYLOAD + 10, 5));
    await waitFor(() => frames.length === 3, 5000, "three frames");
    assert.deepEqual(
      frames.slice(0, 2).map((f) => [f.binary, [...f.data]]),
      [
        [true, [4, 1, 2, 3]],
        [false, [...Buffer.from("4text")]],
      ],
    );
    const big = frames[2] as Frame;
    assert.equal(big.binary, true);
    assert.equal(big.data.length, MAX_DIRECT_PAYLOAD + 11);
    assert.equal(big.data[0], 4);
  });

  it("nothing is written after the client's close frame: the session closes instead", async (t) => {
    const { ws, socket } = await setup(t);
    const closed = new Promise<string>((resolve) =>
      socket.once("close", (reason) => resolve(reason)),
    );
    ws.close();
    // Sent while the server answers the close handshake: dropped with the session, never framed.
    ws.once("close", () => socket.send("late"));
    const reason = await closed;
    assert.match(reason, /transport (close|error)/);
  });
});

describe("encodeFrame", () => {
  /** Decodes frames with ws's own receiver (the parser every ws client uses). */
  function decode(bytes: Buffer): Frame[] {
    const out: Frame[] = [];
    const r = new Receiver({ isServer: false, maxPayload: 1 << 20 });
    r.on("message", (data: Buffer, binary: boolean) => out.push({ binary, data }));
    r.on("error", (err: Error) => {
      throw err;
    });
    r.write(bytes);
    return out;
  }

  it("builds unmasked FIN frames that ws's receiver reads back, at every header size", () => {
    for (const size of [0, 1, 125, 126, 127, 1000, 65_535, MAX_DIRECT_PAYLOAD]) {
      const text = "t".repeat(size);
      const bin = Buffer.alloc(size, 3);
      const frames = decode(
        Buffer.concat([encodeFrame(text) as Buffer, encodeFrame(bin) as Buffer]),
      );
      assert.equal(frames.length, 2, `size ${size}`);
      assert.deepEqual(
        frames.map((f) => [f.binary, f.data.length]),
        [
          [false, size],
          [true, size],
        ],
      );
      assert.ok((frames[0] as Frame).data.equals(Buffer.from(text)));
      assert.ok((frames[1] as Frame).data.equals(bin));
    }
  });

  it("counts UTF-8 bytes, not characters, and leaves payloads beyond the limit to ws", () => {
    const s = "😀é";
    const frame = encodeFrame(s) as Buffer;
    assert.equal(frame[1], 6);
    assert.equal(decode(frame)[0]?.data.toString(), s);
    assert.equal(encodeFrame("x".repeat(MAX_DIRECT_PAYLOAD + 1)), undefined);
    assert.equal(encodeFrame("é".repeat(MAX_DIRECT_PAYLOAD / 2 + 1)), undefined);
    assert.equal(encodeFrame(new Uint8Array(MAX_DIRECT_PAYLOAD + 1)), undefined);
  });

  it("encodes a packet's frame once however many sessions it is written to", () => {
    const p = new OutboundPacket("message", "once");
    assert.equal(p.wsFrame, p.wsFrame);
    assert.ok((p.wsFrame as Buffer).equals(Buffer.from([0x81, 5, ...Buffer.from("4once")])));
  });
});
