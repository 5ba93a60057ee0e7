/**
 * Unit tests of the codecs of socket.io's Redis protocols (classic pub/sub, socket.io-adapter's
 * messages for sharded pub/sub and Streams entries): Tether's messages survive the round trip
 * with Tether's additions (`latest`, the sender id), and bytes written by socket.io's own encoder
 * (notepack.io) decode to the same messages.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as notepack from "notepack.io";
import type { ClusterMessage } from "../../src/adapter/cluster-message.js";
import {
  classicChannels,
  decodeClassicBroadcast,
  decodeClassicRequest,
  decodeClassicResponse,
  encodeClassic,
} from "../../src/adapters/redis/classic-protocol.js";
import { encodeSharded, shardedChannel } from "../../src/adapters/redis/sharded-adapter.js";
import { fromSioMessage } from "../../src/adapters/redis/sio-message.js";
import { decodeJsonOrMsgpack } from "../../src/adapters/redis/wire.js";
import { decodeEntry, encodeEntry } from "../../src/adapters/redis-streams/stream-connection.js";

const np = notepack as { encode(v: unknown): Buffer };
const ch = classicChannels("k", "/chat");
const opts = { rooms: ["a"], except: ["b"], flags: { volatile: true, latest: "tick" as const } };
const messages: ClusterMessage[] = [
  { type: "heartbeat", uid: "n1", nsp: "/chat", initial: true },
  { type: "node-down", uid: "n1", nsp: "/chat" },
  {
    type: "broadcast",
    uid: "n1",
    nsp: "/chat",
    packet: { type: 2, data: ["ev", Buffer.from([0, 255])] },
    opts,
  },
  {
    type: "broadcast",
    uid: "n1",
    nsp: "/chat",
    packet: { type: 2, data: ["q"] },
    opts,
    requestId: "r",
  },
  { type: "broadcast-client-count", uid: "n2", nsp: "/chat", requestId: "r", count: 3 },
  { type: "broadcast-ack", uid: "n2", nsp: "/chat", requestId: "r", args: ["ok"] },
  { type: "sockets-join", uid: "n1", nsp: "/chat", opts, rooms: ["c"] },
  { type: "sockets-leave", uid: "n1", nsp: "/chat", opts, rooms: ["c"] },
  { type: "disconnect-sockets", uid: "n1", nsp: "/chat", opts, close: true },
  { type: "fetch-sockets", uid: "n1", nsp: "/chat", opts, requestId: "r" },
  {
    type: "fetch-sockets-response",
    uid: "n2",
    nsp: "/chat",
    requestId: "r",
    sockets: [{ id: "s", handshake: { auth: {} }, rooms: ["s", "a"], data: { n: 1 } }],
  },
  { type: "server-side-emit", uid: "n1", nsp: "/chat", args: ["ping", 1], requestId: "r" },
  { type: "server-side-emit-response", uid: "n2", nsp: "/chat", requestId: "r", response: 2 },
];

/** The classic decoder for the channel a message was encoded to. */
function decodeClassic(channel: string, bytes: Buffer) {
  if (channel === ch.request) return decodeClassicRequest(bytes, "/chat");
  if (channel.startsWith(ch.response)) return decodeClassicResponse(bytes, "/chat");
  return decodeClassicBroadcast(bytes, "/chat");
}

describe("socket.io's classic Redis protocol", () => {
  it("carries every message type, Tether's flags and sender ids included", () => {
    for (const m of messages) {
      const out = encodeClassic(ch, m, "n1");
      const back = decodeClassic(out.channel, out.bytes);
      assert.ok(back.ok, `${m.type}: ${back.ok ? "" : back.error.message}`);
      assert.deepEqual(back.value, m, m.type);
    }
  });

  it("uses socket.io's channels: one room's own, requests, the requester's responses", () => {
    const [, , bcast, withAck, count] = messages as [
      ClusterMessage,
      ClusterMessage,
      ClusterMessage,
      ClusterMessage,
      ClusterMessage,
    ];
    assert.equal(encodeClassic(ch, bcast).channel, "k#/chat#a#");
    assert.equal(encodeClassic(ch, withAck).channel, "k-request#/chat#");
    assert.equal(encodeClassic(ch, count, "n1").channel, "k-response#/chat#n1#");
  });

  it("reads what socket.io's nodes and emitter write (notepack, JSON, no sender id)", () => {
    const broadcast = np.encode([
      "emitter",
      { type: 2, data: ["ev", Buffer.from([1]), undefined], nsp: "/chat" },
      { rooms: [], except: [], flags: {} },
    ]);
    const b = decodeClassicBroadcast(broadcast, "/chat");
    assert.ok(b.ok && b.value?.type === "broadcast");
    assert.deepEqual(b.value.packet.data, ["ev", Buffer.from([1]), undefined]);
    const join = '{"type":2,"opts":{"rooms":["a"],"except":[]},"rooms":["b"]}';
    const j = decodeClassicRequest(Buffer.from(join), "/chat");
    assert.deepEqual(j.ok && j.value, {
      type: "sockets-join",
      uid: "",
      nsp: "/chat",
      opts: { rooms: ["a"], except: [], flags: {} },
      rooms: ["b"],
    });
    const fetched = '{"requestId":"r","sockets":[{"id":"s","handshake":{},"rooms":["s"]}]}';
    const f = decodeClassicResponse(Buffer.from(fetched), "/chat");
    assert.ok(f.ok && f.value?.type === "fetch-sockets-response" && f.value.uid === "");
  });

  it("ignores other namespaces and answers of requests Tether never sends", () => {
    const other = np.encode(["x", { type: 2, data: ["e"], nsp: "/" }, { rooms: [], except: [] }]);
    assert.deepEqual(decodeClassicBroadcast(other, "/chat"), { ok: true, value: undefined });
    const ids = Buffer.from('{"requestId":"r","sockets":["a","b"]}');
    assert.deepEqual(decodeClassicResponse(ids, "/chat"), { ok: true, value: undefined });
  });
});

describe("socket.io-adapter's messages (sharded pub/sub, Streams entries)", () => {
  it("carries every message type through the sharded encoding and a Streams entry", () => {
    for (const m of messages) {
      const raw = decodeJsonOrMsgpack(Buffer.from(encodeSharded(m)));
      const back = raw.ok ? fromSioMessage(raw.value) : raw;
      assert.deepEqual(back.ok && back.value, m, `sharded ${m.type}`);
      const fields = encodeEntry(m).map((f) => Buffer.from(f));
      const entry = decodeEntry(fields);
      assert.deepEqual(entry.ok && entry.value, m, `entry ${m.type}`);
    }
  });

  it("is JSON without binary, msgpack with binary, and names socket.io's type numbers", () => {
    const [heartbeat, , binary] = messages as [ClusterMessage, ClusterMessage, ClusterMessage];
    assert.equal(encodeSharded(heartbeat), '{"uid":"n1","nsp":"/chat","type":1}');
    assert.ok(Buffer.isBuffer(encodeSharded(binary)));
    assert.deepEqual(encodeEntry(heartbeat), ["uid", "n1", "nsp", "/chat", "type", "1"]);
    const data = encodeEntry(binary)[7] ?? "";
    assert.ok(!data.startsWith("{"), "binary data is base64 msgpack");
  });

  it("publishes a one-room broadcast on the room's channel, unless the room looks like a socket id", () => {
    const [, , bcast] = messages as [ClusterMessage, ClusterMessage, ClusterMessage];
    assert.equal(shardedChannel("k#/#", bcast, "dynamic"), "k#/#a#");
    assert.equal(shardedChannel("k#/#", bcast, "static"), "k#/#");
    const toSocket = { ...bcast, opts: { ...opts, rooms: ["x".repeat(20)] } } as ClusterMessage;
    assert.equal(shardedChannel("k#/#", toSocket, "dynamic"), "k#/#");
    assert.equal(shardedChannel("k#/#", toSocket, "dynamic-private"), `k#/#${"x".repeat(20)}#`);
  });

  it("ignores unknown message types and rejects malformed known ones", () => {
    assert.deepEqual(fromSioMessage({ uid: "x", nsp: "/", type: 99 }), {
      ok: true,
      value: undefined,
    });
    const bad = fromSioMessage({ uid: "x", nsp: "/", type: 3, data: { packet: { type: 1 } } });
    assert.equal(bad.ok, false);
  });
});
