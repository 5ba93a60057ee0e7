/**
 * An application handler that throws (event listener, `onAny`, `connect`, ack callback, Manager
 * listener) surfaces as an uncaught exception in the application, while the connection keeps
 * receiving: the rest of the payload is delivered, polling stays armed, the WebSocket keeps
 * reading, and no reconnection follows.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import type { Socket as ServerSocket } from "socket.io";
import { io, type ManagerOptions, type Socket } from "../../src/client/index.js";
import { closeClients } from "../helpers/client-sockets.js";
import { onceEvent, waitFor } from "../helpers/wait.js";
import { serverKinds, type TestServer } from "./client-servers.js";

const kinds = await serverKinds();
const modes: Record<string, Partial<ManagerOptions>> = {
  polling: { transports: ["polling"] },
  websocket: { transports: ["websocket"] },
};

/**
 * Runs `body` with this test's own `uncaughtException` listener in place of the runner's (which
 * would fail the test), collecting the messages; the runner's listeners come back afterwards.
 */
async function withUncaught(body: (seen: string[]) => Promise<void>): Promise<string[]> {
  const saved = process.listeners("uncaughtException");
  const seen: string[] = [];
  const mine = (err: Error) => seen.push(err.message);
  process.removeAllListeners("uncaughtException");
  process.on("uncaughtException", mine);
  try {
    await body(seen);
  } finally {
    process.off("uncaughtException", mine);
    for (const l of saved) process.on("uncaughtException", l);
  }
  return seen;
}

const COUNT = 100;
const range = Array.from({ length: COUNT }, (_, i) => i);

/** Sends `boom`, then COUNT numbered events, back to back (one polling payload when polling). */
function burst(s: ServerSocket): void {
  s.emit("boom");
  for (const i of range) s.emit("n", i);
}

/** How each case makes application code throw on the client. */
const cases: Record<string, (client: Socket, fail: () => never) => void> = {
  "an event listener": (c, fail) => {
    c.on("boom", fail);
    c.once("connect", () => c.emit("go"));
  },
  "an onAny listener": (c, fail) => {
    c.onAny((ev) => {
      if (ev === "boom") fail();
    });
    c.once("connect", () => c.emit("go"));
  },
  "a connect listener": (c, fail) => {
    c.once("connect", () => {
      c.emit("go");
      fail();
    });
  },
  "an ack callback": (c, fail) => {
    c.once("connect", () => c.emit("ack-then-go", fail));
  },
  "a Manager open listener": (c, fail) => {
    c.io.once("open", fail);
    c.once("connect", () => c.emit("go"));
  },
};

for (const kind of kinds) {
  for (const [mode, transportOpts] of Object.entries(modes)) {
    describe(`a throwing application handler, against ${kind.name} over ${mode}`, () => {
      let server: TestServer;
      const clients: Socket[] = [];
      before(async () => {
        server = await kind.start({}, (ioServer) =>
          ioServer.on("connection", (s) => {
            s.on("go", () => burst(s));
            s.on("more", () => {
              for (const i of range) s.emit("n", i);
            });
            s.on("ack-then-go", (ack: () => void) => {
              ack();
              burst(s);
            });
          }),
        );
      });
      afterEach(() => closeClients(clients));
      after(() => server.stop());

      for (const [where, arm] of Object.entries(cases)) {
        test(`${where} that throws is an uncaught exception, and the next ${COUNT} events still arrive in order without a reconnection`, async () => {
          const received: number[] = [];
          const events: string[] = [];
          const seen = await withUncaught(async () => {
            const c = io(server.url, { forceNew: true, ...transportOpts });
            clients.push(c);
            c.on("n", (i: number) => received.push(i));
            c.on("disconnect", (r) => events.push(`disconnect:${r}`));
            c.io.on("reconnect_attempt", () => events.push("reconnect_attempt"));
            arm(c, () => {
              throw new Error(`thrown by ${where}`);
            });
            await waitFor(() => received.length >= COUNT, 10_000, `${COUNT} events`);
            // The socket still answers: a round trip after the burst.
            c.emit("more");
            await waitFor(() => received.length >= 2 * COUNT, 10_000, "second burst");
            assert.equal(c.connected, true);
          });
          assert.deepEqual(seen, [`thrown by ${where}`]);
          assert.deepEqual(received, [...range, ...range]);
          assert.deepEqual(events, []);
        });
      }

      test("the uncaught exception keeps its original error object", async () => {
        const boom = new Error("original");
        let caught: unknown;
        const saved = process.listeners("uncaughtException");
        process.removeAllListeners("uncaughtException");
        const got = new Promise<void>((resolve) =>
          process.once("uncaughtException", (e) => {
            caught = e;
            resolve();
          }),
        );
        try {
          const c = io(server.url, { forceNew: true, ...transportOpts });
          clients.push(c);
          c.on("boom", () => {
            throw boom;
          });
          await onceEvent(c, "connect");
          c.emit("go");
          await got;
        } finally {
          for (const l of saved) process.on("uncaughtException", l);
        }
        assert.equal(caught, boom);
      });
    });
  }
}
