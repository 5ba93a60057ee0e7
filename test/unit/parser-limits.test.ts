import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encode as msgpackEncode } from "@msgpack/msgpack";
import fc from "fast-check";
import { defaultParser } from "../../src/parser/socket/default.js";
import { msgpackParser } from "../../src/parser/socket/msgpack.js";
import type { DecodeResult, DecoderOptions, Parser } from "../../src/parser/socket/types.js";
import {
  isTextPayloadTooDeep,
  isValueTooDeep,
  mayBeTooDeep,
} from "../../src/parser/socket/validate.js";
import { PacketType, SocketErrorCodes } from "../../src/protocol/socket.js";

/** `[[…[1]…]]`: an argument of nesting depth `d` (a scalar is 0). */
function nested(d: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < d; i++) v = i % 2 === 0 ? [v] : { k: v };
  return v;
}

/** Reference depth of a JSON value, recursive (inputs here are shallow enough). */
function depthOf(v: unknown): number {
  if (v === null || typeof v !== "object") return 0;
  const children = Array.isArray(v) ? v : Object.values(v);
  let max = 0;
  for (const c of children) max = Math.max(max, depthOf(c));
  return max + 1;
}

function decode(parser: Parser, opts: DecoderOptions | undefined, chunk: string | Uint8Array) {
  return parser.createDecoder(opts).add(chunk);
}

function failure(r: DecodeResult): { code: string; message: string } {
  assert.equal(r.ok, false, "expected a decode failure");
  return r.ok ? { code: "", message: "" } : { code: r.error.code, message: r.error.message };
}

function accepted(r: DecodeResult): void {
  assert.ok(r.ok, r.ok ? "" : `${r.error.code}: ${r.error.message}`);
  assert.ok(r.packet, "a complete packet");
}

const mp = (packet: Record<string, unknown>) => msgpackEncode(packet, { maxDepth: 10_000 });

describe("decoder limits: event name length", () => {
  const opts = { maxEventNameLength: 8 };

  it("accepts an event name of exactly maxEventNameLength characters", () => {
    accepted(decode(defaultParser, opts, '2["abcdefgh",1]'));
    accepted(decode(msgpackParser, opts, mp({ type: 2, nsp: "/", data: ["abcdefgh", 1] })));
  });

  it("refuses a longer name with SIO_ERR_EVENT_NAME_TOO_LONG naming the limit", () => {
    for (const r of [
      decode(defaultParser, opts, '2["abcdefghi",1]'),
      decode(msgpackParser, opts, mp({ type: 2, nsp: "/", data: ["abcdefghi", 1] })),
    ]) {
      assert.deepEqual(failure(r), {
        code: SocketErrorCodes.EVENT_NAME_TOO_LONG,
        message: "event name longer than 8 characters",
      });
    }
  });

  it("checks the name of a binary event before its attachments arrive", () => {
    const r = decode(defaultParser, opts, '51-["abcdefghi",{"_placeholder":true,"num":0}]');
    assert.equal(failure(r).code, SocketErrorCodes.EVENT_NAME_TOO_LONG);
  });

  it("counts UTF-16 code units, and leaves numeric names and other strings alone", () => {
    accepted(decode(defaultParser, opts, '2["ééééééé€",1]'));
    accepted(decode(defaultParser, opts, '2[123456789012,"a long string argument"]'));
    accepted(decode(defaultParser, opts, '31["a long string in an acknowledgement"]'));
  });

  it("does not limit a decoder created without options (the client's)", () => {
    accepted(decode(defaultParser, undefined, `2["${"e".repeat(100_000)}"]`));
    accepted(decode(msgpackParser, undefined, mp({ type: 2, nsp: "/", data: ["e".repeat(1e5)] })));
  });
});

describe("decoder limits: nesting depth", () => {
  const opts = { maxDepth: 5 };
  const event = (arg: unknown) => `2${JSON.stringify(["ev", arg])}`;

  it("accepts arguments exactly maxDepth deep in EVENT, ACK, BINARY_EVENT and CONNECT", () => {
    accepted(decode(defaultParser, opts, event(nested(5))));
    accepted(decode(defaultParser, opts, `37${JSON.stringify([nested(5), nested(5)])}`));
    const d = defaultParser.createDecoder(opts);
    const bin = { _placeholder: true, num: 0 };
    assert.ok(d.add(`51-${JSON.stringify(["ev", [[[[bin]]]]])}`).ok);
    accepted(d.add(new Uint8Array([1])));
    accepted(decode(defaultParser, opts, `0${JSON.stringify({ a: nested(4) })}`));
    accepted(decode(msgpackParser, opts, mp({ type: 2, nsp: "/", data: ["ev", nested(5)] })));
    accepted(decode(msgpackParser, opts, mp({ type: 0, nsp: "/", data: { a: nested(4) } })));
  });

  it("refuses one level more with SIO_ERR_PAYLOAD_TOO_DEEP naming the limit", () => {
    const bin = { _placeholder: true, num: 0 };
    for (const r of [
      decode(defaultParser, opts, event(nested(6))),
      decode(defaultParser, opts, `37${JSON.stringify([1, nested(6)])}`),
      decode(defaultParser, opts, `51-${JSON.stringify(["ev", [[[[[bin]]]]]])}`),
      decode(defaultParser, opts, `0${JSON.stringify({ a: nested(5) })}`),
      decode(msgpackParser, opts, mp({ type: 2, nsp: "/", data: ["ev", nested(6)] })),
      decode(msgpackParser, opts, mp({ type: 3, nsp: "/", id: 1, data: [nested(6)] })),
      decode(msgpackParser, opts, mp({ type: 0, nsp: "/", data: { a: nested(5) } })),
    ]) {
      assert.deepEqual(failure(r), {
        code: SocketErrorCodes.PAYLOAD_TOO_DEEP,
        message: "arguments nested deeper than 5 levels",
      });
    }
  });

  it("does not count brackets inside strings, escaped quotes included", () => {
    const tricky = ["[[[[[[[[", '\\"[[[[[[[[', '{"a":{"b":{"c":{"d":{"e":{}}}}}}', "\\\\"];
    accepted(decode(defaultParser, opts, event({ s: tricky, t: "]]]]{{{{{{{{{{" })));
    accepted(decode(defaultParser, opts, `2["ev","\\\\",[[[["\\"[[[[[[[[[["]]]]]`));
    const r = decode(defaultParser, opts, `2["ev","\\\\",[[[[[["\\"[[[[[[[[[["]]]]]]]`);
    assert.equal(failure(r).code, SocketErrorCodes.PAYLOAD_TOO_DEEP);
  });

  it("accepts wide payloads with many brackets but little depth", () => {
    const wide = Array.from({ length: 500 }, (_, i) => [{ i }, [i]]);
    accepted(decode(defaultParser, opts, event(wide)));
    accepted(decode(msgpackParser, opts, mp({ type: 2, nsp: "/", data: ["ev", wide] })));
  });

  it("allows only scalar arguments with maxDepth 0", () => {
    accepted(decode(defaultParser, { maxDepth: 0 }, '2["ev",1,"[x]",null]'));
    assert.equal(
      failure(decode(defaultParser, { maxDepth: 0 }, '2["ev",[]]')).code,
      SocketErrorCodes.PAYLOAD_TOO_DEEP,
    );
  });

  it("refuses a payload of a million nested brackets", () => {
    const deep = `2["ev",${"[".repeat(1e6)}${"]".repeat(1e6)}]`;
    assert.equal(
      failure(decode(defaultParser, { maxDepth: 100 }, deep)).code,
      SocketErrorCodes.PAYLOAD_TOO_DEEP,
    );
  });

  it("does not limit depth for a decoder created without options (the client's)", () => {
    accepted(decode(defaultParser, undefined, event(nested(1000))));
    accepted(
      decode(msgpackParser, undefined, mp({ type: 2, nsp: "/", data: ["ev", nested(1000)] })),
    );
  });

  it("isValueTooDeep agrees with a reference depth on random JSON; mayBeTooDeep never misses", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.nat(9), (value, limit) => {
        const expected = depthOf(value) > limit;
        const text = JSON.stringify(value);
        assert.equal(isValueTooDeep(value, limit), expected, text);
        if (expected) assert.equal(mayBeTooDeep(text, 0, limit), true, text);
      }),
      { numRuns: 2000 },
    );
  });

  it("skips the walk for short texts and for texts with few brackets", () => {
    assert.equal(mayBeTooDeep('2["ev",[[1]]]', 1, 5), false);
    assert.equal(mayBeTooDeep(`2["ev",[[1]],"${"x".repeat(100)}"]`, 1, 5), false);
    assert.equal(mayBeTooDeep(`2["ev",[[1]],[[2]],[3],"${"x".repeat(100)}"]`, 1, 5), true);
  });

  it("decides an event of scalar arguments without counting brackets, however long", () => {
    const text = `2["ev","${"[".repeat(1000)}",1,null]`;
    assert.equal(isTextPayloadTooDeep(text, 1, JSON.parse(text.slice(1)), 6), false);
    accepted(decode(defaultParser, opts, text));
    // A text too short to nest deeper decides alone (the value is not looked at).
    assert.equal(isTextPayloadTooDeep("0[]", 1, [[[[]]]], 1), false);
    const connect = `0${JSON.stringify({ a: 1, pad: "x".repeat(10) })}`;
    assert.equal(isTextPayloadTooDeep(connect, 1, JSON.parse(connect.slice(1)), 0), true);
  });

  it("treats binary values and dates as leaves", () => {
    const values = [new Uint8Array(1e6), new Date(0), new ArrayBuffer(8), Buffer.alloc(4)];
    assert.equal(isValueTooDeep(values, 1), false);
    assert.equal(isValueTooDeep([{ a: values }], 2), true);
  });
});

describe("decoder limits: attachments", () => {
  it("names maxAttachments in the refusal and accepts exactly the limit", () => {
    const header = (n: number) =>
      `5${n}-${JSON.stringify(["ev", ...Array.from({ length: n }, (_, num) => ({ _placeholder: true, num }))])}`;
    const d = defaultParser.createDecoder({ maxAttachments: 2 });
    assert.ok(d.add(header(2)).ok);
    assert.ok(d.add(new Uint8Array([1])).ok);
    const r = d.add(new Uint8Array([2]));
    accepted(r);
    assert.equal(r.ok && r.packet?.type, PacketType.BINARY_EVENT);
    assert.deepEqual(failure(decode(defaultParser, { maxAttachments: 2 }, header(3))), {
      code: SocketErrorCodes.TOO_MANY_ATTACHMENTS,
      message: "more than 2 binary attachments",
    });
  });
});
