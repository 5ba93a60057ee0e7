/**
 * The in-memory adapter with connection state recovery: every EVENT without ack that is not
 * volatile gets an offset appended as its last argument and is kept for
 * `maxDisconnectionDuration`; sessions persisted at disconnect can be restored with the
 * packets they missed (PROTOCOL.md §3.6).
 */
import { type Packet, PacketType } from "../protocol/socket.js";
import { InMemoryAdapter } from "./in-memory.js";
import type {
  AdapterHost,
  BroadcastOptions,
  PrivateSessionId,
  RestoredSession,
  Room,
  Session,
} from "./types.js";

/** Options of the session-aware adapter. */
export interface SessionAwareAdapterOptions {
  /** How long a disconnected session (and the packets it may miss) is kept. @default 120000 */
  maxDisconnectionDuration?: number;
}

interface StoredPacket {
  readonly offset: string;
  readonly emittedAt: number;
  readonly rooms: ReadonlySet<Room>;
  readonly except: ReadonlySet<Room> | undefined;
  readonly data: unknown[];
}

interface StoredSession extends Session {
  readonly disconnectedAt: number;
}

/** In-memory adapter that stores sessions and offsets for connection state recovery. */
export class SessionAwareAdapter extends InMemoryAdapter {
  readonly #maxDuration: number;
  readonly #sessions = new Map<PrivateSessionId, StoredSession>();
  #packets: StoredPacket[] = [];
  readonly #offsetPrefix = Date.now().toString(36);
  #offsetSeq = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(nsp: AdapterHost, opts: SessionAwareAdapterOptions = {}) {
    super(nsp);
    this.#maxDuration = opts.maxDisconnectionDuration ?? 120_000;
    // One sweep timer per namespace (not per socket); unref so it never keeps the process up.
    this.#timer = setInterval(() => this.#sweep(), Math.max(this.#maxDuration, 1000));
    this.#timer.unref?.();
  }

  #sweep(): void {
    const horizon = Date.now() - this.#maxDuration;
    for (const [pid, s] of this.#sessions)
      if (s.disconnectedAt < horizon) this.#sessions.delete(pid);
    const firstKept = this.#packets.findIndex((p) => p.emittedAt >= horizon);
    this.#packets = firstKept === -1 ? [] : this.#packets.slice(firstKept);
  }

  override close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#sessions.clear();
    this.#packets = [];
  }

  override persistSession(session: Session): void {
    this.#sessions.set(session.pid, { ...session, disconnectedAt: Date.now() });
  }

  override restoreSession(
    pid: PrivateSessionId,
    offset: string,
  ): Promise<RestoredSession | undefined> {
    const session = this.#sessions.get(pid);
    if (!session) return Promise.resolve(undefined);
    if (session.disconnectedAt + this.#maxDuration < Date.now()) {
      this.#sessions.delete(pid);
      return Promise.resolve(undefined);
    }
    const index = this.#packets.findIndex((p) => p.offset === offset);
    if (index === -1) return Promise.resolve(undefined);
    this.#sessions.delete(pid);
    const rooms = new Set(session.rooms);
    const missedPackets: unknown[][] = [];
    for (let i = index + 1; i < this.#packets.length; i++) {
      const p = this.#packets[i];
      if (p && reaches(p, rooms)) missedPackets.push(p.data);
    }
    const { disconnectedAt: _, ...rest } = session;
    return Promise.resolve({ ...rest, missedPackets });
  }

  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    const recoverable =
      packet.type === PacketType.EVENT && packet.id === undefined && !opts.flags?.volatile;
    if (recoverable && Array.isArray(packet.data)) {
      const offset = `${this.#offsetPrefix}${(++this.#offsetSeq).toString(36)}`;
      const data: unknown[] = [...packet.data, offset];
      this.#packets.push({
        offset,
        emittedAt: Date.now(),
        rooms: opts.rooms,
        except: opts.except,
        data,
      });
      super.broadcast({ ...packet, data }, opts);
      return;
    }
    super.broadcast(packet, opts);
  }
}

function reaches(p: StoredPacket, rooms: ReadonlySet<Room>): boolean {
  let included = p.rooms.size === 0;
  for (const r of p.rooms) {
    if (rooms.has(r)) {
      included = true;
      break;
    }
  }
  if (!included || !p.except) return included;
  for (const r of p.except) if (rooms.has(r)) return false;
  return true;
}
