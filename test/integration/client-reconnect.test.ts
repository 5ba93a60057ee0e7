/**
 * Reconnection: server restarts on the same port, buffered
 * emits delivered once and in order, auth re-evaluated, `retries` surviving a lost ack.
 */
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { io, type Socket } from "../../src/client/index.js";
import { onceEvent, waitFor } from "../helpers/wait.js";
import { serverKinds, type TestServer } from "./client-servers.js";

const kinds = await serverKinds();
const fast = { reconnectionDelay: 50, reconnectionDelayMax: 200, forceNew: true };

for (const kind of kinds) {
  describe(`reconnection against ${kind.name}`, () => {
    const servers: TestServer[] = [];
    const clients: Socket[] = [];
    afterEach(async () => {
      for (const c of clients.splice(0)) {
        c.io.reconnection(false);
        c.disconnect();
        c.io.engine?.close();
      }
      for (const s of servers.splice(0)) await s.stop();
    });

    test("reconnects after a restart on the same port and flushes emits made while down, once and in order", async () => {
      const received: number[] = [];
      const server = await kind.start({}, (ioServer) =>
        ioServer.on("connection", (s) => s.on("msg", (n: number) => received.push(n))),
      );
      servers.push(server);
      const s = io(server.url, fast);
      clients.push(s);
      await onceEvent(s, "connect");
      const firstEngine = s.io.engine;
      const down = onceEvent<[string]>(s, "disconnect");
      await server.stop();
      const [reason] = await down;
      assert.match(reason, /transport (close|error)/);
      for (let i = 1; i <= 5; i++) s.emit("msg", i);
      s.volatile.emit("msg", 99);
      assert.equal(s.sendBuffer.length, 5);
      const reconnected = onceEvent<[number]>(s.io, "reconnect", 15_000);
      await server.restart();
      const [attempt] = await reconnected;
      assert.ok(attempt >= 1);
      await waitFor(() => received.length >= 5, 10_000, "buffered emits");
      assert.notEqual(s.io.engine, firstEngine);
      assert.deepEqual(received, [1, 2, 3, 4, 5]);
      assert.equal(s.sendBuffer.length, 0);
    });

    test("calls the auth function again before every reconnection", async () => {
      const tokens: unknown[] = [];
      const server = await kind.start({}, (ioServer) =>
        ioServer.on("connection", (s) => tokens.push(s.handshake.auth.n)),
      );
      servers.push(server);
      let n = 0;
      const s = io(server.url, { ...fast, auth: (cb) => cb({ n: ++n }) });
      clients.push(s);
      await onceEvent(s, "connect");
      await server.restart();
      await onceEvent(s, "connect", 15_000);
      assert.deepEqual(tokens, [1, 2]);
    });

    test("retries an emit until acknowledged when the first acknowledgement is lost", async () => {
      let attempts = 0;
      const server = await kind.start({}, (ioServer) =>
        ioServer.on("connection", (s) =>
          s.on("job", (name: string, cb: (r: string) => void) => {
            attempts++;
            if (attempts > 1) cb(`done ${name}`);
          }),
        ),
      );
      servers.push(server);
      const s = io(server.url, { ...fast, retries: 3, ackTimeout: 200 });
      clients.push(s);
      const reply = await s.emitWithAck("job", "a");
      assert.equal(reply, "done a");
      assert.equal(attempts, 2);
    });
  });
}
