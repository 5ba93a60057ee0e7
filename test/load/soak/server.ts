/**
 * The soak test's server: Tether in its own process (forked with IPC through `server-entry.ts`),
 * in-memory adapter with connection state recovery, a short recovery window and short
 * heartbeats. The application records acked `msg` events in a dedup map (keyed by the client's
 * dedup key, acked after recording) and broadcasts two sequenced streams: `tick` to everyone
 * and `gtick` to each room. The parent drives it with the ops at the end; the adapter and the
 * `connection` listener also tell, for every reconnect that asked for its session, why it was
 * or was not recovered.
 */
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { getHeapSnapshot, getHeapSpaceStatistics, writeHeapSnapshot } from "node:v8";
import type { RestoredSession } from "../../../src/adapter/types.js";
import {
  type AdapterHost,
  type PrivateSessionId,
  Server,
  type Session,
  SessionAwareAdapter,
} from "../../../src/index.js";
import {
  type ClientLedger,
  GROUPS,
  type LedgerCheck,
  type RecoveryFigures,
  type Request,
  type ServerStats,
  SOAK,
  type SoakMessage,
} from "./protocol.js";
import { liveTimers } from "./timer-probe.js";

/** The session-aware adapter, counting the sessions it keeps for recovery. */
class CountingAdapter extends SessionAwareAdapter {
  static persisted = 0;
  /** pid → when persisted; mirrors the adapter's own store, which is private. */
  static kept = new Map<PrivateSessionId, number>();
  /** Sessions restored for a connection whose socket has not opened yet. */
  static handedOut = new Set<PrivateSessionId>();

  override persistSession(session: Session): void {
    CountingAdapter.persisted++;
    CountingAdapter.kept.set(session.pid, Date.now());
    super.persistSession(session);
  }

  override async restoreSession(
    pid: PrivateSessionId,
    offset: string,
  ): Promise<RestoredSession | undefined> {
    const restored = await super.restoreSession(pid, offset);
    if (restored) {
      CountingAdapter.kept.delete(pid);
      CountingAdapter.handedOut.add(pid);
    }
    return restored;
  }

  /** Sessions neither restored nor expired. */
  static liveSessions(): number {
    const now = Date.now();
    let live = 0;
    for (const [pid, at] of CountingAdapter.kept) {
      if (now - at <= SOAK.recoveryMs) live++;
      // Kept a while past expiry, so that a late reconnect is still classified as expired.
      else if (now - at > 10 * SOAK.recoveryMs) CountingAdapter.kept.delete(pid);
    }
    return live;
  }
}

/** Time between the adapter's restore decision and the `connection` listener, at most. */
const SLACK_MS = 250;

/** How reconnects that asked for a session fared, judged with the server's own clock. */
const NO_RECOVERY: RecoveryFigures = {
  restored: 0,
  missed: 0,
  expiredSession: 0,
  expiredOffset: 0,
  notPersisted: 0,
  raced: 0,
  lostInRestore: 0,
  noOffset: 0,
  examples: [],
};
let recovery: RecoveryFigures = { ...NO_RECOVERY, examples: [] };

/**
 * A socket that sent a private session id but was not recovered: fine when its session or the
 * last packet it received (the offset it resumes from) is older than the window — the adapter
 * keeps both for `maxDisconnectionDuration` — and a failure otherwise.
 */
function classifyMiss(auth: Record<string, unknown>): void {
  const pid = auth.pid;
  if (typeof pid !== "string") return;
  // Not forgotten here: a client whose new connection dies before its CONNECT is answered
  // comes back with the same id, and is judged the same way again.
  const persistedAt = CountingAdapter.kept.get(pid);
  const now = Date.now();
  const note = (text: string) => {
    if (recovery.examples.length < 10) recovery.examples.push(`client ${auth.client}: ${text}`);
  };
  if (typeof auth.offset !== "string") recovery.noOffset++;
  else if (persistedAt === undefined) {
    // The protocol's race: the client noticed the loss and came back before the server did.
    if ([...io.of("/").sockets.values()].some((s) => s.pid === pid)) recovery.raced++;
    else if (CountingAdapter.handedOut.delete(pid)) {
      recovery.lostInRestore++;
      note("its session was restored for a connection that closed before the socket opened");
    } else {
      recovery.notPersisted++;
      note("no session kept under its id");
    }
  } else if (now - persistedAt > SOAK.recoveryMs - SLACK_MS) recovery.expiredSession++;
  else {
    const lastAt = typeof auth.lastAt === "number" ? auth.lastAt : 0;
    if (now - lastAt > SOAK.recoveryMs - SLACK_MS) recovery.expiredOffset++;
    else {
      recovery.missed++;
      note(
        `not recovered: session ${now - persistedAt} ms old, last packet ${now - lastAt} ms old`,
      );
    }
  }
}

const http = createServer();
const io = new Server(http, {
  serveClient: false,
  pingInterval: SOAK.pingInterval,
  pingTimeout: SOAK.pingTimeout,
  connectionStateRecovery: { maxDisconnectionDuration: SOAK.recoveryMs },
  adapter: (nsp: AdapterHost) =>
    new CountingAdapter(nsp, { maxDisconnectionDuration: SOAK.recoveryMs }),
});

// ── the application ──────────────────────────────────────────────────────────────────────────

/** Dedup map: key → arrivals. */
let seen = new Map<string, number>();
let appDeliveries = 0;
let duplicatesAbsorbed = 0;
let acksSent = 0;

function isMessage(v: unknown): v is SoakMessage {
  if (typeof v !== "object" || v === null) return false;
  const m = v as Record<string, unknown>;
  return typeof m.key === "string" && typeof m.client === "number" && typeof m.seq === "number";
}

/** What the application does with a message: once per key. */
function deliver(_m: SoakMessage): void {
  appDeliveries++;
}

io.on("connection", (socket) => {
  if (socket.recovered) {
    recovery.restored++;
    if (socket.pid !== undefined) CountingAdapter.handedOut.delete(socket.pid);
  } else classifyMiss(socket.handshake.auth);
  // A recovered socket gets its rooms back from the session; joining again would hide a loss.
  if (!socket.recovered) {
    const client = Number(socket.handshake.auth.client);
    if (Number.isInteger(client)) void socket.join(`g${client % GROUPS}`);
  }
  socket.on("msg", (m: unknown, ack: unknown) => {
    if (!isMessage(m) || typeof ack !== "function") return;
    const arrivals = seen.get(m.key);
    if (arrivals === undefined) {
      seen.set(m.key, 1);
      deliver(m);
    } else {
      seen.set(m.key, arrivals + 1);
      duplicatesAbsorbed++;
    }
    acksSent++;
    ack("ok");
  });
});

// ── the sequenced broadcasts ─────────────────────────────────────────────────────────────────

let tick = 0;
let ticker: ReturnType<typeof setInterval> | undefined;

/** Every interval: `tick` to everyone, and `gtick` with the same number to each room. */
function startTicks(): void {
  if (ticker) return;
  ticker = setInterval(() => {
    tick++;
    const at = Date.now();
    io.emit("tick", tick, at);
    for (let g = 0; g < GROUPS; g++) io.to(`g${g}`).emit("gtick", tick, at);
  }, SOAK.tickMs);
}

function stopTicks(): number {
  if (ticker) clearInterval(ticker);
  ticker = undefined;
  return tick;
}

// ── checks and stats ─────────────────────────────────────────────────────────────────────────

function checkLedgers(ledgers: ClientLedger[]): LedgerCheck {
  let lost = 0;
  let accounted = 0;
  const lostExamples: string[] = [];
  for (const { client, sent, failed } of ledgers) {
    const failedSet = new Set(failed);
    for (let seq = 0; seq < sent; seq++) {
      const key = `${client}:${seq}`;
      if (seen.has(key)) accounted++;
      else if (!failedSet.has(seq)) {
        lost++;
        if (lostExamples.length < 10) lostExamples.push(key);
      }
    }
  }
  return {
    lost,
    lostExamples,
    delivered: seen.size,
    appDeliveries,
    duplicatesAbsorbed,
    acksSent,
    unknown: seen.size - accounted,
    recovery: { ...recovery, examples: [...recovery.examples] },
  };
}

function resetApp(): void {
  seen = new Map();
  appDeliveries = 0;
  duplicatesAbsorbed = 0;
  acksSent = 0;
  recovery = { ...NO_RECOVERY, examples: [] };
}

async function fullGc(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with --expose-gc");
  for (let i = 0; i < 4; i++) {
    gc();
    // Let weak callbacks and finalizers run between collections.
    await new Promise<void>((r) => setImmediate(r));
  }
}

/** The parts of a heap snapshot read here. */
interface HeapSnapshotJson {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
}

/**
 * Bytes of the heap by kind, from a heap snapshot: `code` is V8's code and its metadata
 * (bytecode, optimised code, feedback, inline caches), the rest is data. Optimised code keeps
 * growing as more functions get hot — under the soak's load more than under the warm-up's —
 * so the baseline comparison is made on data.
 */
async function heapByKind(): Promise<{ code: number; data: number }> {
  const chunks: Buffer[] = [];
  for await (const c of getHeapSnapshot()) chunks.push(typeof c === "string" ? Buffer.from(c) : c);
  const snap = JSON.parse(Buffer.concat(chunks).toString("utf8")) as HeapSnapshotJson;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const sizeAt = fields.indexOf("self_size");
  let code = 0;
  let data = 0;
  const nodes = snap.nodes;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt] ?? 0];
    const size = nodes[i + sizeAt] ?? 0;
    if (type === "code") code += size;
    else if (type !== "synthetic" && type !== "native") data += size;
  }
  return { code, data };
}

/**
 * Node keeps up to 1,000 freed HTTP parsers for reuse (server and client side alike), as many
 * as were ever in use at once. Filled before the baseline with that many concurrent requests
 * (answered 400: unknown session), so the soak's peak does not show up as growth.
 */
async function fillParserPool(): Promise<void> {
  const port = (http.address() as AddressInfo).port;
  const one = () =>
    new Promise<void>((resolve) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          path: "/socket.io/?EIO=4&transport=polling&sid=pool",
          agent: false,
          headers: { connection: "close" },
        },
        (res) => {
          res.on("error", () => resolve());
          res.on("end", () => resolve());
          res.resume();
        },
      );
      req.on("error", () => resolve());
      req.end();
    });
  await Promise.all(Array.from({ length: 1000 }, one));
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return Math.round((user + system) / 1000);
}

function countBy(items: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const it of items) out[it] = (out[it] ?? 0) + 1;
  return out;
}

async function stats(): Promise<ServerStats> {
  const sessionsKept = CountingAdapter.liveSessions();
  // The mirror is the test's own bookkeeping: dropped once quiet, so it is not measured.
  if (sessionsKept === 0) {
    CountingAdapter.kept = new Map();
    CountingAdapter.handedOut = new Set();
  }
  await fullGc();
  const heapUsed = process.memoryUsage().heapUsed;
  const spaces: Record<string, number> = {};
  for (const sp of getHeapSpaceStatistics()) spaces[sp.space_name] = sp.space_used_size;
  const heap = await heapByKind();
  if (process.env.SOAK_HEAP_SNAPSHOT)
    writeHeapSnapshot(`${process.env.SOAK_HEAP_SNAPSHOT}/soak-${Date.now()}.heapsnapshot`);
  const nsp = io.of("/");
  const adapter = nsp.adapter as CountingAdapter;
  const listeners: Record<string, number> = {};
  for (const ev of http.eventNames()) listeners[`http.${String(ev)}`] = http.listenerCount(ev);
  for (const ev of ["connection", "connection_error", "initial_headers", "headers"] as const)
    listeners[`engine.${ev}`] = io.engine.listenerCount(ev);
  for (const ev of ["connection", "connect"] as const)
    listeners[`nsp.${ev}`] = nsp.listenerCount(ev);
  return {
    heapUsed,
    heapCode: heap.code,
    heapData: heap.data,
    spaces,
    engineClients: io.engine.clientsCount,
    namespaceSockets: nsp.sockets.size,
    adapterRooms: adapter.rooms.size,
    adapterSids: adapter.sids.size,
    sessionsKept,
    sessionsPersisted: CountingAdapter.persisted,
    resources: countBy(process.getActiveResourcesInfo()),
    timers: liveTimers(),
    listeners,
    tick,
  };
}

const ops: Record<string, (args: unknown) => unknown> = {
  startTicks,
  stopTicks,
  fillParserPool,
  checkLedgers: (args) => checkLedgers(args as ClientLedger[]),
  resetApp,
  stats,
  counts: () => ({
    engineClients: io.engine.clientsCount,
    namespaceSockets: io.of("/").sockets.size,
    sessionsKept: CountingAdapter.liveSessions(),
    timers: liveTimers(),
    cpuMs: cpuMs(),
  }),
  close: async () => {
    stopTicks();
    await io.close();
    return true;
  },
};

function toParent(msg: unknown): void {
  if (process.connected) process.send?.(msg);
}

process.on("message", async (raw: unknown) => {
  const req = raw as Request;
  if (typeof req?.id !== "number" || typeof req.op !== "string") return;
  const fn = ops[req.op];
  try {
    if (!fn) throw new Error(`unknown op ${req.op}`);
    toParent({ id: req.id, value: (await fn(req.args)) ?? null });
  } catch (err) {
    toParent({ id: req.id, error: String((err as Error)?.stack ?? err) });
  }
});
process.on("disconnect", () => process.exit(0));

http.listen({ port: 0, host: "127.0.0.1" }, () => {
  toParent({ ready: (http.address() as AddressInfo).port });
});
