/**
 * Conformance: the engine's heartbeat deadline and polling close sequences match engine.io's
 * observable behaviour (a late request finds the session gone; a pending GET is released with a
 * noop when the client closes; a close that waited for a GET is answered `6␞1`).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { onceEvent, waitFor } from "../helpers/wait.js";
import { handshake, nextConnection, openWs, poll, post, startEngine } from "./engine-raw.js";

const T0 = 1_000_000;

describe("engine close sequences (polling)", () => {
  it("releases the pending GET with a noop when the client posts a close packet", async (t) => {
    const h = await startEngine(t);
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const socket = await conn;
    const packets: string[] = [];
    socket.on("packet", (p) => packets.push(p.type));
    const pending = poll(h, open.sid);
    await waitFor(() => socket.transport.writable, 5000, "pending GET");
    const closed = onceEvent<[string]>(socket, "close");
    assert.equal((await post(h, open.sid, "1")).text, "ok");
    const released = await pending;
    assert.equal(released.status, 200);
    assert.equal(released.text, "6");
    assert.equal((await closed)[0], "transport close");
    // As upstream, the polling transport consumes the close packet itself.
    assert.deepEqual(packets, []);
    assert.equal((await poll(h, open.sid)).status, 400);
  });

  it("answers the GET a server close waited for with a noop then the close", async (t) => {
    const h = await startEngine(t);
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const socket = await conn;
    const closed = onceEvent<[string]>(socket, "close");
    socket.close();
    assert.equal(socket.readyState, "closing");
    const res = await poll(h, open.sid);
    assert.equal(res.status, 200);
    assert.equal(res.text, "6\x1e1");
    assert.equal(res.headers.connection, "close");
    assert.equal((await closed)[0], "forced close");
    assert.equal((await poll(h, open.sid)).status, 400);
  });

  it("closes at once when the client posts a close packet while a server close waits for a GET", async (t) => {
    const h = await startEngine(t);
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const socket = await conn;
    const closed = onceEvent<[string]>(socket, "close");
    socket.close();
    assert.equal(socket.readyState, "closing");
    // The client is leaving too: it will send no GET, so nothing is left to wait for.
    assert.equal((await post(h, open.sid, "1")).text, "ok");
    assert.equal((await closed)[0], "forced close");
    assert.equal(h.engine.clientsCount, 0);
    assert.equal((await poll(h, open.sid)).status, 400);
  });
});

describe("engine heartbeat deadline checked on access", () => {
  it("answers 400 'Session ID unknown' to a request later than pingInterval + pingTimeout without a pong, before the wheel fires", async (t) => {
    // The wheel's interval is frozen: only the request can notice the deadline.
    t.mock.timers.enable({ apis: ["Date", "setInterval"], now: T0 });
    const h = await startEngine(t, { pingInterval: 300, pingTimeout: 200 });
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const socket = await conn;
    const reasons: string[] = [];
    socket.on("close", (r) => reasons.push(r));
    // 1 ms before the deadline the session is alive (the ping is now due and queued).
    t.mock.timers.setTime(T0 + 499);
    assert.equal((await post(h, open.sid, "4still here")).text, "ok");
    assert.equal(socket.readyState, "open");
    t.mock.timers.setTime(T0 + 500);
    const late = await poll(h, open.sid, AbortSignal.timeout(3000));
    assert.equal(late.status, 400);
    assert.deepEqual(JSON.parse(late.text), { code: 1, message: "Session ID unknown" });
    assert.deepEqual(reasons, ["ping timeout"]);
    assert.equal(h.engine.clientsCount, 0);
  });

  it("treats a late pong as a ping timeout, and a late POST gets 400", async (t) => {
    t.mock.timers.enable({ apis: ["Date", "setInterval"], now: T0 });
    const h = await startEngine(t, { pingInterval: 300, pingTimeout: 200 });
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const socket = await conn;
    t.mock.timers.setTime(T0 + 300);
    assert.equal((await poll(h, open.sid)).text, "2");
    t.mock.timers.setTime(T0 + 500);
    const closed = onceEvent<[string]>(socket, "close", 3000);
    const res = await post(h, open.sid, "3");
    assert.equal(res.status, 400);
    assert.equal((await closed)[0], "ping timeout");
  });

  it("closes a WebSocket session whose pong arrives after the deadline the wheel has not fired", async (t) => {
    t.mock.timers.enable({ apis: ["Date", "setInterval"], now: T0 });
    const h = await startEngine(t, { pingInterval: 300, pingTimeout: 200 });
    const conn = nextConnection(h.engine);
    const ws = openWs(t, h);
    const socket = await conn;
    await ws.next();
    // Let the wheel send the ping, then move the clock past its pong deadline without a tick.
    t.mock.timers.tick(320);
    assert.equal(await ws.next(), "2");
    const closed = onceEvent<[string]>(socket, "close", 3000);
    t.mock.timers.setTime(T0 + 320 + 400);
    ws.send("3");
    assert.equal((await closed)[0], "ping timeout");
  });
});
