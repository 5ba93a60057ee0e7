/**
 * Client behaviours an application written for socket.io-client observes: acknowledgements on
 * disconnection, retries from a `connect` listener, emits made after the ping deadline passed
 * (throttled timers), `useNativeTimers` under a fake clock, the `compress` flag, and the
 * message for a v2 server.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer, type Server as HttpServer } from "node:http";
import { after, afterEach, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import FakeTimers from "@sinonjs/fake-timers";
import { Server as EngineServer } from "engine.io";
import {
  io,
  Manager,
  type ManagerOptions,
  type Socket,
  type SocketOptions,
} from "../../src/client/index.js";
import { closeClients } from "../helpers/client-sockets.js";
import { closeServer, listen, onceEvent } from "../helpers/wait.js";
import { serverKinds, type TestServer } from "./client-servers.js";

// Captured before any fake clock is installed.
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

/** `p`, or a rejection after `ms` of real time. */
function within<T>(p: Promise<T>, ms = 5_000, what = "event"): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = realSetTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    p.then(
      (v) => {
        realClearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        realClearTimeout(t);
        reject(e as Error);
      },
    );
  });
}

const fakeTimerApis: FakeTimers.FakeMethod[] = [
  "setTimeout",
  "clearTimeout",
  "setInterval",
  "clearInterval",
];

const kinds = await serverKinds();
const modes: Record<string, Partial<ManagerOptions>> = {
  polling: { transports: ["polling"] },
  websocket: { transports: ["websocket"] },
};

for (const kind of kinds) {
  describe(`socket.io-client behaviours against ${kind.name}`, () => {
    let server: TestServer;
    const clients: Socket[] = [];
    const connect = (opts: Partial<ManagerOptions> & SocketOptions = {}) => {
      const s = io(server.url, { forceNew: true, transports: ["websocket"], ...opts });
      clients.push(s);
      return s;
    };

    before(async () => {
      server = await kind.start({}, (ioServer) =>
        ioServer.on("connection", (s) => {
          let echoes = 0;
          s.on("echo", (v: unknown, ack: (v: unknown) => void) => {
            echoes++;
            ack(v);
          });
          s.on("echoes", (ack: (n: number) => void) => ack(echoes));
          s.on("kick", () => s.disconnect());
          // "never-acked" has no handler: its acknowledgement never comes.
        }),
      );
    });
    afterEach(() => closeClients(clients));
    after(() => server.stop());

    describe("acknowledgements on disconnection", () => {
      test("emitWithAck without a timeout rejects with 'socket has been disconnected' when the application disconnects", async () => {
        const c = connect();
        await onceEvent(c, "connect");
        const pending = c.emitWithAck("never-acked");
        c.disconnect();
        await assert.rejects(within(pending), { message: "socket has been disconnected" });
      });

      test("emitWithAck without a timeout rejects when the server disconnects the socket", async () => {
        const c = connect();
        await onceEvent(c, "connect");
        const pending = c.emitWithAck("never-acked");
        c.emit("kick");
        await assert.rejects(within(pending), { message: "socket has been disconnected" });
      });

      test("a callback without a timeout is not called on disconnection, and a buffered one is answered after reconnecting", async () => {
        const c = connect();
        await onceEvent(c, "connect");
        const calls: unknown[][] = [];
        c.emit("never-acked", (...a: unknown[]) => calls.push(a));
        c.disconnect();
        const buffered = new Promise<unknown>((r) => c.emit("echo", "later", r));
        const rejected = c.emitWithAck("echo", "buffered too");
        c.connect();
        assert.equal(await within(buffered), "later");
        assert.equal(await within(rejected), "buffered too");
        assert.deepEqual(calls, []);
      });
    });

    test("an emit refused for its reserved name leaves no flag (timeout, error-first ack) to the next emit", async () => {
      const c = connect();
      await onceEvent(c, "connect");
      await assert.rejects(c.timeout(5_000).emitWithAck("connect" as never), {
        message: '"connect" is a reserved event name',
      });
      const args = await within(
        new Promise<unknown[]>((r) => c.emit("echo", 1, (...a: unknown[]) => r(a))),
      );
      assert.deepEqual(args, [1]);
    });

    test("an emit with retries made in a connect listener is sent once", async () => {
      const c = connect({ retries: 3 });
      const acked = new Promise<unknown[]>((r) =>
        c.once("connect", () => c.emit("echo", "once", (...a: unknown[]) => r(a))),
      );
      assert.deepEqual(await within(acked), [null, "once"]);
      // Queued behind the first one: the server has handled every copy of it by now.
      assert.equal(await within(c.emitWithAck("echoes")), 1);
    });

    for (const [mode, transportOpts] of Object.entries(modes)) {
      test(`over ${mode}, when the ping deadline has passed (throttled timers), every emit of a burst is buffered and acknowledged after the reconnection`, async () => {
        const c = connect({ ...transportOpts, reconnectionDelay: 20, reconnectionDelayMax: 50 });
        await onceEvent(c, "connect");
        const order: string[] = [];
        c.io.on("reconnect", () => order.push("reconnect"));
        const realNow = Date.now;
        // The clock jumps past pingInterval + pingTimeout while no timer ran (a sleeping laptop).
        Date.now = () => realNow() + 10 * 60_000;
        try {
          const acks: Promise<unknown>[] = [];
          for (let i = 0; i < 6; i++) {
            acks.push(
              i % 2
                ? c.emitWithAck("echo", i).then((v) => order.push(`ack:${v}`))
                : new Promise((r) => c.emit("echo", i, r)).then((v) => order.push(`ack:${v}`)),
            );
          }
          assert.equal(c.sendBuffer.length, 6);
          await within(Promise.all(acks), 10_000, "acks");
        } finally {
          Date.now = realNow;
        }
        assert.deepEqual(order, [
          "reconnect",
          "ack:0",
          "ack:1",
          "ack:2",
          "ack:3",
          "ack:4",
          "ack:5",
        ]);
      });
    }

    test("socket.compress(false) passes { compress: false } to the engine write, and emits default to true", async () => {
      const c = connect();
      await onceEvent(c, "connect");
      const engine = c.io.engine;
      assert.ok(engine);
      const seen: unknown[] = [];
      const write = engine.write.bind(engine) as (...a: unknown[]) => unknown;
      (engine as unknown as { write: (...a: unknown[]) => unknown }).write = (...a) => {
        seen.push(a[1]);
        return write(...a);
      };
      c.compress(false).emit("echo", 1);
      c.emit("echo", 2);
      assert.deepEqual(seen, [{ compress: false }, { compress: true }]);
    });

    describe("useNativeTimers", () => {
      const clocks: FakeTimers.InstalledClock[] = [];
      const fakeClock = () => {
        const clock = FakeTimers.install({ toFake: fakeTimerApis });
        clocks.push(clock);
        return clock;
      };
      afterEach(() => {
        for (const clock of clocks.splice(0)) clock.uninstall();
      });

      for (const native of [true, false]) {
        const which = native
          ? "with useNativeTimers, a fake clock installed after load does not drive"
          : "without useNativeTimers, a fake clock drives";
        test(`${which} ack timeouts`, async () => {
          const c = connect({ useNativeTimers: native });
          await onceEvent(c, "connect");
          const clock = fakeClock();
          let err: Error | undefined;
          const timedOut = new Promise<void>((r) =>
            c.timeout(50).emit("never-acked", (e: Error) => {
              err = e;
              r();
            }),
          );
          clock.tick(1_000);
          assert.equal(err?.message, native ? undefined : "operation has timed out");
          await within(timedOut);
          assert.equal(err?.message, "operation has timed out");
        });

        test(`${which} the reconnection delay`, async () => {
          const c = connect({ useNativeTimers: native, reconnectionDelay: 50 });
          await onceEvent(c, "connect");
          const clock = fakeClock();
          const closed = onceEvent(c.io, "close");
          let attempts = 0;
          const attempted = new Promise<void>((r) =>
            c.io.on("reconnect_attempt", () => {
              attempts++;
              r();
            }),
          );
          c.io.engine?.close();
          await within(closed);
          clock.tick(1_000);
          assert.equal(attempts, native ? 0 : 1);
          clock.uninstall();
          await within(attempted);
        });

        test(`${which} the connection timeout`, async () => {
          // A server that accepts connections and never answers.
          const silent = createServer(() => {});
          const port = await listen(silent);
          try {
            const clock = fakeClock();
            const m = new Manager(`http://127.0.0.1:${port}`, {
              transports: ["polling"],
              timeout: 50,
              reconnection: false,
              useNativeTimers: native,
            });
            let err: Error | undefined;
            const failed = new Promise<void>((r) =>
              m.once("error", (e) => {
                err = e;
                r();
              }),
            );
            clock.tick(1_000);
            assert.equal(err?.message, native ? undefined : "timeout");
            await within(failed);
            assert.equal(err?.message, "timeout");
            m.engine?.close();
          } finally {
            await closeServer(silent as HttpServer);
          }
        });
      }

      test("with useNativeTimers and autoUnref, a pending reconnection does not keep Node running", async () => {
        const client = fileURLToPath(new URL("../../src/client/index.ts", import.meta.url));
        // Port 1 refuses: the Manager then only waits for its next attempt, a minute away.
        const code = `import(${JSON.stringify(client)}).then(({ Manager }) => {
          new Manager("http://127.0.0.1:1", { useNativeTimers: true, autoUnref: true,
            transports: ["polling"], reconnectionDelay: 60000, reconnectionDelayMax: 60000 });
        });`;
        const child = spawn(process.execPath, ["--import", "tsx", "-e", code], { stdio: "ignore" });
        const exited = new Promise<number | null>((r) => child.once("exit", r));
        try {
          assert.equal(await within(exited, 20_000, "the child to exit"), 0);
        } finally {
          child.kill();
        }
      });
    });
  });
}

describe("a Socket.IO v2 server", () => {
  let http: HttpServer;
  let port: number;
  before(async () => {
    http = createServer();
    const engine = new EngineServer();
    engine.attach(http, { path: "/socket.io/" });
    // A v2 server answers CONNECT with a bare `0` (no session id).
    engine.on("connection", (s: { on(e: string, f: () => void): void; send(d: string): void }) =>
      s.on("message", () => s.send("0")),
    );
    port = await listen(http);
  });
  after(() => closeServer(http));

  test("gives socket.io-client's connect_error message, with the migration link", async () => {
    const c = io(`http://127.0.0.1:${port}`, { forceNew: true, reconnection: false });
    try {
      const [err] = await onceEvent<[Error]>(c, "connect_error");
      assert.equal(
        err.message,
        "It seems you are trying to reach a Socket.IO server in v2.x with a v3.x client, but they are not compatible (more information here: https://socket.io/docs/v3/migrating-from-2-x-to-3-0/)",
      );
    } finally {
      c.disconnect();
    }
  });
});
