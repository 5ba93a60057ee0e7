/**
 * The client's lean default parser (`src/client/codec.ts`) against the shared `defaultParser`:
 * same wire output for every packet, same verdict (accept with the same packet, or reject) for
 * every input. Literal edge cases first, then time-boxed property tests.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { clientParser } from "../../src/client/codec.js";
import { type DecodeResult, defaultParser } from "../../src/parser/socket/index.js";
import type { Packet } from "../../src/protocol/socket.js";

type Chunk = string | Uint8Array;

function bytesOf(chunks: Chunk[]): (string | number[])[] {
  return chunks.map((c) => (typeof c === "string" ? c : [...c]));
}

function encodeBoth(packet: Packet): void {
  const ours = clientParser.createEncoder().encode(packet);
  const shared = defaultParser.createEncoder().encode(packet);
  assert.deepEqual(bytesOf(ours), bytesOf(shared), JSON.stringify(packet));
}

/** Feeds the same chunks to both decoders; returns the verdicts side by side. */
function decodeBoth(chunks: Chunk[]): [DecodeResult[], DecodeResult[]] {
  const a = clientParser.createDecoder();
  const b = defaultParser.createDecoder();
  return [chunks.map((c) => a.add(c)), chunks.map((c) => b.add(c))];
}

function assertSameVerdicts(chunks: Chunk[]): void {
  const [ours, shared] = decodeBoth(chunks);
  for (let i = 0; i < chunks.length; i++) {
    const o = ours[i] as DecodeResult;
    const s = shared[i] as DecodeResult;
    const label = `${JSON.stringify(chunks.map((c) => (typeof c === "string" ? c : "<bin>")))} #${i}`;
    assert.equal(o.ok, s.ok, `verdict of ${label}: ${o.ok ? "" : o.error.message}`);
    if (o.ok && s.ok) assert.deepEqual(o.packet, s.packet, label);
    if (!o.ok) assert.match(o.error.code, /^SIO_ERR_/);
  }
}

const bin = (...b: number[]) => new Uint8Array(b);

test("encodes like the shared parser: namespaces, ack ids, binary anywhere, toJSON, Buffers", () => {
  const date = new Date(0);
  const withToJSON = { toJSON: () => ({ inner: bin(9) }) };
  const packets: Packet[] = [
    { type: 0, nsp: "/" },
    { type: 0, nsp: "/admin", data: { token: "x", pid: "p", offset: "o" } },
    { type: 1, nsp: "/admin" },
    { type: 2, nsp: "/", data: ["hello", 1, { a: [true, null] }] },
    { type: 2, nsp: "/chat", data: ["ev"], id: 12 },
    { type: 3, nsp: "/", data: [], id: 0 },
    { type: 2, nsp: "/", data: ["bin", bin(1, 2), { deep: [new ArrayBuffer(2)] }], id: 3 },
    { type: 3, nsp: "/x", data: [new Uint16Array([1, 2]).subarray(1)], id: 4 },
    { type: 2, nsp: "/", data: ["buf", Buffer.from([7, 8]), date, withToJSON] },
    { type: 0, nsp: "/", data: { auth: bin(1) } },
  ];
  for (const p of packets) encodeBoth(p);
});

test("decodes like the shared parser, and rejects what it rejects", () => {
  const cases: Chunk[][] = [
    ["0"],
    ['0{"sid":"a"}'],
    ["0/admin,"],
    ['0/admin,{"sid":"a","pid":"b"}'],
    ["1"],
    ["1/admin,"],
    ['2["ev",1]'],
    ['2/chat,7["ev"]'],
    ["3[]"],
    ["312[1]"],
    ['4{"message":"no","data":{"x":1}}'],
    ['4"text"'],
    ['51-["ev",{"_placeholder":true,"num":0}]', bin(1, 2)],
    ['51-/a,5["ev",{"_placeholder":true,"num":0}]', bin(3)],
    ['61-3[{"_placeholder":true,"num":0}]', bin(4)],
    ['50-["ev"]'],
    // Rejections.
    [""],
    ["7"],
    ["x"],
    ["3"],
    ["3[1"],
    ['2["connect"]'],
    ["2[]"],
    ["2{}"],
    ["1{}"],
    ["0[]"],
    ['4["no"]'],
    ['2,["ev"]'],
    ['21-["ev"]'],
    ['5["ev"]'],
    ['5-1["ev"]'],
    ['511-["ev"]'],
    ['2/a["ev"]'],
    [`2${"9".repeat(17)}["ev"]`],
    [`3${"9".repeat(16)}[]`],
    [`5${"1".repeat(17)}-["ev"]`],
    ['51-["ev",{"_placeholder":true,"num":1}]', bin(1)],
    ['51-["ev",{"_placeholder":true}]', bin(1)],
    ['52-["ev",{"_placeholder":true,"num":0}]', bin(1), bin(2)],
    ['51-["ev",{"_placeholder":true,"num":0}]', '2["ev"]'],
    [bin(1)],
    ['2["ev",{"__proto__":{"polluted":1}}]'],
  ];
  for (const chunks of cases) assertSameVerdicts(chunks);
});

test("input nested deep enough to exhaust the stack gets the same verdict, without a throw", () => {
  const deep = `${"[".repeat(200_000)}${"]".repeat(200_000)}`;
  const cases: Chunk[][] = [
    [`2["ev",${deep}]`],
    [`51-["ev",${deep},{"_placeholder":true,"num":0}]`, bin(1)],
  ];
  for (const chunks of cases) {
    const [ours, shared] = decodeBoth(chunks);
    assert.deepEqual(
      ours.map((r) => r.ok),
      shared.map((r) => r.ok),
    );
  }
});

test("a destroyed client decoder fails every later chunk", () => {
  const d = clientParser.createDecoder();
  d.destroy();
  const r = d.add('2["ev"]');
  assert.equal(r.ok, false);
});

test("property: any packet the shared encoder writes, both decoders read back identically", () => {
  const json = fc.jsonValue({ maxDepth: 3 });
  const binary = fc.uint8Array({ maxLength: 8 });
  const arg = fc.oneof(json, binary, fc.array(fc.oneof(json, binary), { maxLength: 3 }));
  const packet = fc.record({
    type: fc.constantFrom(2 as const, 3 as const),
    nsp: fc.constantFrom("/", "/chat", "/a,b"),
    id: fc.option(fc.nat(), { nil: undefined }),
    args: fc.array(arg, { maxLength: 4 }),
  });
  fc.assert(
    fc.property(packet, ({ type, nsp, id, args }) => {
      const p: Packet =
        type === 2
          ? { type, nsp, data: ["ev", ...args], id }
          : { type, nsp, data: args, id: id ?? 0 };
      encodeBoth(p);
      assertSameVerdicts(defaultParser.createEncoder().encode(p));
    }),
    { numRuns: 300, interruptAfterTimeLimit: 4000 },
  );
});

test("property: both decoders agree on arbitrary text built from protocol fragments", () => {
  const fragment = fc.constantFrom(
    "0",
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "9",
    "-",
    "/",
    "/nsp",
    ",",
    "12",
    "[",
    "]",
    '"ev"',
    "{}",
    '{"sid":"x"}',
    '{"_placeholder":true,"num":0}',
    "null",
  );
  const text = fc.array(fragment, { maxLength: 8 }).map((parts) => parts.join(""));
  fc.assert(
    fc.property(
      fc.array(fc.oneof(text, fc.constant(bin(1))), { minLength: 1, maxLength: 3 }),
      (chunks) => assertSameVerdicts(chunks),
    ),
    { numRuns: 2000, interruptAfterTimeLimit: 4000 },
  );
});
