// Micro-benchmark: Engine.IO payload encode/decode, Tether vs the official engine.io-parser,
// side by side in one run. Bounded: a fixed number of iterations per case.
import * as official from "engine.io-parser";
import * as tether from "../../dist/esm/parser/engine/index.js";

const text = { type: "message", data: '2["chat message","hello world, how are you today?"]' };
const bin = { type: "message", data: Buffer.alloc(256, 7) };
const batch = Array.from({ length: 20 }, (_, i) => (i % 5 === 4 ? bin : text));

function time(fn, iterations) {
  for (let i = 0; i < Math.min(1000, iterations); i++) fn(); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - t0) / iterations; // ns per op
}

function officialEncode() {
  return new Promise((resolve) => official.encodePayload(batch, resolve));
}

export async function run({ quick = false } = {}) {
  const n = quick ? 20_000 : 100_000;
  const payload = tether.encodePayload(batch);
  // The official encoder is callback-based but synchronous for Buffers; measure its sync path.
  let officialPayload = "";
  official.encodePayload(batch, (p) => {
    officialPayload = p;
  });
  if (officialPayload !== payload)
    throw new Error("payload mismatch: the codecs disagree on the wire");
  await officialEncode();
  const rows = [
    {
      case: "encodePayload (20 packets)",
      tether: time(() => tether.encodePayload(batch), n),
      official: time(() => official.encodePayload(batch, () => {}), n),
    },
    {
      case: "decodePayload (20 packets)",
      tether: time(() => tether.decodePayload(payload), n),
      official: time(() => official.decodePayload(payload, "nodebuffer"), n),
    },
  ];
  return rows.map((r) => ({ ...r, ratio: r.tether / r.official }));
}
