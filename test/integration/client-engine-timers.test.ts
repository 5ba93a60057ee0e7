/**
 * The Engine.IO client's timers: `useNativeTimers` keeps a fake clock installed after load
 * (@sinonjs/fake-timers) away from the ping deadline; without it the fake clock drives it; with
 * `autoUnref` the timer does not keep Node alive either way.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type InstalledClock, install } from "@sinonjs/fake-timers";
import { WebSocketServer } from "ws";
import { ClientSocket } from "../../src/engine/client/index.js";
import { closeServer, listen, onceEvent } from "../helpers/wait.js";

const self = fileURLToPath(import.meta.url);
/** The environment without the test runner's: the child is a plain program, not a test file. */
const childEnv = () => {
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  return env;
};
const root = join(dirname(self), "../..");

/** A raw WebSocket Engine.IO server that sends the handshake and then never pings. */
async function silentServer(pingInterval: number, pingTimeout: number): Promise<string> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  const handshake = { sid: "s", upgrades: [], pingInterval, pingTimeout, maxPayload: 1e6 };
  wss.on("connection", (ws) => ws.send(`0${JSON.stringify(handshake)}`));
  const port = await listen(http);
  cleanups.push(
    () => closeServer(http),
    () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  );
  return `http://127.0.0.1:${port}`;
}

const cleanups: (() => unknown)[] = [];
/** Captured before any fake clock: a guard for waits the fake clock must not decide. */
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

/** The reason of `c`'s next close, or a rejection after `ms` of real time. */
function nextClose(c: ClientSocket, ms = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const guard = realSetTimeout(() => reject(new Error("no close within 5 s")), ms);
    c.once("close", (reason) => {
      realClearTimeout(guard);
      resolve(reason);
    });
  });
}

if (process.env.ENGINE_TIMERS_CHILD) {
  // Child: connect with autoUnref and stay connected; the process must end on its own.
  const { url, native } = JSON.parse(process.env.ENGINE_TIMERS_CHILD) as {
    url: string;
    native: boolean;
  };
  const c = new ClientSocket(url, {
    transports: ["websocket"],
    autoUnref: true,
    useNativeTimers: native,
  });
  // autoUnref holds nothing while connecting either: keep the child alive until the handshake.
  const keepAlive = setInterval(() => {}, 1_000);
  c.on("open", () => {
    clearInterval(keepAlive);
    process.stdout.write("open\n");
  });
} else {
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  let clock: InstalledClock | undefined;
  const fakeClock = () => {
    clock = install({ toFake: ["setTimeout", "clearTimeout"] });
    return clock;
  };
  after(() => clock?.uninstall());

  test("without useNativeTimers, a fake clock installed after load drives the ping deadline", async () => {
    const url = await silentServer(100, 100);
    const fake = fakeClock();
    try {
      const c = new ClientSocket(url, { transports: ["websocket"] });
      cleanups.push(() => c.close());
      await onceEvent(c, "open");
      // Not onceEvent: its own timeout would run on the fake clock.
      const closed = nextClose(c);
      fake.tick(250);
      assert.equal(c.readyState, "closed");
      assert.equal(await closed, "ping timeout");
    } finally {
      fake.uninstall();
    }
  });

  test("with useNativeTimers, a fake clock installed after load does not drive the ping deadline; real time does", async () => {
    const url = await silentServer(100, 100);
    const fake = fakeClock();
    try {
      const c = new ClientSocket(url, { transports: ["websocket"], useNativeTimers: true });
      cleanups.push(() => c.close());
      await onceEvent(c, "open");
      // Not onceEvent: its own timeout would run on the fake clock.
      const closed = nextClose(c);
      fake.tick(60_000);
      assert.equal(c.readyState, "open");
      assert.equal(await closed, "ping timeout");
    } finally {
      fake.uninstall();
    }
  });

  for (const native of [false, true]) {
    test(`with autoUnref${native ? " and useNativeTimers" : ""}, an open connection does not keep Node running`, async () => {
      // A minute-long ping deadline: a referenced timer would keep the child alive past the limit.
      const url = await silentServer(30_000, 30_000);
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          ["--import", "tsx", self],
          {
            cwd: root,
            timeout: 15_000,
            env: { ...childEnv(), ENGINE_TIMERS_CHILD: JSON.stringify({ url, native }) },
          },
          (err, stdout, stderr) =>
            err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
        ),
      );
      assert.equal(out, "open\n");
    });
  }
}
