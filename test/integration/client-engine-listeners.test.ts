/**
 * A listener of the Engine.IO client that throws: its error must reach the application as an
 * uncaught exception while the connection keeps receiving, in order.
 *
 * An uncaught exception in the test process would fail the test run, so the scenarios run in a
 * child process (this same file, with `ENGINE_LISTENER_CHILD` set) that records uncaught
 * exceptions and prints what it saw; the tests below judge that report.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Server } from "engine.io";
import type { TransportName } from "../../src/protocol/engine.js";

const self = fileURLToPath(import.meta.url);
/** The environment without the test runner's: the child is a plain program, not a test file. */
const childEnv = () => {
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  return env;
};
const root = join(dirname(self), "../..");
/** Messages the server sends after the client's `go`: m0 … m100. */
const COUNT = 101;
const expected = (from: number) => Array.from({ length: COUNT - from }, (_, i) => `m${i + from}`);

/** What one scenario observed in the child. */
interface Report {
  got: string[];
  uncaught: string[];
  closes: string[];
  readyState: string;
  sameSession: boolean;
}

type Throwing = "message" | "data" | "packet" | "open" | "handshake";

/** Child side: one server, one client per scenario; prints one JSON report per scenario. */
async function child(): Promise<void> {
  const { ClientSocket } = await import("../../src/engine/client/index.js");
  const uncaught: string[] = [];
  process.on("uncaughtException", (err) => uncaught.push(String((err as Error).message)));
  const http = createServer();
  const eio = new Server({ pingInterval: 60_000 });
  eio.attach(http);
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  const { port } = http.address() as { port: number };
  eio.on("connection", (s) =>
    s.on("message", (d: unknown) => {
      if (d === "go") for (let i = 0; i < COUNT; i++) s.send(`m${i}`);
    }),
  );
  const scenarios = JSON.parse(process.env.ENGINE_LISTENER_CHILD ?? "[]") as [
    TransportName,
    Throwing,
  ][];
  const reports: Record<string, Report> = {};
  for (const [transport, event] of scenarios) {
    uncaught.length = 0;
    const c = new ClientSocket(`http://127.0.0.1:${port}`, { transports: [transport] });
    const got: string[] = [];
    const closes: string[] = [];
    let sid: string | undefined;
    let thrown = false;
    const throwOnce = (what: unknown) => {
      if (thrown) return;
      thrown = true;
      throw new Error(`boom on ${event}${typeof what === "string" ? ` ${what}` : ""}`);
    };
    c.on("close", (reason) => closes.push(reason));
    // Registered first: the throwing listener runs before the collecting ones.
    c.on(event, ((arg: unknown) => {
      // `packet` carries the packet, `data` / `message` the message itself.
      const data = event === "packet" ? (arg as { data?: unknown }).data : arg;
      if (event === "open" || event === "handshake" || data === "m0") throwOnce(data);
    }) as never);
    c.on("message", (d) => {
      // The message whose listener threw is not counted: "the next 100" follow it.
      if (event !== "message" || d !== "m0") got.push(String(d));
    });
    c.on("open", () => {
      sid = c.id;
      c.send("go");
    });
    const want = event === "message" ? COUNT - 1 : COUNT;
    // Settles on the event that ends the scenario: the last message, a close, or the deadline.
    await new Promise<void>((resolve) => {
      const deadline = setTimeout(resolve, 5_000);
      const done = () => {
        clearTimeout(deadline);
        resolve();
      };
      c.on("message", () => {
        if (got.length >= want) done();
      });
      c.on("close", done);
    });
    // Let the rethrow (a microtask after delivery) surface before reporting.
    await new Promise((r) => setImmediate(r));
    reports[`${transport}/${event}`] = {
      got: [...got],
      uncaught: [...uncaught],
      closes: [...closes],
      readyState: c.readyState,
      sameSession: sid !== undefined && c.id === sid,
    };
    c.close();
  }
  process.stdout.write(`${JSON.stringify(reports)}\n`);
  eio.close();
  http.close();
  process.exit(0);
}

/** Parent side: runs the scenarios in a child process and returns its reports. */
function runChild(scenarios: [TransportName, Throwing][]): Promise<Record<string, Report>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--import", "tsx", self],
      {
        cwd: root,
        timeout: 60_000,
        env: { ...childEnv(), ENGINE_LISTENER_CHILD: JSON.stringify(scenarios) },
      },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as Record<string, Report>);
      },
    );
  });
}

if (process.env.ENGINE_LISTENER_CHILD) {
  await child();
} else {
  const transports: TransportName[] = ["polling", "websocket"];
  const events: Throwing[] = ["message", "data", "packet", "open", "handshake"];
  const reports = runChild(
    transports.flatMap((t) => events.map((e) => [t, e] as [TransportName, Throwing])),
  );

  for (const transport of transports) {
    test(`after a 'message' listener throws, the next 100 messages arrive in order over ${transport}, with the error uncaught and no reconnect`, async () => {
      const r = (await reports)[`${transport}/message`];
      assert.ok(r);
      assert.deepEqual(r.got, expected(1));
      assert.deepEqual(r.uncaught, ["boom on message m0"]);
      assert.deepEqual(r.closes, []);
      assert.equal(r.readyState, "open");
      assert.ok(r.sameSession);
    });

    for (const event of ["data", "packet", "open", "handshake"] as const) {
      test(`a throwing '${event}' listener does not stop delivery over ${transport}: all 101 messages arrive in order`, async () => {
        const r = (await reports)[`${transport}/${event}`];
        assert.ok(r);
        assert.deepEqual(r.got, expected(0));
        assert.equal(r.uncaught.length, 1, `uncaught: ${r.uncaught.join(", ")}`);
        assert.match(r.uncaught[0] ?? "", new RegExp(`^boom on ${event}`));
        assert.deepEqual(r.closes, []);
        assert.equal(r.readyState, "open");
        assert.ok(r.sameSession);
      });
    }
  }
}
