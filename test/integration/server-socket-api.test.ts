/**
 * Integration: the Socket API (handshake, rooms, emit flags, middlewares, catch-all listeners,
 * disconnect events, reserved names, error isolation), driven by the official client.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Socket as ClientSocket } from "socket.io-client";
import type { Socket } from "../../src/index.js";
import { waitFor } from "../helpers/wait.js";
import { type Fixture, next, startServer } from "../interop/server-harness.js";

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

/** Starts a server and one connected client; resolves with both ends. */
async function pair(
  setup: (fx: Fixture) => void = () => {},
  nsp = "/",
  opts: Parameters<Fixture["client"]>[1] = {},
): Promise<{ socket: Socket; c: ClientSocket; fx: Fixture }> {
  f = await startServer();
  setup(f);
  const serverSide = next<[Socket]>(f.io.of(nsp), "connection");
  const c = f.client(nsp, opts);
  await next(c, "connect");
  const [socket] = await serverSide;
  return { socket, c, fx: f };
}

describe("Socket API", () => {
  it("exposes the handshake: headers, time, address, xdomain, secure, issued, url, query, auth", async () => {
    const before = Date.now();
    const { socket } = await pair(() => {}, "/", {
      auth: { token: "t" },
      query: { room: "r1" },
      extraHeaders: { "x-test": "yes", origin: "http://example.com" },
    });
    const h = socket.handshake;
    assert.equal(h.headers["x-test"], "yes");
    assert.equal(h.xdomain, true);
    assert.equal(h.secure, false);
    assert.match(h.address, /127\.0\.0\.1/);
    assert.ok(h.issued >= before && h.issued <= Date.now());
    assert.equal(h.time, new Date(h.issued).toString());
    assert.match(h.url, /^\/socket\.io\/\?/);
    assert.equal(h.query.room, "r1");
    assert.equal(h.query.EIO, "4");
    assert.deepEqual(h.auth, { token: "t" });
    assert.equal(socket.conn.id, socket.client.conn.id);
    assert.equal(socket.recovered, false);
  });

  it("joins and leaves rooms (single names and arrays) and keeps its own room", async () => {
    const { socket } = await pair();
    socket.join(["a", "b"]);
    socket.join("c");
    socket.leave("b");
    assert.deepEqual([...socket.rooms].sort(), [socket.id, "a", "c"].sort());
  });

  it("keeps socket.data per socket", async () => {
    const { socket, fx } = await pair();
    socket.data = { user: "ann" };
    const [remote] = await fx.io.fetchSockets();
    assert.deepEqual(remote?.data, { user: "ann" });
  });

  it("send()/write() emit 'message'", async () => {
    const { socket, c } = await pair();
    const got = next<[string, number]>(c, "message");
    socket.send("hi", 1);
    assert.deepEqual(await got, ["hi", 1]);
    const got2 = next<[string]>(c, "message");
    socket.write("again");
    assert.deepEqual(await got2, ["again"]);
  });

  it("timeout(ms).emit passes an error to the ack callback when the client never answers", async () => {
    const { socket, c } = await pair();
    c.on("never", () => {});
    const err = await new Promise<Error | null>((resolve) =>
      socket.timeout(30).emit("never", (e: Error | null) => resolve(e)),
    );
    assert.match(String(err?.message), /operation has timed out/);
  });

  it("emitWithAck without timeout resolves with the client's answer", async () => {
    const { socket, c } = await pair();
    c.on("q", (a: number, ack: (n: number) => void) => ack(a * 2));
    assert.equal(await socket.emitWithAck("q", 21), 42);
  });

  it("volatile emits are dropped while the transport cannot write", async () => {
    f = await startServer();
    const conn = next<[Socket]>(f.io, "connection");
    // A raw polling session: without a pending GET, the transport is not writable.
    const hs = await (await fetch(`${f.url}/socket.io/?EIO=4&transport=polling`)).text();
    const sid = (JSON.parse(hs.slice(1)) as { sid: string }).sid;
    const base = `${f.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`;
    await (await fetch(base, { method: "POST", body: "40" })).text();
    assert.match(await (await fetch(base)).text(), /^40/);
    const [socket] = await conn;
    assert.equal(socket.conn.transport.writable, false);
    socket.volatile.emit("v", "dropped");
    socket.emit("v", "kept");
    f.io.volatile.emit("v", "dropped-broadcast");
    assert.equal(await (await fetch(base)).text(), '42["v","kept"]');
    socket.disconnect(true);
  });

  it("compress(false) hands compress:false to the engine for that emit only", async () => {
    const { socket, c } = await pair();
    const seen: (boolean | undefined)[] = [];
    const write = socket.conn.write.bind(socket.conn);
    socket.conn.write = ((data: string, opts?: { compress?: boolean }) => {
      seen.push(opts?.compress);
      return write(data, opts);
    }) as typeof socket.conn.write;
    const got = next(c, "b");
    socket.compress(false).emit("a");
    socket.emit("b");
    await got;
    assert.deepEqual(seen, [false, true]);
  });

  it("throws when emitting a reserved event name", async () => {
    const { socket, fx } = await pair();
    for (const name of [
      "connect",
      "connect_error",
      "disconnect",
      "disconnecting",
      "newListener",
      "removeListener",
    ]) {
      assert.throws(() => socket.emit(name), { code: "SIO_ERR_RESERVED_EVENT" });
      assert.throws(() => fx.io.emit(name), { code: "SIO_ERR_RESERVED_EVENT" });
      assert.throws(() => socket.to("x").emit(name), { code: "SIO_ERR_RESERVED_EVENT" });
    }
  });

  it("socket.use middleware sees every event and can block it with an error", async () => {
    const { socket, c } = await pair();
    const seen: unknown[] = [];
    const errors: string[] = [];
    socket.use(([event, ...args], nextFn) => {
      seen.push(event, ...args);
      if (event === "blocked") nextFn(new Error("nope"));
      else nextFn();
    });
    socket.on("error", (err) => errors.push(err.message));
    const delivered: string[] = [];
    socket.on("blocked", () => delivered.push("blocked"));
    socket.on("ok", () => delivered.push("ok"));
    c.emit("blocked", 1);
    c.emit("ok", 2);
    await waitFor(() => delivered.length === 1 && errors.length === 1, 5000, "middleware");
    assert.deepEqual(delivered, ["ok"]);
    assert.deepEqual(errors, ["nope"]);
    assert.deepEqual(seen, ["blocked", 1, "ok", 2]);
  });

  it("onAny/prependAny/offAny/listenersAny catch every incoming event", async () => {
    const { socket, c } = await pair();
    const seen: string[] = [];
    const first = (ev: string) => seen.push(`first:${ev}`);
    const second = (ev: string, x: number) => seen.push(`second:${ev}:${x}`);
    socket.onAny(second);
    socket.prependAny(first);
    assert.deepEqual(socket.listenersAny(), [first, second]);
    c.emit("e1", 1);
    await waitFor(() => seen.length === 2, 5000, "any");
    socket.offAny(first);
    c.emit("e2", 2);
    await waitFor(() => seen.length === 3, 5000, "any");
    socket.offAny();
    assert.deepEqual(socket.listenersAny(), []);
    assert.deepEqual(seen, ["first:e1", "second:e1:1", "second:e2:2"]);
  });

  it("onAnyOutgoing/prependAnyOutgoing/offAnyOutgoing see emits and broadcasts", async () => {
    const { socket, c, fx } = await pair();
    const seen: string[] = [];
    const l = (ev: string, ...args: unknown[]) => seen.push(`${ev}:${args.join(",")}`);
    const p = (ev: string) => seen.push(`pre:${ev}`);
    socket.onAnyOutgoing(l);
    socket.prependAnyOutgoing(p);
    assert.deepEqual(socket.listenersAnyOutgoing(), [p, l]);
    socket.emit("direct", 1);
    fx.io.emit("bcast", 2);
    socket.offAnyOutgoing(p);
    socket.emit("later", 3);
    socket.offAnyOutgoing();
    socket.emit("unseen");
    await next(c, "unseen");
    assert.deepEqual(seen, ["pre:direct", "direct:1", "pre:bcast", "bcast:2", "later:3"]);
  });

  it("emits disconnecting with rooms still readable, then disconnect with the reason", async () => {
    const { socket, c } = await pair();
    socket.join("room");
    const events: string[] = [];
    socket.on("disconnecting", (reason) =>
      events.push(`disconnecting:${reason}:${[...socket.rooms].includes("room")}`),
    );
    socket.on("disconnect", (reason) => events.push(`disconnect:${reason}:${socket.rooms.size}`));
    c.disconnect();
    await waitFor(() => events.length === 2, 5000, "disconnect events");
    assert.deepEqual(events, [
      "disconnecting:client namespace disconnect:true",
      "disconnect:client namespace disconnect:0",
    ]);
    assert.equal(socket.connected, false);
    assert.equal(socket.disconnected, true);
  });

  it("disconnect(true) closes the whole connection, disconnect() only the namespace", async () => {
    const { socket, c, fx } = await pair();
    const other = c.io.socket("/other");
    const otherServer = next<[Socket]>(fx.io.of("/other"), "connection");
    other.connect();
    await next(other, "connect");
    const [otherSocket] = await otherServer;
    const r1 = next<[string]>(c, "disconnect");
    socket.disconnect();
    assert.equal((await r1)[0], "io server disconnect");
    assert.equal(other.connected, true);
    const r2 = next<[string]>(other, "disconnect");
    otherSocket.disconnect(true);
    assert.equal((await r2)[0], "io server disconnect");
    await waitFor(() => otherSocket.conn.readyState === "closed", 5000, "engine closed");
  });

  it("isolates a throwing or rejecting handler: other handlers and sockets keep working", async () => {
    f = await startServer();
    const original = console.error;
    const logged: unknown[] = [];
    console.error = (...a: unknown[]) => logged.push(a);
    try {
      f.io.on("connection", (socket) => {
        socket.on("boom", () => {
          throw new Error("sync boom");
        });
        socket.on("boom", async () => {
          throw new Error("async boom");
        });
        socket.on("echo", (x: unknown, ack: (v: unknown) => void) => ack(x));
      });
      f.io.on("connection", () => {
        throw new Error("connection handler boom");
      });
      const a = f.client();
      const b = f.client();
      await Promise.all([next(a, "connect"), next(b, "connect")]);
      a.emit("boom");
      assert.equal(await a.emitWithAck("echo", 1), 1);
      assert.equal(await b.emitWithAck("echo", 2), 2);
      await waitFor(() => logged.length >= 4, 5000, "errors logged");
    } finally {
      console.error = original;
    }
  });

  it("routes handler errors to the socket's 'error' listeners when there are some", async () => {
    const { socket, c } = await pair();
    const errors: string[] = [];
    socket.on("error", (e) => errors.push(e.message));
    socket.on("bad", () => {
      throw new Error("handled");
    });
    c.emit("bad");
    await waitFor(() => errors.length === 1, 5000, "error event");
    assert.deepEqual(errors, ["handled"]);
  });
});

describe("Namespaces and middlewares", () => {
  it("runs io.use middlewares in order, async ones included, before connection", async () => {
    f = await startServer();
    const order: string[] = [];
    f.io.use((socket, nextFn) => {
      order.push("one");
      socket.data = { user: socket.handshake.auth.user };
      nextFn();
    });
    f.io.use((_s, nextFn) => {
      setTimeout(() => {
        order.push("two");
        nextFn();
      }, 5);
    });
    const conn = next<[Socket]>(f.io, "connection");
    const c = f.client("/", { auth: { user: "bob" } });
    await next(c, "connect");
    const [socket] = await conn;
    order.push("connection");
    assert.deepEqual(order, ["one", "two", "connection"]);
    assert.deepEqual(socket.data, { user: "bob" });
  });

  it("creates dynamic namespaces from a RegExp or a function, with parent middleware and new_namespace", async () => {
    f = await startServer();
    const created: string[] = [];
    f.io.on("new_namespace", (nsp) => created.push(nsp.name));
    const parent = f.io.of(/^\/team-\d+$/);
    const used: string[] = [];
    parent.use((s, nextFn) => {
      used.push(s.nsp.name);
      nextFn();
    });
    parent.on("connection", (s) => s.emit("where", s.nsp.name));
    f.io
      .of((name, auth, nextFn) => nextFn(null, name === "/fn" && auth.ok === true))
      .on("connection", (s) => s.emit("where", s.nsp.name));
    const t1 = f.client("/team-1");
    const [where] = await next<[string]>(t1, "where");
    assert.equal(where, "/team-1");
    const fn = f.client("/fn", { auth: { ok: true } });
    assert.deepEqual(await next(fn, "where"), ["/fn"]);
    const refused = f.client("/fn2", { auth: { ok: true } });
    assert.equal((await next<[Error]>(refused, "connect_error"))[0].message, "Invalid namespace");
    assert.deepEqual(used, ["/team-1"]);
    assert.deepEqual(created, ["/team-1", "/fn"]);
    const news = next<[string]>(t1, "news");
    parent.emit("news", "to all teams");
    assert.deepEqual(await news, ["to all teams"]);
  });

  it("forgets rooms joined by a middleware that then refuses, and joins after disconnect", async () => {
    f = await startServer();
    f.io.use((socket, nextFn) => {
      socket.join("lobby");
      if (socket.handshake.auth.ok) nextFn();
      else nextFn(new Error("refused"));
    });
    const refused = f.client("/");
    await next(refused, "connect_error");
    const adapter = f.io.of("/").adapter;
    assert.equal(adapter.rooms.has("lobby"), false);
    assert.equal(adapter.sids.size, 0);
    const conn = next<[Socket]>(f.io, "connection");
    const c = f.client("/", { auth: { ok: true } });
    await next(c, "connect");
    const [socket] = await conn;
    assert.ok(socket.rooms.has("lobby"));
    c.disconnect();
    await waitFor(() => socket.disconnected, 5000, "disconnect");
    socket.join("late");
    assert.equal(adapter.rooms.has("late"), false);
    assert.equal(adapter.sids.size, 0);
  });

  it("emits new_namespace when io.of creates a namespace", async () => {
    f = await startServer();
    const created: string[] = [];
    f.io.on("new_namespace", (nsp) => created.push(nsp.name));
    f.io.of("/a");
    f.io.of("b");
    f.io.of("/a");
    assert.deepEqual(created, ["/a", "/b"]);
  });
});
