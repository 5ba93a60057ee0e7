/**
 * Engine-level limits over real sockets: connections per IP, polling request rate, draining (no new
 * sessions) and the per-session outgoing buffer (backpressure) on both transports.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { describe, test } from "node:test";
import type { EngineSocket } from "../../src/engine/index.js";
import {
  handshake,
  nextConnection,
  openWs,
  poll,
  post,
  raw,
  startEngine,
} from "../conformance/engine-raw.js";
import { onceEvent, waitFor } from "../helpers/wait.js";
import { upgradeRequest } from "./raw-http.js";

/** Sends a raw upgrade request and returns the status line of the answer. */
function upgradeStatus(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(upgradeRequest(path)));
    let data = "";
    socket.on("data", (c: Buffer) => {
      data += c.toString("latin1");
      if (data.includes("\r\n")) {
        resolve(data.slice(0, data.indexOf("\r\n")));
        socket.destroy();
      }
    });
    socket.on("error", reject);
  });
}

describe("maxConnectionsPerIp", () => {
  test("the session beyond the limit gets 429 code 6 on both transports; a freed slot is reusable", async (t) => {
    const h = await startEngine(t, { maxConnectionsPerIp: 2 });
    const refusals: number[] = [];
    h.engine.on("connection_error", (e) => refusals.push(e.code));
    const a = await handshake(h);
    await handshake(h);
    const third = await raw(h.port, "GET", h.path());
    assert.equal(third.status, 429);
    assert.deepEqual(JSON.parse(third.text), { code: 6, message: "Too many connections" });
    assert.equal(third.headers.connection, "close");
    assert.equal(
      await upgradeStatus(h.port, h.path("", "websocket")),
      "HTTP/1.1 429 Too Many Requests",
    );
    assert.deepEqual(refusals, [6, 6]);
    assert.equal(h.engine.clientsCount, 2);
    // Closing one session frees its slot.
    const closed = onceEvent(h.engine.clients.get(a.open.sid) as EngineSocket, "close");
    await post(h, a.open.sid, "1");
    await closed;
    const again = await handshake(h);
    assert.equal(typeof again.open.sid, "string");
  });

  test("websocket-only sessions count too", async (t) => {
    const h = await startEngine(t, { maxConnectionsPerIp: 1 });
    const ws = openWs(t, h);
    await ws.opened();
    assert.match(String(await ws.next()), /^0\{/);
    const refused = await raw(h.port, "GET", h.path());
    assert.equal(refused.status, 429);
  });
});

describe("pollingRateLimit", () => {
  test("a request over the rate gets 429 code 7 and the session closes", async (t) => {
    const h = await startEngine(t, { pollingRateLimit: 5 });
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const session = await conn;
    const closed = onceEvent<[string, unknown]>(session, "close");
    // The handshake took one token; four quick POSTs take the rest, the fifth is over the rate.
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(h, open.sid, "4x")).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 429]);
    const [reason, description] = await closed;
    assert.equal(reason, "transport error");
    assert.equal((description as { code?: string }).code, "EIO_ERR_RATE_LIMITED");
    const after = await poll(h, open.sid);
    assert.equal(after.status, 400);
  });

  test("a client within the rate is never refused", async (t) => {
    const h = await startEngine(t, { pollingRateLimit: 1000 });
    const { open } = await handshake(h);
    for (let i = 0; i < 50; i++) assert.equal((await post(h, open.sid, "4m")).status, 200);
  });
});

describe("stopAccepting (draining)", () => {
  test("new handshakes get 503 code 8; open sessions carry on", async (t) => {
    const h = await startEngine(t);
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const session = await conn;
    h.engine.stopAccepting();
    assert.equal(h.engine.draining, true);
    const refused = await raw(h.port, "GET", h.path());
    assert.equal(refused.status, 503);
    assert.deepEqual(JSON.parse(refused.text), { code: 8, message: "Server draining" });
    // The refusal gives up the connection, so a retry through a TCP balancer can go elsewhere.
    assert.equal(refused.headers.connection, "close");
    assert.equal(
      await upgradeStatus(h.port, h.path("", "websocket")),
      "HTTP/1.1 503 Service Unavailable",
    );
    const got = onceEvent<[string | Buffer]>(session, "message");
    assert.equal((await post(h, open.sid, "4still here")).status, 200);
    assert.deepEqual(await got, ["still here"]);
  });
});

describe("backpressure (engine)", () => {
  test("polling: bufferedAmount counts queued bytes; past maxBufferedBytes the session closes with 'buffer full'", async (t) => {
    const h = await startEngine(t, {
      backpressure: { highWaterMark: 4096, maxBufferedBytes: 16_384 },
    });
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const session = await conn;
    const closed = onceEvent<[string, unknown]>(session, "close");
    const chunk = "x".repeat(1023); // 1,024 bytes as a frame: type digit + data
    for (let i = 0; i < 4; i++) session.send(chunk);
    assert.equal(session.bufferedAmount, 4096);
    assert.equal(session.bufferedPackets, 4);
    assert.equal(session.needsDrain, true);
    for (let i = 0; i < 12; i++) session.send(chunk);
    assert.equal(session.readyState, "open");
    session.send(chunk); // the 17th KiB would pass 16 KiB
    const [reason, description] = await closed;
    assert.equal(reason, "buffer full");
    assert.equal((description as { code?: string }).code, "EIO_ERR_BUFFER_FULL");
    assert.equal(session.bufferedAmount, 0);
    assert.equal((await poll(h, open.sid)).status, 400);
  });

  test("maxBufferedPackets closes the session too", async (t) => {
    const h = await startEngine(t, { backpressure: { maxBufferedPackets: 10 } });
    const conn = nextConnection(h.engine);
    await handshake(h);
    const session = await conn;
    const closed = onceEvent<[string]>(session, "close");
    for (let i = 0; i < 11; i++) session.send("m");
    assert.equal((await closed)[0], "buffer full");
  });

  test("a single packet larger than maxBufferedBytes is sent when nothing else is queued", async (t) => {
    const h = await startEngine(t, { backpressure: { maxBufferedBytes: 1000 } });
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const session = await conn;
    session.send("y".repeat(5000));
    const res = await poll(h, open.sid);
    assert.equal(res.text, `4${"y".repeat(5000)}`);
    assert.equal(session.readyState, "open");
  });

  test("polling: a response the client does not read counts until it is handed to the OS", async (t) => {
    const h = await startEngine(t, {
      backpressure: { highWaterMark: 1 << 20, maxBufferedBytes: 4 << 20 },
    });
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const session = await conn;
    const closed = onceEvent<[string]>(session, "close");
    // One packet far larger than the limit goes out whole on an empty queue…
    session.send("b".repeat(32 << 20));
    // …to a client that sends its GET and then reads nothing.
    const reader = connect(h.port, "127.0.0.1", () =>
      reader.write(`GET ${h.path(`sid=${open.sid}`)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`),
    );
    reader.pause();
    t.after(() => reader.destroy());
    // The kernel takes a few MB; the rest waits in the response and is counted.
    await waitFor(
      () => session.bufferedPackets === 0 && session.bufferedAmount > 4 << 20,
      10_000,
      "the response written and its unread part counted",
    );
    session.send("one more");
    assert.equal((await closed)[0], "buffer full");
  });

  test("keyed packets: a congested session keeps only the newest queued packet per key", async (t) => {
    const h = await startEngine(t, { backpressure: { highWaterMark: 100 } });
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const session = await conn;
    session.send("a".repeat(200)); // now congested
    for (let i = 1; i <= 5; i++) session.send(`price ${i}`, { key: "price" });
    session.send("other");
    for (let i = 1; i <= 3; i++) session.send(`cursor ${i}`, { key: "cursor" });
    const res = await poll(h, open.sid);
    assert.deepEqual(res.text.split("\x1e"), [
      `4${"a".repeat(200)}`,
      "4price 5",
      "4other",
      "4cursor 3",
    ]);
  });

  test("keyed packets below the high-water mark are all delivered", async (t) => {
    const h = await startEngine(t);
    const conn = nextConnection(h.engine);
    const { open } = await handshake(h);
    const session = await conn;
    for (let i = 1; i <= 3; i++) session.send(`p${i}`, { key: "price" });
    const res = await poll(h, open.sid);
    assert.deepEqual(res.text.split("\x1e"), ["4p1", "4p2", "4p3"]);
  });

  test("websocket: a client that stops reading is cut off with 'buffer full' and its socket destroyed", async (t) => {
    const h = await startEngine(t, {
      backpressure: { highWaterMark: 1 << 16, maxBufferedBytes: 1 << 20 },
    });
    const conn = nextConnection(h.engine);
    const ws = openWs(t, h);
    await ws.opened();
    const session = await conn;
    await ws.next(); // open packet
    const tcp = (ws.ws as unknown as { _socket: { pause(): void } })._socket;
    tcp.pause();
    const closed = onceEvent<[string]>(session, "close");
    const payload = "z".repeat(64 * 1024);
    // Kernel buffers on loopback take several MB before Node's buffer grows; keep writing (bounded).
    let sent = 0;
    while (session.readyState === "open" && sent < 4000) {
      session.send(payload);
      sent++;
      if (sent % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal((await closed)[0], "buffer full");
    assert.ok(sent < 4000, "the buffer limit was reached within 256 MB of writes");
    // The server destroyed the TCP connection rather than waiting for a close handshake.
    const raw = session.transport as unknown as { socket: { destroyed: boolean } };
    await waitFor(() => raw.socket.destroyed);
  });
});
