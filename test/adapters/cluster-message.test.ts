/** Unit tests of the inter-node message codec: round trips and rejection of bad input. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encode } from "@msgpack/msgpack";
import {
  type ClusterMessage,
  decodeClusterMessage,
  encodeClusterMessage,
} from "../../src/adapter/cluster-message.js";

const opts = { rooms: ["a"], except: [], flags: {} };
const samples: ClusterMessage[] = [
  { type: "heartbeat", uid: "n1", nsp: "/", initial: true },
  { type: "node-down", uid: "n1", nsp: "/chat" },
  {
    type: "broadcast",
    uid: "n1",
    nsp: "/",
    // Binary comes back as a Buffer (what socket.io hands to handlers in Node).
    packet: { type: 2, data: ["ev", Buffer.from([0, 255])] },
    opts,
  },
  {
    type: "broadcast",
    uid: "n1",
    nsp: "/",
    packet: { type: 2, data: ["ev"] },
    opts,
    requestId: "r1",
  },
  { type: "broadcast-client-count", uid: "n2", nsp: "/", requestId: "r1", count: 3 },
  { type: "broadcast-ack", uid: "n2", nsp: "/", requestId: "r1", args: ["ok"] },
  { type: "sockets-join", uid: "n1", nsp: "/", opts, rooms: ["b"] },
  { type: "sockets-leave", uid: "n1", nsp: "/", opts, rooms: ["b"] },
  { type: "disconnect-sockets", uid: "n1", nsp: "/", opts, close: true },
  { type: "fetch-sockets", uid: "n1", nsp: "/", opts, requestId: "r2" },
  {
    type: "fetch-sockets-response",
    uid: "n2",
    nsp: "/",
    requestId: "r2",
    sockets: [{ id: "s1", handshake: { auth: {} }, rooms: ["s1", "a"], data: { x: 1 } }],
  },
  { type: "server-side-emit", uid: "n1", nsp: "/", args: ["hello", 1], requestId: "r3" },
  { type: "server-side-emit-response", uid: "n2", nsp: "/", requestId: "r3", response: "hi" },
];

describe("cluster message codec", () => {
  for (const message of samples) {
    it(`round-trips a ${message.type} message${"requestId" in message ? " with a request id" : ""}`, () => {
      const decoded = decodeClusterMessage(encodeClusterMessage(message));
      assert.ok(decoded.ok);
      assert.deepEqual(decoded.value, message);
    });
  }

  it("keeps binary payloads as bytes", () => {
    const decoded = decodeClusterMessage(encodeClusterMessage(samples[2] as ClusterMessage));
    assert.ok(decoded.ok && decoded.value.type === "broadcast");
    const data = decoded.value.packet.data as unknown[];
    assert.ok(data[1] instanceof Uint8Array);
    assert.deepEqual([...(data[1] as Uint8Array)], [0, 255]);
  });

  const bad: Array<[string, Uint8Array]> = [
    ["bytes that are not msgpack", new Uint8Array([0xc1])],
    ["a truncated message", encodeClusterMessage(samples[0] as ClusterMessage).subarray(0, 5)],
    ["a non-object", encode([1, 2, 3])],
    ["an unknown type", encode({ type: "nope", uid: "n", nsp: "/" })],
    ["a missing uid", encode({ type: "heartbeat", nsp: "/" })],
    ["a namespace without a slash", encode({ type: "node-down", uid: "n", nsp: "chat" })],
    [
      "a broadcast with a bad packet type",
      encode({ type: "broadcast", uid: "n", nsp: "/", packet: { type: 9 }, opts }),
    ],
    [
      "rooms that are not strings",
      encode({
        type: "sockets-join",
        uid: "n",
        nsp: "/",
        opts: { rooms: [1], except: [] },
        rooms: [],
      }),
    ],
    [
      "a negative client count",
      encode({ type: "broadcast-client-count", uid: "n", nsp: "/", requestId: "r", count: -1 }),
    ],
    [
      "a server-side emit without an event name",
      encode({ type: "server-side-emit", uid: "n", nsp: "/", args: [1] }),
    ],
    [
      "a response without a request id",
      encode({ type: "fetch-sockets-response", uid: "n", nsp: "/", sockets: [] }),
    ],
  ];
  for (const [what, bytes] of bad) {
    it(`rejects ${what} with ADAPTER_ERR_INVALID_MESSAGE`, () => {
      const decoded = decodeClusterMessage(bytes);
      assert.equal(decoded.ok, false);
      assert.equal(decoded.ok ? "" : decoded.error.code, "ADAPTER_ERR_INVALID_MESSAGE");
    });
  }
});
