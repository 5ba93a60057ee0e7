import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  byteLength,
  decodePacket,
  decodePayload,
  encodePacket,
  encodePacketText,
  encodePayload,
  toRawData,
  utf8Length,
} from "../../src/parser/engine/index.js";

const bytes = (...b: number[]) => new Uint8Array(b);

function decoded(raw: string | Uint8Array) {
  const r = decodePacket(raw);
  assert.ok(r.ok, `expected ${JSON.stringify(raw)} to decode`);
  return r.value;
}

function errorCode(raw: string | Uint8Array): string {
  const r = decodePacket(raw);
  assert.ok(!r.ok, `expected ${JSON.stringify(raw)} to fail`);
  return r.error.code;
}

describe("engine packet encoding", () => {
  it("writes each packet type as its ASCII digit", () => {
    assert.equal(encodePacket({ type: "open" }), "0");
    assert.equal(encodePacket({ type: "close" }), "1");
    assert.equal(encodePacket({ type: "ping" }), "2");
    assert.equal(encodePacket({ type: "pong", data: "probe" }), "3probe");
    assert.equal(encodePacket({ type: "message", data: "hello" }), "4hello");
    assert.equal(encodePacket({ type: "upgrade" }), "5");
    assert.equal(encodePacket({ type: "noop" }), "6");
  });

  it("keeps binary message data as raw bytes for a WebSocket frame", () => {
    const data = bytes(1, 2, 3, 4);
    assert.equal(encodePacket({ type: "message", data }), data);
  });

  it("writes a binary message as b + base64 in a polling record", () => {
    assert.equal(encodePacketText({ type: "message", data: bytes(1, 2, 3, 4) }), "bAQIDBA==");
    assert.equal(encodePacketText({ type: "message", data: "€" }), "4€");
    assert.equal(encodePacketText({ type: "message", data: bytes() }), "b");
  });

  it("joins polling records with the record separator", () => {
    assert.equal(
      encodePayload([
        { type: "message", data: "hello" },
        { type: "message", data: bytes(1, 2, 3, 4) },
        { type: "ping" },
      ]),
      "4hello\x1ebAQIDBA==\x1e2",
    );
    assert.equal(encodePayload([]), "");
  });
});

describe("engine packet decoding", () => {
  it("reads every packet type from its digit", () => {
    assert.deepEqual(decoded('0{"sid":"x"}'), { type: "open", data: '{"sid":"x"}' });
    assert.deepEqual(decoded("1"), { type: "close" });
    assert.deepEqual(decoded("2probe"), { type: "ping", data: "probe" });
    assert.deepEqual(decoded("3"), { type: "pong" });
    assert.deepEqual(decoded("4hello"), { type: "message", data: "hello" });
    assert.deepEqual(decoded("5"), { type: "upgrade" });
    assert.deepEqual(decoded("6"), { type: "noop" });
  });

  it("keeps message text verbatim, including multi-byte characters", () => {
    assert.deepEqual(decoded("4€ 😀 \u0000"), { type: "message", data: "€ 😀 \u0000" });
    assert.deepEqual(decoded("4"), { type: "message" });
  });

  it("reads a binary frame as a message carrying the same bytes", () => {
    const frame = bytes(0xff, 0, 0x34);
    const p = decoded(frame);
    assert.equal(p.type, "message");
    assert.deepEqual([...(p.data as Uint8Array)], [0xff, 0, 0x34]);
  });

  it("reads b + base64 as a binary message", () => {
    const p = decoded("bAQIDBA==");
    assert.equal(p.type, "message");
    assert.deepEqual([...(p.data as Uint8Array)], [1, 2, 3, 4]);
    assert.deepEqual([...(decoded("bAQIDBA").data as Uint8Array)], [1, 2, 3, 4]);
  });

  it("rejects an empty packet", () => {
    assert.equal(errorCode(""), "EIO_ERR_EMPTY_PACKET");
  });

  it("rejects unknown packet types", () => {
    for (const raw of ["7", "9x", "a", "{}", " 4", "\x1e"]) {
      assert.equal(errorCode(raw), "EIO_ERR_UNKNOWN_PACKET_TYPE", raw);
    }
  });

  it("rejects invalid or truncated base64", () => {
    for (const raw of ["b!!!!", "bA", "bAQIDB===", "bAQ=D", "b AQID", "bAQIDBA=x"]) {
      assert.equal(errorCode(raw), "EIO_ERR_INVALID_BASE64", raw);
    }
  });

  it("splits a polling payload on the record separator", () => {
    const r = decodePayload("4hello\x1ebAQIDBA==\x1e3\x1e1");
    assert.ok(r.ok);
    assert.equal(r.value.length, 4);
    assert.deepEqual(r.value[0], { type: "message", data: "hello" });
    assert.deepEqual([...(r.value[1]?.data as Uint8Array)], [1, 2, 3, 4]);
    assert.deepEqual(r.value[2], { type: "pong" });
    assert.deepEqual(r.value[3], { type: "close" });
  });

  it("fails the whole payload when one record is bad", () => {
    const r = decodePayload("4ok\x1e9bad\x1e4ok");
    assert.ok(!r.ok);
    assert.equal(r.error.code, "EIO_ERR_UNKNOWN_PACKET_TYPE");
    const empty = decodePayload("4a\x1e\x1e4b");
    assert.ok(!empty.ok);
    assert.equal(decodePayload("").ok, false);
  });

  it("round-trips packets through the polling payload", () => {
    const packets = [
      { type: "message" as const, data: "a\u2028b" },
      { type: "message" as const, data: bytes(0, 255, 128) },
      { type: "noop" as const },
    ];
    const r = decodePayload(encodePayload(packets));
    assert.ok(r.ok);
    assert.equal(r.value[0]?.data, "a\u2028b");
    assert.deepEqual([...(r.value[1]?.data as Uint8Array)], [0, 255, 128]);
    assert.deepEqual(r.value[2], { type: "noop" });
  });
});

describe("engine byte helpers", () => {
  it("counts UTF-8 bytes without encoding", () => {
    assert.equal(utf8Length("abc"), 3);
    assert.equal(utf8Length("é"), 2);
    assert.equal(utf8Length("€"), 3);
    assert.equal(utf8Length("😀"), 4);
    assert.equal(utf8Length("\ud800"), 3);
    assert.equal(byteLength(undefined), 0);
    assert.equal(byteLength(bytes(1, 2)), 2);
  });

  it("normalises ArrayBuffer and typed arrays to byte views without copying", () => {
    const ab = new ArrayBuffer(4);
    const u16 = new Uint16Array(ab, 2, 1);
    const view = toRawData(u16) as Uint8Array;
    assert.equal(view.buffer, ab);
    assert.equal(view.byteOffset, 2);
    assert.equal(view.byteLength, 2);
    assert.equal((toRawData(ab) as Uint8Array).byteLength, 4);
    assert.equal(toRawData("x"), "x");
  });
});

describe("engine codec properties (time-boxed fuzzing)", () => {
  const fcOpts = { numRuns: 300, interruptAfterTimeLimit: 2000 };

  it("never throws on arbitrary text or bytes", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        decodePacket(s);
        decodePayload(s);
      }),
      fcOpts,
    );
    fc.assert(
      fc.property(fc.uint8Array(), (b) => {
        assert.ok(decodePacket(b).ok);
      }),
      fcOpts,
    );
  });

  it("round-trips any list of text and binary messages through a polling payload", () => {
    const text = fc
      .string({ unit: "binary" })
      .filter((s) => !s.includes("\x1e"))
      .map((data) => ({ type: "message" as const, data }));
    const binary = fc.uint8Array().map((data) => ({ type: "message" as const, data }));
    fc.assert(
      fc.property(fc.array(fc.oneof(text, binary), { minLength: 1, maxLength: 8 }), (packets) => {
        const r = decodePayload(encodePayload(packets));
        assert.ok(r.ok);
        assert.equal(r.value.length, packets.length);
        r.value.forEach((p, i) => {
          const want = packets[i]?.data;
          if (typeof want === "string") assert.equal(p.data ?? "", want);
          else assert.deepEqual([...((p.data as Uint8Array | undefined) ?? [])], [...(want ?? [])]);
        });
      }),
      fcOpts,
    );
  });
});
