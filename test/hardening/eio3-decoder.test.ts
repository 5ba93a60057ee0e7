/**
 * Hardening of the Engine.IO v3 path (`allowEIO3`, Socket.IO v2 clients): the v3 packet, text
 * payload and binary payload decoders never throw on arbitrary input and only hand out
 * well-formed packets; valid packets round-trip; and a real server fed random v3 polling bodies and
 * WebSocket frames answers them, closing only the offending sessions, while a bystander keeps
 * being served.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import fc from "fast-check";
import { WebSocket } from "ws";
import {
  decodeBinaryPayloadV3,
  decodePacketV3,
  decodePayloadV3,
  encodeBinaryPayloadV3,
  encodePacketV3,
  encodePayloadV3,
} from "../../src/parser/engine/v3.js";
import { type EnginePacket, PacketTypeCode } from "../../src/protocol/engine.js";
import { anyBytes, anyString, enginePacket } from "./arbitraries.js";
import { fuzzBudget, fuzzRuns, http, scene, testTimeout, waitForSessions } from "./harness.js";

/** Runs a time-boxed property and reports how many cases it checked. */
async function check<T>(
  t: TestContext,
  share: number,
  arb: fc.Arbitrary<T>,
  predicate: (value: T) => void,
): Promise<void> {
  let runs = 0;
  const ms = fuzzBudget(share);
  await fc.assert(
    fc.property(arb, (value) => {
      runs++;
      predicate(value);
    }),
    fuzzRuns(ms),
  );
  t.diagnostic(`${runs} cases in ${ms} ms`);
  assert.ok(runs > 0);
}

/** A decoded packet is a known type with string data, or a message with bytes. */
function assertWellFormed(p: EnginePacket): void {
  assert.ok(Object.hasOwn(PacketTypeCode, p.type), `type ${p.type}`);
  if (p.data === undefined || typeof p.data === "string") return;
  assert.ok(p.data instanceof Uint8Array);
  assert.equal(p.type, "message");
}

function assertResult(r: { ok: boolean; value?: unknown; error?: unknown }): void {
  if (!r.ok) {
    assert.ok(r.error instanceof Error);
    assert.equal(typeof (r.error as { code?: unknown }).code, "string");
    return;
  }
  const value = r.value as EnginePacket | EnginePacket[];
  for (const p of Array.isArray(value) ? value : [value]) assertWellFormed(p);
}

/** Text shaped like a v3 payload: plausible and broken `<length>:<record>` runs. */
const payloadLikeV3: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      anyString(20).map((s) => `${s.length}:${s}`),
      fc
        .tuple(fc.nat(40), fc.constantFrom("0", "1", "2", "3", "4", "5", "6", "7", "b4", "b", ""))
        .chain(([n, head]) => anyString(30).map((s) => `${n}:${head}${s}`)),
      fc.base64String({ maxLength: 40 }).map((s) => `${s.length + 2}:b4${s}`),
      anyString(10),
    ),
    { maxLength: 6 },
  )
  .map((records) => records.join(""));

/** Bytes shaped like a v3 binary payload: kind byte, digit bytes, 0xff, body. */
const binaryPayloadLike: fc.Arbitrary<Uint8Array> = fc
  .array(
    fc.oneof(
      fc
        .tuple(
          fc.constantFrom(0, 1, 2),
          fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 20 }),
          anyBytes(40),
        )
        .map(([kind, digits, body]) => [kind, ...digits, 0xff, ...body]),
      anyBytes(20).map((b) => [...b]),
    ),
    { maxLength: 5 },
  )
  .map((parts) => Uint8Array.from(parts.flat()));

/** Binary data as plain arrays, for comparing what decoders return (Buffers) with the input. */
function plain(packets: readonly EnginePacket[]): unknown[] {
  return packets.map((p) =>
    p.data === undefined || typeof p.data === "string"
      ? { type: p.type, data: p.data }
      : { type: p.type, data: [...p.data] },
  );
}

describe("Engine.IO v3 decoders under arbitrary input", () => {
  it("decodes any string as a text payload without throwing", testTimeout(fuzzBudget(0.03)), (t) =>
    check(t, 0.03, fc.oneof(anyString(200), payloadLikeV3), (s) =>
      assertResult(decodePayloadV3(s)),
    ),
  );

  it("decodes any bytes as a binary payload without throwing", testTimeout(fuzzBudget(0.03)), (t) =>
    check(t, 0.03, fc.oneof(anyBytes(200), binaryPayloadLike), (b) =>
      assertResult(decodeBinaryPayloadV3(b)),
    ),
  );

  it(
    "decodes any string or bytes as one packet without throwing",
    testTimeout(fuzzBudget(0.02)),
    (t) =>
      check(t, 0.02, fc.oneof(anyString(100), anyBytes(100)), (raw) =>
        assertResult(decodePacketV3(raw)),
      ),
  );

  it(
    "round-trips every valid packet list through both payload formats and WebSocket frames",
    testTimeout(fuzzBudget(0.03)),
    (t) =>
      check(t, 0.03, fc.array(enginePacket(false), { maxLength: 6 }), (packets) => {
        const text = decodePayloadV3(encodePayloadV3(packets));
        assert.ok(text.ok);
        assert.deepEqual(plain(text.value), plain(packets));
        if (packets.length > 0) {
          const binary = decodeBinaryPayloadV3(encodeBinaryPayloadV3(packets));
          assert.ok(binary.ok);
          assert.deepEqual(plain(binary.value), plain(packets));
        }
        for (const p of packets) {
          for (const supportsBinary of [true, false]) {
            const frame = decodePacketV3(encodePacketV3(p, supportsBinary));
            assert.ok(frame.ok);
            assert.deepEqual(plain([frame.value]), plain([p]));
          }
        }
      }),
  );
});

const LIMITS = { allowEIO3: true, maxHttpBufferSize: 4096 } as const;

/** Opens a v3 polling session by hand; resolves with its sid. */
async function openV3(port: number, b64: boolean): Promise<string> {
  const res = await http(port, "GET", `/socket.io/?EIO=3&transport=polling${b64 ? "&b64=1" : ""}`);
  assert.equal(res.status, 200);
  const sid = /"sid":"([^"]+)"/.exec(res.text)?.[1];
  assert.ok(sid, res.text);
  return sid;
}

describe("a server with allowEIO3 under random v3 input", () => {
  it(
    "answers random v3 polling bodies (text and binary) with 200/400/413 and stays up",
    testTimeout(fuzzBudget(0.05)),
    async (t) => {
      const s = await scene(t, LIMITS);
      const port = s.h.port;
      const body = fc.oneof(
        payloadLikeV3.map((text) => ({ body: text as string | Buffer, binary: false })),
        anyString(300).map((text) => ({ body: text as string | Buffer, binary: false })),
        binaryPayloadLike.map((b) => ({ body: Buffer.from(b) as string | Buffer, binary: true })),
        anyBytes(300).map((b) => ({ body: Buffer.from(b) as string | Buffer, binary: true })),
        fc.constant({ body: "4".repeat(5000) as string | Buffer, binary: false }),
      );
      let runs = 0;
      const ms = fuzzBudget(0.05);
      await fc.assert(
        fc.asyncProperty(
          fc.record({ b64: fc.boolean(), bodies: fc.array(body, { minLength: 1, maxLength: 3 }) }),
          async ({ b64, bodies }) => {
            runs++;
            const sid = await openV3(port, b64);
            const path = `/socket.io/?EIO=3&transport=polling&sid=${sid}`;
            for (const { body: b, binary } of bodies) {
              const headers: Record<string, string> = binary
                ? { "Content-Type": "application/octet-stream" }
                : { "Content-Type": "text/plain;charset=UTF-8" };
              const res = await http(port, "POST", path, b, headers);
              assert.ok([200, 400, 413].includes(res.status), `status ${res.status}`);
            }
            // Ends the session if the fuzz input did not.
            await http(port, "POST", path, "1:1");
          },
        ),
        fuzzRuns(ms),
      );
      t.diagnostic(`${runs} sessions in ${ms} ms`);
      await s.finish();
      await waitForSessions(s.h, 0, "every fuzzed session to be closed");
    },
  );

  it(
    "survives random v3 WebSocket frames, closing only the offending sessions",
    testTimeout(fuzzBudget(0.04)),
    async (t) => {
      const s = await scene(t, LIMITS);
      const frame = fc.oneof(
        anyString(200),
        anyBytes(200),
        fc.constantFrom(
          "2",
          "2probe",
          "3",
          "5",
          "6",
          "1",
          "b4",
          "b4AQID",
          "b2AQID",
          "40",
          "40/x?a=1,",
        ),
        fc.constantFrom("0/nsp?__proto__=1&constructor=2,", "0/nsp?a=1&a=2,", "0?,"),
      );
      let runs = 0;
      const ms = fuzzBudget(0.04);
      await fc.assert(
        fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 5 }), async (frames) => {
          runs++;
          const ws = new WebSocket(
            `ws://127.0.0.1:${s.h.port}/socket.io/?EIO=3&transport=websocket`,
          );
          ws.on("error", () => {});
          const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
          await new Promise<void>((resolve) => {
            ws.once("open", () => resolve());
            ws.once("close", () => resolve());
          });
          for (const f of frames) {
            if (ws.readyState === WebSocket.OPEN)
              ws.send(typeof f === "string" ? f : Buffer.from(f));
          }
          ws.close();
          await closed;
        }),
        fuzzRuns(ms),
      );
      t.diagnostic(`${runs} sessions in ${ms} ms`);
      await s.finish();
      await waitForSessions(s.h, 0, "every fuzzed session to be closed");
    },
  );
});
