// Micro-benchmark: the default Socket.IO parser (protocol 5 text + binary placeholders), Tether vs
// the official socket.io-parser, side by side in one run. Bounded: a fixed number of iterations
// per case. Decoding feeds one decoder many packets, as a connection does, with the server's
// default limits (maxAttachments 10, maxEventNameLength 256, maxDepth 100) checked.
import * as official from "socket.io-parser";
import { defaultParser as tether } from "../../dist/esm/parser/socket/default.js";

const event = { type: 2, nsp: "/", data: ["chat message", "hello world, how are you today?", 42] };
const withAck = {
  type: 2,
  nsp: "/chat",
  id: 17,
  data: ["update", { user: { id: 1234, name: "ada", roles: ["admin", "dev"] }, ts: 1700000000 }],
};
const binary = {
  type: 2,
  nsp: "/",
  data: ["upload", { name: "a.bin", body: Buffer.alloc(256, 7) }],
};

function time(fn, iterations) {
  for (let i = 0; i < Math.min(1000, iterations); i++) fn(); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - t0) / iterations; // ns per op
}

const wire = (chunks) =>
  chunks.map((c) => (typeof c === "string" ? c : Buffer.from(c).toString("hex")));

export async function run({ quick = false } = {}) {
  const n = quick ? 20_000 : 100_000;
  const tEnc = tether.createEncoder();
  const oEnc = new official.Encoder();
  for (const p of [event, withAck, binary]) {
    const a = JSON.stringify(wire(tEnc.encode(p)));
    const b = JSON.stringify(wire(oEnc.encode(p)));
    if (a !== b) throw new Error(`encoding mismatch: the codecs disagree on the wire: ${a} / ${b}`);
  }
  const tDec = tether.createDecoder({ maxAttachments: 10, maxEventNameLength: 256, maxDepth: 100 });
  const oDec = new official.Decoder();
  let sink = 0;
  oDec.on("decoded", () => sink++);
  const decodeTether = (chunks) => () => {
    for (const c of chunks) if (tDec.add(c).ok) sink++;
  };
  const decodeOfficial = (chunks) => () => {
    for (const c of chunks) oDec.add(c);
  };
  const rows = [];
  for (const [name, p] of [
    ["event", event],
    ["event with ack, nested object", withAck],
    ["binary event (256 B)", binary],
  ]) {
    const chunks = tEnc.encode(p);
    rows.push({
      case: `encode ${name}`,
      tether: time(() => tEnc.encode(p), n),
      official: time(() => oEnc.encode(p), n),
    });
    rows.push({
      case: `decode ${name}`,
      tether: time(decodeTether(chunks), n),
      official: time(decodeOfficial(chunks), n),
    });
  }
  if (sink === 0) throw new Error("nothing decoded");
  return rows.map((r) => ({ ...r, ratio: r.tether / r.official }));
}
