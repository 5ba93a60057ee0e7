import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InMemoryAdapter } from "../../src/adapter/in-memory.js";
import { SessionAwareAdapter } from "../../src/adapter/session-aware.js";
import type {
  AdapterHost,
  AdapterSocket,
  BroadcastFlags,
  PreparedPacket,
} from "../../src/adapter/types.js";
import { type Packet, PacketType } from "../../src/protocol/socket.js";

class FakeSocket implements AdapterSocket {
  readonly received: { prepared: PreparedPacket; flags: BroadcastFlags }[] = [];
  readonly acks = new Map<number, (...args: unknown[]) => void>();
  disconnected: boolean | undefined;
  readonly handshake = { auth: {} };
  data: unknown = { n: 1 };
  constructor(readonly id: string) {}
  deliver(prepared: PreparedPacket, flags: BroadcastFlags): void {
    this.received.push({ prepared, flags });
  }
  expectAck(id: number, fn: (...args: unknown[]) => void): void {
    this.acks.set(id, fn);
  }
  forgetAck(id: number): void {
    this.acks.delete(id);
  }
  disconnect(close?: boolean): void {
    this.disconnected = close ?? false;
  }
}

function setup(make = (h: AdapterHost) => new InMemoryAdapter(h)) {
  const sockets = new Map<string, FakeSocket>();
  let prepares = 0;
  let ids = 0;
  const host: AdapterHost = {
    name: "/",
    sockets,
    prepare(packet: Packet) {
      prepares++;
      return { packet };
    },
    nextAckId: () => ids++,
    onServerSideEmit() {},
  };
  const adapter = make(host);
  const add = (id: string, ...rooms: string[]) => {
    const s = new FakeSocket(id);
    sockets.set(id, s);
    adapter.addAll(id, [id, ...rooms]);
    return s;
  };
  return { adapter, sockets, add, prepares: () => prepares };
}

const event = (...data: unknown[]): Packet => ({ type: PacketType.EVENT, nsp: "/", data });

describe("in-memory adapter", () => {
  it("emits create-room and join-room once, leave-room and delete-room when the last member leaves", () => {
    const { adapter } = setup();
    const events: string[] = [];
    for (const e of ["create-room", "delete-room", "join-room", "leave-room"] as const) {
      adapter.on(e, (room: string, id?: string) =>
        events.push(`${e}:${room}${id ? `:${id}` : ""}`),
      );
    }
    adapter.addAll("a", ["r"]);
    adapter.addAll("a", ["r"]);
    adapter.addAll("b", ["r"]);
    adapter.del("a", "r");
    adapter.delAll("b");
    assert.deepEqual(events, [
      "create-room:r",
      "join-room:r:a",
      "join-room:r:b",
      "leave-room:r:a",
      "leave-room:r:b",
      "delete-room:r",
    ]);
    assert.equal(adapter.rooms.size, 0);
    assert.equal(adapter.sids.has("b"), false);
  });

  it("broadcasts to everyone, encoding the packet once", () => {
    const { adapter, add, prepares } = setup();
    const a = add("a");
    const b = add("b");
    adapter.broadcast(event("x"), { rooms: new Set() });
    assert.equal(prepares(), 1);
    assert.equal(a.received.length, 1);
    assert.equal(a.received[0]?.prepared, b.received[0]?.prepared);
  });

  it("delivers once to a socket in several target rooms and honours except", () => {
    const { adapter, add } = setup();
    const a = add("a", "r1", "r2");
    const b = add("b", "r2", "vip");
    const c = add("c");
    adapter.broadcast(event("x"), { rooms: new Set(["r1", "r2"]) });
    assert.equal(a.received.length, 1);
    assert.equal(b.received.length, 1);
    assert.equal(c.received.length, 0);
    adapter.broadcast(event("y"), { rooms: new Set(["r2"]), except: new Set(["vip"]) });
    assert.equal(a.received.length, 2);
    assert.equal(b.received.length, 1);
    adapter.broadcast(event("z"), { rooms: new Set(), except: new Set(["a"]) });
    assert.equal(a.received.length, 2);
    assert.equal(c.received.length, 1);
  });

  it("passes flags to every recipient", () => {
    const { adapter, add } = setup();
    const a = add("a");
    adapter.broadcast(event("x"), { rooms: new Set(), flags: { volatile: true, compress: false } });
    assert.deepEqual(a.received[0]?.flags, { volatile: true, compress: false });
  });

  it("broadcastWithAck shares one ack id, registers it on each recipient and reports the count", () => {
    const { adapter, add } = setup();
    const a = add("a", "r");
    const b = add("b", "r");
    add("c");
    let count = -1;
    const replies: unknown[] = [];
    adapter.broadcastWithAck(
      event("q"),
      { rooms: new Set(["r"]) },
      (n) => {
        count = n;
      },
      (reply) => replies.push(reply),
    );
    assert.equal(count, 2);
    const id = a.received[0]?.prepared.packet.id;
    assert.equal(typeof id, "number");
    assert.equal(b.received[0]?.prepared.packet.id, id);
    a.acks.get(id as number)?.("ra");
    b.acks.get(id as number)?.("rb");
    assert.deepEqual(replies, ["ra", "rb"]);
  });

  it("fetchSockets, addSockets, delSockets and disconnectSockets act on the matching sockets", async () => {
    const { adapter, add } = setup();
    const a = add("a", "r");
    const b = add("b");
    const found = await adapter.fetchSockets({ rooms: new Set(["r"]) });
    assert.deepEqual(
      found.map((s) => s.id),
      ["a"],
    );
    assert.deepEqual([...found[0]!.rooms], ["a", "r"]);
    assert.deepEqual(found[0]!.data, { n: 1 });
    adapter.addSockets({ rooms: new Set() }, ["all"]);
    assert.deepEqual([...(await adapter.sockets(new Set(["all"])))], ["a", "b"]);
    adapter.delSockets({ rooms: new Set(["r"]) }, ["all"]);
    assert.deepEqual([...(await adapter.sockets(new Set(["all"])))], ["b"]);
    adapter.disconnectSockets({ rooms: new Set(), except: new Set(["r"]) }, true);
    assert.equal(a.disconnected, undefined);
    assert.equal(b.disconnected, true);
  });

  it("reports one server and acknowledges serverSideEmit with no responses", async () => {
    const { adapter } = setup();
    assert.equal(await adapter.serverCount(), 1);
    const res = await new Promise<unknown[]>((resolve, reject) =>
      adapter.serverSideEmit(["hello"], (err, responses) =>
        err ? reject(err) : resolve(responses),
      ),
    );
    assert.deepEqual(res, []);
    assert.equal(await adapter.restoreSession("pid", "off"), undefined);
  });
});

describe("session-aware adapter", () => {
  const make = (h: AdapterHost) => new SessionAwareAdapter(h, { maxDisconnectionDuration: 60_000 });

  it("appends an offset to recoverable events only", () => {
    const { adapter, add } = setup(make);
    const a = add("a");
    adapter.broadcast(event("x", 1), { rooms: new Set() });
    adapter.broadcast({ ...event("y"), id: 3 }, { rooms: new Set() });
    adapter.broadcast(event("z"), { rooms: new Set(), flags: { volatile: true } });
    const data = a.received.map((r) => r.prepared.packet.data as unknown[]);
    assert.equal(data[0]?.length, 3);
    assert.equal(typeof data[0]?.[2], "string");
    assert.deepEqual(data[1], ["y"]);
    assert.deepEqual(data[2], ["z"]);
    (adapter as SessionAwareAdapter).close();
  });

  it("restores a session with the packets it missed in its rooms, once", async () => {
    const { adapter, add } = setup(make);
    const a = add("a", "r");
    adapter.broadcast(event("seen"), { rooms: new Set() });
    const offset = (a.received[0]?.prepared.packet.data as unknown[])[1] as string;
    adapter.delAll("a");
    adapter.persistSession({ sid: "a", pid: "p", rooms: ["a", "r"], data: { x: 1 } });
    adapter.broadcast(event("to-r"), { rooms: new Set(["r"]) });
    adapter.broadcast(event("elsewhere"), { rooms: new Set(["other"]) });
    adapter.broadcast(event("except-r"), { rooms: new Set(), except: new Set(["r"]) });
    adapter.broadcast(event("all"), { rooms: new Set() });
    const restored = await adapter.restoreSession("p", offset);
    assert.ok(restored);
    assert.equal(restored.sid, "a");
    assert.deepEqual(restored.data, { x: 1 });
    assert.deepEqual(
      restored.missedPackets.map((d) => d[0]),
      ["to-r", "all"],
    );
    assert.equal(await adapter.restoreSession("p", offset), undefined);
    (adapter as SessionAwareAdapter).close();
  });

  it("refuses to restore with an unknown offset or pid", async () => {
    const { adapter } = setup(make);
    adapter.persistSession({ sid: "a", pid: "p", rooms: [], data: undefined });
    assert.equal(await adapter.restoreSession("p", "nope"), undefined);
    assert.equal(await adapter.restoreSession("other", "nope"), undefined);
    (adapter as SessionAwareAdapter).close();
  });
});
