/**
 * The Engine.IO v3 codec (Socket.IO v2 clients) against literal wire strings and bytes, written
 * from the v3 formats: `<length>:<packet>` text payloads, `b4` base64 binary, type-byte binary
 * frames and the binary payload format.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EngineParseErrors } from "../../src/parser/engine/index.js";
import {
  decodeBinaryPayloadV3,
  decodePacketV3,
  decodePayloadV3,
  EngineV3ParseErrors,
  encodeBinaryPayloadV3,
  encodePacketTextV3,
  encodePacketV3,
  encodePayloadV3,
} from "../../src/parser/engine/v3.js";
import type { EnginePacket } from "../../src/protocol/engine.js";

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

/** Binary data as a plain Uint8Array (decoders may hand out Buffers), for deep equality. */
function plain(p: EnginePacket): EnginePacket {
  return p.data === undefined || typeof p.data === "string"
    ? p
    : { type: p.type, data: Uint8Array.from(p.data) };
}

function decoded<T extends EnginePacket | EnginePacket[]>(
  r: { ok: true; value: T } | { ok: false; error: Error },
): T {
  if (!r.ok) throw new Error(`expected success, got ${r.error.message}`);
  return (Array.isArray(r.value) ? r.value.map(plain) : plain(r.value as EnginePacket)) as T;
}

function errorCode(r: { ok: boolean; error?: { code: string } }): string | undefined {
  assert.equal(r.ok, false);
  return r.error?.code;
}

describe("Engine.IO v3 packets", () => {
  it("encodes text packets as in v4 and binary as b + type digit + base64", () => {
    assert.equal(encodePacketTextV3({ type: "message", data: "hello" }), "4hello");
    assert.equal(encodePacketTextV3({ type: "pong" }), "3");
    assert.equal(encodePacketTextV3({ type: "message", data: bytes(1, 2, 3) }), "b4AQID");
  });

  it("frames binary data for a WebSocket as the type byte then the bytes", () => {
    assert.deepEqual(
      encodePacketV3({ type: "message", data: bytes(1, 2, 3) }, true),
      bytes(4, 1, 2, 3),
    );
    assert.equal(encodePacketV3({ type: "message", data: bytes(1, 2, 3) }, false), "b4AQID");
    assert.equal(encodePacketV3({ type: "message", data: "hi" }, true), "4hi");
  });

  it("decodes text, base64 and type-byte binary packets", () => {
    assert.deepEqual(decoded(decodePacketV3("4hello")), { type: "message", data: "hello" });
    assert.deepEqual(decoded(decodePacketV3("2")), { type: "ping" });
    assert.deepEqual(decoded(decodePacketV3("2probe")), { type: "ping", data: "probe" });
    assert.deepEqual(decoded(decodePacketV3("b4AQID")), { type: "message", data: bytes(1, 2, 3) });
    assert.deepEqual(decoded(decodePacketV3(bytes(4, 1, 2, 3))), {
      type: "message",
      data: bytes(1, 2, 3),
    });
  });

  it("refuses empty, unknown, non-message binary and bad base64 packets with a code", () => {
    assert.equal(errorCode(decodePacketV3("")), EngineParseErrors.EMPTY);
    assert.equal(errorCode(decodePacketV3(bytes())), EngineParseErrors.EMPTY);
    assert.equal(errorCode(decodePacketV3("9")), EngineParseErrors.UNKNOWN_TYPE);
    assert.equal(errorCode(decodePacketV3(bytes(9, 1))), EngineParseErrors.UNKNOWN_TYPE);
    assert.equal(errorCode(decodePacketV3(bytes(2, 1))), EngineParseErrors.BAD_TYPE_FOR_BINARY);
    assert.equal(errorCode(decodePacketV3("b2AQID")), EngineParseErrors.BAD_TYPE_FOR_BINARY);
    assert.equal(errorCode(decodePacketV3("b4!!")), EngineParseErrors.BAD_BASE64);
    assert.equal(errorCode(decodePacketV3("bx")), EngineParseErrors.UNKNOWN_TYPE);
  });
});

describe("Engine.IO v3 text payloads", () => {
  it("prefixes each packet with its length in UTF-16 code units", () => {
    assert.equal(
      encodePayloadV3([
        { type: "message", data: "hello" },
        { type: "message", data: "é😀" },
        { type: "message", data: bytes(1, 2, 3) },
      ]),
      "6:4hello4:4é😀6:b4AQID",
    );
    assert.equal(encodePayloadV3([]), "0:");
  });

  it("decodes records, counting lengths in UTF-16 code units and skipping empty ones", () => {
    assert.deepEqual(decoded(decodePayloadV3("6:4hello4:4é😀0:1:2")), [
      { type: "message", data: "hello" },
      { type: "message", data: "é😀" },
      { type: "ping" },
    ]);
    assert.deepEqual(decoded(decodePayloadV3("6:b4AQID")), [
      { type: "message", data: bytes(1, 2, 3) },
    ]);
    assert.deepEqual(decoded(decodePayloadV3("0:")), []);
  });

  it("fails the whole payload on a bad length, a short record or a bad packet", () => {
    for (const bad of [
      "",
      "4hello",
      ":4hi",
      "x:4",
      "3:4h",
      "99999999999999999:4",
      "2:4h1:",
      "1:9",
    ]) {
      const r = decodePayloadV3(bad);
      assert.equal(r.ok, false, JSON.stringify(bad));
    }
    assert.equal(errorCode(decodePayloadV3("10:4hi")), EngineV3ParseErrors.BAD_LENGTH);
    assert.equal(errorCode(decodePayloadV3("")), EngineV3ParseErrors.EMPTY_PAYLOAD);
  });
});

describe("Engine.IO v3 binary payloads", () => {
  it("writes text records as UTF-8 and binary records as type byte + data behind digit-byte lengths", () => {
    const out = encodeBinaryPayloadV3([
      { type: "message", data: "é" },
      { type: "message", data: bytes(7, 8) },
    ]);
    // 0 (text), length 3 (digit bytes), 0xff, "4" + "é" in UTF-8; 1 (binary), length 3, 0xff, 4, 7, 8
    assert.deepEqual(out, bytes(0, 3, 0xff, 0x34, 0xc3, 0xa9, 1, 3, 0xff, 4, 7, 8));
  });

  it("decodes what it writes, multi-digit lengths included", () => {
    const long = "x".repeat(123);
    const packets: EnginePacket[] = [
      { type: "message", data: long },
      { type: "message", data: bytes(1, 2, 3) },
      { type: "ping" },
    ];
    const wire = encodeBinaryPayloadV3(packets);
    assert.deepEqual([...wire.subarray(0, 5)], [0, 1, 2, 4, 0xff]);
    const back = decoded(decodeBinaryPayloadV3(wire));
    assert.deepEqual(back, packets);
  });

  it("fails on a bad record kind, a missing length end, a digit above 9 or an overlong record", () => {
    assert.equal(
      errorCode(decodeBinaryPayloadV3(bytes(2, 1, 0xff, 4))),
      EngineV3ParseErrors.BAD_LENGTH,
    );
    assert.equal(errorCode(decodeBinaryPayloadV3(bytes(0, 1, 2))), EngineV3ParseErrors.BAD_LENGTH);
    assert.equal(
      errorCode(decodeBinaryPayloadV3(bytes(0, 10, 0xff, 0x34))),
      EngineV3ParseErrors.BAD_LENGTH,
    );
    assert.equal(
      errorCode(decodeBinaryPayloadV3(bytes(1, 5, 0xff, 4, 1))),
      EngineV3ParseErrors.BAD_LENGTH,
    );
    assert.equal(
      errorCode(decodeBinaryPayloadV3(bytes(0, 0xff, 0x34))),
      EngineV3ParseErrors.BAD_LENGTH,
    );
    assert.equal(
      errorCode(decodeBinaryPayloadV3(Uint8Array.from([1, ...new Array(17).fill(9), 0xff]))),
      EngineV3ParseErrors.BAD_LENGTH,
    );
    assert.equal(errorCode(decodeBinaryPayloadV3(bytes())), EngineV3ParseErrors.EMPTY_PAYLOAD);
  });
});
