import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EngineServer, preEncode } from "../../src/engine/index.js";
import { onceEvent, waitFor } from "../helpers/wait.js";
import { handshake, nextConnection, poll, post, raw, startEngine } from "./engine-raw.js";

describe("engine handshake (polling)", () => {
  it("answers a GET handshake with an open packet carrying sid, upgrades and timings in wire order", async (t) => {
    const h = await startEngine(t);
    const res = await raw(h.port, "GET", h.path());
    assert.equal(res.status, 200);
    assert.equal(res.headers["content-type"], "text/plain; charset=UTF-8");
    assert.equal(res.headers["content-length"], String(res.body.length));
    assert.equal(res.headers["cache-control"], "no-store");
    assert.match(
      res.text,
      /^0\{"sid":"[A-Za-z0-9_-]{20}","upgrades":\["websocket"\],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000\}$/,
    );
    assert.equal(h.engine.clientsCount, 1);
  });

  it("advertises configured timings, maxPayload and no upgrades when upgrades are off", async (t) => {
    const h = await startEngine(t, {
      pingInterval: 1234,
      pingTimeout: 567,
      maxHttpBufferSize: 890,
      allowUpgrades: false,
    });
    const { open } = await handshake(h);
    assert.deepEqual(
      { ...open, sid: "" },
      { sid: "", upgrades: [], pingInterval: 1234, pingTimeout: 567, maxPayload: 890 },
    );
    const h2 = await startEngine(t, { transports: ["polling"] });
    assert.deepEqual((await handshake(h2)).open.upgrades, []);
  });

  it("emits connection with a socket whose id is the sid, and gives each session a distinct sid", async (t) => {
    const h = await startEngine(t);
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const socket = await conn;
    assert.equal(socket.id, open.sid);
    assert.equal(socket.readyState, "open");
    assert.equal(socket.transport.name, "polling");
    assert.equal(socket.protocol, 4);
    assert.equal(socket.remoteAddress, "127.0.0.1");
    assert.equal(h.engine.clients.get(open.sid), socket);
    assert.ok(socket.request.url?.includes("transport=polling"));
    const second = await handshake(h);
    assert.notEqual(second.open.sid, open.sid);
    assert.equal(h.engine.clientsCount, 2);
  });

  it("uses an overridden, asynchronous generateId", async (t) => {
    const engine = new EngineServer();
    engine.generateId = async () => "custom-id-123";
    const h = await startEngine(t, undefined, undefined, engine);
    const { open } = await handshake(h);
    assert.equal(open.sid, "custom-id-123");
  });

  it("sends messages queued during connection in the first payload, after the open packet", async (t) => {
    const h = await startEngine(t);
    h.engine.on("connection", (s) => {
      s.send("hello");
      s.send(Buffer.from([1, 2, 3, 4]));
    });
    const { rest } = await handshake(h);
    assert.deepEqual(rest, ["4hello", "bAQIDBA=="]);
  });

  it("sends the initialPacket right after the open packet", async (t) => {
    const h = await startEngine(t, { initialPacket: "welcome" });
    const { rest } = await handshake(h);
    assert.deepEqual(rest, ["4welcome"]);
  });
});

describe("engine long-polling", () => {
  it("holds a GET until a packet is queued, then answers with it", async (t) => {
    const h = await startEngine(t);
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const socket = await conn;
    const pending = poll(h, open.sid);
    await waitFor(() => socket.transport.writable, 5000, "pending GET");
    socket.send("late");
    const res = await pending;
    assert.equal(res.status, 200);
    assert.equal(res.text, "4late");
  });

  it("batches packets sent in one turn into one payload: text, binary and typed arrays", async (t) => {
    const h = await startEngine(t);
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const socket = await conn;
    socket.send("a");
    socket.send(new Uint8Array([1, 2, 3]).buffer);
    socket.send(new Uint16Array([0x0201]));
    socket.write("€");
    const res = await poll(h, open.sid);
    assert.equal(res.text, "4a\x1ebAQID\x1ebAQI=\x1e4€");
  });

  it("decodes a POST payload into messages in order and answers 200 ok as text/html", async (t) => {
    const h = await startEngine(t);
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const socket = await conn;
    const got: (string | Buffer)[] = [];
    const packets: string[] = [];
    socket.on("message", (d) => got.push(d));
    socket.on("packet", (p) => packets.push(p.type));
    const res = await post(h, open.sid, "4hello\x1ebAQIDBA==\x1e4€\x1e6");
    assert.equal(res.status, 200);
    assert.equal(res.text, "ok");
    assert.equal(res.headers["content-type"], "text/html");
    assert.equal(res.headers["content-length"], "2");
    assert.deepEqual(got, ["hello", Buffer.from([1, 2, 3, 4]), "€"]);
    assert.ok(Buffer.isBuffer(got[1]));
    assert.deepEqual(packets, ["message", "message", "message", "noop"]);
  });

  it("closes the session with 'transport close' when the client posts a close packet", async (t) => {
    const h = await startEngine(t);
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const socket = await conn;
    const closed = onceEvent<[string]>(socket, "close");
    await post(h, open.sid, "1");
    assert.deepEqual((await closed)[0], "transport close");
    assert.equal(socket.readyState, "closed");
    assert.equal(h.engine.clientsCount, 0);
    const after = await poll(h, open.sid);
    assert.equal(after.status, 400);
    assert.deepEqual(JSON.parse(after.text), { code: 1, message: "Session ID unknown" });
  });

  it("answers a pending GET with a close packet when the server closes the session", async (t) => {
    const h = await startEngine(t);
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const socket = await conn;
    const pending = poll(h, open.sid);
    await waitFor(() => socket.transport.writable, 5000, "pending GET");
    const closed = onceEvent<[string]>(socket, "close");
    socket.close();
    assert.equal((await pending).text, "1");
    assert.equal((await closed)[0], "forced close");
  });

  it("flushes the write buffer before closing", async (t) => {
    const h = await startEngine(t);
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const socket = await conn;
    const reasons: string[] = [];
    socket.on("close", (r) => reasons.push(r));
    socket.send("bye");
    socket.close();
    socket.send("dropped: sent after close()");
    assert.equal(socket.readyState, "closing");
    assert.equal((await poll(h, open.sid)).text, "4bye");
    // The close waited for a GET: it is answered with a noop then the close, as upstream.
    assert.equal((await poll(h, open.sid)).text, "6\x1e1");
    assert.deepEqual(reasons, ["forced close"]);
  });

  it("calls send callbacks once the packet is written and emits drain and flush", async (t) => {
    const h = await startEngine(t);
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const socket = await conn;
    const events: string[] = [];
    socket.on("flush", (buf) => events.push(`flush:${buf.length}`));
    socket.on("drain", () => events.push("drain"));
    socket.on("packetCreate", (p) => events.push(`create:${p.type}`));
    socket.send("x", () => events.push("cb1"));
    socket.send("y", { compress: false }, () => events.push("cb2"));
    assert.equal(socket.bufferedAmount, 4);
    assert.deepEqual(events, ["create:message", "create:message"]);
    const res = await poll(h, open.sid);
    assert.equal(res.text, "4x\x1e4y");
    assert.deepEqual(events.slice(2), ["flush:2", "cb1", "cb2", "drain"]);
    assert.equal(socket.bufferedAmount, 0);
  });

  it("writes one pre-encoded packet to several sessions", async (t) => {
    const h = await startEngine(t);
    const a = await handshake(h);
    const b = await handshake(h);
    const packet = preEncode(Buffer.from("hi"));
    assert.equal(EngineServer.encodeMessage, preEncode);
    for (const s of h.engine.clients.values()) s.sendPreEncoded(packet);
    assert.equal((await poll(h, a.open.sid)).text, "baGk=");
    assert.equal((await poll(h, b.open.sid)).text, "baGk=");
  });

  it("closes every session with 'server shutting down' on engine.close()", async (t) => {
    const h = await startEngine(t);
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const socket = await conn;
    const pending = poll(h, open.sid);
    await waitFor(() => socket.transport.writable, 5000, "pending GET");
    const closed = onceEvent<[string]>(socket, "close");
    h.engine.close();
    assert.equal((await closed)[0], "server shutting down");
    assert.equal((await pending).text, "1");
    assert.equal(h.engine.clientsCount, 0);
  });
});
