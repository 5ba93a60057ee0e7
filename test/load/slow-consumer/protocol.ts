/**
 * The IPC protocol between the slow-consumer test and its server child (`server.ts`): commands
 * the test sends, and the replies and reports the child sends back.
 */

/** Who a connection is, sent as the CONNECT auth (`{ role }`). */
export type Role = "fast" | "bulk" | "stalled-ws" | "stalled-polling";

/** Roles whose sockets join the `bulk` room and receive the large payloads. */
export const BULK_ROLES: ReadonlySet<Role> = new Set(["bulk", "stalled-ws", "stalled-polling"]);

/** A command from the test to the child. */
export type Command =
  | { readonly id: number; readonly cmd: "start"; readonly phase: number }
  | { readonly id: number; readonly cmd: "stop" }
  | { readonly id: number; readonly cmd: "memory" }
  | { readonly id: number; readonly cmd: "stats" }
  | { readonly id: number; readonly cmd: "exit" };

/** Heap and external memory of the child in bytes (after a full gc when `gc` is true). */
export interface Memory {
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly rss: number;
  /** heapUsed + external (external already includes arrayBuffers). */
  readonly total: number;
}

/** Per-role figures collected by the child since it started. */
export interface RoleStats {
  connected: number;
  /** Server-side disconnect reasons of this role's sockets, with counts. */
  disconnects: Record<string, number>;
  /** Largest `bufferedAmount` seen on one socket of this role (sampled before each send). */
  maxBufferedAmount: number;
  /** When each of this role's sockets disconnected, in ms since the last `start`. */
  disconnectMs: number[];
}

/** Reply to `stats`. */
export interface Stats {
  readonly roles: Record<Role, RoleStats>;
  /** Ticks broadcast per phase. */
  readonly ticks: Record<string, number>;
  /** Large payloads sent (one per bulk socket per round). */
  readonly chunks: number;
  /** Peak of heapUsed + external, sampled every 100 ms since the last `start`. */
  readonly peakTotal: number;
  /** Longest delay of a tick timer callback past its due time since the last `start`, ms. */
  readonly maxTimerLag: number;
}

/** A message from the child. */
export type Reply =
  | { readonly ready: true; readonly port: number }
  | { readonly id: number; readonly ok: true; readonly memory?: Memory; readonly stats?: Stats }
  | { readonly id: number; readonly ok: false; readonly error: string };

/** Configuration of the child, passed as JSON in the `SC_CONFIG` environment variable. */
export interface ChildConfig {
  /** `backpressure` server option (`null` = the default limits). */
  readonly backpressure: { maxBufferedBytes?: number; highWaterMark?: number } | false | null;
  /** Milliseconds between ticks broadcast to everyone. */
  readonly tickMs: number;
  /** Bytes of each large payload. */
  readonly chunkBytes: number;
  /** Milliseconds between rounds of large payloads to the bulk room. */
  readonly chunkMs: number;
}
