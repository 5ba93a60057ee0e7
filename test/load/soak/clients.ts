/**
 * The soak clients: Tether clients (a handful of official `socket.io-client` ones for interop)
 * over three transport setups — websocket only, polling only, polling then upgrade. Each one
 * sends acked messages with `retries` and a dedup key, one at a time at a jittered pace, and
 * checks the two sequenced streams (`tick` to all, `gtick` to its room): while connected, and
 * across a recovered reconnect, every number follows the previous one. Whether a reconnect
 * that was not recovered should have been is judged by the server (see `server.ts`), to which
 * each CONNECT tells the server time of the last packet received.
 */
import { io as officialIo } from "socket.io-client";
import { io as tetherIo } from "../../../src/client/index.js";
import { type ClientLedger, SOAK, type SoakMessage } from "./protocol.js";

/** Transport setup of one client. */
export type Kind = "websocket" | "polling" | "upgrade";
const KINDS: readonly Kind[] = ["websocket", "polling", "upgrade"];

/** Generous: a message must never give up, even through several kills in a row. */
const RETRIES = 20;
/** Long enough not to retry under a loaded server, short enough to retry a lost packet. */
const ACK_TIMEOUT_MS = 10_000;
const MAX_PROBLEMS = 20;

/** What both client libraries offer that the soak uses. */
interface LibSocket {
  readonly connected: boolean;
  readonly recovered: boolean;
  on(event: string, listener: (...args: never[]) => void): unknown;
  emit(event: string, ...args: unknown[]): unknown;
  disconnect(): unknown;
  readonly io: {
    reconnection(v: boolean): unknown;
    engine?: { transport?: { name?: string } | undefined } | undefined;
  };
}

/** Figures of one round, summed over its clients. */
export interface FleetFigures {
  clients: number;
  official: number;
  sent: number;
  acked: number;
  failed: number;
  ticks: number;
  gticks: number;
  reconnects: number;
  recoveries: number;
  /** Reconnects that got a new session (the server says why: see `RecoveryFigures`). */
  freshReconnects: number;
  tickGaps: number;
  tickRepeats: number;
  /** Upgrade clients that ended on websocket. */
  upgraded: number;
  /** Disconnect reasons seen by the clients before the round's end, by transport setup. */
  disconnectReasons: Record<string, number>;
  problems: string[];
}

class SoakClient {
  readonly n: number;
  readonly kind: Kind;
  readonly official: boolean;
  readonly socket: LibSocket;
  readonly #fleet: Fleet;
  lastTick: number | undefined;
  lastG: number | undefined;
  /** Server time of the last stream packet received (sent with CONNECT: see the server). */
  #lastAt = 0;
  #reconnecting = false;
  sent = 0;
  acked = 0;
  readonly failed: number[] = [];
  #inFlight = false;
  #maxMessages = 0;
  #sendTimer: ReturnType<typeof setTimeout> | undefined;
  #sending = false;

  constructor(fleet: Fleet, n: number, kind: Kind, official: boolean, url: string) {
    this.#fleet = fleet;
    this.n = n;
    this.kind = kind;
    this.official = official;
    const opts = {
      forceNew: true,
      transports:
        kind === "websocket"
          ? ["websocket"]
          : kind === "polling"
            ? ["polling"]
            : ["polling", "websocket"],
      upgrade: kind === "upgrade",
      reconnectionDelay: 200,
      reconnectionDelayMax: 1000,
      timeout: 10_000,
      retries: RETRIES,
      ackTimeout: ACK_TIMEOUT_MS,
      auth: (cb: (data: Record<string, unknown>) => void) =>
        cb({ client: n, lastAt: this.#lastAt }),
    };
    const make = official ? officialIo : tetherIo;
    this.socket = (make as (uri: string, o: typeof opts) => unknown)(url, opts) as LibSocket;
    this.socket.on("connect", () => this.#onConnect());
    this.socket.on("disconnect", (reason: string) => this.#onDisconnect(reason));
    this.socket.on("tick", (n: number, at: number) => this.#onTick(n, at));
    this.socket.on("gtick", (n: number, at: number) => this.#onGtick(n, at));
  }

  #onConnect(): void {
    const f = this.#fleet.figures;
    if (!this.#reconnecting) return;
    this.#reconnecting = false;
    f.reconnects++;
    if (this.socket.recovered) {
      f.recoveries++;
      return;
    }
    f.freshReconnects++;
    // A new session: the streams restart from wherever they are now.
    this.lastTick = undefined;
    this.lastG = undefined;
  }

  #onDisconnect(reason: string): void {
    const reasons = this.#fleet.figures.disconnectReasons;
    const key = `${this.kind}: ${reason}`;
    if (!this.#fleet.leaving) reasons[key] = (reasons[key] ?? 0) + 1;
    this.#reconnecting = true;
  }

  #onTick(n: number, at: number): void {
    this.#fleet.figures.ticks++;
    this.#lastAt = at;
    this.lastTick = this.#follow("tick", this.lastTick, n);
  }

  #onGtick(n: number, at: number): void {
    this.#fleet.figures.gticks++;
    this.#lastAt = at;
    this.lastG = this.#follow("gtick", this.lastG, n);
  }

  #follow(stream: string, last: number | undefined, n: number): number {
    if (last !== undefined && n !== last + 1) {
      const f = this.#fleet.figures;
      if (n <= last) f.tickRepeats++;
      else f.tickGaps++;
      this.#fleet.problem(
        `client ${this.n} (${this.#label()}) ${stream} ${n} after ${last}` +
          ` (recovered=${this.socket.recovered})`,
      );
    }
    return n;
  }

  #label(): string {
    return `${this.official ? "official " : ""}${this.kind}`;
  }

  startSending(maxMessages: number): void {
    this.#maxMessages = maxMessages;
    this.#sending = true;
    this.#schedule();
  }

  stopSending(): void {
    this.#sending = false;
    if (this.#sendTimer !== undefined) clearTimeout(this.#sendTimer);
    this.#sendTimer = undefined;
  }

  #schedule(): void {
    if (!this.#sending || this.sent >= this.#maxMessages) return;
    this.#sendTimer = setTimeout(() => this.#sendOne(), SOAK.messageMs * (0.5 + Math.random()));
  }

  #sendOne(): void {
    this.#sendTimer = undefined;
    const seq = this.sent++;
    const msg: SoakMessage = { key: `${this.n}:${seq}`, client: this.n, seq };
    this.#inFlight = true;
    this.#fleet.figures.sent++;
    this.socket.emit("msg", msg, (err: unknown) => {
      this.#inFlight = false;
      if (err) {
        this.failed.push(seq);
        this.#fleet.figures.failed++;
        this.#fleet.problem(`client ${this.n} message ${seq} failed: ${String(err)}`);
      } else {
        this.acked++;
        this.#fleet.figures.acked++;
      }
      this.#schedule();
    });
  }

  get idle(): boolean {
    return !this.#inFlight;
  }

  ledger(): ClientLedger {
    return { client: this.n, sent: this.sent, failed: [...this.failed] };
  }

  get transport(): string | undefined {
    return this.socket.io.engine?.transport?.name;
  }
}

/** All the clients of one round. */
export class Fleet {
  readonly #url: string;
  readonly #base: number;
  readonly clients: SoakClient[] = [];
  /** Set by {@link leave}: disconnects from then on are the round's end, not faults. */
  leaving = false;
  readonly figures: FleetFigures = {
    clients: 0,
    official: 0,
    sent: 0,
    acked: 0,
    failed: 0,
    ticks: 0,
    gticks: 0,
    reconnects: 0,
    recoveries: 0,
    freshReconnects: 0,
    tickGaps: 0,
    tickRepeats: 0,
    upgraded: 0,
    disconnectReasons: {},
    problems: [],
  };

  /** Clients are numbered from `base` (rounds use disjoint numbers, hence keys). */
  constructor(url: string, base: number) {
    this.#url = url;
    this.#base = base;
  }

  problem(text: string): void {
    if (this.figures.problems.length < MAX_PROBLEMS) this.figures.problems.push(text);
  }

  /** Adds `count` clients: kinds in turn, the first `official` of them official clients. */
  add(count: number, official: number): SoakClient[] {
    const added: SoakClient[] = [];
    for (let i = 0; i < count; i++) {
      const index = this.clients.length;
      const kind = KINDS[index % KINDS.length] ?? "websocket";
      const isOfficial = index < official;
      const c = new SoakClient(this, this.#base + index, kind, isOfficial, this.#url);
      this.clients.push(c);
      added.push(c);
      this.figures.clients++;
      if (isOfficial) this.figures.official++;
    }
    return added;
  }

  get connected(): number {
    let n = 0;
    for (const c of this.clients) if (c.socket.connected) n++;
    return n;
  }

  get allConnected(): boolean {
    return this.clients.every((c) => c.socket.connected);
  }

  get allIdle(): boolean {
    return this.clients.every((c) => c.idle);
  }

  /** Every client has seen both streams in its current session. */
  get allStreaming(): boolean {
    return this.clients.every((c) => c.lastTick !== undefined && c.lastG !== undefined);
  }

  /** Every client has seen the last number of both streams. */
  caughtUp(tick: number): boolean {
    return this.clients.every((c) => c.lastTick === tick && c.lastG === tick);
  }

  /** Clients that have not caught up, for the failure message. */
  laggards(tick: number): string[] {
    return this.clients
      .filter((c) => c.lastTick !== tick || c.lastG !== tick)
      .slice(0, 5)
      .map((c) => `client ${c.n} ${c.kind}: tick ${c.lastTick}, gtick ${c.lastG} of ${tick}`);
  }

  /** Clients not connected, for the failure message. */
  unconnected(): string[] {
    const down = this.clients.filter((c) => !c.socket.connected);
    return [
      `${down.length} of ${this.clients.length}`,
      ...down.slice(0, 5).map((c) => `client ${c.n} ${c.kind}${c.official ? " official" : ""}`),
    ];
  }

  startSending(maxMessages: number): void {
    for (const c of this.clients) c.startSending(maxMessages);
  }

  stopSending(): void {
    for (const c of this.clients) c.stopSending();
  }

  ledgers(): ClientLedger[] {
    return this.clients.map((c) => c.ledger());
  }

  /** Counts upgrade clients that ended on websocket. */
  countUpgraded(): void {
    this.figures.upgraded = this.clients.filter(
      (c) => c.kind === "upgrade" && c.transport === "websocket",
    ).length;
  }

  /**
   * Ends the round: even clients disconnect cleanly; odd ones stop reconnecting, so the proxy
   * killing their connections leaves recoverable sessions on the server, to expire there.
   */
  leave(): void {
    this.leaving = true;
    for (const c of this.clients) {
      c.stopSending();
      if (c.n % 2 === 0) c.socket.disconnect();
      else c.socket.io.reconnection(false);
    }
  }

  /** Closes whatever is left (after {@link leave} and the proxy's kills). */
  dispose(): void {
    for (const c of this.clients) {
      c.stopSending();
      c.socket.io.reconnection(false);
      c.socket.disconnect();
    }
  }
}
