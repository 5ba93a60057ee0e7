/**
 * One Engine.IO codec for server and client (src/parser/engine): the client's transports read
 * with `parsePacket` / `parsePayload` (undefined when malformed), the server with `decodePacket` /
 * `decodePayload`, which wrap them and name the cause. engine.io-parser is the oracle for the
 * wire; base64 runs through Buffer on Node and through `atob` in browsers, with one verdict.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as official from "engine.io-parser";
import fc from "fast-check";
import {
  decodePacket,
  decodePayload,
  EngineParseErrors,
  encodePacket,
  encodePacketText,
  encodePayload,
  parsePacket,
  parsePayload,
} from "../../src/parser/engine/index.js";
import {
  type EnginePacket,
  type EnginePacketType,
  PacketTypeByCode,
  PacketTypeCode,
  PacketTypes,
} from "../../src/protocol/engine.js";
import { decodeBase64, decodeBase64Portable, isBase64 } from "../../src/shared/base64.js";

const types = PacketTypes as EnginePacketType[];
const packetArb: fc.Arbitrary<EnginePacket> = fc.oneof(
  fc.constantFrom(...types).map((type) => ({ type })),
  fc.record({ type: fc.constantFrom(...types), data: fc.string({ minLength: 1 }) }),
  fc.uint8Array({ maxLength: 40 }).map((data) => ({ type: "message" as const, data })),
);

const plain = (p: EnginePacket | undefined) =>
  p && { ...p, data: p.data instanceof Uint8Array ? [...p.data] : p.data };

describe("one Engine.IO codec", () => {
  it("lists packet types in wire-digit order", () => {
    for (const [i, type] of PacketTypes.entries()) {
      assert.equal(PacketTypeCode[type], String(i));
      assert.equal(PacketTypeByCode.get(String(i)), type);
    }
  });

  it("writes frames, records and payloads as engine.io-parser does", () => {
    fc.assert(
      fc.property(fc.array(packetArb, { minLength: 1, maxLength: 5 }), (packets) => {
        for (const p of packets) {
          let frame: unknown;
          official.encodePacket(p as official.Packet, true, (v) => {
            frame = v;
          });
          let record: unknown;
          official.encodePacket(p as official.Packet, false, (v) => {
            record = v;
          });
          const ours = encodePacket(p);
          assert.deepEqual(
            typeof ours === "string" ? ours : [...ours],
            typeof frame === "string" ? frame : [...(frame as Uint8Array)],
          );
          assert.equal(encodePacket(p, true), record);
          assert.equal(encodePacketText(p), record);
        }
        let payload = "";
        official.encodePayload(packets as official.Packet[], (v) => {
          payload = v;
        });
        assert.equal(encodePayload(packets), payload);
      }),
      { numRuns: 300, interruptAfterTimeLimit: 4000 },
    );
  });

  it("names the cause of every packet the client's parsePacket refuses", () => {
    const cases: [string, string | undefined][] = [
      ["", EngineParseErrors.EMPTY],
      ["7", EngineParseErrors.UNKNOWN_TYPE],
      ["x", EngineParseErrors.UNKNOWN_TYPE],
      ["/", EngineParseErrors.UNKNOWN_TYPE],
      ["b!!", EngineParseErrors.BAD_BASE64],
      ["bA", EngineParseErrors.BAD_BASE64],
      ["bAQ=", EngineParseErrors.BAD_BASE64],
      ["bAQ==", undefined],
      ["bAQ", undefined],
      ["b", undefined],
      ["0", undefined],
      ["2probe", undefined],
      ["4hello", undefined],
      ["6", undefined],
    ];
    for (const [frame, code] of cases) {
      const parsed = parsePacket(frame);
      const decoded = decodePacket(frame);
      assert.equal(parsed === undefined, code !== undefined, JSON.stringify(frame));
      if (decoded.ok) assert.deepEqual(plain(decoded.value), plain(parsed));
      else assert.equal(decoded.error.code, code, JSON.stringify(frame));
    }
    const bytes = new Uint8Array([1, 2]);
    assert.deepEqual(parsePacket(bytes), { type: "message", data: bytes });
  });

  it("reads a payload on both sides, the server naming the first bad record", () => {
    const cases: [string, string | undefined][] = [
      ["4a\x1e4b", undefined],
      ["2\x1ebAQID\x1e6", undefined],
      ["4a\x1e", EngineParseErrors.EMPTY],
      ["4a\x1ex\x1e", EngineParseErrors.UNKNOWN_TYPE],
      ["4a\x1eb!\x1ex", EngineParseErrors.BAD_BASE64],
    ];
    for (const [payload, code] of cases) {
      const parsed = parsePayload(payload);
      const decoded = decodePayload(payload);
      assert.equal(parsed === undefined, code !== undefined, JSON.stringify(payload));
      if (decoded.ok) assert.deepEqual(decoded.value.map(plain), parsed?.map(plain));
      else assert.equal(decoded.error.code, code, JSON.stringify(payload));
    }
  });

  it("property: what engine.io-parser reads from a payload, both sides read the same", () => {
    const record = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom("b", "bAQID", "b====", "bAQ", "4", "2probe"),
    );
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 4 }), (records) => {
        const payload = records.join("\x1e");
        const parsed = parsePayload(payload);
        const decoded = decodePayload(payload);
        assert.equal(decoded.ok, parsed !== undefined);
        if (!parsed) return;
        const theirs = official.decodePayload(payload, "nodebuffer");
        assert.deepEqual(
          parsed.map(plain),
          theirs.map((p) => plain(p as EnginePacket)),
        );
      }),
      { numRuns: 2000, interruptAfterTimeLimit: 4000 },
    );
  });

  it("property: base64 through atob (browsers) and Buffer (Node) gives isBase64's verdicts and the same bytes", () => {
    const chars = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ !*\n\t"];
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...chars), maxLength: 24 }), (s) => {
        const node = decodeBase64(s);
        const browser = decodeBase64Portable(s);
        assert.equal(node !== undefined, isBase64(s), JSON.stringify(s));
        assert.equal(browser !== undefined, isBase64(s), `atob: ${JSON.stringify(s)}`);
        assert.deepEqual(node && [...node], browser && [...browser]);
      }),
      { numRuns: 20_000 },
    );
  });
});
