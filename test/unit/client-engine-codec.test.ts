/**
 * The client's lean Engine.IO codec (`src/engine/client/codec.ts`) against the shared
 * `src/parser/engine`: same frames and payloads out, same packets (or the same rejection) in.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  decodeFrame,
  decodeRecords,
  encodeFrame,
  encodeRecords,
} from "../../src/engine/client/codec.js";
import {
  decodePacket,
  decodePayload,
  encodePacket,
  encodePacketText,
  encodePayload,
} from "../../src/parser/engine/index.js";
import type { EnginePacket, EnginePacketType } from "../../src/protocol/engine.js";

const types: EnginePacketType[] = ["open", "close", "ping", "pong", "message", "upgrade", "noop"];

const packetArb: fc.Arbitrary<EnginePacket> = fc.oneof(
  fc.constantFrom(...types).map((type) => ({ type })),
  fc.record({ type: fc.constantFrom(...types), data: fc.string({ minLength: 1 }) }),
  fc.uint8Array({ maxLength: 40 }).map((data) => ({ type: "message" as const, data })),
);

function same(ours: unknown, shared: unknown): void {
  const norm = (v: unknown) => (v instanceof Uint8Array ? [...v] : v);
  const packet = (p: unknown) =>
    p && typeof p === "object" ? { ...p, data: norm((p as EnginePacket).data) } : p;
  assert.deepEqual(
    Array.isArray(ours) ? ours.map(packet) : packet(ours),
    Array.isArray(shared) ? shared.map(packet) : packet(shared),
  );
}

test("encodes frames and payloads like the shared codec", () => {
  fc.assert(
    fc.property(fc.array(packetArb, { minLength: 1, maxLength: 5 }), (packets) => {
      for (const p of packets) {
        same(encodeFrame(p), encodePacket(p));
        assert.equal(encodeFrame(p, true), encodePacketText(p));
      }
      assert.equal(encodeRecords(packets), encodePayload(packets));
    }),
    { numRuns: 300, interruptAfterTimeLimit: 4000 },
  );
});

test("decodes literal frames and payloads like the shared codec, rejections included", () => {
  const frames = [
    "",
    "0",
    "1",
    "2probe",
    "3probe",
    "4hello",
    "5",
    "6",
    "7",
    "x",
    "bAQID",
    "b",
    "b!!",
    "bAQ=",
    "bA",
  ];
  for (const f of frames) {
    const shared = decodePacket(f);
    same(decodeFrame(f), shared.ok ? shared.value : undefined);
  }
  same(decodeFrame(new Uint8Array([1, 2])), { type: "message", data: new Uint8Array([1, 2]) });
  for (const payload of ["", "4a\x1e4b", "4a\x1e", "2\x1ebAQID\x1e6", "4a\x1ex", "\x1e4"]) {
    const shared = decodePayload(payload);
    same(decodeRecords(payload), shared.ok ? shared.value : undefined);
  }
});

test("property: both codecs agree on arbitrary payload text", () => {
  const record = fc.oneof(
    fc.string({ maxLength: 6 }),
    fc.constantFrom("b", "bAQID", "b====", "4", "2probe"),
  );
  fc.assert(
    fc.property(fc.array(record, { minLength: 1, maxLength: 4 }), (records) => {
      const payload = records.join("\x1e");
      const shared = decodePayload(payload);
      same(decodeRecords(payload), shared.ok ? shared.value : undefined);
    }),
    { numRuns: 2000, interruptAfterTimeLimit: 4000 },
  );
});
