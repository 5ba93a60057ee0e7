import assert from "node:assert/strict";
import { request } from "node:http";
import { connect } from "node:net";
import { describe, it } from "node:test";
import type { ConnectionErrorEvent } from "../../src/engine/index.js";
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
} from "./engine-raw.js";

function errors(h: Harness): ConnectionErrorEvent[] {
  const list: ConnectionErrorEvent[] = [];
  h.engine.on("connection_error", (e) => list.push(e));
  return list;
}

async function expectJsonError(
  res: Promise<import("./engine-raw.js").RawResponse>,
  status: number,
  body: { code: number; message: string },
): Promise<void> {
  const r = await res;
  assert.equal(r.status, status);
  assert.equal(r.headers["content-type"], "application/json");
  assert.deepEqual(JSON.parse(r.text), body);
}

/** Sends a raw upgrade request and returns everything the server wrote before closing. */
function rawUpgrade(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1", () => {
      sock.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
      );
    });
    let out = "";
    sock.on("data", (d) => {
      out += d.toString();
    });
    sock.on("close", () => resolve(out));
    sock.on("error", reject);
  });
}

async function session(h: Harness) {
  const conn = nextConnection(h.engine);
  const { open } = await handshake(h);
  return { sid: open.sid, socket: await conn };
}

describe("engine HTTP errors (PROTOCOL.md §2.5)", () => {
  it("refuses a missing or unknown transport with code 0 and a connection_error event", async (t) => {
    const h = await startEngine(t);
    const seen = errors(h);
    const body = { code: 0, message: "Transport unknown" };
    await expectJsonError(raw(h.port, "GET", "/engine.io/?EIO=4"), 400, body);
    await expectJsonError(raw(h.port, "GET", "/engine.io/?EIO=4&transport=flash"), 400, body);
    assert.equal(seen.length, 2);
    assert.equal(seen[1]?.code, 0);
    assert.equal(seen[1]?.message, "Transport unknown");
    assert.deepEqual(seen[1]?.context, { transport: "flash" });
    assert.ok(seen[1]?.req.url?.includes("flash"));
    const pollingOnly = await startEngine(t, { transports: ["polling"] });
    const r = await rawUpgrade(pollingOnly.port, pollingOnly.path("", "websocket"));
    assert.doesNotMatch(r, /101/);
  });

  it("refuses an unknown sid with code 1", async (t) => {
    const h = await startEngine(t);
    const seen = errors(h);
    await expectJsonError(poll(h, "nope"), 400, { code: 1, message: "Session ID unknown" });
    assert.deepEqual(seen[0]?.context, { sid: "nope" });
  });

  it("refuses a handshake that is not a GET with code 2", async (t) => {
    const h = await startEngine(t);
    const body = { code: 2, message: "Bad handshake method" };
    await expectJsonError(raw(h.port, "POST", h.path(), { body: "4x" }), 400, body);
    await expectJsonError(raw(h.port, "PUT", h.path()), 400, body);
    await expectJsonError(raw(h.port, "OPTIONS", h.path()), 400, body);
  });

  it("refuses transport mismatches with code 3", async (t) => {
    const h = await startEngine(t);
    const seen = errors(h);
    const body = { code: 3, message: "Bad request" };
    await expectJsonError(raw(h.port, "GET", h.path("", "websocket")), 400, body);
    assert.deepEqual(seen[0]?.context, { name: "TRANSPORT_HANDSHAKE_ERROR" });
    const { sid } = await session(h);
    await expectJsonError(raw(h.port, "GET", h.path(`sid=${sid}`, "websocket")), 400, body);
    assert.deepEqual(seen[1]?.context, {
      name: "TRANSPORT_MISMATCH",
      transport: "websocket",
      previousTransport: "polling",
    });
  });

  it("refuses with code 3 when a middleware fails or id generation throws", async (t) => {
    const h = await startEngine(t);
    const seen = errors(h);
    let fail = true;
    h.engine.use((_req, _res, next) => (fail ? next(new Error("nope")) : next()));
    await expectJsonError(raw(h.port, "GET", h.path()), 400, { code: 3, message: "Bad request" });
    assert.deepEqual(seen[0]?.context, { name: "MIDDLEWARE_FAILURE" });
    fail = false;
    h.engine.generateId = () => Promise.reject(new Error("no ids today"));
    await expectJsonError(raw(h.port, "GET", h.path()), 400, { code: 3, message: "Bad request" });
    assert.equal((seen[1]?.context as { name: string }).name, "ID_GENERATION_ERROR");
    h.engine.generateId = () => {
      throw new Error("sync failure");
    };
    await expectJsonError(raw(h.port, "GET", h.path()), 400, { code: 3, message: "Bad request" });
    assert.equal(h.engine.clientsCount, 0);
  });

  it("refuses with 403 code 4 when allowRequest says no, using its message", async (t) => {
    const h = await startEngine(t, {
      allowRequest: (req, cb) => cb(req.headers["x-token"] === "ok" ? null : "go away", false),
    });
    const seen = errors(h);
    await expectJsonError(raw(h.port, "GET", h.path()), 403, { code: 4, message: "go away" });
    assert.equal(seen[0]?.message, "Forbidden");
    assert.deepEqual(seen[0]?.context, { message: "go away" });
    await expectJsonError(raw(h.port, "GET", h.path(), { headers: { "x-token": "ok" } }), 403, {
      code: 4,
      message: "Forbidden",
    });
    const upgrade = await rawUpgrade(h.port, h.path("", "websocket"));
    assert.match(upgrade, /^HTTP\/1.1 400 Bad Request\r\n[\s\S]*\r\n\r\ngo away$/);
  });

  it("refuses protocol versions other than 4 with code 5 unless allowEIO3 is set (off by default)", async (t) => {
    const h = await startEngine(t);
    const body = { code: 5, message: "Unsupported protocol version" };
    await expectJsonError(raw(h.port, "GET", "/engine.io/?EIO=3&transport=polling"), 400, body);
    await expectJsonError(raw(h.port, "GET", "/engine.io/?transport=polling"), 400, body);
    const upgrade = await rawUpgrade(h.port, "/engine.io/?EIO=3&transport=websocket");
    assert.match(upgrade, /\r\n\r\nUnsupported protocol version$/);
  });

  it("answers other methods on a valid sid with 500 and keeps the session", async (t) => {
    const h = await startEngine(t);
    const { sid, socket } = await session(h);
    const res = await raw(h.port, "PUT", h.path(`sid=${sid}`));
    assert.equal(res.status, 500);
    assert.equal(socket.readyState, "open");
    const del = await raw(h.port, "DELETE", h.path(`sid=${sid}`));
    assert.equal(del.status, 500);
    assert.equal(socket.readyState, "open");
  });

  it("answers failed WebSocket upgrades with a raw HTTP 400 carrying the message", async (t) => {
    const h = await startEngine(t);
    const unknownSid = await rawUpgrade(h.port, h.path("sid=nope", "websocket"));
    assert.equal(
      unknownSid,
      "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-type: text/html\r\n" +
        "Content-Length: 18\r\n\r\nSession ID unknown",
    );
    const badTransport = await rawUpgrade(h.port, "/engine.io/?EIO=4&transport=nope");
    assert.match(badTransport, /\r\n\r\nTransport unknown$/);
  });
});

describe("engine bad input closes only the offending session", () => {
  it("closes on an overlapping GET: 400 for the new one, close packet for the pending one", async (t) => {
    const h = await startEngine(t);
    const { sid, socket } = await session(h);
    const other = await session(h);
    const closed = onceEvent<[string]>(socket, "close");
    const first = poll(h, sid);
    await waitFor(() => socket.transport.writable, 5000, "pending GET");
    const second = await poll(h, sid);
    assert.equal(second.status, 400);
    assert.equal((await first).text, "1");
    assert.equal((await closed)[0], "transport error");
    assert.equal(other.socket.readyState, "open");
  });

  it("closes on an overlapping POST", async (t) => {
    const h = await startEngine(t);
    const { sid, socket } = await session(h);
    const closed = onceEvent<[string]>(socket, "close");
    const slow = request({
      host: "127.0.0.1",
      port: h.port,
      method: "POST",
      path: h.path(`sid=${sid}`),
      agent: false,
      headers: { "Content-Length": "100" },
    });
    slow.on("error", () => {});
    slow.on("response", (r) => r.resume());
    slow.write("4partial");
    t.after(() => slow.destroy());
    await new Promise<void>((resolve) => slow.once("socket", () => resolve()));
    let res = await post(h, sid, "4second");
    while (res.status === 200 && socket.readyState === "open") res = await post(h, sid, "4again");
    assert.equal(res.status, 400);
    assert.equal((await closed)[0], "transport error");
  });

  it("closes with parse error on an invalid packet type or invalid base64", async (t) => {
    const h = await startEngine(t);
    for (const body of ["9hello", "4ok\x1ebA!!", "", "4a\x1e\x1e4b"]) {
      const { sid, socket } = await session(h);
      const got: unknown[] = [];
      socket.on("message", (m) => got.push(m));
      const closed = onceEvent<[string, { code: string }]>(socket, "close");
      await post(h, sid, body);
      const [reason, err] = await closed;
      assert.equal(reason, "parse error", JSON.stringify(body));
      assert.match(err.code, /^EIO_ERR_/);
      assert.deepEqual(got, []);
    }
  });

  it("answers 413 and closes when a POST body exceeds maxHttpBufferSize", async (t) => {
    const h = await startEngine(t, { maxHttpBufferSize: 100 });
    const { sid, socket } = await session(h);
    const closed = onceEvent<[string, { code: string }]>(socket, "close");
    const res = await raw(h.port, "POST", h.path(`sid=${sid}`), {
      body: `4${"x".repeat(150)}`,
      headers: { "Transfer-Encoding": "chunked" },
    });
    assert.equal(res.status, 413);
    const [reason, err] = await closed;
    assert.equal(reason, "transport error");
    assert.equal(err.code, "EIO_ERR_PAYLOAD_TOO_LARGE");
  });

  it("answers 413 before reading the body when Content-Length is over the limit", async (t) => {
    const h = await startEngine(t, { maxHttpBufferSize: 100 });
    const { sid, socket } = await session(h);
    const closed = onceEvent<[string]>(socket, "close");
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({
        host: "127.0.0.1",
        port: h.port,
        method: "POST",
        path: h.path(`sid=${sid}`),
        agent: false,
        headers: { "Content-Length": "1000000" },
      });
      req.on("response", (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
        req.destroy();
      });
      req.on("error", reject);
      req.flushHeaders();
    });
    assert.equal(status, 413);
    assert.equal((await closed)[0], "transport error");
  });

  it("answers 400 and closes on a v4 POST declared as application/octet-stream", async (t) => {
    const h = await startEngine(t);
    const { sid, socket } = await session(h);
    const closed = onceEvent<[string]>(socket, "close");
    const res = await post(h, sid, Buffer.from([4, 1, 2]), {
      "Content-Type": "application/octet-stream",
    });
    assert.equal(res.status, 400);
    assert.equal((await closed)[0], "transport error");
  });

  it("closes the session when the client aborts a pending GET", async (t) => {
    const h = await startEngine(t);
    const { sid, socket } = await session(h);
    const closed = onceEvent<[string, { code: string }]>(socket, "close");
    const ac = new AbortController();
    const pending = poll(h, sid, ac.signal).catch(() => "aborted");
    await waitFor(() => socket.transport.writable, 5000, "pending GET");
    ac.abort();
    assert.equal(await pending, "aborted");
    const [reason, err] = await closed;
    assert.equal(reason, "transport error");
    assert.equal(err.code, "EIO_ERR_POLL_ABORTED");
  });

  it("closes the session when the client disappears in the middle of a POST", async (t) => {
    const h = await startEngine(t);
    const { sid, socket } = await session(h);
    const closed = onceEvent<[string, { code: string }]>(socket, "close");
    const req = request({
      host: "127.0.0.1",
      port: h.port,
      method: "POST",
      path: h.path(`sid=${sid}`),
      agent: false,
      headers: { "Content-Length": "50" },
    });
    req.on("error", () => {});
    req.write("4half a body");
    await waitFor(() => req.socket !== null && req.socket.bytesWritten > 0, 5000, "body sent");
    req.destroy();
    const [reason, err] = await closed;
    assert.equal(reason, "transport error");
    assert.equal(err.code, "EIO_ERR_POST_ABORTED");
  });

  it("closes when a v4 client sends a ping (only servers ping in v4)", async (t) => {
    const h = await startEngine(t);
    const { sid, socket } = await session(h);
    const closed = onceEvent<[string, { code: string }]>(socket, "close");
    await post(h, sid, "2");
    const [reason, err] = await closed;
    assert.equal(reason, "transport error");
    assert.equal(err.code, "EIO_ERR_HEARTBEAT_DIRECTION");
  });

  it("closes a WebSocket session on an invalid frame and on an oversize message", async (t) => {
    const h = await startEngine(t, { maxHttpBufferSize: 64 });
    const conn = nextConnection(h.engine);
    const ws = openWs(t, h);
    const socket = await conn;
    await ws.next();
    const closed = onceEvent<[string]>(socket, "close");
    ws.send("x-not-a-packet");
    assert.equal((await closed)[0], "parse error");
    await ws.closedP();

    const conn2 = nextConnection(h.engine);
    const ws2 = openWs(t, h);
    const socket2 = await conn2;
    await ws2.next();
    const closed2 = onceEvent<[string]>(socket2, "close");
    ws2.send(`4${"y".repeat(100)}`);
    assert.match((await closed2)[0], /^transport (error|close)$/);
    assert.equal(await ws2.closedP(), 1009);
  });
});
