/**
 * Interop: the official Socket.IO v2 client (`socket.io-client@2`, Engine.IO protocol 3 and
 * Socket.IO protocol 4) against a Tether server with `allowEIO3`, over long-polling, WebSocket
 * and polling upgraded to WebSocket — alone and next to official v4 clients in the same rooms.
 * Raw HTTP checks the v3 wire details the Node v2 client does not use (binary payloads) and the
 * refusal when `allowEIO3` is off.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { afterEach, describe, it } from "node:test";
import type { Socket as V4Socket } from "socket.io-client";
import ioV2, { type V2Options, type V2Socket } from "socket.io-client-v2";
import type { ConnectionErrorEvent } from "../../src/engine/server/server.js";
import type { ServerOptions, Socket } from "../../src/index.js";
import { waitFor } from "../helpers/wait.js";
import { type Fixture, MODES, next, startServer, type TransportMode } from "./server-harness.js";

function v2Transports(mode: TransportMode): V2Options {
  if (mode === "websocket") return { transports: ["websocket"] };
  if (mode === "polling") return { transports: ["polling"] };
  return { transports: ["polling", "websocket"], upgrade: true };
}

/** A Tether server with `allowEIO3` plus a factory of v2 clients closed with it. */
async function startV2(
  mode: TransportMode,
  opts: ServerOptions = {},
): Promise<Fixture & { v2(nsp?: string, o?: V2Options): V2Socket }> {
  const f = await startServer({ allowEIO3: true, ...opts }, mode);
  const clients: V2Socket[] = [];
  return {
    ...f,
    v2(nsp = "/", o = {}) {
      const c = ioV2(`${f.url}${nsp}`, {
        forceNew: true,
        reconnection: false,
        ...v2Transports(mode),
        ...o,
      });
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.close();
      await f.close();
    },
  };
}

/** Resolves with the args of the next `event`; the v2 client's emitter has no typed `once`. */
function nextV2<T extends unknown[] = unknown[]>(
  c: { once(e: string, fn: (...a: never[]) => void): unknown },
  event: string,
): Promise<T> {
  return next<T>(c, event);
}

/** Waits until the v2 client's session runs on the transport the mode ends on. */
async function settled(c: V2Socket, mode: TransportMode): Promise<void> {
  const want = mode === "polling" ? "polling" : "websocket";
  await waitFor(() => c.io.engine.transport.name === want, 10_000, `the ${want} transport`);
}

for (const mode of MODES) {
  describe(`socket.io-client@2 interop over ${mode} (allowEIO3)`, () => {
    let f: Awaited<ReturnType<typeof startV2>> | undefined;
    afterEach(async () => {
      await f?.close();
      f = undefined;
    });

    it("joins the main namespace without a CONNECT packet, with the Engine.IO id as socket id", async () => {
      f = await startV2(mode);
      const serverSide = next<[Socket]>(f.io, "connection");
      const c = f.v2();
      await nextV2(c, "connect");
      const [socket] = await serverSide;
      assert.equal(socket.id, c.id);
      assert.equal(socket.id, socket.conn.id);
      assert.equal(socket.conn.protocol, 3);
      assert.equal(socket.handshake.query.EIO, "3");
      assert.ok(socket.rooms.has(socket.id));
      await settled(c, mode);
      await waitFor(
        () => socket.conn.transport.name === c.io.engine.transport.name,
        10_000,
        "the server side of the session to be on the same transport",
      );
    });

    it("exchanges events and acknowledgements both ways", async () => {
      f = await startV2(mode);
      const serverSide = next<[Socket]>(f.io, "connection");
      const c = f.v2();
      await nextV2(c, "connect");
      const [socket] = await serverSide;
      await settled(c, mode);
      socket.on("ping-me", (a: unknown, b: unknown, ack: (r: unknown) => void) =>
        ack({ got: [a, b] }),
      );
      const reply = await new Promise((resolve) => c.emit("ping-me", "é😀", 2, resolve));
      assert.deepEqual(reply, { got: ["é😀", 2] });
      c.on("question", (q: string, ack: (a: string) => void) => ack(`${q}!`));
      const answer = await socket.timeout(5000).emitWithAck("question", "why");
      assert.equal(answer, "why!");
      const got = nextV2<[string, number]>(c, "plain");
      socket.emit("plain", "text", 42);
      assert.deepEqual(await got, ["text", 42]);
    });

    it("carries binary data both ways, in events and acknowledgements", async () => {
      f = await startV2(mode);
      const serverSide = next<[Socket]>(f.io, "connection");
      const c = f.v2();
      await nextV2(c, "connect");
      const [socket] = await serverSide;
      await settled(c, mode);
      const received = next<[{ bin: Buffer; n: number }, (r: unknown) => void]>(socket, "upload");
      const acked = new Promise((resolve) =>
        c.emit("upload", { bin: Buffer.from([1, 2, 3]), n: 1 }, resolve),
      );
      const [payload, ack] = await received;
      assert.deepEqual([...payload.bin], [1, 2, 3]);
      assert.equal(payload.n, 1);
      ack({ back: Buffer.from([255, 0]) });
      const reply = (await acked) as { back: Buffer };
      assert.deepEqual([...reply.back], [255, 0]);
      const down = nextV2<[Buffer, string]>(c, "download");
      socket.emit("download", Buffer.from([7, 8, 9]), "tail");
      const [bin, tail] = await down;
      assert.deepEqual([...bin], [7, 8, 9]);
      assert.equal(tail, "tail");
    });

    it("carries binary data as base64 text for a client that forces base64", async () => {
      f = await startV2(mode);
      const serverSide = next<[Socket]>(f.io, "connection");
      const c = f.v2("/", { forceBase64: true });
      await nextV2(c, "connect");
      const [socket] = await serverSide;
      await settled(c, mode);
      const up = next<[Buffer]>(socket, "up");
      c.emit("up", Buffer.from([1, 2]));
      assert.deepEqual([...(await up)[0]], [1, 2]);
      const down = nextV2<[Buffer]>(c, "down");
      socket.emit("down", Buffer.from([3, 4]));
      assert.deepEqual([...(await down)[0]], [3, 4]);
    });

    it("connects to a namespace with a query: auth is the query, merged into handshake.query", async () => {
      f = await startV2(mode);
      const serverSide = next<[Socket]>(f.io.of("/chat"), "connection");
      const c = f.v2("/chat", { query: { token: "abc" } });
      await nextV2(c, "connect");
      const [socket] = await serverSide;
      assert.deepEqual(socket.handshake.auth, { token: "abc" });
      assert.equal(socket.handshake.query.token, "abc");
      assert.equal(socket.handshake.query.EIO, "3");
      assert.equal(socket.id, `/chat#${socket.conn.id}`);
      assert.equal(socket.id, c.id);
      const got = nextV2<[string]>(c, "hi");
      socket.emit("hi", "there");
      assert.deepEqual(await got, ["there"]);
    });

    it("sends a middleware refusal as a plain CONNECT_ERROR payload", async () => {
      f = await startV2(mode);
      f.io.of("/secure").use((_socket, nextFn) => nextFn(new Error("not authorized")));
      const c = f.v2("/secure");
      const [err] = await nextV2<[unknown]>(c, "error");
      assert.equal(err, "not authorized");
      assert.equal(c.connected, false);
    });

    it("answers the client's pings with pongs and keeps the session open", async () => {
      f = await startV2(mode, { pingInterval: 40, pingTimeout: 200 });
      const serverSide = next<[Socket]>(f.io, "connection");
      const c = f.v2();
      await nextV2(c, "connect");
      const [socket] = await serverSide;
      let heartbeats = 0;
      socket.conn.on("heartbeat", () => heartbeats++);
      // Three round trips: the session outlives pingInterval + pingTimeout several times over.
      for (let i = 0; i < 3; i++) await nextV2(c, "pong");
      assert.ok(heartbeats >= 3);
      assert.equal(socket.connected, true);
    });

    it("puts v2 and v4 clients in the same rooms and broadcasts to both", async () => {
      f = await startV2(mode);
      const sockets: Socket[] = [];
      f.io.on("connection", (s) => {
        sockets.push(s);
        s.join("room");
        s.on("shout", (msg: unknown) => s.broadcast.emit("heard", msg));
      });
      const old = f.v2();
      const modern: V4Socket = f.client();
      await Promise.all([nextV2(old, "connect"), next(modern, "connect")]);
      await waitFor(() => sockets.length === 2, 10_000, "both server sockets");
      await settled(old, mode);
      const toOld = nextV2<[string, Buffer]>(old, "news");
      const toModern = next<[string, ArrayBuffer | Buffer]>(modern, "news");
      f.io.to("room").emit("news", "extra", Buffer.from([4, 2]));
      const [[a, abin], [b, bbin]] = await Promise.all([toOld, toModern]);
      assert.equal(a, "extra");
      assert.equal(b, "extra");
      assert.deepEqual([...abin], [4, 2]);
      assert.deepEqual([...new Uint8Array(bbin)], [4, 2]);
      const heardByModern = next<[unknown]>(modern, "heard");
      old.emit("shout", { from: "v2" });
      assert.deepEqual(await heardByModern, [{ from: "v2" }]);
      const heardByOld = nextV2<[unknown]>(old, "heard");
      modern.emit("shout", { from: "v4" });
      assert.deepEqual(await heardByOld, [{ from: "v4" }]);
    });
  });
}

// ── raw HTTP: v3 wire details and the refusal when allowEIO3 is off ─────────────────────────────

interface Reply {
  status: number;
  type: string | undefined;
  body: Buffer;
}

function http(
  port: number,
  method: string,
  path: string,
  body?: string | Buffer,
  type?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = type === undefined ? {} : { "Content-Type": type };
    const req = request({ host: "127.0.0.1", port, method, path, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          type: res.headers["content-type"],
          body: Buffer.concat(chunks),
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("Engine.IO v3 over raw HTTP", () => {
  let f: Fixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  it("refuses EIO=3 with 400 code 5 when allowEIO3 is off (the default)", async () => {
    f = await startServer({}, "polling");
    const refused = next<[ConnectionErrorEvent]>(f.io.engine, "connection_error");
    const res = await http(f.port, "GET", "/socket.io/?EIO=3&transport=polling");
    assert.equal(res.status, 400);
    assert.deepEqual(JSON.parse(res.body.toString()), {
      code: 5,
      message: "Unsupported protocol version",
    });
    const [err] = await refused;
    assert.equal(err.code, 5);
    assert.deepEqual(err.context, { protocol: 3 });
  });

  it("refuses the official v2 client when allowEIO3 is off", async () => {
    f = await startServer({}, "polling");
    const c = ioV2(f.url, { forceNew: true, reconnection: false, transports: ["polling"] });
    try {
      await nextV2(c, "connect_error");
      assert.equal(f.io.engine.clientsCount, 0);
    } finally {
      c.close();
    }
  });

  it("opens a v3 session with length-prefixed records and implicitly connects it to /", async () => {
    f = await startServer({ allowEIO3: true }, "polling");
    const open = await http(f.port, "GET", "/socket.io/?EIO=3&transport=polling&b64=1");
    assert.equal(open.status, 200);
    const text = open.body.toString();
    const m = /^(\d+):0(\{.*?\})/.exec(text);
    assert.ok(m, text);
    const handshake = JSON.parse(m[2] as string) as { sid: string; pingInterval: number };
    assert.equal(Number(m[1]), 1 + (m[2] as string).length);
    let rest = text.slice((m[0] as string).length);
    if (rest === "") {
      rest = (
        await http(f.port, "GET", `/socket.io/?EIO=3&transport=polling&sid=${handshake.sid}`)
      ).body.toString();
    }
    // The Socket.IO CONNECT for `/`, without payload (protocol 4).
    assert.equal(rest, "2:40");
  });

  it("exchanges binary payloads (octet-stream) with a client that did not ask for base64", async () => {
    f = await startServer({ allowEIO3: true }, "polling");
    const serverSide = next<[Socket]>(f.io, "connection");
    const open = await http(f.port, "GET", "/socket.io/?EIO=3&transport=polling");
    const sid = (/"sid":"([^"]+)"/.exec(open.body.toString()) ?? [])[1];
    assert.ok(sid);
    const path = `/socket.io/?EIO=3&transport=polling&sid=${sid}`;
    const [socket] = await serverSide;
    // POST: a BINARY_EVENT header (text record) then its attachment (binary record).
    const header = Buffer.from('451-["up",{"_placeholder":true,"num":0}]');
    const body = Buffer.concat([
      Buffer.from([0, ...String(header.length).split("").map(Number), 0xff]),
      header,
      Buffer.from([1, 4, 0xff, 4, 1, 2, 3]),
    ]);
    const up = next<[Buffer]>(socket, "up");
    const posted = await http(f.port, "POST", path, body, "application/octet-stream");
    assert.equal(posted.status, 200);
    const [bin] = await up;
    assert.deepEqual([...bin], [1, 2, 3]);
    // GET: the server's binary event comes back as a binary payload.
    if (!open.body.toString().endsWith("2:40")) {
      assert.equal((await http(f.port, "GET", path)).body.toString(), "2:40");
    }
    const pending = http(f.port, "GET", path);
    await waitFor(() => socket.conn.transport.writable, 5000, "the GET to be pending");
    socket.emit("down", Buffer.from([9]));
    const poll = await pending;
    assert.equal(poll.type, "application/octet-stream");
    const down = Buffer.from('451-["down",{"_placeholder":true,"num":0}]');
    assert.deepEqual(
      [...poll.body],
      [0, ...String(down.length).split("").map(Number), 0xff, ...down, 1, 2, 0xff, 4, 9],
    );
  });

  it("closes a v3 session whose client sends a pong (only the client pings in v3)", async () => {
    f = await startServer({ allowEIO3: true }, "polling");
    const opened = next<[{ on(e: "close", fn: (reason: string) => void): void }]>(
      f.io.engine,
      "connection",
    );
    const open = await http(f.port, "GET", "/socket.io/?EIO=3&transport=polling&b64=1");
    const sid = (/"sid":"([^"]+)"/.exec(open.body.toString()) ?? [])[1];
    assert.ok(sid);
    const [conn] = await opened;
    const closed = new Promise<string>((resolve) => conn.on("close", resolve));
    await http(
      f.port,
      "POST",
      `/socket.io/?EIO=3&transport=polling&sid=${sid}`,
      "1:3",
      "text/plain",
    );
    assert.equal(await closed, "transport error");
  });

  it("closes a v3 session whose client stops pinging after pingInterval + pingTimeout, without pinging it", async () => {
    f = await startServer({ allowEIO3: true, pingInterval: 60, pingTimeout: 60 }, "polling");
    const opened = next<[{ on(e: "close", fn: (reason: string) => void): void }]>(
      f.io.engine,
      "connection",
    );
    const start = Date.now();
    const open = await http(f.port, "GET", "/socket.io/?EIO=3&transport=polling&b64=1");
    const sid = (/"sid":"([^"]+)"/.exec(open.body.toString()) ?? [])[1];
    assert.ok(sid);
    const [conn] = await opened;
    const closed = new Promise<string>((resolve) => conn.on("close", resolve));
    // A held GET sees every packet the server writes: a v3 server never pings.
    const path = `/socket.io/?EIO=3&transport=polling&sid=${sid}`;
    const seen: string[] = [];
    for (;;) {
      const res = await http(f.port, "GET", path);
      seen.push(res.body.toString());
      if (res.status !== 200 || seen.at(-1)?.endsWith("1:1") || seen.at(-1)?.endsWith("1:6")) break;
    }
    assert.equal(await closed, "ping timeout");
    assert.ok(Date.now() - start >= 110, `closed after ${Date.now() - start} ms`);
    assert.ok(!seen.some((s) => /\d+:2/.test(s)), seen.join(" | "));
  });
});
