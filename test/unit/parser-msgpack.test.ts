import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { encode as msgpackEncode } from "@msgpack/msgpack";
import { msgpackParser } from "../../src/parser/socket/msgpack.js";
import { type Packet, PacketType, SocketErrorCodes } from "../../src/protocol/socket.js";

interface UpstreamDecoder {
  on(event: "decoded", fn: (p: Record<string, unknown>) => void): void;
  add(chunk: unknown): void;
}
const require = createRequire(import.meta.url);
const upstream = require("socket.io-msgpack-parser") as {
  Encoder: new () => { encode(p: unknown): Uint8Array[] };
  Decoder: new () => UpstreamDecoder;
};

function upstreamDecode(chunk: Uint8Array): Record<string, unknown> {
  const d = new upstream.Decoder();
  let out: Record<string, unknown> | undefined;
  d.on("decoded", (p) => {
    out = p;
  });
  d.add(Buffer.from(chunk));
  assert.ok(out);
  return out;
}

function ourDecode(chunk: string | Uint8Array): Packet {
  const r = msgpackParser.createDecoder().add(chunk);
  assert.ok(r.ok && r.packet, r.ok ? "no packet" : r.error.message);
  return r.packet;
}

function ourError(chunk: string | Uint8Array): string {
  const r = msgpackParser.createDecoder().add(chunk);
  assert.equal(r.ok, false);
  return r.ok ? "" : r.error.code;
}

describe("msgpack parser: wire compatibility with socket.io-msgpack-parser", () => {
  it("produces one binary chunk that the upstream decoder reads back", () => {
    const chunks = msgpackParser.createEncoder().encode({
      type: PacketType.EVENT,
      nsp: "/admin",
      id: 4,
      data: ["hi", { n: 1.5 }, Buffer.from([1, 2])],
    });
    assert.equal(chunks.length, 1);
    assert.ok(chunks[0] instanceof Uint8Array);
    const p = upstreamDecode(chunks[0]);
    assert.equal(p.type, 2);
    assert.equal(p.nsp, "/admin");
    assert.equal(p.id, 4);
    const data = p.data as [string, { n: number }, Buffer];
    assert.equal(data[0], "hi");
    assert.equal(data[1].n, 1.5);
    assert.deepEqual([...data[2]], [1, 2]);
  });
  it("maps BINARY_EVENT and BINARY_ACK to EVENT and ACK (msgpack has no placeholders)", () => {
    const [chunk] = msgpackParser
      .createEncoder()
      .encode({ type: PacketType.BINARY_ACK, nsp: "/", id: 1, data: [] });
    assert.equal(upstreamDecode(chunk as Uint8Array).type, PacketType.ACK);
  });
  it("encodes a Date as notepack's fixext 8 so the upstream decoder returns a Date", () => {
    const when = new Date(1_700_000_000_123);
    const [chunk] = msgpackParser
      .createEncoder()
      .encode({ type: PacketType.EVENT, nsp: "/", data: ["d", when] });
    const data = upstreamDecode(chunk as Uint8Array).data as [string, Date];
    assert.ok(data[1] instanceof Date);
    assert.equal(data[1].getTime(), when.getTime());
  });
  it("omits data and id when absent, as the upstream encoder's packets do", () => {
    const [chunk] = msgpackParser
      .createEncoder()
      .encode({ type: PacketType.DISCONNECT, nsp: "/x" });
    assert.deepEqual(upstreamDecode(chunk as Uint8Array), { type: 1, nsp: "/x" });
  });
  it("decodes what the upstream encoder produces, including notepack extensions", () => {
    const [chunk] = new upstream.Encoder().encode({
      type: 2,
      nsp: "/",
      id: 9,
      data: [
        "ev",
        undefined,
        new Date(5000),
        new Uint8Array([7, 8]),
        Buffer.from([3]),
        { a: [1, "b"] },
      ],
    });
    const p = ourDecode(chunk as Uint8Array);
    assert.equal(p.id, 9);
    const data = p.data as unknown[];
    assert.equal(data[0], "ev");
    assert.equal(data[1], undefined);
    assert.ok(data[2] instanceof Date);
    assert.equal((data[2] as Date).getTime(), 5000);
    assert.ok(data[3] instanceof ArrayBuffer);
    assert.deepEqual([...new Uint8Array(data[3] as ArrayBuffer)], [7, 8]);
    assert.deepEqual([...(data[4] as Uint8Array)], [3]);
    assert.deepEqual(data[5], { a: [1, "b"] });
  });
  it("reads a 212-byte ArrayBuffer (ext 8 whose length byte looks like a fixext header)", () => {
    const [chunk] = new upstream.Encoder().encode({
      type: 2,
      nsp: "/",
      data: ["ev", new Uint8Array(212).fill(1)],
    });
    const data = ourDecode(chunk as Uint8Array).data as unknown[];
    assert.ok(data[1] instanceof ArrayBuffer);
    assert.equal((data[1] as ArrayBuffer).byteLength, 212);
  });
  it("decodes CONNECT with auth and CONNECT without data", () => {
    const [a] = new upstream.Encoder().encode({ type: 0, nsp: "/admin", data: { token: "t" } });
    assert.deepEqual(ourDecode(a as Uint8Array).data, { token: "t" });
    const [b] = new upstream.Encoder().encode({ type: 0, nsp: "/" });
    assert.equal(ourDecode(b as Uint8Array).data, undefined);
  });
});

describe("msgpack parser: rejecting invalid packets", () => {
  const enc = (v: unknown) => msgpackEncode(v);
  const cases: [string, unknown, string][] = [
    ["a packet that is not a map", [1, 2], SocketErrorCodes.INVALID_PAYLOAD],
    [
      "type 5 (no binary types in msgpack)",
      { type: 5, nsp: "/", data: ["a"] },
      SocketErrorCodes.UNKNOWN_PACKET_TYPE,
    ],
    ["a string type", { type: "2", nsp: "/", data: ["a"] }, SocketErrorCodes.UNKNOWN_PACKET_TYPE],
    ["a fractional type", { type: 1.5, nsp: "/" }, SocketErrorCodes.UNKNOWN_PACKET_TYPE],
    ["a missing namespace", { type: 2, data: ["a"] }, SocketErrorCodes.INVALID_NAMESPACE],
    [
      "a namespace without a leading slash",
      { type: 2, nsp: "admin", data: ["a"] },
      SocketErrorCodes.INVALID_NAMESPACE,
    ],
    ["a CONNECT with an array", { type: 0, nsp: "/", data: [] }, SocketErrorCodes.INVALID_PAYLOAD],
    ["a DISCONNECT with data", { type: 1, nsp: "/", data: {} }, SocketErrorCodes.INVALID_PAYLOAD],
    ["an EVENT with an object", { type: 2, nsp: "/", data: {} }, SocketErrorCodes.INVALID_PAYLOAD],
    [
      "an EVENT with a reserved name",
      { type: 2, nsp: "/", data: ["connect"] },
      SocketErrorCodes.INVALID_PAYLOAD,
    ],
    [
      "a CONNECT_ERROR with a number",
      { type: 4, nsp: "/", data: 3 },
      SocketErrorCodes.INVALID_PAYLOAD,
    ],
    [
      "a string ack id",
      { type: 2, nsp: "/", id: "1", data: ["a"] },
      SocketErrorCodes.INVALID_ACK_ID,
    ],
    [
      "a negative ack id",
      { type: 2, nsp: "/", id: -1, data: ["a"] },
      SocketErrorCodes.INVALID_ACK_ID,
    ],
    ["an ACK without id", { type: 3, nsp: "/", data: [] }, SocketErrorCodes.INVALID_ACK_ID],
  ];
  for (const [what, value, code] of cases) {
    it(`rejects ${what}`, () => {
      assert.equal(ourError(enc(value)), code);
    });
  }
  it("rejects a text message", () => {
    assert.equal(ourError('2["a"]'), SocketErrorCodes.UNEXPECTED_TEXT);
  });
  it("rejects truncated or garbage msgpack", () => {
    assert.equal(ourError(new Uint8Array([0x85, 0xa4])), SocketErrorCodes.INVALID_MSGPACK);
    assert.equal(ourError(new Uint8Array([0xc1])), SocketErrorCodes.INVALID_MSGPACK);
  });
  it("rejects a __proto__ key instead of building a polluted object", () => {
    // fixmap(3) {"type":2,"nsp":"/","__proto__":{}} hand-built: encoders refuse such keys.
    const bytes = Buffer.concat([
      Buffer.from([0x83]),
      Buffer.from(msgpackEncode("type")),
      Buffer.from([0x02]),
      Buffer.from(msgpackEncode("nsp")),
      Buffer.from(msgpackEncode("/")),
      Buffer.from(msgpackEncode("__proto__")),
      Buffer.from([0x80]),
    ]);
    assert.equal(ourError(bytes), SocketErrorCodes.INVALID_MSGPACK);
    assert.equal(({} as { type?: unknown }).type, undefined);
  });
});
