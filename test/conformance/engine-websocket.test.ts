import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { onceEvent, waitFor } from "../helpers/wait.js";
import {
  type Harness,
  handshake,
  nextConnection,
  openWs,
  poll,
  post,
  raw,
  startEngine,
  WsClient,
} from "./engine-raw.js";

async function wsSession(t: import("node:test").TestContext, h: Harness) {
  const conn = nextConnection(h.engine);
  const ws = openWs(t, h);
  const socket = await conn;
  const open = await ws.next();
  return { ws, socket, open };
}

describe("engine WebSocket transport", () => {
  it("sends the open packet as the first text frame of a websocket-only session", async (t) => {
    const h = await startEngine(t);
    const { open, socket } = await wsSession(t, h);
    assert.equal(typeof open, "string");
    assert.match(
      open as string,
      /^0\{"sid":"[A-Za-z0-9_-]{20}","upgrades":\[\],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000\}$/,
    );
    assert.equal(JSON.parse((open as string).slice(1)).sid, socket.id);
    assert.equal(socket.transport.name, "websocket");
  });

  it("carries text and binary both ways, one packet per frame, in order", async (t) => {
    const h = await startEngine(t);
    const { ws, socket } = await wsSession(t, h);
    const got: (string | Buffer)[] = [];
    socket.on("message", (m) => got.push(m));
    ws.send("4hello");
    ws.send(Buffer.from([1, 2, 3]));
    ws.send("4€");
    await waitFor(() => got.length === 3, 5000, "3 messages");
    assert.deepEqual(got, ["hello", Buffer.from([1, 2, 3]), "€"]);
    socket.send("a");
    socket.send(new Uint8Array([9, 8]));
    socket.send("b");
    assert.equal(await ws.next(), "4a");
    assert.deepEqual(await ws.next(), Buffer.from([9, 8]));
    assert.equal(await ws.next(), "4b");
  });

  it("reports 'transport close' when the client drops the socket", async (t) => {
    const h = await startEngine(t);
    const { ws, socket } = await wsSession(t, h);
    const closed = onceEvent<[string]>(socket, "close");
    ws.close();
    assert.equal((await closed)[0], "transport close");
    assert.equal(h.engine.clientsCount, 0);
  });

  it("closes the socket after flushing when the server closes the session", async (t) => {
    const h = await startEngine(t);
    const { ws, socket } = await wsSession(t, h);
    const closed = onceEvent<[string]>(socket, "close");
    socket.send("last");
    socket.close();
    assert.equal(await ws.next(), "4last");
    await ws.closedP();
    assert.equal((await closed)[0], "forced close");
  });

  it("ignores a close packet on the WebSocket, as upstream does", async (t) => {
    const h = await startEngine(t);
    const { ws, socket } = await wsSession(t, h);
    ws.send("1");
    ws.send("4still here");
    const [m] = await onceEvent<[string]>(socket, "message");
    assert.equal(m, "still here");
  });
});

describe("engine upgrade polling → websocket (PROTOCOL.md §2.7)", () => {
  it("probes, releases the pending GET with a noop, switches on 5 and flushes on the WebSocket", async (t) => {
    const h = await startEngine(t);
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const socket = await conn;
    const events: string[] = [];
    socket.on("upgrading", (tr) => events.push(`upgrading:${tr.name}`));
    socket.on("upgrade", (tr) => events.push(`upgrade:${tr.name}`));
    const pending = poll(h, open.sid);
    await waitFor(() => socket.transport.writable, 5000, "pending GET");
    const ws = openWs(t, h, `sid=${open.sid}`);
    await ws.opened();
    ws.send("2probe");
    assert.equal(await ws.next(), "3probe");
    assert.equal((await pending).text, "6");
    assert.deepEqual(events, ["upgrading:websocket"]);
    socket.send("queued while upgrading");
    ws.send("5");
    assert.equal(await ws.next(), "4queued while upgrading");
    assert.deepEqual(events, ["upgrading:websocket", "upgrade:websocket"]);
    assert.equal(socket.transport.name, "websocket");
    ws.send("4over ws");
    assert.equal((await onceEvent<[string]>(socket, "message"))[0], "over ws");

    const late = await poll(h, open.sid);
    assert.equal(late.status, 400);
    assert.equal(JSON.parse(late.text).code, 3);
    const second = openWs(t, h, `sid=${open.sid}`);
    await second.closedP();
    assert.equal(socket.readyState, "open");
  });

  it("keeps sending noops to new GETs while the upgrade is pending", async (t) => {
    const h = await startEngine(t);
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const socket = await conn;
    const ws = openWs(t, h, `sid=${open.sid}`);
    await ws.opened();
    ws.send("2probe");
    assert.equal(await ws.next(), "3probe");
    assert.equal((await poll(h, open.sid)).text, "6");
    assert.equal((await poll(h, open.sid)).text, "6");
    assert.equal(socket.transport.name, "polling");
  });

  it("loses, duplicates and reorders nothing across the upgrade", async (t) => {
    const h = await startEngine(t);
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const socket = await conn;
    const received: string[] = [];
    const collect = (text: string) => {
      for (const r of text.split("\x1e")) if (r.startsWith("4")) received.push(r.slice(1));
    };
    let n = 0;
    const timer = setInterval(() => socket.send(String(n++)), 1);
    t.after(() => clearInterval(timer));
    collect((await poll(h, open.sid)).text);
    const ws = openWs(t, h, `sid=${open.sid}`);
    await ws.opened();
    const pending = poll(h, open.sid);
    ws.send("2probe");
    collect((await pending).text);
    while ((await ws.next()) !== "3probe");
    // The client pauses polling: one last GET may still be in flight.
    ws.send("5");
    await waitFor(() => socket.transport.name === "websocket", 5000, "upgrade");
    await waitFor(() => n > received.length + 20, 5000, "more messages");
    clearInterval(timer);
    const total = n;
    while (received.length < total) {
      const f = await ws.next();
      if (typeof f === "string" && f.startsWith("4")) received.push(f.slice(1));
    }
    assert.deepEqual(
      received,
      Array.from({ length: total }, (_, i) => String(i)),
    );
  });

  it("drops the probe when 5 does not come within upgradeTimeout, staying on polling", async (t) => {
    const h = await startEngine(t, { upgradeTimeout: 100 });
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const socket = await conn;
    const ws = openWs(t, h, `sid=${open.sid}`);
    await ws.opened();
    ws.send("2probe");
    assert.equal(await ws.next(), "3probe");
    await ws.closedP();
    assert.equal(socket.transport.name, "polling");
    socket.send("still polling");
    assert.equal((await poll(h, open.sid)).text, "4still polling");
  });

  it("aborts the upgrade on any other packet on the probe", async (t) => {
    const h = await startEngine(t);
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const socket = await conn;
    const ws = openWs(t, h, `sid=${open.sid}`);
    await ws.opened();
    ws.send("4not a probe");
    await ws.closedP();
    assert.equal(socket.readyState, "open");
    assert.equal(socket.transport.name, "polling");
  });

  it("accepts a POST while the upgrade is in flight", async (t) => {
    const h = await startEngine(t);
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const socket = await conn;
    const ws = openWs(t, h, `sid=${open.sid}`);
    await ws.opened();
    ws.send("2probe");
    assert.equal(await ws.next(), "3probe");
    const got = onceEvent<[string]>(socket, "message");
    assert.equal((await post(h, open.sid, "4during upgrade")).text, "ok");
    assert.equal((await got)[0], "during upgrade");
    ws.send("5");
    await waitFor(() => socket.transport.name === "websocket", 5000, "upgrade");
  });

  it("closes a WebSocket that tries to upgrade a websocket-only session", async (t) => {
    const h = await startEngine(t);
    const { socket } = await wsSession(t, h);
    const intruder = openWs(t, h, `sid=${socket.id}`);
    await intruder.closedP();
    assert.equal(socket.readyState, "open");
  });

  it("refuses upgrades when allowUpgrades is false", async (t) => {
    const h = await startEngine(t, { allowUpgrades: false });
    const { open } = await handshake(h);
    const ws = openWs(t, h, `sid=${open.sid}`);
    await ws.closedP();
  });

  it("refuses an upgrade with an unknown sid with a raw 400", async (t) => {
    const h = await startEngine(t);
    const ws = new WsClient(`ws://127.0.0.1:${h.port}${h.path("sid=unknown", "websocket")}`);
    t.after(() => ws.close());
    await assert.rejects(ws.opened(), /HTTP 400/);
    const res = await raw(h.port, "GET", h.path("sid=unknown"));
    assert.equal(res.status, 400);
  });
});
