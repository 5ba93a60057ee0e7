/**
 * What the soak test and its server child say to each other over IPC, and the settings both
 * read from the environment. The parent sends `{ id, op, args }`; the child answers
 * `{ id, value }` or `{ id, error }`, and says `{ ready: port }` once listening.
 */

function envNumber(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

/** Settings of one soak run (env overrides; defaults are the numbers). */
export const SOAK = {
  /** Seconds of faults and traffic after the clients are up. */
  seconds: envNumber("SOAK_SECONDS", 60),
  /** Clients in the soak round. */
  clients: envNumber("SOAK_CLIENTS", 2000),
  /** Clients and seconds of the warm-up round that sets the baselines. */
  warmupClients: envNumber("SOAK_WARMUP_CLIENTS", 300),
  warmupSeconds: envNumber("SOAK_WARMUP_SECONDS", 4),
  /** Official `socket.io-client` sockets among the clients (interop). */
  officialClients: envNumber("SOAK_OFFICIAL_CLIENTS", 6),
  /** Interval of the server's sequenced broadcast. */
  tickMs: envNumber("SOAK_TICK_MS", 1000),
  /** Mean interval between two acked messages of one client. */
  messageMs: envNumber("SOAK_MESSAGE_MS", 3000),
  /** Connections the proxy kills per second, as a share of the clients (1 % by default). */
  killShare: envNumber("SOAK_KILL_SHARE", 0.01),
  /** Connection state recovery window (short, so sessions expire at the end). */
  recoveryMs: envNumber("SOAK_RECOVERY_MS", 3000),
  pingInterval: envNumber("SOAK_PING_INTERVAL", 5000),
  pingTimeout: envNumber("SOAK_PING_TIMEOUT", 5000),
  /** Allowed heap drift from the baseline, as a fraction. */
  heapTolerance: envNumber("SOAK_HEAP_TOLERANCE", 0.05),
} as const;

/** Rooms the clients are spread over (`g0` … `g7`, by client number); each gets its `gtick`. */
export const GROUPS = 8;

/** A message a client sends with an ack; `key` is its dedup key. */
export interface SoakMessage {
  key: string;
  client: number;
  seq: number;
}

/** What each client reports for the server to check: every seq in [0, sent) was acked except `failed`. */
export interface ClientLedger {
  client: number;
  sent: number;
  failed: number[];
}

/** Result of checking the clients' ledgers against the server's dedup map. */
export interface LedgerCheck {
  /** Keys acked to a client but absent from the server's map (must be 0). */
  lost: number;
  lostExamples: string[];
  /** Distinct keys delivered to the application. */
  delivered: number;
  /** Calls of the application's handler (must equal `delivered`). */
  appDeliveries: number;
  /** Copies of a key that arrived again and were dropped by the dedup map. */
  duplicatesAbsorbed: number;
  /** Acks the server sent (one per arrival, duplicates included). */
  acksSent: number;
  /** Keys the server holds that no ledger accounts for (must be 0). */
  unknown: number;
  /** Reconnects of the round that asked for their session. */
  recovery: RecoveryFigures;
}

/** Reconnects that sent a private session id, by outcome (server side, cumulative). */
export interface RecoveryFigures {
  restored: number;
  /** Session and offset both within the window, yet not restored (must be 0). */
  missed: number;
  /** The session was older than the window. */
  expiredSession: number;
  /** The last packet the client had (its offset) was older than the window. */
  expiredOffset: number;
  /** No session stored under that id when it came back, nor a live one (must be 0). */
  notPersisted: number;
  /**
   * It came back while its old connection was still open on the server (the server had not
   * yet seen the loss, e.g. a polling client's close request still on its way): nothing to
   * restore yet. Upstream behaves the same.
   */
  raced: number;
  /**
   * Its session had been restored for an earlier attempt whose connection closed before the
   * socket opened, and was not kept again: a lost session.
   */
  lostInRestore: number;
  /** The client had received no packet in its session, so it had no offset to send. */
  noOffset: number;
  examples: string[];
}

/** A snapshot of the server child's resources. */
export interface ServerStats {
  /** `heapUsed` after forced full collections, in bytes. */
  heapUsed: number;
  /** Bytes of V8 code and its metadata, from a heap snapshot. */
  heapCode: number;
  /** Bytes of everything else on the heap (what a leak would grow), from a heap snapshot. */
  heapData: number;
  /** `space_used_size` of each V8 heap space, in bytes. */
  spaces: Record<string, number>;
  engineClients: number;
  namespaceSockets: number;
  adapterRooms: number;
  adapterSids: number;
  /** Sessions persisted for recovery and neither restored nor past their expiry. */
  sessionsKept: number;
  sessionsPersisted: number;
  /** Timers pending, unref'd ones included (see `timer-probe.ts`). */
  timers: number;
  /** `process.getActiveResourcesInfo()` counted by type. */
  resources: Record<string, number>;
  /** Listener counts on the http server, the engine and the main namespace. */
  listeners: Record<string, number>;
  /** Last tick number broadcast. */
  tick: number;
}

/** A request from the parent. */
export interface Request {
  id: number;
  op: string;
  args?: unknown;
}
