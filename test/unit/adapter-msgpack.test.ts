/**
 * The adapters' msgpack codec (src/adapter/msgpack.ts) against the two encoders on the other
 * side of the wire: notepack.io (the official Redis adapters and emitters) and @msgpack/msgpack.
 * What either writes, it reads to the same value; what it writes, both read back; hostile input
 * gives a failed result, never an exception.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decode as msgpackDecode, encode as msgpackEncode } from "@msgpack/msgpack";
import * as notepack from "notepack.io";
import { MAX_DEPTH, pack, unpackValue } from "../../src/adapter/msgpack.js";
import { rng } from "../helpers/rng.js";

const NUMBERS = [
  0,
  1,
  127,
  128,
  255,
  256,
  65535,
  65536,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 53 - 1,
  -1,
  -32,
  -33,
  -128,
  -129,
  -32768,
  -32769,
  -(2 ** 31),
  -(2 ** 31) - 1,
  -(2 ** 53 - 1),
  0.5,
  -1.25,
  1.5e-300,
  Math.PI,
];
const STRINGS = [
  "",
  "a",
  "hello",
  "é",
  "日本語",
  "😀",
  "x".repeat(31),
  "x".repeat(32),
  "y".repeat(300),
  "z".repeat(70_000),
  "mixed ascii then é",
];

function randomValue(next: () => number, depth: number): unknown {
  const r = next();
  if (depth > 4 || r < 0.5) {
    const k = Math.floor(next() * 7);
    if (k === 0) return NUMBERS[Math.floor(next() * NUMBERS.length)];
    if (k === 1) return STRINGS[Math.floor(next() * STRINGS.length)];
    if (k === 2) return next() < 0.5;
    if (k === 3) return null;
    if (k === 4)
      return Buffer.from(
        Array.from({ length: Math.floor(next() * 300) }, () => Math.floor(next() * 256)),
      );
    if (k === 5) return Math.floor(next() * 1e6) - 5e5;
    return `s${Math.floor(next() * 1000)}`;
  }
  if (r < 0.75)
    return Array.from({ length: Math.floor(next() * 20) }, () => randomValue(next, depth + 1));
  const o: Record<string, unknown> = {};
  const n = Math.floor(next() * 20);
  for (let i = 0; i < n; i++) o[`k${Math.floor(next() * 40)}`] = randomValue(next, depth + 1);
  return o;
}

/** Binary compared by bytes, whatever view type each side returns. */
function normalise(v: unknown): unknown {
  if (v instanceof Uint8Array) return { bin: Buffer.from(v).toString("hex") };
  if (Array.isArray(v)) return v.map(normalise);
  if (v !== null && typeof v === "object" && !(v instanceof Date)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)]));
  }
  return v;
}

function unpacked(bytes: Uint8Array): unknown {
  const r = unpackValue(bytes);
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  return r.value;
}

describe("adapter msgpack codec", () => {
  it("reads what notepack.io and @msgpack/msgpack write, and both read what it writes (2,000 random values)", () => {
    const next = rng(42);
    for (let i = 0; i < 2000; i++) {
      const value = randomValue(next, 0);
      const expected = normalise(value);
      assert.deepEqual(normalise(unpacked(notepack.encode(value))), expected);
      assert.deepEqual(normalise(unpacked(msgpackEncode(value))), expected);
      const ours = pack(value);
      assert.deepEqual(normalise(notepack.decode(ours)), expected);
      assert.deepEqual(normalise(msgpackDecode(ours)), expected);
    }
  });

  it("writes every integer and float in the smallest form both libraries use, and reads them back", () => {
    for (const n of NUMBERS) {
      assert.deepEqual(pack(n), Buffer.from(msgpackEncode(n)), `encoding of ${n}`);
      assert.equal(unpacked(pack(n)), n);
    }
  });

  it("leaves out undefined map values and writes undefined elsewhere as nil", () => {
    assert.deepEqual(unpacked(pack({ a: 1, b: undefined })), { a: 1 });
    assert.deepEqual(unpacked(pack([1, undefined])), [1, null]);
  });

  it("writes a Date as notepack.io does, and reads notepack's Date and undefined and the msgpack timestamp", () => {
    const d = new Date(1_700_000_000_123);
    assert.deepEqual(pack(d), notepack.encode(d));
    assert.deepEqual(unpacked(notepack.encode({ d })), { d });
    assert.deepEqual(unpacked(msgpackEncode(d)), d);
    assert.deepEqual(unpacked(notepack.encode([undefined])), [undefined]);
  });

  it("encodes every kind of binary view by its bytes and reads binary back as a view of the input", () => {
    const bytes = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const views: unknown[] = [
      bytes.subarray(2, 5),
      new Uint16Array(bytes.buffer, 2, 2),
      bytes.buffer,
      new DataView(bytes.buffer, 1, 3),
    ];
    for (const v of views) {
      const got = unpacked(pack(v));
      assert.ok(Buffer.isBuffer(got));
      const src =
        v instanceof ArrayBuffer
          ? new Uint8Array(v)
          : new Uint8Array(
              (v as ArrayBufferView).buffer,
              (v as ArrayBufferView).byteOffset,
              (v as ArrayBufferView).byteLength,
            );
      assert.deepEqual([...got], [...src]);
    }
  });

  it("keeps a __proto__ key as an own property and never touches the prototype", () => {
    const bytes = notepack.encode(JSON.parse('{"__proto__":{"polluted":true},"a":1}'));
    const got = unpacked(bytes) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(got), Object.prototype);
    assert.deepEqual(Object.keys(got), ["__proto__", "a"]);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it("refuses truncated, oversized, trailing, too deep and malformed input with a result, never a throw", () => {
    const good = pack({ a: [1, 2, "three"], b: Buffer.alloc(10) });
    for (let cut = 0; cut < good.length; cut++) {
      assert.equal(unpackValue(good.subarray(0, cut)).ok, false, `cut at ${cut}`);
    }
    const cases: Array<[string, Buffer]> = [
      ["array32 claiming 4 billion items", Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff])],
      ["map32 claiming 4 billion entries", Buffer.from([0xdf, 0xff, 0xff, 0xff, 0xff])],
      ["str32 longer than the input", Buffer.from([0xdb, 0x7f, 0xff, 0xff, 0xff, 0x61])],
      ["bin32 longer than the input", Buffer.from([0xc6, 0x00, 0x10, 0x00, 0x00])],
      ["the unused type byte", Buffer.from([0xc1])],
      ["trailing bytes", Buffer.from([0x01, 0x02])],
      ["a map key that is an array", Buffer.from([0x81, 0x90, 0x01])],
      [
        "nesting deeper than the limit",
        Buffer.from(Array.from({ length: MAX_DEPTH + 5 }, () => 0x91).concat([0x01])),
      ],
    ];
    for (const [what, bytes] of cases) assert.equal(unpackValue(bytes).ok, false, what);
    const next = rng(7);
    for (let i = 0; i < 5000; i++) {
      const bytes = Buffer.from(
        Array.from({ length: 1 + Math.floor(next() * 40) }, () => Math.floor(next() * 256)),
      );
      unpackValue(bytes); // must not throw
    }
  });

  it("throws at the caller on what msgpack cannot hold: functions, symbols, nesting deeper than the limit", () => {
    assert.throws(() => pack({ f: () => 1 }), TypeError);
    assert.throws(() => pack([Symbol("s")]), TypeError);
    let deep: unknown = 1;
    for (let i = 0; i < MAX_DEPTH + 1; i++) deep = [deep];
    assert.throws(() => pack(deep), RangeError);
    // The codec is still usable afterwards.
    assert.deepEqual(unpacked(pack({ ok: true })), { ok: true });
  });

  it("encodes a value whose getter encodes another value (re-entrant use)", () => {
    const inner = { x: "inner" };
    const outer = {
      get nested() {
        return pack(inner);
      },
      y: "outer",
    };
    const got = unpacked(pack(outer)) as { nested: Buffer; y: string };
    assert.equal(got.y, "outer");
    assert.deepEqual(unpacked(got.nested), inner);
  });
});
