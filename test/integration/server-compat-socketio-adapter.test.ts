/**
 * Integration: the host side of socket.io's adapter contract, in one process. socket.io-adapter's
 * own classes (`Adapter`, `SessionAwareAdapter`, a `ClusterAdapterWithHeartbeat` subclass on an
 * in-process bus joining two Tether servers) run unchanged in Tether: rooms, `except`, binary,
 * acks, `volatile` and backpressure through `client.writeToEngine`, adapter events, connection
 * state recovery with a `restoreSession` that answers `null` synchronously, and messages from
 * another node that are garbage, foreign or truncated — reported, never thrown, never written.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import {
  Adapter,
  ClusterAdapterWithHeartbeat,
  type ClusterMessage,
  type ClusterResponse,
  SessionAwareAdapter,
} from "socket.io-adapter";
import type { Socket as ClientSocket } from "socket.io-client";
import type { Socket } from "../../src/index.js";
import { SocketIoAdapterBridge } from "../../src/server/compat/socketio-adapter.js";
import { eventually, waitFor } from "../helpers/wait.js";
import { type Fixture, next, startServer } from "../interop/server-harness.js";

const fixtures: Fixture[] = [];
afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((f) => f.close()));
});

async function start(opts: Parameters<typeof startServer>[0] = {}): Promise<Fixture> {
  const f = await startServer(opts);
  fixtures.push(f);
  return f;
}

/** Connects a client and returns it with its server-side socket. */
async function connect(
  f: Fixture,
  opts: Parameters<Fixture["client"]>[1] = {},
): Promise<{ c: ClientSocket; s: Socket }> {
  const connection = next<[Socket]>(f.io, "connection");
  const c = f.client("/", opts);
  await next(c, "connect");
  const [s] = await connection;
  return { c, s };
}

/** A round trip to the server: what it sent before has arrived. */
async function roundTrip(c: ClientSocket, s: Socket): Promise<void> {
  s.once("rt", (ack: () => void) => ack());
  await c.timeout(5000).emitWithAck("rt");
}

/** Records every event a client receives. */
function record(c: ClientSocket): Array<[string, ...unknown[]]> {
  const got: Array<[string, ...unknown[]]> = [];
  c.onAny((ev: string, ...args: unknown[]) => got.push([ev, ...args]));
  return got;
}

describe("socket.io-adapter's in-memory Adapter inside Tether", () => {
  it("is wrapped by the bridge, set with io.adapter(), and broadcasts to rooms, except and binary", async () => {
    const f = await start();
    f.io.adapter(Adapter);
    assert.ok(f.io.of("/").adapter instanceof SocketIoAdapterBridge);
    const joined: string[] = [];
    f.io.of("/").adapter.on("join-room", (room, id) => joined.push(`${room}:${id}`));
    const [a, b, c] = [await connect(f), await connect(f), await connect(f)];
    const got = [a, b, c].map((p) => record(p.c));
    await a.s.join("r");
    await b.s.join(["r", "muted"]);
    assert.ok(joined.includes(`r:${a.s.id}`) && joined.includes(`muted:${b.s.id}`));
    f.io.to("r").except("muted").emit("room", 1);
    f.io.emit("bin", Buffer.from([1, 2, 3]));
    a.s.broadcast.emit("from-a", "x");
    await Promise.all([a, b, c].map((p) => roundTrip(p.c, p.s)));
    assert.deepEqual(got[0], [
      ["room", 1],
      ["bin", Buffer.from([1, 2, 3])],
    ]);
    assert.deepEqual(got[1], [
      ["bin", Buffer.from([1, 2, 3])],
      ["from-a", "x"],
    ]);
    assert.deepEqual(got[2], [
      ["bin", Buffer.from([1, 2, 3])],
      ["from-a", "x"],
    ]);
    assert.deepEqual(a.s.rooms, new Set([a.s.id, "r"]));
    const fetched = await f.io.in("r").fetchSockets();
    assert.deepEqual(fetched.map((s) => s.id).sort(), [a.s.id, b.s.id].sort());
    f.io.in("r").socketsLeave("r");
    assert.deepEqual(await f.io.in("r").allSockets(), new Set());
  });

  it("collects broadcast acks through socket.acks (nsp._ids allocates the id)", async () => {
    const f = await start({ adapter: Adapter });
    const [a, b] = [await connect(f), await connect(f)];
    a.c.on("q", (n: number, ack: (r: string) => void) => ack(`a${n}`));
    b.c.on("q", (n: number, ack: (r: string) => void) => ack(`b${n}`));
    const before = f.io.of("/")._ids;
    const replies = await f.io.timeout(5000).emitWithAck("q", 1);
    assert.deepEqual([...replies].sort(), ["a1", "b1"]);
    assert.equal(f.io.of("/")._ids, before + 1);
    assert.equal(a.s.acks.size, 0);
  });

  it("drops volatile broadcasts the transport cannot take now, as Tether's own broadcasts", async () => {
    const f = await start({ adapter: Adapter });
    const { c, s } = await connect(f);
    const got: number[] = [];
    c.on("v", (n: number) => got.push(n));
    await waitFor(() => s.conn.transport.writable && s.conn.bufferedPackets === 0, 5000, "idle");
    for (let i = 0; i < 100; i++) f.io.volatile.emit("v", i);
    await roundTrip(c, s);
    assert.deepEqual(got, [0]);
  });

  it("writes through Tether's backpressure: a client over maxBufferedPackets is cut off with 'buffer full'", async () => {
    const f = await start({ adapter: Adapter, backpressure: { maxBufferedPackets: 10 } });
    const { s } = await connect(f);
    const reason = next<[string]>(s, "disconnect");
    for (let i = 0; i < 50; i++) f.io.emit("fill", i);
    assert.equal((await reason)[0], "buffer full");
  });

  it("calls the sockets' onAnyOutgoing listeners for a broadcast (notifyOutgoingListeners)", async () => {
    const f = await start({ adapter: Adapter });
    const { c, s } = await connect(f);
    const outgoing: unknown[][] = [];
    s.onAnyOutgoing((...args: unknown[]) => outgoing.push(args));
    f.io.emit("out", 7);
    await roundTrip(c, s);
    assert.deepEqual(outgoing, [["out", 7]]);
  });
});

describe("socket.io-adapter's SessionAwareAdapter inside Tether (connection state recovery)", () => {
  it("connects normally when restoreSession answers null synchronously for an unknown session", async () => {
    const f = await start({ adapter: SessionAwareAdapter, connectionStateRecovery: {} });
    assert.equal(f.io.opts.connectionStateRecovery?.maxDisconnectionDuration, 120_000);
    const { c, s } = await connect(f, { auth: { pid: "unknown", offset: "nope" } });
    assert.equal(s.recovered, false);
    assert.equal(c.connected, true);
  });

  it("restores a session with the packets missed while disconnected", async () => {
    const f = await start({ adapter: SessionAwareAdapter, connectionStateRecovery: {} });
    const { c, s } = await connect(f, { reconnection: true, reconnectionDelay: 50 });
    const oldId = s.id;
    await s.join("room");
    const got: number[] = [];
    c.on("m", (n: number) => got.push(n));
    f.io.to("room").emit("m", 1);
    await waitFor(() => got.length === 1, 5000, "first packet");
    const gone = next(s, "disconnect");
    const reconnection = next<[Socket]>(f.io, "connection");
    c.io.engine.close();
    await gone;
    f.io.to("room").emit("m", 2);
    f.io.to("other").emit("m", 3);
    const [again] = await reconnection;
    assert.equal(again.recovered, true);
    assert.equal(again.id, oldId);
    await waitFor(() => got.length === 2, 5000, "missed packet");
    assert.deepEqual(got, [1, 2]);
  });
});

/** Two or more servers joined by an in-process bus, for a ClusterAdapter subclass. */
class Bus {
  readonly adapters = new Set<BusAdapter>();
  #offset = 0;

  nextOffset(): string {
    return String(++this.#offset);
  }
}

/** A socket.io-adapter ClusterAdapter whose transport is a structured-clone bus. */
class BusAdapter extends ClusterAdapterWithHeartbeat {
  readonly bus: Bus;

  constructor(nsp: unknown, bus: Bus) {
    super(nsp, { heartbeatInterval: 100, heartbeatTimeout: 2000 });
    this.bus = bus;
    bus.adapters.add(this);
  }

  protected override doPublish(message: ClusterMessage): Promise<string> {
    const offset = this.bus.nextOffset();
    this.deliver(message, offset);
    return Promise.resolve(offset);
  }

  protected override doPublishResponse(_uid: string, response: ClusterResponse): Promise<void> {
    this.deliver(response, undefined);
    return Promise.resolve();
  }

  /** Hands a copy of `message` to the other adapters of the same namespace, asynchronously. */
  deliver(message: unknown, offset: string | undefined): void {
    const copy = structuredClone(message);
    for (const peer of this.bus.adapters) {
      if (peer === this || (peer.nsp !== undefined && peer.nsp.name !== this.nsp.name)) continue;
      // Through the instance property: the entry point the bridge guards, as a transport calls it.
      setImmediate(() => (peer as unknown as BusPeer).onMessage(copy, offset));
    }
  }

  override close(): void {
    this.bus.adapters.delete(this);
    super.close();
  }
}

interface BusPeer {
  onMessage(message: unknown, offset?: string): void;
}

describe("a socket.io-adapter ClusterAdapter subclass inside Tether (two servers, one bus)", () => {
  it("serves broadcasts, acks, fetchSockets, socketsJoin, disconnectSockets and serverSideEmit across the servers", async () => {
    const bus = new Bus();
    const adapter = (nsp: unknown) => new BusAdapter(nsp, bus);
    const [f1, f2] = [await start({ adapter }), await start({ adapter })];
    const counts = async () => Promise.all([f1, f2].map((f) => f.io.of("/").adapter.serverCount()));
    await eventually(counts, (c) => c.every((n) => n === 2), "both servers counting 2");
    const [a, b] = [await connect(f1), await connect(f2)];
    const got = [record(a.c), record(b.c)];
    f2.io.on("hello", (n: number, ack: (r: string) => void) => ack(`f2:${n}`));
    assert.deepEqual(await f1.io.serverSideEmitWithAck("hello", 1), ["f2:1"]);
    f1.io.emit("all", Buffer.from([9]));
    await waitFor(() => got[1]?.length === 1, 5000, "remote broadcast");
    b.c.on("q", (ack: (r: string) => void) => ack("b"));
    a.c.on("q", (ack: (r: string) => void) => ack("a"));
    assert.deepEqual([...(await f1.io.timeout(5000).emitWithAck("q"))].sort(), ["a", "b"]);
    f1.io.socketsJoin("joined");
    await waitFor(() => b.s.rooms.has("joined"), 5000, "remote join");
    const fetched = await f1.io.in("joined").fetchSockets();
    assert.deepEqual(fetched.map((s) => s.id).sort(), [a.s.id, b.s.id].sort());
    const gone = next(b.c, "disconnect");
    f1.io.in(b.s.id).disconnectSockets();
    assert.equal((await gone)[0], "io server disconnect");
    assert.deepEqual(
      got.map((list) => list.filter(([ev]) => ev === "all")),
      [[["all", Buffer.from([9])]], [["all", Buffer.from([9])]]],
    );
  });

  it("neither crashes nor writes on garbage, foreign or truncated messages from another node", async () => {
    const bus = new Bus();
    const adapter = (nsp: unknown) => new BusAdapter(nsp, bus);
    const [f1, f2] = [await start({ adapter }), await start({ adapter })];
    const { c, s } = await connect(f2);
    const got = record(c);
    const errors: Error[] = [];
    f2.io.of("/").adapter.on("error", (err) => errors.push(err));
    const serverSide: unknown[][] = [];
    f2.io.on("connection", () => serverSide.push(["connection"]));
    f2.io.on("note", (...args: unknown[]) => serverSide.push(args));
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on("uncaughtException", onUncaught);
    process.on("unhandledRejection", onUncaught);
    try {
      const sender = [...bus.adapters].find((x) => x.nsp === f1.io.of("/"));
      assert.ok(sender);
      const opts = { rooms: [], except: [] };
      const garbage: unknown[] = [
        null,
        42,
        "a string",
        { uid: "x", nsp: "/", type: 3 },
        { uid: "x", nsp: "/", type: 3, data: null },
        { uid: "x", nsp: "/", type: 3, data: { packet: null, opts } },
        { uid: "x", nsp: "/", type: 3, data: { packet: { type: 2, nsp: "/", data: "x" }, opts } },
        { uid: "x", nsp: "/", type: 3, data: { packet: { type: 2, nsp: "/", data: [] }, opts } },
        { uid: "x", nsp: "/", type: 3, data: { packet: { type: 2, nsp: "/", data: [{}] }, opts } },
        { uid: "x", nsp: "/", type: 3, data: { packet: { type: 0, nsp: "/", data: {} }, opts } },
        {
          uid: "x",
          nsp: "/",
          type: 3,
          data: { packet: { type: 2, nsp: "/", data: ["connect"] }, opts },
        },
        {
          uid: "x",
          nsp: "/",
          type: 3,
          data: { packet: { type: 2, nsp: "/", data: ["e"], id: -1 }, opts },
        },
        { uid: "x", nsp: "/", type: 3, data: { packet: { type: 2, nsp: "/", data: ["e"] } } },
        {
          uid: "x",
          nsp: "/",
          type: 3,
          data: { packet: { type: 2, nsp: "/", data: ["e"] }, opts: { rooms: 5 } },
        },
        {
          uid: "x",
          nsp: "/",
          type: 3,
          data: { requestId: "r", packet: { type: 2, nsp: "/", data: 1 }, opts },
        },
        { uid: "x", nsp: "/", type: 4, data: { opts, rooms: 42 } },
        { uid: "x", nsp: "/", type: 4, data: { opts, rooms: [{}, null] } },
        { uid: "x", nsp: "/", type: 5, data: { opts, rooms: "joined" } },
        { uid: "x", nsp: "/", type: 6, data: null },
        { uid: "x", nsp: "/", type: 7, data: { opts: null, requestId: "r" } },
        { uid: "x", nsp: "/", type: 9, data: { packet: "not an array" } },
        { uid: "x", nsp: "/", type: 9, data: { packet: ["connection", 1] } },
        { uid: "x", nsp: "/", type: 9, data: { packet: [] } },
        { uid: "x", nsp: "/", type: 9, data: { requestId: "r", packet: 7 } },
        { uid: "x", nsp: "/", type: 8, data: { requestId: "unknown", sockets: "x" } },
        { uid: "x", nsp: "/", type: 10, data: null },
        { uid: "x", nsp: "/", type: 11, data: { requestId: 1 } },
        { uid: "x", nsp: "/", type: 99, data: {} },
        {
          uid: "x",
          nsp: "/other",
          type: 3,
          data: { packet: { type: 2, nsp: "/other", data: ["e"] }, opts },
        },
      ];
      for (const message of garbage) sender.deliver(message, "1");
      // A valid message after them is still served, once.
      sender.deliver(
        {
          uid: "x",
          nsp: "/",
          type: 3,
          data: { packet: { type: 2, nsp: "/", data: ["ok", 1] }, opts },
        },
        "2",
      );
      sender.deliver({ uid: "x", nsp: "/", type: 9, data: { packet: ["note", "fine"] } }, "3");
      await waitFor(() => got.length > 0 && serverSide.length > 0, 5000, "the valid messages");
      await roundTrip(c, s);
      assert.deepEqual(got, [["ok", 1]]);
      assert.deepEqual(serverSide, [["fine"]]);
      assert.deepEqual([...s.rooms], [s.id]);
      assert.equal(c.connected, true);
      assert.ok(errors.length > 0, "malformed messages are reported as adapter errors");
      assert.deepEqual(uncaught, []);
    } finally {
      process.off("uncaughtException", onUncaught);
      process.off("unhandledRejection", onUncaught);
    }
  });
});
