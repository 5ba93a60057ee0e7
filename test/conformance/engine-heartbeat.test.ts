import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { onceEvent } from "../helpers/wait.js";
import { handshake, nextConnection, openWs, poll, post, startEngine } from "./engine-raw.js";

describe("engine heartbeat (PROTOCOL.md §2.6)", () => {
  it("pings a polling client every pingInterval and keeps the session while it answers", async (t) => {
    const h = await startEngine(t, { pingInterval: 50, pingTimeout: 2000 });
    let started = 0;
    h.engine.on("connection", () => {
      started = Date.now();
    });
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const socket = await conn;
    let beats = 0;
    socket.on("heartbeat", () => beats++);
    for (let i = 0; i < 3; i++) {
      const res = await poll(h, open.sid);
      assert.equal(res.text, "2");
      // The next ping is due pingInterval after the handshake or after the pong was received.
      assert.ok(Date.now() - started >= 50, "ping sent early");
      started = Date.now();
      assert.equal((await post(h, open.sid, "3")).text, "ok");
    }
    assert.equal(beats, 3);
    assert.equal(socket.readyState, "open");
  });

  it("closes with 'ping timeout' when no pong arrives within pingTimeout", async (t) => {
    const h = await startEngine(t, { pingInterval: 50, pingTimeout: 300 });
    let started = 0;
    h.engine.on("connection", () => {
      started = Date.now();
    });
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const socket = await conn;
    const closed = onceEvent<[string]>(socket, "close");
    assert.equal((await poll(h, open.sid)).text, "2");
    const pending = poll(h, open.sid);
    assert.equal((await closed)[0], "ping timeout");
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 350, `closed too early (${elapsed} ms)`);
    assert.ok(elapsed < 5000, `closed too late (${elapsed} ms)`);
    assert.equal((await pending).text, "1");
  });

  it("pings a WebSocket client and times it out when it stops answering", async (t) => {
    const h = await startEngine(t, { pingInterval: 50, pingTimeout: 1000 });
    const conn = nextConnection(h.engine);
    const ws = openWs(t, h);
    const socket = await conn;
    await ws.next();
    const reasons: string[] = [];
    socket.on("close", (r) => reasons.push(r));
    for (let i = 0; i < 3; i++) {
      assert.equal(await ws.next(), "2");
      ws.send("3");
    }
    assert.equal(await ws.next(), "2");
    await ws.closedP();
    assert.deepEqual(reasons, ["ping timeout"]);
  });

  it("runs the heartbeat of many sessions on the shared scheduler", async (t) => {
    const h = await startEngine(t, { pingInterval: 60, pingTimeout: 1500 });
    const sessions = await Promise.all(Array.from({ length: 20 }, () => handshake(h)));
    const closes = [...h.engine.clients.values()].map((s) => onceEvent<[string]>(s, "close"));
    const pings = await Promise.all(sessions.map(({ open }) => poll(h, open.sid)));
    assert.ok(pings.every((r) => r.text === "2"));
    for (const [reason] of await Promise.all(closes)) assert.equal(reason, "ping timeout");
    assert.equal(h.engine.clientsCount, 0);
  });
});
