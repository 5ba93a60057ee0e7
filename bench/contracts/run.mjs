// Contracts and rate limits benchmark (issue 17): what validation and limits cost.
//   ack round-trips  one Tether server (child process, pinned to a core when taskset exists) per
//                    mode; 50 official socket.io clients in this process, each sending `say`
//                    with a chat-sized payload and waiting for its ack, in a loop, for a fixed
//                    time. Round-trips/s, and the server's CPU per event (user + system).
//                    Modes: none, zod contract, zod contract + outgoing (ack) validation, rate
//                    limits (socket + event + key buckets, never refusing), zod + limits.
//   guard micro      ns per event through the guard alone, no I/O (bench/contracts/micro.mjs)
//   heap             bytes of rate-limit state per socket (bench/contracts/heap.mjs)
// `node bench/contracts/run.mjs [--quick]` alone (after `npm run build`), or `npm run bench -- --only=contracts`.
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { io as ioc } from "socket.io-client";
import { startChild } from "../child.mjs";
import { payload } from "./contract.mjs";
import { run as runMicro } from "./micro.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const MODES = ["none", "zod", "zod-outgoing", "limits", "zod+limits"];

async function roundTrips(mode, { clients, seconds }) {
  const node = startChild(join(here, "node.mjs"), { args: [mode], core: 0 });
  const sockets = [];
  try {
    const { port } = await node.ready;
    for (let i = 0; i < clients; i++) {
      const s = ioc(`http://127.0.0.1:${port}`, {
        transports: ["websocket"],
        forceNew: true,
        reconnection: false,
      });
      sockets.push(s);
      await new Promise((resolve, reject) => {
        s.once("connect", resolve);
        s.once("connect_error", reject);
      });
    }
    // Warm-up, then the measured window.
    let stop = performance.now() + 500;
    let count = 0;
    const loop = async (s) => {
      while (performance.now() < stop) {
        const r = await s.emitWithAck("say", payload);
        if (r?.ok !== true) throw new Error(`unexpected ack ${JSON.stringify(r)}`);
        count++;
      }
    };
    await Promise.all(sockets.map(loop));
    count = 0;
    const cpu0 = (await node.call("cpu")).cpu;
    const t0 = performance.now();
    stop = t0 + seconds * 1000;
    await Promise.all(sockets.map(loop));
    const ms = performance.now() - t0;
    const cpu1 = (await node.call("cpu")).cpu;
    const cpuUs = cpu1.user - cpu0.user + cpu1.system - cpu0.system;
    return {
      mode,
      clients,
      ms,
      roundTripsPerSec: (count * 1000) / ms,
      cpuUsPerEvent: cpuUs / count,
    };
  } finally {
    for (const s of sockets) s.disconnect();
    await node.stop();
  }
}

function heapRow(n) {
  const out = execFileSync(process.execPath, ["--expose-gc", join(here, "heap.mjs"), String(n)], {
    encoding: "utf8",
  });
  return JSON.parse(out.trim().split("\n").pop());
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Rows of the contracts benchmark; `lines` is its markdown summary. */
export async function run({ quick = false, log = console.error } = {}) {
  const reps = quick ? 1 : 3;
  const opts = { clients: 50, seconds: quick ? 2 : 5 };
  const rows = [];
  // Modes interleaved per repetition, so drift on a shared machine spreads over all of them.
  for (let r = 0; r < reps; r++) {
    for (const mode of MODES) {
      const row = { bench: "contracts/ack", rep: r, ...(await roundTrips(mode, opts)) };
      console.log(JSON.stringify(row));
      log(`contracts: ${mode} rep ${r}: ${row.roundTripsPerSec.toFixed(0)} round-trips/s`);
      rows.push(row);
    }
  }
  const micro = runMicro({ quick });
  for (const m of micro) console.log(JSON.stringify({ bench: "contracts/micro", ...m }));
  const heap = heapRow(quick ? 10_000 : 50_000);
  console.log(JSON.stringify({ bench: "contracts/heap", ...heap }));

  const by = (mode, k) => rows.filter((x) => x.mode === mode).map((x) => x[k]);
  const base = median(by("none", "roundTripsPerSec"));
  const baseCpu = median(by("none", "cpuUsPerEvent"));
  const lines = [
    "\n### Contracts and rate limits\n",
    `${opts.clients} official clients, each awaiting its ack before the next \`say\` (payload \`{ room, text, id }\`), ${opts.seconds} s per run, ${reps} run(s) per mode, median (min–max); server CPU per event = user + system of the server process / acked events.\n`,
    "| mode | round-trips/s | vs none | server CPU µs/event | Δ vs none |",
    "|---|---:|---:|---:|---:|",
  ];
  for (const mode of MODES) {
    const rt = by(mode, "roundTripsPerSec");
    const cpu = by(mode, "cpuUsPerEvent");
    lines.push(
      `| ${mode} | ${median(rt).toFixed(0)} (${Math.min(...rt).toFixed(0)}–${Math.max(...rt).toFixed(0)}) | ${(median(rt) / base).toFixed(2)}× | ${median(cpu).toFixed(1)} (${Math.min(...cpu).toFixed(1)}–${Math.max(...cpu).toFixed(1)}) | ${median(cpu) - baseCpu >= 0 ? "+" : ""}${(median(cpu) - baseCpu).toFixed(1)} |`,
    );
  }
  lines.push(
    "",
    `Guard alone (no I/O): ${micro.map((m) => `${m.case} **${m.nsPerEvent.toFixed(0)} ns**/event`).join("; ")}.`,
    `Rate-limit state: **${heap.bytesPerSocket.toFixed(0)} B** per socket (socket + one event + key buckets and the refusal policy, ${heap.sockets} sockets; allocated at a socket's first event, none without limits).`,
  );
  return { rows, lines };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { lines } = await run({ quick: process.argv.includes("--quick") });
  console.log(lines.join("\n"));
}
