import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type DecodeResult, defaultParser, hasBinary } from "../../src/parser/socket/index.js";
import { type Packet, PacketType, SocketErrorCodes } from "../../src/protocol/socket.js";

function decodeOne(...chunks: (string | Uint8Array)[]): DecodeResult {
  const d = defaultParser.createDecoder();
  let last: DecodeResult = { ok: true, packet: undefined };
  for (const c of chunks) last = d.add(c);
  return last;
}

function packetOf(...chunks: (string | Uint8Array)[]): Packet {
  const r = decodeOne(...chunks);
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  assert.ok(r.packet);
  return r.packet;
}

function errorCode(...chunks: (string | Uint8Array)[]): string {
  const r = decodeOne(...chunks);
  assert.equal(r.ok, false, "expected a decode failure");
  return r.ok ? "" : r.error.code;
}

const encode = (p: Packet) => defaultParser.createEncoder().encode(p);

describe("default parser: encoding", () => {
  it("encodes CONNECT on the main namespace as a bare type digit", () => {
    assert.deepEqual(encode({ type: PacketType.CONNECT, nsp: "/" }), ["0"]);
  });
  it("encodes CONNECT with a namespace and a payload", () => {
    assert.deepEqual(encode({ type: PacketType.CONNECT, nsp: "/admin", data: { sid: "abc" } }), [
      '0/admin,{"sid":"abc"}',
    ]);
  });
  it("encodes DISCONNECT on a custom namespace with a trailing comma", () => {
    assert.deepEqual(encode({ type: PacketType.DISCONNECT, nsp: "/admin" }), ["1/admin,"]);
  });
  it("encodes EVENT with an ack id between the namespace and the payload", () => {
    assert.deepEqual(encode({ type: PacketType.EVENT, nsp: "/admin", id: 13, data: ["hi", 1] }), [
      '2/admin,13["hi",1]',
    ]);
    assert.deepEqual(encode({ type: PacketType.EVENT, nsp: "/", id: 12, data: ["foo"] }), [
      '212["foo"]',
    ]);
  });
  it("turns an EVENT with binary into BINARY_EVENT with placeholders in depth-first order", () => {
    const out = encode({
      type: PacketType.EVENT,
      nsp: "/custom",
      data: ["b", Buffer.from([1, 2, 3]), { x: new Uint8Array([4]).buffer }],
    });
    assert.equal(
      out[0],
      '52-/custom,["b",{"_placeholder":true,"num":0},{"x":{"_placeholder":true,"num":1}}]',
    );
    assert.deepEqual([...(out[1] as Uint8Array)], [1, 2, 3]);
    assert.deepEqual([...(out[2] as Uint8Array)], [4]);
  });
  it("turns an ACK with binary into BINARY_ACK", () => {
    const out = encode({ type: PacketType.ACK, nsp: "/", id: 7, data: [new Uint16Array([1])] });
    assert.equal(out[0], '61-7[{"_placeholder":true,"num":0}]');
    assert.equal(out.length, 2);
  });
  it("does not mutate the application's data when replacing binaries", () => {
    const buf = Buffer.from([9]);
    const data = ["e", { buf }];
    encode({ type: PacketType.EVENT, nsp: "/", data });
    assert.equal((data[1] as { buf: Buffer }).buf, buf);
  });
  it("encodes CONNECT_ERROR with an object payload", () => {
    assert.deepEqual(
      encode({
        type: PacketType.CONNECT_ERROR,
        nsp: "/nope",
        data: { message: "Invalid namespace" },
      }),
      ['4/nope,{"message":"Invalid namespace"}'],
    );
  });
});

describe("default parser: hasBinary", () => {
  it("finds binary nested in arrays, objects and toJSON results", () => {
    assert.equal(hasBinary(["a", { b: [1, { c: Buffer.alloc(1) }] }]), true);
    assert.equal(hasBinary({ toJSON: () => ({ x: new ArrayBuffer(1) }) }), true);
    assert.equal(hasBinary(["a", { b: [1, "x", null] }]), false);
    assert.equal(hasBinary(new Date()), false);
  });
});

describe("default parser: decoding valid packets", () => {
  it("decodes a bare CONNECT on the main namespace", () => {
    assert.deepEqual(packetOf("0"), {
      type: 0,
      nsp: "/",
      data: undefined,
      id: undefined,
      attachments: undefined,
    });
  });
  it("decodes CONNECT with an auth payload", () => {
    const p = packetOf('0/admin,{"token":"123"}');
    assert.equal(p.nsp, "/admin");
    assert.deepEqual(p.data, { token: "123" });
  });
  it("reads a namespace without a comma up to the end of the message", () => {
    assert.equal(packetOf("0/random").nsp, "/random");
  });
  it("decodes DISCONNECT on a custom namespace", () => {
    const p = packetOf("1/admin,");
    assert.equal(p.type, PacketType.DISCONNECT);
    assert.equal(p.nsp, "/admin");
  });
  it("decodes EVENT with an ack id", () => {
    const p = packetOf('2/admin,13["foo",{"a":1}]');
    assert.equal(p.id, 13);
    assert.deepEqual(p.data, ["foo", { a: 1 }]);
  });
  it("accepts a number as the event name", () => {
    assert.deepEqual(packetOf("2[42,1]").data, [42, 1]);
  });
  it("decodes ACK with an empty argument list", () => {
    const p = packetOf("37[]");
    assert.equal(p.type, PacketType.ACK);
    assert.equal(p.id, 7);
  });
  it("decodes CONNECT_ERROR with a string payload", () => {
    assert.equal(packetOf('4"nope"').data, "nope");
  });
  it("waits for the declared attachments and reassembles them in order", () => {
    const d = defaultParser.createDecoder();
    const first = d.add(
      '52-["b",{"_placeholder":true,"num":1},{"x":{"_placeholder":true,"num":0}}]',
    );
    assert.deepEqual(first, { ok: true, packet: undefined });
    assert.deepEqual(d.add(Buffer.from([1])), { ok: true, packet: undefined });
    const r = d.add(Buffer.from([2]));
    assert.ok(r.ok && r.packet);
    assert.equal(r.packet.type, PacketType.BINARY_EVENT);
    const data = r.packet.data as [string, Buffer, { x: Buffer }];
    assert.deepEqual([...data[1]], [2]);
    assert.deepEqual([...data[2].x], [1]);
  });
  it("emits a BINARY_EVENT with zero attachments immediately", () => {
    assert.deepEqual(packetOf('50-["a"]').data, ["a"]);
  });
  it("decodes BINARY_ACK on a namespace with an id", () => {
    const p = packetOf('61-/custom,7[{"_placeholder":true,"num":0}]', Buffer.from([5]));
    assert.equal(p.id, 7);
    assert.equal(p.nsp, "/custom");
  });
  it("round-trips what the encoder produces", () => {
    const packet: Packet = {
      type: PacketType.EVENT,
      nsp: "/x",
      id: 3,
      data: ["e", Buffer.from("hi"), [Buffer.from("yo")]],
    };
    const chunks = encode(packet);
    const p = packetOf(...chunks);
    assert.equal(p.type, PacketType.BINARY_EVENT);
    const data = p.data as [string, Uint8Array, Uint8Array[]];
    assert.equal(Buffer.from(data[1]).toString(), "hi");
    assert.equal(Buffer.from(data[2][0]!).toString(), "yo");
  });
  it("keeps decoding after a complete binary packet", () => {
    const d = defaultParser.createDecoder();
    d.add('51-["a",{"_placeholder":true,"num":0}]');
    d.add(Buffer.from([1]));
    const r = d.add('2["b"]');
    assert.ok(r.ok && r.packet);
    assert.deepEqual(r.packet.data, ["b"]);
  });
});

describe("default parser: rejecting invalid packets", () => {
  const cases: [string, string, string][] = [
    ["an empty message", "", SocketErrorCodes.UNKNOWN_PACKET_TYPE],
    ["an unknown type digit", "7", SocketErrorCodes.UNKNOWN_PACKET_TYPE],
    ["a non-digit type", "a[]", SocketErrorCodes.UNKNOWN_PACKET_TYPE],
    ["binary without an attachment count", '5["a"]', SocketErrorCodes.INVALID_ATTACHMENTS],
    ["binary with a count not followed by a dash", '51["a"]', SocketErrorCodes.INVALID_ATTACHMENTS],
    ["binary with a negative count", '5-1-["a"]', SocketErrorCodes.INVALID_ATTACHMENTS],
    ["binary with a fractional count", '51.5-["a"]', SocketErrorCodes.INVALID_ATTACHMENTS],
    ["binary with more than 10 attachments", '511-["a"]', SocketErrorCodes.TOO_MANY_ATTACHMENTS],
    ["binary with a huge count", `5${"9".repeat(30)}-["a"]`, SocketErrorCodes.INVALID_ATTACHMENTS],
    [
      "an ack id beyond the safe integer range",
      `2${"9".repeat(17)}["a"]`,
      SocketErrorCodes.INVALID_ACK_ID,
    ],
    ["an ack id of 2^53", '29007199254740992["a"]', SocketErrorCodes.INVALID_ACK_ID],
    ["an ACK without id", "3[]", SocketErrorCodes.INVALID_ACK_ID],
    ["invalid JSON", '2["a"', SocketErrorCodes.INVALID_JSON],
    ["trailing garbage after the JSON", '2["a"]x', SocketErrorCodes.INVALID_JSON],
    ["a CONNECT with an array payload", "0[]", SocketErrorCodes.INVALID_PAYLOAD],
    ["a CONNECT with a string payload", '0"x"', SocketErrorCodes.INVALID_PAYLOAD],
    ["a CONNECT with a null payload", "0null", SocketErrorCodes.INVALID_PAYLOAD],
    ["a DISCONNECT with a payload", "1{}", SocketErrorCodes.INVALID_PAYLOAD],
    ["a CONNECT_ERROR with a number payload", "41", SocketErrorCodes.INVALID_PAYLOAD],
    ["a CONNECT_ERROR with an array payload", "4[]", SocketErrorCodes.INVALID_PAYLOAD],
    ["an EVENT without payload", "2", SocketErrorCodes.INVALID_PAYLOAD],
    ["an EVENT with an empty array", "2[]", SocketErrorCodes.INVALID_PAYLOAD],
    ["an EVENT with an object payload", '2{"a":1}', SocketErrorCodes.INVALID_PAYLOAD],
    ["an EVENT whose name is an object", '2[{"a":1}]', SocketErrorCodes.INVALID_PAYLOAD],
    ["an EVENT whose name is null", "2[null]", SocketErrorCodes.INVALID_PAYLOAD],
    ["an EVENT with a reserved name", '2["disconnect"]', SocketErrorCodes.INVALID_PAYLOAD],
    ["an EVENT named connect_error", '2["connect_error"]', SocketErrorCodes.INVALID_PAYLOAD],
    ["an ACK with an object payload", "31{}", SocketErrorCodes.INVALID_PAYLOAD],
    ["a BINARY_EVENT with an empty array", "50-[]", SocketErrorCodes.INVALID_PAYLOAD],
    [
      "a binary event whose name is a placeholder",
      '51-[{"_placeholder":true,"num":0}]',
      SocketErrorCodes.INVALID_PAYLOAD,
    ],
  ];
  for (const [what, wire, code] of cases) {
    it(`rejects ${what} (${JSON.stringify(wire).slice(0, 40)})`, () => {
      assert.equal(errorCode(wire), code);
    });
  }

  it("honours a custom maxAttachments", () => {
    const d = defaultParser.createDecoder({ maxAttachments: 1 });
    const r = d.add('52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    assert.equal(r.ok ? "" : r.error.code, SocketErrorCodes.TOO_MANY_ATTACHMENTS);
  });
  it("rejects a placeholder whose num is out of range", () => {
    assert.equal(
      errorCode('51-["a",{"_placeholder":true,"num":1}]', Buffer.from([1])),
      SocketErrorCodes.INVALID_PLACEHOLDER,
    );
  });
  it("rejects a negative, fractional, string or missing placeholder num", () => {
    for (const num of ["-1", "0.5", '"0"', "null"]) {
      assert.equal(
        errorCode(`51-["a",{"_placeholder":true,"num":${num}}]`, Buffer.from([1])),
        SocketErrorCodes.INVALID_PLACEHOLDER,
        num,
      );
    }
    assert.equal(
      errorCode('51-["a",{"_placeholder":true}]', Buffer.from([1])),
      SocketErrorCodes.INVALID_PLACEHOLDER,
    );
  });
  it("rejects attachments that no placeholder references", () => {
    assert.equal(errorCode('51-["a"]', Buffer.from([1])), SocketErrorCodes.INVALID_PLACEHOLDER);
  });
  it("rejects a text message while attachments are still expected", () => {
    assert.equal(
      errorCode('51-["a",{"_placeholder":true,"num":0}]', '2["b"]'),
      SocketErrorCodes.UNEXPECTED_TEXT,
    );
  });
  it("rejects a binary message when no packet is waiting for attachments", () => {
    assert.equal(errorCode(Buffer.from([1])), SocketErrorCodes.UNEXPECTED_BINARY);
    assert.equal(errorCode('2["a"]', Buffer.from([1])), SocketErrorCodes.UNEXPECTED_BINARY);
  });
  it("fails every add after destroy", () => {
    const d = defaultParser.createDecoder();
    d.destroy();
    const r = d.add('2["a"]');
    assert.equal(r.ok ? "" : r.error.code, SocketErrorCodes.DECODER_DESTROYED);
  });
  it("returns an error instead of throwing on absurdly deep nesting", () => {
    const deep = `51-["a",${"[".repeat(200_000)}${"]".repeat(200_000)}]`;
    const d = defaultParser.createDecoder();
    const r1 = d.add(deep);
    const r = r1.ok ? d.add(Buffer.from([1])) : r1;
    assert.equal(r.ok, false);
  });
});

describe("default parser: prototype pollution", () => {
  it("keeps a JSON __proto__ key as an own property, never as the prototype", () => {
    const p = packetOf('2["a",{"__proto__":{"polluted":true}}]');
    const arg = (p.data as unknown[])[1] as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(arg), Object.prototype);
    assert.equal((arg as { polluted?: unknown }).polluted, undefined);
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
  });
  it("does not let a placeholder under __proto__ replace the prototype", () => {
    const p = packetOf('51-["a",{"__proto__":{"_placeholder":true,"num":0}}]', Buffer.from([1]));
    const arg = (p.data as unknown[])[1] as object;
    assert.equal(Object.getPrototypeOf(arg), Object.prototype);
    assert.ok(Buffer.isBuffer(Object.getOwnPropertyDescriptor(arg, "__proto__")?.value));
  });
  it("ignores an inherited _placeholder flag", () => {
    const p = packetOf('2["a",{"num":0}]');
    assert.deepEqual((p.data as unknown[])[1], { num: 0 });
  });
  it("treats a placeholder in a non-binary EVENT as plain data", () => {
    const p = packetOf('2["a",{"_placeholder":true,"num":0}]');
    assert.deepEqual((p.data as unknown[])[1], { _placeholder: true, num: 0 });
  });
  it("encodes an own __proto__ key as data, not as the prototype", () => {
    const obj = JSON.parse('{"__proto__":{"x":1}}') as object;
    const out = encode({ type: PacketType.EVENT, nsp: "/", data: ["e", obj, Buffer.from([1])] });
    assert.equal(out[0], '51-["e",{"__proto__":{"x":1}},{"_placeholder":true,"num":0}]');
  });
});
