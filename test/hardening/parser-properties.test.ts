/**
 * Property tests of the pure codecs (time-boxed, see FUZZ_SECONDS in ./harness.ts): the Engine.IO
 * packet / payload decoders and the Socket.IO decoders (default and msgpack) never throw on
 * arbitrary input, only ever hand out well-formed packets of plain data, and round-trip every
 * valid packet.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { encode as msgpackEncode } from "@msgpack/msgpack";
import fc from "fast-check";
import {
  decodePacket,
  decodePayload,
  encodePacket,
  encodePayload,
} from "../../src/parser/engine/index.js";
import { DefaultDecoder, DefaultEncoder, hasBinary } from "../../src/parser/socket/index.js";
import { MsgpackPacketDecoder, MsgpackPacketEncoder } from "../../src/parser/socket/msgpack.js";
import type { Decoder } from "../../src/parser/socket/types.js";
import { isPayloadValid } from "../../src/parser/socket/validate.js";
import type { EnginePacket } from "../../src/protocol/engine.js";
import { type Packet, PacketType } from "../../src/protocol/socket.js";
import {
  anyBytes,
  anyString,
  enginePacket,
  payloadLike,
  socketPacket,
  socketTextLike,
} from "./arbitraries.js";
import { fuzzBudget, fuzzRuns, testTimeout } from "./harness.js";

/** Runs a time-boxed property and reports how many cases it checked. */
async function check<Ts extends [unknown, ...unknown[]]>(
  t: TestContext,
  share: number,
  arbs: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> },
  predicate: (...args: Ts) => void,
): Promise<void> {
  let runs = 0;
  const ms = fuzzBudget(share);
  await fc.assert(
    fc.property(...arbs, (...args: Ts) => {
      runs++;
      predicate(...args);
    }),
    fuzzRuns(ms),
  );
  t.diagnostic(`${runs} cases in ${ms} ms`);
  assert.ok(runs > 0);
}

const protoKeys = Object.getOwnPropertyNames(Object.prototype).sort();

function assertPrototypeUntouched(): void {
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), protoKeys);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
}

/**
 * Every value is JSON data or bytes: arrays, plain objects, primitives, Uint8Array views (and
 * msgpack timestamps as Date). Iterative: decoded data may be nested thousands deep.
 */
function assertPlainData(root: unknown): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === null || value === undefined) continue;
    const t = typeof value;
    if (t === "string" || t === "number" || t === "boolean") continue;
    assert.equal(t, "object", `decoded data holds a ${t}`);
    if (value instanceof Uint8Array || value instanceof ArrayBuffer || value instanceof Date) {
      continue;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (Array.isArray(value)) {
      assert.equal(proto, Array.prototype, "decoded array has a foreign prototype");
      for (const v of value) stack.push(v);
      continue;
    }
    assert.ok(
      proto === Object.prototype || proto === null,
      "decoded object has a foreign prototype",
    );
    for (const v of Object.values(value as object)) stack.push(v);
  }
}

/** A packet handed out by a decoder is well-formed and carries plain data only. */
function assertWellFormed(packet: Packet): void {
  assert.ok(Number.isInteger(packet.type) && packet.type >= 0 && packet.type <= 6);
  assert.ok(typeof packet.nsp === "string" && packet.nsp.startsWith("/"));
  if (packet.id !== undefined) assert.ok(Number.isSafeInteger(packet.id) && packet.id >= 0);
  assert.ok(isPayloadValid(packet.type, packet.data), "payload matches its type");
  assertPlainData(packet.data);
}

function feed(decoder: Decoder, chunks: readonly (string | Uint8Array)[]): Packet[] {
  const out: Packet[] = [];
  for (const c of chunks) {
    const r = decoder.add(c);
    if (!r.ok) {
      assert.equal(typeof r.error.code, "string");
      continue;
    }
    if (r.packet) {
      assertWellFormed(r.packet);
      out.push(r.packet);
    }
  }
  return out;
}

function sameEngine(actual: EnginePacket, expected: EnginePacket): void {
  assert.equal(actual.type, expected.type);
  if (expected.data instanceof Uint8Array) {
    assert.ok(actual.data instanceof Uint8Array);
    assert.deepEqual(Buffer.from(actual.data), Buffer.from(expected.data));
  } else assert.equal(actual.data, expected.data);
}

describe("Engine.IO codec properties", () => {
  it("decodePacket never throws on any string or bytes", testTimeout(fuzzBudget(0.03)), (t) =>
    check(t, 0.03, [fc.oneof(anyString(200), payloadLike, anyBytes(200))], (raw) => {
      const r = decodePacket(raw);
      if (!r.ok) assert.match(r.error.code, /^EIO_ERR_/);
    }),
  );

  it("decodePayload never throws on any text", testTimeout(fuzzBudget(0.03)), (t) =>
    check(t, 0.03, [fc.oneof(anyString(300), payloadLike)], (payload) => {
      const r = decodePayload(payload);
      if (!r.ok) assert.match(r.error.code, /^EIO_ERR_/);
      else for (const p of r.value) assert.ok(p.type.length > 0);
    }),
  );

  it(
    "round-trips every valid packet through a WebSocket frame",
    testTimeout(fuzzBudget(0.03)),
    (t) =>
      check(t, 0.03, [enginePacket(false)], (packet) => {
        const r = decodePacket(encodePacket(packet));
        assert.ok(r.ok);
        sameEngine(r.value, packet);
      }),
  );

  it(
    "round-trips every valid list of packets through a polling payload",
    testTimeout(fuzzBudget(0.03)),
    (t) =>
      check(t, 0.03, [fc.array(enginePacket(true), { minLength: 1, maxLength: 8 })], (packets) => {
        const r = decodePayload(encodePayload(packets));
        assert.ok(r.ok);
        assert.equal(r.value.length, packets.length);
        for (const [i, p] of r.value.entries()) sameEngine(p, packets[i] as EnginePacket);
      }),
  );
});

/** What the default parser's decoder hands back for an encoded packet. */
function expectedDefault(packet: Packet): Packet {
  const binary =
    (packet.type === PacketType.EVENT || packet.type === PacketType.ACK) && hasBinary(packet.data);
  return {
    type: binary ? ((packet.type + 3) as Packet["type"]) : packet.type,
    nsp: packet.nsp,
    data: packet.data,
    id: packet.id,
  };
}

function comparable(p: Packet): Packet {
  return { type: p.type, nsp: p.nsp, data: p.data, id: p.id };
}

describe("Socket.IO default parser properties", () => {
  it(
    "never throws on any sequence of text and binary messages, and only hands out plain data",
    testTimeout(fuzzBudget(0.05)),
    (t) =>
      check(
        t,
        0.05,
        [fc.array(fc.oneof(socketTextLike, anyString(60), anyBytes(20)), { maxLength: 6 })],
        (chunks) => {
          feed(new DefaultDecoder(), chunks);
          assertPrototypeUntouched();
        },
      ),
  );

  it(
    "round-trips every valid packet, binary attachments included",
    testTimeout(fuzzBudget(0.05)),
    (t) => {
      const encoder = new DefaultEncoder();
      return check(t, 0.05, [socketPacket(false)], (packet) => {
        const chunks = encoder.encode(packet);
        const decoder = new DefaultDecoder({ maxAttachments: Number.MAX_SAFE_INTEGER });
        const out: Packet[] = [];
        for (const c of chunks) {
          const r = decoder.add(c);
          assert.ok(r.ok, r.ok ? "" : `${r.error.code}: ${r.error.message}`);
          if (r.packet) out.push(r.packet);
        }
        assert.equal(out.length, 1);
        assert.deepEqual(comparable(out[0] as Packet), expectedDefault(packet));
      });
    },
  );
});

describe("Socket.IO msgpack parser properties", () => {
  it(
    "never throws on arbitrary bytes or arbitrary msgpack values, and only hands out plain data",
    testTimeout(fuzzBudget(0.04)),
    (t) => {
      const anyMsgpack = fc
        .oneof(
          fc.anything({ maxDepth: 3, withTypedArray: true, withNullPrototype: true }),
          fc.record(
            {
              type: fc.oneof(fc.integer({ min: -1, max: 7 }), fc.anything()),
              nsp: fc.oneof(fc.constant("/"), anyString(10), fc.anything()),
              data: fc.anything({ maxDepth: 3 }),
              id: fc.oneof(fc.integer(), fc.double(), fc.anything()),
            },
            { requiredKeys: [] },
          ),
        )
        .map((v) => {
          try {
            return msgpackEncode(v);
          } catch {
            return new Uint8Array([0xc1]);
          }
        });
      return check(
        t,
        0.04,
        [fc.array(fc.oneof(anyBytes(100), anyMsgpack, anyString(20)), { maxLength: 4 })],
        (chunks) => {
          feed(new MsgpackPacketDecoder(), chunks);
          assertPrototypeUntouched();
        },
      );
    },
  );

  it(
    "round-trips every valid packet, binary values included",
    testTimeout(fuzzBudget(0.04)),
    (t) => {
      const encoder = new MsgpackPacketEncoder();
      return check(t, 0.04, [socketPacket(true)], (packet) => {
        const chunks = encoder.encode(packet);
        assert.equal(chunks.length, 1);
        const r = new MsgpackPacketDecoder().add(chunks[0] as Uint8Array);
        assert.ok(r.ok, r.ok ? "" : `${r.error.code}: ${r.error.message}`);
        assert.ok(r.packet);
        assert.deepEqual(comparable(r.packet), comparable(packet));
      });
    },
  );
});
