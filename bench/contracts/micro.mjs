// Guard cost per event in one process, without I/O (`node micro.mjs`): ns per `admit` of one
// `say` event through a namespace guard with limits, with the zod contract, with both. Bounded.
import { fileURLToPath } from "node:url";
import { NamespaceGuard } from "tether-io";
import { benchContract, benchLimits, payload } from "./contract.mjs";

function socket() {
  return {
    id: "s",
    nsp: { name: "/" },
    connected: true,
    handshake: { address: "127.0.0.1" },
    data: {},
    _guardState: undefined,
    admitted: 0,
    _admitted() {
      this.admitted++;
    },
    _packet() {
      throw new Error("refused");
    },
    _onclose() {},
  };
}

function time(guard, n) {
  const s = socket();
  for (let i = 0; i < 1000; i++) guard.admit(s, ["say", payload], 1);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) guard.admit(s, ["say", payload], 1);
  return Number(process.hrtime.bigint() - t0) / n;
}

export function run({ quick = false } = {}) {
  const n = quick ? 50_000 : 200_000;
  const limits = new NamespaceGuard();
  limits.setLimits(benchLimits);
  const zod = new NamespaceGuard();
  zod.setContract(benchContract, { validateOutgoing: false });
  const both = new NamespaceGuard();
  both.setContract(benchContract, { validateOutgoing: false });
  both.setLimits(benchLimits);
  const cases = [
    ["limits (socket + event + key buckets)", limits],
    ["zod contract", zod],
    ["zod contract + limits", both],
  ];
  // Rounds alternate the cases (JIT and a shared machine's drift hit all alike); best round kept.
  const best = cases.map(() => Number.POSITIVE_INFINITY);
  for (let round = 0; round < 5; round++) {
    for (const [i, [, guard]] of cases.entries()) best[i] = Math.min(best[i], time(guard, n));
  }
  return cases.map(([name], i) => ({ case: name, nsPerEvent: best[i] }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const row of run({ quick: process.argv.includes("--quick") }))
    console.log(JSON.stringify(row));
}
