/** The Engine.IO client against the official `engine.io` server (and a raw ws server). */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import { test } from "node:test";
import { WebSocketServer } from "ws";
import { engineHarness } from "../helpers/engine-server.js";
import { closeServer, listen, onceEvent, waitFor } from "../helpers/wait.js";

const { cleanups, engineServer, client } = engineHarness();

test("keeps message order and binary across the upgrade to websocket", async () => {
  const { eio, url } = await engineServer();
  const got: unknown[] = [];
  eio.on("connection", (s) => s.on("message", (d: unknown) => got.push(d)));
  const c = client(url);
  await onceEvent(c, "open");
  let n = 0;
  const timer = setInterval(() => c.send(`m${n++}`), 1);
  await onceEvent(c, "upgrade");
  c.send(new Uint8Array([1, 2]));
  clearInterval(timer);
  await waitFor(() => got.length === n + 1, 10_000, "all messages");
  assert.deepEqual(
    got.slice(0, n),
    Array.from({ length: n }, (_, i) => `m${i}`),
  );
  assert.deepEqual([...(got[n] as Buffer)], [1, 2]);
});

test("splits polling writes into POSTs no larger than the server's maxPayload", async () => {
  const { eio, url } = await engineServer({ maxHttpBufferSize: 1000 });
  const got: string[] = [];
  eio.on("connection", (s) => s.on("message", (d: string) => got.push(d)));
  const c = client(url, { transports: ["polling"] });
  await onceEvent(c, "open");
  const msgs = Array.from({ length: 40 }, (_, i) => `${i}`.padEnd(100, "x"));
  let flushes = 0;
  c.on("flush", () => flushes++);
  for (const m of msgs) c.send(m);
  await waitFor(() => got.length === msgs.length, 10_000, "messages");
  assert.deepEqual(got, msgs);
  assert.ok(flushes >= 4, `expected several POSTs, got ${flushes}`);
  assert.equal(c.readyState, "open");
});

test("closes with 'ping timeout' when the server stops pinging", async () => {
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  wss.on("connection", (ws) =>
    ws.send('0{"sid":"x","upgrades":[],"pingInterval":100,"pingTimeout":100,"maxPayload":1000}'),
  );
  const port = await listen(http);
  cleanups.push(
    () => closeServer(http),
    () => wss.close(),
  );
  const c = client(`http://127.0.0.1:${port}`, { transports: ["websocket"] });
  const [reason] = await onceEvent<[string]>(c, "close");
  assert.equal(reason, "ping timeout");
});

test("sends extraHeaders and query, and replays cookies with withCredentials in Node", async () => {
  const { eio, url } = await engineServer({ cookie: true });
  const cookies: (string | undefined)[] = [];
  eio.on("headers", (_h: unknown, req: IncomingMessage) => cookies.push(req.headers.cookie));
  type Conn = { request: IncomingMessage & { _query: Record<string, string> } };
  const conn = new Promise<Conn>((r) => eio.once("connection", (s: Conn) => r(s)));
  const c = client(url, {
    withCredentials: true,
    extraHeaders: { "x-app": "1" },
    query: { room: "r1" },
  });
  const s = await conn;
  assert.equal(s.request.headers["x-app"], "1");
  assert.equal(s.request._query.room, "r1");
  await onceEvent(c, "upgrade");
  assert.ok(
    cookies.some((v) => v?.includes(`io=${c.id}`)),
    `cookies seen: ${cookies.join(" | ")}`,
  );
});

test("tries the next transport when the first cannot open (tryAllTransports)", async () => {
  const { url } = await engineServer({ transports: ["polling"] });
  const c = client(url, { transports: ["websocket", "polling"], tryAllTransports: true });
  await onceEvent(c, "open");
  assert.equal(c.transport?.name, "polling");
  const plain = client(url, { transports: ["websocket", "polling"] });
  const [reason] = await onceEvent<[string]>(plain, "close");
  assert.equal(reason, "transport error");
});
