/**
 * Conformance with the Socket.IO protocol v5 (socketio/socket.io:docs/socket.io-protocol/
 * v5-current.md), speaking raw Engine.IO + Socket.IO packets over a raw WebSocket and raw HTTP
 * long-polling against the Tether server.
 */
import assert from "node:assert/strict";
import { createServer, type Server as HttpServer } from "node:http";
import { afterEach, describe, it } from "node:test";
import { decode as msgpackDecode, encode as msgpackEncode } from "@msgpack/msgpack";
import WebSocket from "ws";
import { msgpackParser, Server, type ServerOptions, type Socket } from "../../src/index.js";
import { closeServer, listen, waitFor } from "../helpers/wait.js";

interface RawWs {
  next(timeoutMs?: number): Promise<string | Buffer>;
  send(data: string | Buffer): void;
  closed: Promise<void>;
  ws: WebSocket;
}

let http: HttpServer | undefined;
let io: Server | undefined;
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await io?.close();
  if (http) await closeServer(http);
  io = undefined;
  http = undefined;
});

async function start(opts: ServerOptions = {}): Promise<{ server: Server; port: number }> {
  http = createServer();
  io = new Server(http, opts);
  const port = await listen(http);
  return { server: io, port };
}

/** Opens a raw WebSocket session and consumes the Engine.IO open packet. */
async function rawWs(port: number): Promise<RawWs & { open: Record<string, unknown> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
  sockets.push(ws);
  const queue: (string | Buffer)[] = [];
  const waiters: ((m: string | Buffer) => void)[] = [];
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    const m = isBinary ? data : data.toString();
    // Heartbeats are not part of these scenarios.
    if (m === "2") {
      ws.send("3");
      return;
    }
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
  const api: RawWs = {
    ws,
    closed,
    send: (d) => ws.send(d),
    next: (timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const q = queue.shift();
        if (q !== undefined) {
          resolve(q);
          return;
        }
        const timer = setTimeout(() => reject(new Error("no message")), timeoutMs);
        waiters.push((m) => {
          clearTimeout(timer);
          resolve(m);
        });
      }),
  };
  const open = await api.next();
  assert.equal(typeof open, "string");
  assert.equal((open as string)[0], "0");
  return { ...api, open: JSON.parse((open as string).slice(1)) as Record<string, unknown> };
}

describe("Socket.IO v5 over a raw WebSocket", () => {
  it("answers CONNECT on / with a fresh 20-char sid that is not the engine sid", async () => {
    const { port } = await start();
    const c = await rawWs(port);
    c.send("40");
    const reply = (await c.next()) as string;
    const m = /^40\{"sid":"([\w-]{20})"\}$/.exec(reply);
    assert.ok(m, reply);
    assert.notEqual(m[1], c.open.sid);
  });

  it("answers CONNECT on a custom namespace and passes the auth payload", async () => {
    const { server, port } = await start();
    const auth = new Promise<unknown>((resolve) =>
      server.of("/admin").on("connection", (s) => resolve(s.handshake.auth)),
    );
    const c = await rawWs(port);
    c.send('40/admin,{"token":"abc"}');
    assert.match((await c.next()) as string, /^40\/admin,\{"sid":"[\w-]{20}"\}$/);
    assert.deepEqual(await auth, { token: "abc" });
  });

  it("refuses an unknown namespace with CONNECT_ERROR 'Invalid namespace'", async () => {
    const { port } = await start();
    const c = await rawWs(port);
    c.send("40/nope,");
    assert.equal(await c.next(), '44/nope,{"message":"Invalid namespace"}');
  });

  it("refuses from middleware with CONNECT_ERROR carrying message and data", async () => {
    const { server, port } = await start();
    server
      .of("/secure")
      .use((_s, next) =>
        next(Object.assign(new Error("not authorized"), { data: { reason: "x" } })),
      );
    const c = await rawWs(port);
    c.send("40/secure,");
    assert.equal(await c.next(), '44/secure,{"message":"not authorized","data":{"reason":"x"}}');
  });

  it("answers an EVENT with an ack id with an ACK carrying the same id", async () => {
    const { server, port } = await start();
    server.on("connection", (s) => s.on("echo", (a: unknown, ack: (v: unknown) => void) => ack(a)));
    const c = await rawWs(port);
    c.send("40");
    await c.next();
    c.send('4212["echo",{"x":1}]');
    assert.equal(await c.next(), '4312[{"x":1}]');
  });

  it("sends server emits with ack ids and routes the client's ACK to the callback", async () => {
    const { server, port } = await start();
    const answer = new Promise<unknown>((resolve) =>
      server.of("/a").on("connection", (s) => s.emit("q", 1, resolve)),
    );
    const c = await rawWs(port);
    c.send("40/a,");
    await c.next();
    assert.equal(await c.next(), '42/a,0["q",1]');
    c.send('43/a,0["yes"]');
    assert.equal(await answer, "yes");
  });

  it("reassembles BINARY_EVENT attachments and sends binary with placeholders", async () => {
    const { server, port } = await start();
    server.on("connection", (s) =>
      s.on("bin", (b: Buffer, ack: (x: unknown) => void) =>
        ack(Buffer.concat([b, Buffer.from([9])])),
      ),
    );
    const c = await rawWs(port);
    c.send("40");
    await c.next();
    c.send('451-3["bin",{"_placeholder":true,"num":0}]');
    c.send(Buffer.from([1, 2]));
    assert.equal(await c.next(), '461-3[{"_placeholder":true,"num":0}]');
    assert.deepEqual([...((await c.next()) as Buffer)], [1, 2, 9]);
  });

  it("handles DISCONNECT of one namespace without closing the others", async () => {
    const { server, port } = await start();
    const reason = new Promise<string>((resolve) =>
      server.of("/a").on("connection", (s) => s.on("disconnect", resolve)),
    );
    server.on("connection", (s) => s.on("ping2", (ack: (v: string) => void) => ack("alive")));
    const c = await rawWs(port);
    c.send("40");
    await c.next();
    c.send("40/a,");
    await c.next();
    c.send("41/a,");
    assert.equal(await reason, "client namespace disconnect");
    c.send('421["ping2"]');
    assert.equal(await c.next(), '431["alive"]');
  });

  it("sends DISCONNECT when the server disconnects a socket", async () => {
    const { server, port } = await start();
    server.of("/a").on("connection", (s) => s.disconnect());
    const c = await rawWs(port);
    c.send("40/a,");
    await c.next();
    assert.equal(await c.next(), "41/a,");
  });

  const fatal: [string, (string | Buffer)[]][] = [
    ["an unknown packet type", ["49"]],
    ["an EVENT with an object payload", ['42{"a":1}']],
    ["an EVENT with a reserved name", ['42["disconnect"]']],
    ["a second CONNECT for the same namespace", ["40"]],
    ["an EVENT for a namespace that is not connected", ['42/other,["x"]']],
    ["a binary frame when none is expected", [Buffer.from([1])]],
    ["too many attachments", ['4511-["x"]']],
  ];
  for (const [what, packets] of fatal) {
    it(`closes the connection on ${what}`, async () => {
      const { server, port } = await start();
      const reason = new Promise<string>((resolve) =>
        server.on("connection", (s) => s.on("disconnect", resolve)),
      );
      const c = await rawWs(port);
      c.send("40");
      await c.next();
      for (const p of packets) c.send(p);
      await c.closed;
      assert.match(await reason, /parse error|forced close/);
    });
  }

  it("closes a connection that joins no namespace within connectTimeout", async () => {
    const { port } = await start({ connectTimeout: 100 });
    const c = await rawWs(port);
    await c.closed;
  });

  it("adds pid to CONNECT and an offset to events with connection state recovery", async () => {
    const { server, port } = await start({ connectionStateRecovery: {} });
    server.on("connection", (s: Socket) => s.emit("hello", "world"));
    const c = await rawWs(port);
    c.send("40");
    assert.match((await c.next()) as string, /^40\{"sid":"[\w-]{20}","pid":"[\w-]{20}"\}$/);
    assert.match((await c.next()) as string, /^42\["hello","world","[^"]+"\]$/);
  });

  it("speaks msgpack packets as binary frames with the msgpack parser", async () => {
    const { server, port } = await start({ parser: msgpackParser });
    server.on("connection", (s) => s.on("e", (v: unknown, ack: (x: unknown) => void) => ack(v)));
    const c = await rawWs(port);
    c.send(Buffer.from(msgpackEncode({ type: 0, nsp: "/" })));
    const reply = msgpackDecode((await c.next()) as Buffer) as {
      type: number;
      nsp: string;
      data: { sid: string };
    };
    assert.equal(reply.type, 0);
    assert.equal(reply.nsp, "/");
    assert.equal(typeof reply.data.sid, "string");
    c.send(Buffer.from(msgpackEncode({ type: 2, nsp: "/", id: 5, data: ["e", 42] })));
    assert.deepEqual(msgpackDecode((await c.next()) as Buffer), {
      type: 3,
      nsp: "/",
      id: 5,
      data: [42],
    });
  });
});

describe("Socket.IO v5 over raw HTTP long-polling", () => {
  async function poll(base: string, method: "GET" | "POST", body?: string): Promise<string> {
    const res = await fetch(base, { method, ...(body === undefined ? {} : { body }) });
    assert.equal(res.status, 200);
    return res.text();
  }

  it("connects, exchanges events with acks and binary attachments as b64 records", async () => {
    const { server, port } = await start();
    server.on("connection", (s) =>
      s.on("bin", (b: Buffer, ack: (...x: unknown[]) => void) =>
        ack("got", b.length, Buffer.from([7])),
      ),
    );
    const hs = await poll(`http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling`, "GET");
    const sid = (JSON.parse(hs.slice(1)) as { sid: string }).sid;
    const base = `http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling&sid=${sid}`;
    assert.equal(await poll(base, "POST", "40"), "ok");
    assert.match(await poll(base, "GET"), /^40\{"sid":"[\w-]{20}"\}$/);
    assert.equal(
      await poll(base, "POST", '451-4["bin",{"_placeholder":true,"num":0}]\x1ebAQID'),
      "ok",
    );
    assert.equal(await poll(base, "GET"), '461-4["got",3,{"_placeholder":true,"num":0}]\x1ebBw==');
  });
});

describe("server-side effects visible on the wire", () => {
  it("encodes a broadcast once and writes the same frame to every recipient", async () => {
    const { server, port } = await start();
    const a = await rawWs(port);
    const b = await rawWs(port);
    a.send("40");
    b.send("40");
    await a.next();
    await b.next();
    await waitFor(() => server.sockets.sockets.size === 2, 5000, "two sockets");
    server.emit("news", { n: 1 });
    assert.equal(await a.next(), '42["news",{"n":1}]');
    assert.equal(await b.next(), '42["news",{"n":1}]');
  });
});
