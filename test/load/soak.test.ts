/**
 * Soak (issue 8): thousands of clients over mixed transports, random connection kills by a
 * proxy, acked messages with `retries` and a dedup key, connection state recovery of two
 * sequenced streams — then everyone leaves and the server must be back where a warm-up round
 * left it. Prints a one-line JSON summary (`SOAK_PROGRESS=1`: progress lines every 10 s).
 *
 * Env (defaults in `soak/protocol.ts`): SOAK_SECONDS (60; 600 with `npm run soak`),
 * SOAK_CLIENTS (2000), SOAK_WARMUP_CLIENTS (300), SOAK_WARMUP_SECONDS (4),
 * SOAK_OFFICIAL_CLIENTS (6), SOAK_TICK_MS (1000), SOAK_MESSAGE_MS (3000), SOAK_KILL_SHARE
 * (0.01 of the clients per second), SOAK_RECOVERY_MS (3000), SOAK_PING_INTERVAL (5000),
 * SOAK_PING_TIMEOUT (5000), SOAK_HEAP_TOLERANCE (0.05), SOAK_SERVER_FLAGS (extra V8 flags of
 * the server child), SOAK_HEAP_SNAPSHOT (a folder: heap snapshots at both measurements).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type ServerStats, SOAK } from "./soak/protocol.js";
import { FaultProxy } from "./soak/proxy.js";
import { type RoundResult, runRound } from "./soak/run.js";
import { startSoakServer } from "./soak/server-handle.js";

const MB = 2 ** 20;

function timers(s: ServerStats): number {
  return s.timers;
}

function summary(warm: RoundResult, soak: RoundResult) {
  const f = soak.figures;
  const base = warm.after;
  const after = soak.after;
  const mb = (bytes: number) => Number((bytes / MB).toFixed(2));
  const pct = (a: number, b: number) => Number((((a - b) / b) * 100).toFixed(2));
  return {
    clients: f.clients,
    official: f.official,
    seconds: soak.plan.seconds,
    messagesSent: f.sent,
    messagesAcked: f.acked,
    messagesFailed: f.failed,
    messagesLost: soak.ledger.lost,
    duplicatesAbsorbed: soak.ledger.duplicatesAbsorbed,
    ticksDelivered: f.ticks,
    roomTicksDelivered: f.gticks,
    kills: soak.proxy.kills,
    killsWebsocket: soak.proxy.killsWebsocket,
    killsPolling: soak.proxy.killsPolling,
    reconnects: f.reconnects,
    recoveries: f.recoveries,
    freshReconnects: f.freshReconnects,
    recoveryMissed: soak.ledger.recovery.missed,
    recoveryNotPersisted: soak.ledger.recovery.notPersisted,
    recoveryRaced: soak.ledger.recovery.raced,
    recoveryLostInRestore: soak.ledger.recovery.lostInRestore,
    recoveryExpiredSession: soak.ledger.recovery.expiredSession,
    recoveryExpiredOffset: soak.ledger.recovery.expiredOffset,
    recoveryNoOffset: soak.ledger.recovery.noOffset,
    disconnectReasons: f.disconnectReasons,
    tickGaps: f.tickGaps,
    tickRepeats: f.tickRepeats,
    upgraded: f.upgraded,
    peakSessions: soak.peak.engineClients,
    heapDataBaselineMB: mb(base.heapData),
    heapDataAfterMB: mb(after.heapData),
    heapDataDeltaPct: pct(after.heapData, base.heapData),
    heapUsedBaselineMB: mb(base.heapUsed),
    heapUsedAfterMB: mb(after.heapUsed),
    heapUsedDeltaPct: pct(after.heapUsed, base.heapUsed),
    heapCodeBaselineMB: mb(base.heapCode),
    heapCodeAfterMB: mb(after.heapCode),
    timersBaseline: timers(warm.after),
    timersAfter: timers(soak.after),
    wallSeconds: soak.wallSeconds,
    warmupWallSeconds: warm.wallSeconds,
  };
}

function assertRound(r: RoundResult): void {
  const { figures: f, ledger: l, plan } = r;
  const where = `${plan.name}: ${f.problems.join(" | ")}`;
  assert.equal(l.lost, 0, `${plan.name}: acked messages missing on the server: ${l.lostExamples}`);
  assert.equal(l.unknown, 0, `${plan.name}: the server holds keys no client sent`);
  assert.equal(f.failed, 0, `${where}: messages gave up after ${"retries"}`);
  assert.equal(f.acked, f.sent, `${plan.name}: every message acked`);
  assert.equal(l.delivered, f.sent, `${plan.name}: every message delivered once`);
  assert.equal(l.appDeliveries, l.delivered, `${plan.name}: a key reached the application twice`);
  assert.equal(l.acksSent, l.delivered + l.duplicatesAbsorbed, `${plan.name}: one ack per arrival`);
  assert.equal(f.tickGaps, 0, `${where}: gaps in a stream`);
  assert.equal(f.tickRepeats, 0, `${where}: repeats in a stream`);
  const s = r.after;
  assert.equal(s.engineClients, 0, `${plan.name}: engine clients left`);
  assert.equal(s.namespaceSockets, 0, `${plan.name}: namespace sockets left`);
  assert.equal(s.adapterRooms, 0, `${plan.name}: adapter rooms left`);
  assert.equal(s.adapterSids, 0, `${plan.name}: adapter sids left`);
  assert.equal(s.sessionsKept, 0, `${plan.name}: recovery sessions left`);
  const rec = `${plan.name}: ${l.recovery.examples.join(" | ")}`;
  assert.equal(l.recovery.missed, 0, `${rec}: reconnects within the window not recovered`);
  assert.equal(l.recovery.notPersisted, 0, `${rec}: reconnects that found no session`);
  assert.equal(l.recovery.lostInRestore, 0, `${rec}: sessions restored, then lost`);
  // The server may count more: a recovered socket whose CONNECT answer was lost with its
  // connection is recovered again on the next attempt (its session was kept again).
  assert.ok(l.recovery.restored >= f.recoveries, `${plan.name}: recoveries seen on both sides`);
}

test(
  `soak: ${SOAK.clients} clients for ${SOAK.seconds} s over mixed transports with random connection kills lose no acked message, get none twice, recover every stream, and leave heap, timers and listeners at baseline`,
  { timeout: (SOAK.warmupSeconds + SOAK.seconds) * 1000 + 240_000 },
  async (t) => {
    const server = await startSoakServer();
    t.after(() => server.stop());
    const proxy = new FaultProxy(server.port);
    const port = await proxy.listen();
    t.after(() => proxy.close());
    await server.call("fillParserPool");

    // Warm-up: the same round, smaller and shorter, so the server's code is compiled and its
    // pools are filled; its end state is the baseline.
    const warm = await runRound(server, proxy, port, {
      name: "warm-up",
      clients: SOAK.warmupClients,
      seconds: SOAK.warmupSeconds,
      official: 3,
      base: 1_000_000,
    });
    assertRound(warm);

    const soak = await runRound(server, proxy, port, {
      name: "soak",
      clients: SOAK.clients,
      seconds: SOAK.seconds,
      official: SOAK.officialClients,
      base: 0,
    });
    console.log(JSON.stringify({ soak: summary(warm, soak) }));
    if (process.env.SOAK_PROGRESS === "1")
      console.log(
        JSON.stringify({ spacesBaseline: warm.after.spaces, spacesAfter: soak.after.spaces }),
      );

    assertRound(soak);
    assert.ok(soak.proxy.kills > 0, "the proxy killed connections");
    assert.ok(soak.proxy.killsWebsocket > 0, "websocket connections were killed");
    assert.ok(soak.proxy.killsPolling > 0, "polling connections were killed");
    assert.ok(soak.figures.recoveries > 0, "sessions were recovered");
    const base = warm.after;
    const after = soak.after;
    // Data, not code: V8 keeps optimising more functions under the soak's load (see heapByKind).
    const drift = Math.abs(after.heapData - base.heapData) / base.heapData;
    assert.ok(
      drift <= SOAK.heapTolerance,
      `heap data ${(after.heapData / MB).toFixed(2)} MB vs baseline ${(base.heapData / MB).toFixed(2)} MB`,
    );
    assert.equal(timers(after), timers(base), "pending timers back to baseline");
    assert.deepEqual(after.resources, base.resources, "active resources back to baseline");
    assert.deepEqual(after.listeners, base.listeners, "listeners back to baseline");
  },
);
