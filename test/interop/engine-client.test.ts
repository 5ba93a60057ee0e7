import assert from "node:assert/strict";
import { createServer } from "node:http";
import { describe, it, type TestContext } from "node:test";
import { Socket as ClientSocket } from "engine.io-client";
import {
  EngineServer,
  type EngineServerOptions,
  type EngineSocket,
} from "../../src/engine/index.js";
import { closeServer, listen, onceEvent, waitFor } from "../helpers/wait.js";

type Mode = { name: string; transports: ("polling" | "websocket")[]; upgrade: boolean };

const MODES: Mode[] = [
  { name: "polling only", transports: ["polling"], upgrade: false },
  { name: "websocket only", transports: ["websocket"], upgrade: false },
  { name: "polling upgraded to websocket", transports: ["polling", "websocket"], upgrade: true },
];

async function setup(t: TestContext, mode: Mode, opts?: EngineServerOptions) {
  const http = createServer();
  const engine = new EngineServer(opts);
  engine.attach(http);
  const port = await listen(http);
  const serverSocket = new Promise<EngineSocket>((resolve) => engine.once("connection", resolve));
  const client = new ClientSocket(`http://127.0.0.1:${port}`, {
    transports: mode.transports,
    upgrade: mode.upgrade,
  });
  t.after(async () => {
    client.close();
    engine.close();
    await closeServer(http);
  });
  await onceEvent(client, "open");
  return { engine, client, socket: await serverSocket };
}

function asBytes(d: unknown): number[] {
  if (typeof d === "string") throw new Error(`expected binary, got ${d}`);
  if (d instanceof ArrayBuffer) return [...new Uint8Array(d)];
  if (ArrayBuffer.isView(d)) return [...new Uint8Array(d.buffer, d.byteOffset, d.byteLength)];
  throw new Error("unexpected data type");
}

for (const mode of MODES) {
  describe(`engine.io-client interop: ${mode.name}`, () => {
    it("uses the expected transport", async (t) => {
      const { client, socket } = await setup(t, mode);
      if (mode.upgrade) {
        await onceEvent(client, "upgrade");
        await waitFor(() => socket.transport.name === "websocket", 10_000, "server upgrade");
      } else {
        assert.equal(client.transport.name, mode.transports[0]);
        assert.equal(socket.transport.name, mode.transports[0]);
      }
    });

    it("carries text and binary messages both ways", async (t) => {
      const { client, socket } = await setup(t, mode);
      const atServer: (string | Buffer)[] = [];
      socket.on("message", (m) => atServer.push(m));
      client.send("hello €");
      client.send(new Uint8Array([1, 2, 255]));
      await waitFor(() => atServer.length === 2, 10_000, "messages at server");
      assert.equal(atServer[0], "hello €");
      assert.deepEqual(asBytes(atServer[1]), [1, 2, 255]);

      const atClient: unknown[] = [];
      client.on("message", (m) => atClient.push(m));
      socket.send("hi 😀");
      socket.send(Buffer.from([0, 128, 7]));
      socket.send(new Uint8Array([5]).buffer);
      await waitFor(() => atClient.length === 3, 10_000, "messages at client");
      assert.equal(atClient[0], "hi 😀");
      assert.deepEqual(asBytes(atClient[1]), [0, 128, 7]);
      assert.deepEqual(asBytes(atClient[2]), [5]);
    });

    it("delivers 1,000 messages each way in order with none lost", async (t) => {
      const { client, socket } = await setup(t, mode);
      const N = 1000;
      const atServer: string[] = [];
      const atClient: string[] = [];
      socket.on("message", (m) => atServer.push(String(m)));
      client.on("message", (m) => atClient.push(String(m)));
      // Sent in several turns, so that an upgrade (when enabled) happens in the middle.
      for (let i = 0; i < N; i++) {
        client.send(`c${i}`);
        socket.send(`s${i}`);
        if (i % 100 === 99) await new Promise<void>((r) => setImmediate(r));
      }
      await waitFor(() => atServer.length >= N && atClient.length >= N, 15_000, "1000 messages");
      assert.deepEqual(
        atServer,
        Array.from({ length: N }, (_, i) => `c${i}`),
      );
      assert.deepEqual(
        atClient,
        Array.from({ length: N }, (_, i) => `s${i}`),
      );
    });

    it("reports a client-side close on both sides", async (t) => {
      const { client, socket } = await setup(t, mode);
      const serverClosed = onceEvent<[string]>(socket, "close");
      const clientClosed = onceEvent<[string]>(client, "close");
      client.close();
      assert.equal((await clientClosed)[0], "forced close");
      assert.equal((await serverClosed)[0], "transport close");
    });

    it("reports a server-side close on both sides", async (t) => {
      const { client, socket } = await setup(t, mode);
      const serverClosed = onceEvent<[string]>(socket, "close");
      const clientClosed = onceEvent<[string]>(client, "close");
      const got = onceEvent<[string]>(client, "message");
      socket.send("goodbye");
      socket.close();
      assert.equal((await got)[0], "goodbye");
      assert.equal((await serverClosed)[0], "forced close");
      assert.equal((await clientClosed)[0], "transport close");
    });

    it("keeps the session alive across heartbeats, and detects a client that stops answering", async (t) => {
      const { client, socket } = await setup(t, mode, { pingInterval: 50, pingTimeout: 1000 });
      let beats = 0;
      socket.on("heartbeat", () => beats++);
      await waitFor(() => beats >= 3, 10_000, "three heartbeats");
      assert.equal(socket.readyState, "open");
      const closed = onceEvent<[string]>(socket, "close");
      // Silence the client's pong replies (it keeps its connection open).
      const internals = client as unknown as { _sendPacket: (type: string) => void };
      const original = internals._sendPacket.bind(client);
      internals._sendPacket = (type: string) => {
        if (type !== "pong") original(type);
      };
      assert.equal((await closed)[0], "ping timeout");
    });
  });
}
