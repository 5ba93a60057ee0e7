/**
 * Integration: broadcasting (rooms, except, flags, acks from many clients), fetchSockets and
 * RemoteSocket, socketsJoin/Leave, disconnectSockets, serverSideEmit, adapter room events and
 * encode-once delivery.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Socket as ClientSocket } from "socket.io-client";
import { RemoteSocket, type Socket } from "../../src/index.js";
import { waitFor } from "../helpers/wait.js";
import { type Fixture, next, startServer } from "../interop/server-harness.js";

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

interface Peer {
  c: ClientSocket;
  s: Socket;
  got: string[];
}

/** Starts a server with `n` connected clients, each recording the `news` it receives. */
async function peers(n: number, nsp = "/"): Promise<{ fx: Fixture; p: Peer[] }> {
  f = await startServer();
  const fx = f;
  const p: Peer[] = [];
  for (let i = 0; i < n; i++) {
    const conn = next<[Socket]>(fx.io.of(nsp), "connection");
    const c = fx.client(nsp);
    const got: string[] = [];
    c.on("news", (tag: string) => got.push(tag));
    await next(c, "connect");
    const [s] = await conn;
    p.push({ c, s, got });
  }
  return { fx, p };
}

/** Emits a marker to everyone and waits until each peer saw it: all earlier packets arrived. */
async function settle(fx: Fixture, p: Peer[]): Promise<void> {
  fx.io.emit("news", "#");
  await waitFor(() => p.every((x) => x.got.includes("#")), 5000, "marker");
  for (const x of p) x.got.splice(x.got.indexOf("#"), 1);
}

describe("Broadcasting", () => {
  it("io.emit reaches every socket of the main namespace only", async () => {
    const { fx, p } = await peers(2);
    fx.io.of("/other");
    const other = fx.client("/other");
    const otherGot: string[] = [];
    other.on("news", (t: string) => otherGot.push(t));
    await next(other, "connect");
    fx.io.emit("news", "all");
    await settle(fx, p);
    assert.deepEqual(
      p.map((x) => x.got),
      [["all"], ["all"]],
    );
    assert.deepEqual(otherGot, []);
  });

  it("to(a).to(b).except(c) targets the union of rooms minus the excluded room, once each", async () => {
    const { fx, p } = await peers(4);
    const [a, b, c, d] = p as [Peer, Peer, Peer, Peer];
    a.s.join(["r1", "r2"]);
    b.s.join("r2");
    c.s.join(["r1", "vip"]);
    fx.io.to("r1").to("r2").except("vip").emit("news", "x");
    fx.io.in(["r1"]).emit("news", "in");
    await settle(fx, p);
    assert.deepEqual([a.got, b.got, c.got, d.got], [["x", "in"], ["x"], ["in"], []]);
  });

  it("socket.to(room) excludes the sender; socket.except excludes a room and the sender", async () => {
    const { fx, p } = await peers(3);
    const [a, b, c] = p as [Peer, Peer, Peer];
    for (const x of p) x.s.join("room");
    c.s.join("muted");
    a.s.to("room").emit("news", "to");
    a.s.except("muted").emit("news", "except");
    a.s.in("room").emit("news", "in");
    await settle(fx, p);
    assert.deepEqual([a.got, b.got, c.got], [[], ["to", "except", "in"], ["to", "in"]]);
  });

  it("namespace broadcasts stay in their namespace", async () => {
    const { fx, p } = await peers(2, "/chat");
    fx.io.of("/chat").emit("news", "chat");
    fx.io.emit("news", "main");
    await waitFor(() => p.every((x) => x.got.length === 1), 5000, "chat news");
    assert.deepEqual(
      p.map((x) => x.got),
      [["chat"], ["chat"]],
    );
  });

  it("local, compress and volatile return operators that still deliver when writable", async () => {
    const { fx, p } = await peers(1);
    fx.io.local.emit("news", "local");
    fx.io.compress(false).emit("news", "nocompress");
    await settle(fx, p);
    // A volatile packet goes out only when the transport is free (socket.io's rule).
    await waitFor(() => p[0]?.s.conn.writableNow === true, 5000, "a free transport");
    fx.io.to(p[0]?.s.id ?? "").volatile.emit("news", "volatile");
    await settle(fx, p);
    assert.deepEqual(p[0]?.got, ["local", "nocompress", "volatile"]);
  });

  it("timeout().emit collects one ack per client; emitWithAck resolves with them", async () => {
    const { fx, p } = await peers(3);
    for (const [i, x] of p.entries()) x.c.on("q", (ack: (v: number) => void) => ack(i));
    const responses = await new Promise<unknown[]>((resolve, reject) =>
      fx.io
        .timeout(5000)
        .emit("q", (err: Error | null, res: number[]) => (err ? reject(err) : resolve(res))),
    );
    assert.deepEqual([...responses].sort(), [0, 1, 2]);
    const again = await fx.io.timeout(5000).emitWithAck("q");
    assert.deepEqual([...(again as number[])].sort(), [0, 1, 2]);
    const none = await fx.io.to("empty-room").timeout(100).emitWithAck("q");
    assert.deepEqual(none, []);
  });

  it("reports a timeout with the responses received so far", async () => {
    const { fx, p } = await peers(2);
    p[0]?.c.on("q", (ack: (v: string) => void) => ack("fast"));
    p[1]?.c.on("q", () => {});
    const [err, res] = await new Promise<[Error | null, unknown[]]>((resolve) =>
      fx.io.timeout(100).emit("q", (e: Error | null, r: unknown[]) => resolve([e, r])),
    );
    assert.match(String(err?.message), /operation has timed out/);
    assert.deepEqual(res, ["fast"]);
    await assert.rejects(fx.io.timeout(50).emitWithAck("q"), /timed out/);
  });

  it("encodes a broadcast once for all recipients", async () => {
    const { fx, p } = await peers(3);
    const encoder = fx.io.encoder;
    const original = encoder.encode.bind(encoder);
    let calls = 0;
    encoder.encode = (packet) => {
      calls++;
      return original(packet);
    };
    fx.io.emit("news", "once", Buffer.from([1, 2]));
    await waitFor(() => p.every((x) => x.got.includes("once")), 5000, "delivery");
    assert.equal(calls, 1);
  });
});

describe("Remote socket operations", () => {
  it("fetchSockets returns this node's sockets as the live Socket instances, as upstream", async () => {
    const { fx, p } = await peers(2);
    const [a, b] = p as [Peer, Peer];
    a.s.join("room");
    const found = await fx.io.in("room").fetchSockets();
    assert.deepEqual(
      found.map((x) => (x as unknown) === a.s),
      [true],
    );
    b.c.on("q", (ack: (v: string) => void) => ack("from-b"));
    const [sb] = await fx.io.except("room").fetchSockets();
    // A live socket's acknowledgement is the single value, not an array of responses.
    assert.equal(await sb?.timeout(5000).emitWithAck("q"), "from-b");
  });

  it("RemoteSocket (the cross-node view) has id, handshake, rooms and data and can emit, join, leave, disconnect", async () => {
    const { fx, p } = await peers(2);
    const [a, b] = p as [Peer, Peer];
    a.s.join("room");
    a.s.data = { n: 1 };
    const adapter = fx.io.of("/").adapter;
    const [details] = await adapter.fetchSockets({ rooms: new Set(["room"]) });
    assert.ok(details);
    const r = new RemoteSocket(adapter, details);
    assert.equal(r.id, a.s.id);
    assert.deepEqual(r.data, { n: 1 });
    assert.ok(r.rooms.has("room"));
    assert.equal(r.handshake.auth !== undefined, true);
    r.emit("news", "remote");
    r.join("joined");
    assert.ok(a.s.rooms.has("joined"));
    r.leave("room");
    assert.equal(a.s.rooms.has("room"), false);
    await settle(fx, p);
    assert.deepEqual([a.got, b.got], [["remote"], []]);
    b.c.on("q", (ack: (v: string) => void) => ack("from-b"));
    const [db] = await adapter.fetchSockets({ rooms: new Set(), except: new Set(["joined"]) });
    assert.ok(db);
    const rb = new RemoteSocket(adapter, db);
    // As socket.io: a RemoteSocket's ack is the single response, like a live socket's.
    assert.equal(await rb.timeout(5000).emitWithAck("q"), "from-b");
    const gone = next<[string]>(b.c, "disconnect");
    rb.disconnect();
    assert.equal((await gone)[0], "io server disconnect");
  });

  it("socketsJoin, socketsLeave and disconnectSockets act on the selection", async () => {
    const { fx, p } = await peers(3);
    const [a, b, c] = p as [Peer, Peer, Peer];
    a.s.join("x");
    fx.io.except("x").socketsJoin(["y", "z"]);
    assert.deepEqual(
      [a.s.rooms.has("y"), b.s.rooms.has("y"), c.s.rooms.has("z")],
      [false, true, true],
    );
    fx.io.in("y").socketsLeave("z");
    assert.equal(c.s.rooms.has("z"), false);
    const bGone = next<[string]>(b.c, "disconnect");
    const cGone = next<[string]>(c.c, "disconnect");
    fx.io.in("y").disconnectSockets();
    assert.equal((await bGone)[0], "io server disconnect");
    await cGone;
    const aGone = next<[string]>(a.c, "disconnect");
    fx.io.disconnectSockets(true);
    assert.equal((await aGone)[0], "io server disconnect");
    await waitFor(() => a.s.conn.readyState === "closed", 5000, "connection closed");
    assert.deepEqual(await fx.io.allSockets(), new Set());
  });

  it("serverSideEmit is a no-op on one node and acks with no responses", async () => {
    f = await startServer();
    let heard = false;
    f.io.on("ping-peers", () => {
      heard = true;
    });
    assert.equal(f.io.serverSideEmit("ping-peers"), true);
    const responses = await new Promise<unknown[]>((resolve, reject) =>
      f?.io.serverSideEmit("ping-peers", (err: Error | null, res: unknown[]) =>
        err ? reject(err) : resolve(res),
      ),
    );
    assert.deepEqual(responses, []);
    assert.deepEqual(await f.io.serverSideEmitWithAck("ping-peers"), []);
    assert.equal(heard, false);
  });

  it("the adapter emits create-room, join-room, leave-room and delete-room", async () => {
    const { fx, p } = await peers(1);
    const events: string[] = [];
    const adapter = fx.io.of("/").adapter;
    adapter.on("create-room", (room) => events.push(`create:${room}`));
    adapter.on("join-room", (room) => events.push(`join:${room}`));
    adapter.on("leave-room", (room) => events.push(`leave:${room}`));
    adapter.on("delete-room", (room) => events.push(`delete:${room}`));
    p[0]?.s.join("r");
    p[0]?.s.leave("r");
    assert.deepEqual(events, ["create:r", "join:r", "leave:r", "delete:r"]);
  });
});
