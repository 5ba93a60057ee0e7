/**
 * One soak round against the server child, through the fault proxy:
 *
 * ```
 * clients join (batches) ─▶ ticks on ─▶ faults + messages for `seconds` ─▶ faults off, senders
 * stop ─▶ all reconnected and idle ─▶ ticks off, all caught up ─▶ ledgers checked on the server
 * ─▶ half leave cleanly, half are cut off (sessions kept) ─▶ engine empty ─▶ sessions expire
 * ─▶ server stats after gc
 * ```
 * The warm-up round and the soak round run the same sequence; the warm-up's final stats are
 * the baseline the soak's are compared with.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { waitFor } from "../../helpers/wait.js";
import { Fleet, type FleetFigures } from "./clients.js";
import type { LedgerCheck, ServerStats } from "./protocol.js";
import { SOAK } from "./protocol.js";
import type { FaultProxy } from "./proxy.js";
import type { SoakServer } from "./server-handle.js";

/** How a round is run. */
export interface RoundPlan {
  name: string;
  clients: number;
  seconds: number;
  official: number;
  /** First client number (rounds use disjoint keys). */
  base: number;
}

/** What a round measured. */
export interface RoundResult {
  plan: RoundPlan;
  figures: FleetFigures;
  ledger: LedgerCheck;
  proxy: { connections: number; kills: number; killsWebsocket: number; killsPolling: number };
  /** Server stats once every client left and every session expired. */
  after: ServerStats;
  /** Open sessions, sockets and connections the round peaked at (server and proxy). */
  peak: { engineClients: number; proxied: number };
  wallSeconds: number;
}

interface Counts {
  engineClients: number;
  namespaceSockets: number;
  sessionsKept: number;
  timers: number;
  cpuMs: number;
}

const BATCH = 100;

function progress(text: string): void {
  if (process.env.SOAK_PROGRESS === "1") process.stderr.write(`[soak] ${text}\n`);
}

/** Runs one round; `fleet` is closed whatever happens. */
export async function runRound(
  server: SoakServer,
  proxy: FaultProxy,
  proxyPort: number,
  plan: RoundPlan,
): Promise<RoundResult> {
  const started = Date.now();
  const fleet = new Fleet(`http://127.0.0.1:${proxyPort}`, plan.base);
  const killsBefore = { ...proxy.stats };
  const peak = { engineClients: 0, proxied: 0 };
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  try {
    // Join in batches: a burst of 2,000 handshakes at once would time out on a loaded machine.
    for (let joined = 0; joined < plan.clients; joined += BATCH) {
      fleet.add(Math.min(BATCH, plan.clients - joined), plan.official);
      await waitFor(() => fleet.allConnected, 60_000, `${plan.name}: clients connected`).catch(
        (err: unknown) => {
          throw new Error(`${plan.name}: not connected: ${fleet.unconnected().join("; ")}`, {
            cause: err,
          });
        },
      );
      if (joined % 500 === 0)
        progress(`${plan.name}: ${fleet.connected} up at ${Date.now() - started} ms`);
    }
    progress(`${plan.name}: ${plan.clients} clients up in ${Date.now() - started} ms`);
    await server.call("startTicks");

    proxy.startFaults(plan.clients * SOAK.killShare);
    const maxMessages = Math.ceil((plan.seconds * 1000 * 1.5) / SOAK.messageMs);
    fleet.startSending(maxMessages);
    const until = Date.now() + plan.seconds * 1000;
    let mark = {
      at: Date.now(),
      own: cpuMs(),
      server: (await server.call<Counts>("counts")).cpuMs,
    };
    while (Date.now() < until) {
      // The soak's duration is the point of the test: pace it, reporting as it goes.
      await new Promise<void>((r) => setTimeout(r, Math.min(10_000, until - Date.now())));
      const counts = await server.call<Counts>("counts");
      peak.engineClients = Math.max(peak.engineClients, counts.engineClients);
      peak.proxied = Math.max(peak.proxied, proxy.size);
      const f = fleet.figures;
      const now = { at: Date.now(), own: cpuMs(), server: counts.cpuMs };
      const share = (a: number, b: number) =>
        `${Math.round(((a - b) / (now.at - mark.at)) * 100)}%`;
      const cpu = `cpu: clients+proxy ${share(now.own, mark.own)}, server ${share(now.server, mark.server)}`;
      mark = now;
      progress(
        `${plan.name}: ${Math.round((Date.now() - started) / 1000)} s, connected ${fleet.connected}, ` +
          `acked ${f.acked}/${f.sent}, kills ${proxy.stats.kills - killsBefore.kills}, ` +
          `reconnects ${f.reconnects} (recovered ${f.recoveries}), sessions ${counts.engineClients}, ` +
          `server timers ${counts.timers}, ${cpu}, ` +
          `loop delay p99 ${Math.round(loop.percentile(99) / 1e6)} ms max ${Math.round(loop.max / 1e6)} ms, ` +
          `reasons ${JSON.stringify(f.disconnectReasons)}`,
      );
      loop.reset();
    }

    proxy.stopFaults();
    fleet.stopSending();
    await waitFor(
      () => fleet.allConnected && fleet.allIdle,
      60_000,
      `${plan.name}: every client reconnected with no message in flight`,
    );
    await waitFor(() => fleet.allStreaming, 30_000, `${plan.name}: every client streaming`);
    const last = await server.call<number>("stopTicks");
    try {
      await waitFor(() => fleet.caughtUp(last), 30_000, "last ticks");
    } catch (err) {
      throw new Error(
        `${plan.name}: clients missed the last ticks: ${fleet.laggards(last).join("; ")}`,
        { cause: err },
      );
    }
    fleet.countUpgraded();
    const ledger = await server.call<LedgerCheck>("checkLedgers", fleet.ledgers());
    progress(`${plan.name}: ledgers checked, ${ledger.delivered} messages, ${ledger.lost} lost`);

    // Leave: half cleanly, half cut off by the proxy with reconnection off.
    fleet.leave();
    proxy.killAll();
    // A polling client caught between two requests (its last response already read when the
    // connections were cut) opens a new connection for the next one and carries on: keep cutting
    // until the server has no session left, so every odd client is cut off, as the round intends.
    const cutter = setInterval(() => proxy.killAll(), 200);
    try {
      await untilCounts(
        server,
        (c) => c.engineClients === 0 && c.namespaceSockets === 0,
        30_000,
        `${plan.name}: server empty`,
      );
    } finally {
      clearInterval(cutter);
    }
    await server.call("resetApp");
    await untilCounts(
      server,
      (c) => c.sessionsKept === 0,
      SOAK.recoveryMs + 10_000,
      `${plan.name}: sessions expired`,
    );
    // The adapter's sweep (every `maxDisconnectionDuration`) is not observable from here: give
    // it one more period so the stored sessions and packets are gone before measuring.
    await new Promise<void>((r) => setTimeout(r, SOAK.recoveryMs + 250));
    const after = await server.call<ServerStats>("stats");
    progress(`${plan.name}: heap ${(after.heapUsed / 2 ** 20).toFixed(2)} MB after gc`);
    const kills = proxy.stats;
    return {
      plan,
      figures: fleet.figures,
      ledger,
      proxy: {
        connections: kills.connections - killsBefore.connections,
        kills: kills.kills - killsBefore.kills,
        killsWebsocket: kills.killsWebsocket - killsBefore.killsWebsocket,
        killsPolling: kills.killsPolling - killsBefore.killsPolling,
      },
      after,
      peak,
      wallSeconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    loop.disable();
    proxy.stopFaults();
    fleet.dispose();
    await server.call("stopTicks").catch(() => undefined);
  }
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return Math.round((user + system) / 1000);
}

/** Asks the server for its counts until `ok` holds; rejects after `timeoutMs`. */
async function untilCounts(
  server: SoakServer,
  ok: (c: Counts) => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: Counts | undefined;
  while (Date.now() < deadline) {
    last = await server.call<Counts>("counts");
    if (ok(last)) return;
    // Each answer is a round trip to the child; a short pause keeps the polling cheap.
    await new Promise<void>((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${JSON.stringify(last)}`);
}
