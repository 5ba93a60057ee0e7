/**
 * A namespace's guard: event contracts (Standard Schema validation of incoming events, of acks and,
 * optionally, of outgoing events) and rate limits (token buckets per socket, per event name and per
 * key). It sits between the decoder and everything the application registered: an event it refuses
 * reaches no `onAny` listener, no `socket.use` middleware and no handler.
 *
 *   EVENT ─► limits (sync, O(1)) ─► schema (sync or async, in arrival order) ─► socket._admitted
 *              │ over                 │ issues / throws / strict unknown
 *              └──────────────┬───────┘
 *                             ▼
 *            refusal: ack([Refusal]) or emit("tether:error", Refusal); strike; disconnect at N strikes
 *
 * Nothing here is allocated for a namespace without a contract or limits (the socket checks one
 * `undefined` field), and nothing runs on a timer: buckets refill lazily from the clock.
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { ServerDisconnectReason } from "../protocol/socket.js";
import { type Packet, PacketType, SocketErrorCodes } from "../protocol/socket.js";
import {
  type Contract,
  type EventContract,
  REFUSAL_EVENT,
  type Refusal,
  RefusalCodes,
  type RefusalIssue,
} from "../shared/contract.js";
import { TetherError } from "../shared/errors.js";
import type { Handshake } from "./handshake.js";

/** A token bucket: `perSecond` tokens refill continuously, up to `burst` (one event takes one). */
export interface BucketOptions {
  /** Sustained events per second (may be fractional: 0.5 = one every two seconds). */
  perSecond: number;
  /** Events allowed at once after a quiet period. @default perSecond (at least 1) */
  burst?: number;
}

/** When a socket has been refused too often, the server disconnects it. */
export interface RefusalPolicy {
  /** Refusals (invalid or over a limit) tolerated in a burst. */
  refusals: number;
  /** ...forgiven at this rate: `refusals` per `perMs`. @default 10000 */
  perMs?: number;
}

/** Options of `nsp.contract()`. */
export interface ContractOptions {
  /** Refuse events the contract does not list (`CONTRACT_ERR_UNKNOWN_EVENT`). @default false */
  strict?: boolean;
  /**
   * Validate what the server sends: `emit` arguments (throws `CONTRACT_ERR_INVALID_ARGS` on a
   * sync schema) and ack values of handlers (throws `CONTRACT_ERR_INVALID_ACK`).
   * @default process.env.NODE_ENV !== "production"
   */
  validateOutgoing?: boolean;
  /** Events of one socket waiting for an async schema at once; more are refused. @default 32 */
  maxPending?: number;
  /** Disconnect a socket refused too often. @default undefined (never) */
  disconnectAfter?: RefusalPolicy;
  /** Event carrying a refusal to a client when the event had no ack; `false`: none. @default "tether:error" */
  errorEvent?: string | false;
  /** Called for every refusal (logging, metrics); `cause` is what a throwing schema threw. */
  onRefused?: (refusal: Refusal, socket: GuardedSocket, cause?: unknown) => void;
}

/** Options of `nsp.limit()`. */
export interface RateLimitOptions {
  /** All events of one socket. */
  socket?: BucketOptions;
  /** Events of one socket, by event name (checked after `socket`). */
  events?: { readonly [event: string]: BucketOptions };
  /**
   * Events of every socket sharing a key on this node (user id, IP…); `of` runs once per socket,
   * at its first event (after connection middlewares: `socket.data` is set). `undefined`: no key.
   */
  key?: BucketOptions & {
    of: (socket: GuardedSocket) => string | undefined;
    /** Keys remembered at once; idle ones are dropped first. @default 10000 */
    maxKeys?: number;
    /**
     * Keeps the key buckets in a shared store instead of this node's memory, so a key's limit
     * holds across the cluster (e.g. `createRateLimitStore(redisClient)` of
     * `tether-io/adapters/redis`). One store round-trip per event of a keyed socket; a store
     * error lets the event through (fail open).
     */
    store?: RateLimitStore;
  };
  /** Disconnect a socket refused too often (shared with the contract's policy). */
  disconnectAfter?: RefusalPolicy;
  errorEvent?: string | false;
  onRefused?: ContractOptions["onRefused"];
}

/** Shared key buckets (cluster-wide limits), e.g. in Redis. */
export interface RateLimitStore {
  /** Takes one token from `key`'s bucket: resolves with 0, or the milliseconds until one is there. */
  take(key: string, perSecond: number, burst: number): Promise<number>;
}

/** What the guard needs of a socket (src/server/socket.ts). */
export interface GuardedSocket {
  readonly id: string;
  readonly nsp: { readonly name: string };
  readonly connected: boolean;
  readonly handshake: Handshake;
  // biome-ignore lint/suspicious/noExplicitAny: socket.data is the application's
  readonly data: any;
  _guardState: SocketGuardState | undefined;
  _admitted(args: unknown[], id: number | undefined, checkAck?: AckCheck): void;
  _packet(packet: Packet): void;
  _onclose(reason: ServerDisconnectReason, description?: unknown): unknown;
}

/** Validates the value a handler acknowledges with (throws on a sync schema failure). */
export type AckCheck = (args: unknown[]) => void;

/** Per-socket guard state: a few numbers, allocated at the socket's first event. */
export class SocketGuardState {
  /**
   * [tokens, last refill ms] pairs: socket bucket, per-event buckets, refusal bucket. A plain
   * array of doubles: about half the heap of a Float64Array this small.
   */
  readonly buckets: number[];
  /** Key bucket shared with the socket's other sockets, or null (none / not computed yet). */
  keyed: KeyEntry | null | undefined;
  /** The socket's key in a shared store, or null (none / not computed yet: undefined). */
  keyName: string | null | undefined;
  pending = 0;
  tail: Promise<void> | undefined;

  constructor(slots: number, now: number, bursts: readonly number[]) {
    // Sized once (push would leave spare capacity), doubles from the start (`now` is fractional).
    const b = new Array<number>(slots * 2).fill(now);
    for (let i = 0; i < slots; i++) b[2 * i] = bursts[i] ?? 0;
    this.buckets = b;
  }
}

interface KeyEntry {
  readonly buckets: number[];
  refs: number;
}

interface Bucket {
  /** Tokens per millisecond. */
  readonly rate: number;
  readonly burst: number;
}

/**
 * Takes one token from the bucket at `buckets[2i]`: 0 if taken, otherwise the milliseconds
 * until one is there.
 */
function take(buckets: number[], i: number, b: Bucket, now: number): number {
  let tokens = (buckets[2 * i] ?? 0) + (now - (buckets[2 * i + 1] ?? now)) * b.rate;
  if (tokens > b.burst) tokens = b.burst;
  buckets[2 * i + 1] = now;
  if (tokens >= 1) {
    buckets[2 * i] = tokens - 1;
    return 0;
  }
  buckets[2 * i] = tokens;
  return Math.max(1, Math.ceil((1 - tokens) / b.rate));
}

function bucket(name: string, o: BucketOptions): Bucket {
  const burst = o.burst ?? Math.max(1, o.perSecond);
  if (!(o.perSecond > 0) || !Number.isFinite(o.perSecond) || !(burst >= 1)) {
    throw new TetherError(
      SocketErrorCodes.INVALID_ARGUMENT,
      `${name}: perSecond must be a positive finite number and burst at least 1`,
    );
  }
  return { rate: o.perSecond / 1000, burst };
}

function policy(p: RefusalPolicy): Bucket {
  return bucket("disconnectAfter", {
    perSecond: (p.refusals * 1000) / (p.perMs ?? 10_000),
    burst: p.refusals,
  });
}

type Outcome =
  | { readonly args: unknown[] }
  | { readonly refusal: Refusal; readonly cause?: unknown };
type Validated = StandardSchemaV1.Result<unknown> | Promise<StandardSchemaV1.Result<unknown>>;

function issuesOf(result: StandardSchemaV1.FailureResult): RefusalIssue[] {
  return result.issues.map((issue) => ({
    message: String(issue.message),
    path: (issue.path ?? []).map((p) => {
      const key = typeof p === "object" && p !== null ? p.key : p;
      return typeof key === "number" ? key : String(key);
    }),
  }));
}

function refusal(
  code: Refusal["code"],
  event: string,
  message: string,
  extra?: Partial<Refusal>,
): Refusal {
  return { code, message, event, issues: [], ...extra };
}

const now = (): number => performance.now();

/** The guard of one namespace; created by the first `nsp.contract()` or `nsp.limit()`. */
export class NamespaceGuard {
  #incoming: Map<string, EventContract> | undefined;
  #outgoing: Map<string, EventContract> | undefined;
  #strict = false;
  #validateOutgoing = false;
  #maxPending = 32;
  #errorEvent: string | false = REFUSAL_EVENT;
  #onRefused: ContractOptions["onRefused"];
  #socketBucket: Bucket | undefined;
  /** Per-event buckets: event name → slot index in a socket's `buckets`. */
  #eventSlots = new Map<string, number>();
  #eventBuckets: Bucket[] = [];
  #strikes: Bucket | undefined;
  #key:
    | {
        bucket: Bucket;
        of: (s: GuardedSocket) => string | undefined;
        max: number;
        store: RateLimitStore | undefined;
        perSecond: number;
      }
    | undefined;
  readonly #keys = new Map<string, KeyEntry>();
  #bursts: number[] = [];

  /** Sets the contract (replacing a previous one). */
  setContract(contract: Contract, opts: ContractOptions = {}): void {
    // An absent side lists no events (strict mode then refuses every incoming event).
    this.#incoming = toMap(contract.clientToServer) ?? new Map();
    this.#outgoing = toMap(contract.serverToClient) ?? new Map();
    this.#strict = opts.strict ?? false;
    this.#validateOutgoing = opts.validateOutgoing ?? process.env.NODE_ENV !== "production";
    this.#maxPending = opts.maxPending ?? 32;
    this.#common(opts);
  }

  /** Sets the rate limits (replacing previous ones; sockets keep their current state). */
  setLimits(opts: RateLimitOptions): void {
    this.#socketBucket = opts.socket && bucket("socket", opts.socket);
    this.#eventSlots = new Map();
    this.#eventBuckets = [];
    for (const [name, o] of Object.entries(opts.events ?? {})) {
      this.#eventSlots.set(name, this.#eventBuckets.length);
      this.#eventBuckets.push(bucket(`events.${name}`, o));
    }
    this.#key = opts.key && {
      bucket: bucket("key", opts.key),
      of: opts.key.of,
      max: opts.key.maxKeys ?? 10_000,
      store: opts.key.store,
      perSecond: opts.key.perSecond,
    };
    this.#common(opts);
  }

  #common(opts: ContractOptions | RateLimitOptions): void {
    if (opts.disconnectAfter) this.#strikes = policy(opts.disconnectAfter);
    if (opts.errorEvent !== undefined) this.#errorEvent = opts.errorEvent;
    if (opts.onRefused) this.#onRefused = opts.onRefused;
    // Slot layout of a socket's buckets: [socket, ...events, strikes].
    this.#bursts = [
      this.#socketBucket?.burst ?? 0,
      ...this.#eventBuckets.map((b) => b.burst),
      this.#strikes?.burst ?? 0,
    ];
  }

  /** Keys tracked by the per-key limit (for tests and stats). */
  get keyCount(): number {
    return this.#keys.size;
  }

  /** Incoming EVENT: refuse it or hand it to `socket._admitted`, in arrival order. */
  admit(socket: GuardedSocket, args: unknown[], id: number | undefined): void {
    const t = now();
    let st = socket._guardState;
    if (st === undefined || st.buckets.length !== this.#bursts.length * 2) {
      // First event, or the limits changed shape since: fresh buckets, same key and queue.
      const old = st;
      st = new SocketGuardState(this.#bursts.length, t, this.#bursts);
      if (old) {
        st.keyed = old.keyed;
        st.keyName = old.keyName;
        st.pending = old.pending;
        st.tail = old.tail;
      }
      socket._guardState = st;
    }
    const event = String(args[0]);
    const wait = this.#limit(socket, st, event, t);
    if (wait > 0) {
      this.#refuse(socket, st, id, { refusal: limitedRefusal(event, wait) });
      return;
    }
    const shared = this.#key?.store ? this.#sharedTake(socket, st) : undefined;
    const outcome =
      shared === undefined
        ? this.#validate(event, args)
        : shared.then(
            (w): Outcome | Promise<Outcome> =>
              w > 0 ? { refusal: limitedRefusal(event, w) } : this.#validate(event, args),
            // Store unreachable: fail open (the node-local limits still apply).
            () => this.#validate(event, args),
          );
    if (st.pending === 0 && !(outcome instanceof Promise)) {
      this.#apply(socket, st, id, event, outcome);
      return;
    }
    // An async schema is in flight: later events wait behind it, so handlers see arrival order.
    if (st.pending >= this.#maxPending) {
      const r = refusal(RefusalCodes.TOO_MANY_PENDING, event, "too many events being validated");
      this.#refuse(socket, st, id, { refusal: r });
      return;
    }
    st.pending++;
    const state = st;
    const prev = st.tail ?? Promise.resolve();
    st.tail = prev
      .then(() => outcome)
      .then(
        (o) => this.#apply(socket, state, id, event, o),
        (cause: unknown) => this.#apply(socket, state, id, event, failed(event, cause)),
      )
      .finally(() => {
        state.pending--;
        if (state.pending === 0) state.tail = undefined;
      });
  }

  #apply(
    socket: GuardedSocket,
    st: SocketGuardState,
    id: number | undefined,
    event: string,
    o: Outcome,
  ): void {
    if (!socket.connected) return;
    if ("refusal" in o) {
      this.#refuse(socket, st, id, o);
      return;
    }
    socket._admitted(o.args, id, this.#ackCheck(event));
  }

  /** Rate limits: 0 if every bucket had a token, else the longest wait. */
  #limit(socket: GuardedSocket, st: SocketGuardState, event: string, t: number): number {
    let wait = 0;
    if (this.#socketBucket) wait = take(st.buckets, 0, this.#socketBucket, t);
    if (wait > 0) return wait;
    const slot = this.#eventSlots.get(event);
    if (slot !== undefined) {
      const b = this.#eventBuckets[slot];
      if (b) wait = take(st.buckets, slot + 1, b, t);
      if (wait > 0) return wait;
    }
    if (this.#key && this.#key.store === undefined) {
      if (st.keyed === undefined) st.keyed = this.#keyEntry(socket, t);
      if (st.keyed !== null) wait = take(st.keyed.buckets, 0, this.#key.bucket, t);
    }
    return wait;
  }

  #keyEntry(socket: GuardedSocket, t: number): KeyEntry | null {
    const k = this.#key;
    if (!k) return null;
    const name = k.of(socket);
    if (name === undefined) return null;
    let entry = this.#keys.get(name);
    if (entry === undefined) {
      if (this.#keys.size >= k.max) this.#evict(t);
      entry = { buckets: [k.bucket.burst, t], refs: 0 };
      this.#keys.set(name, entry);
    }
    entry.refs++;
    return entry;
  }

  /** Drops keys no socket uses whose bucket is full again (forgetting them loses nothing); else the oldest. */
  #evict(t: number): void {
    const k = this.#key;
    if (!k) return;
    for (const [name, e] of this.#keys) {
      if (e.refs > 0) continue;
      const tokens = (e.buckets[0] ?? 0) + (t - (e.buckets[1] ?? t)) * k.bucket.rate;
      if (tokens >= k.bucket.burst) this.#keys.delete(name);
    }
    if (this.#keys.size >= k.max) {
      const first = this.#keys.keys().next();
      if (!first.done) this.#keys.delete(first.value);
    }
  }

  /** The shared store's take for the socket's key, or undefined when it has none. */
  #sharedTake(socket: GuardedSocket, st: SocketGuardState): Promise<number> | undefined {
    const k = this.#key;
    if (!k?.store) return undefined;
    if (st.keyName === undefined) st.keyName = k.of(socket) ?? null;
    if (st.keyName === null) return undefined;
    return k.store.take(st.keyName, k.perSecond, k.bucket.burst);
  }

  /** Socket hook: the socket closed (its key entry is no longer used by it). */
  release(socket: GuardedSocket): void {
    const keyed = socket._guardState?.keyed;
    if (keyed) keyed.refs--;
  }

  #validate(event: string, args: unknown[]): Outcome | Promise<Outcome> {
    const spec = this.#incoming?.get(event);
    if (spec === undefined) {
      if (this.#strict && this.#incoming !== undefined) {
        return { refusal: refusal(RefusalCodes.UNKNOWN_EVENT, event, `unknown event "${event}"`) };
      }
      return { args };
    }
    let result: Validated;
    try {
      result = spec.args["~standard"].validate(args.slice(1));
    } catch (cause) {
      return failed(event, cause);
    }
    if (result instanceof Promise) return result.then((r) => argsOutcome(event, args, r));
    return argsOutcome(event, args, result);
  }

  #ackCheck(event: string): AckCheck | undefined {
    if (!this.#validateOutgoing) return undefined;
    const schema = this.#incoming?.get(event)?.ack;
    if (schema === undefined) return undefined;
    return (args) => {
      const r = schema["~standard"].validate(args[0]);
      // An async schema cannot hold back a synchronous ack(): only sync results are checked.
      if (r instanceof Promise || r.issues === undefined) return;
      throw invalid(RefusalCodes.INVALID_ACK, event, r);
    };
  }

  /** `emit` hook (validateOutgoing): throws on arguments a sync schema rejects. */
  checkOutgoing(data: readonly unknown[]): void {
    if (!this.#validateOutgoing || this.#outgoing === undefined) return;
    const event = String(data[0]);
    const spec = this.#outgoing.get(event);
    if (spec === undefined) return;
    const r = spec.args["~standard"].validate(data.slice(1));
    if (r instanceof Promise || r.issues === undefined) return;
    throw invalid(RefusalCodes.INVALID_ARGS, event, r);
  }

  /**
   * `emit` hook: wraps the callback of an event whose contract has an `ack` schema, so that it
   * gets the validated value — or, for an invalid one, the Refusal (`timeout` callbacks: as error).
   */
  wrapAck(
    event: string,
    fn: (...args: unknown[]) => void,
    withError: boolean,
  ): (...args: unknown[]) => void {
    const schema = this.#outgoing?.get(event)?.ack;
    if (schema === undefined) return fn;
    return (...args: unknown[]) => {
      if (withError && args[0]) {
        fn(...args);
        return;
      }
      const value = withError ? args[1] : args[0];
      const done = (r: StandardSchemaV1.Result<unknown>): void => {
        if (r.issues === undefined) {
          if (withError) fn(null, r.value);
          else fn(r.value);
          return;
        }
        const err = invalid(RefusalCodes.INVALID_ACK, event, r);
        if (withError) fn(err);
        else fn(toRefusal(err));
      };
      let r: Validated;
      try {
        r = schema["~standard"].validate(value);
      } catch {
        r = { issues: [{ message: "validator failed" }] };
      }
      if (r instanceof Promise) {
        r.then(done, () => done({ issues: [{ message: "validator failed" }] }));
      } else done(r);
    };
  }

  #refuse(
    socket: GuardedSocket,
    st: SocketGuardState,
    id: number | undefined,
    o: { readonly refusal: Refusal; readonly cause?: unknown },
  ): void {
    const r = o.refusal;
    this.#onRefused?.(r, socket, o.cause);
    const nsp = socket.nsp.name;
    if (id !== undefined) socket._packet({ type: PacketType.ACK, nsp, id, data: [r] });
    else if (this.#errorEvent !== false) {
      socket._packet({ type: PacketType.EVENT, nsp, data: [this.#errorEvent, r] });
    }
    if (!this.#strikes) return;
    const slot = this.#bursts.length - 1;
    if (take(st.buckets, slot, this.#strikes, now()) === 0) return;
    const last = refusal(RefusalCodes.TOO_MANY_REFUSALS, r.event, "too many refused events");
    if (this.#errorEvent !== false) {
      socket._packet({ type: PacketType.EVENT, nsp, data: [this.#errorEvent, last] });
    }
    socket._packet({ type: PacketType.DISCONNECT, nsp });
    socket._onclose(
      "server namespace disconnect",
      new TetherError(RefusalCodes.TOO_MANY_REFUSALS, "too many refused events"),
    );
  }
}

function toMap(events: Contract["clientToServer"]): Map<string, EventContract> | undefined {
  if (events === undefined) return undefined;
  // Own keys only: an event named "constructor" or "__proto__" must not find Object's members.
  return new Map(Object.entries(events));
}

function argsOutcome(event: string, args: unknown[], r: StandardSchemaV1.Result<unknown>): Outcome {
  if (r.issues !== undefined) {
    return {
      refusal: refusal(RefusalCodes.INVALID_ARGS, event, `invalid arguments for "${event}"`, {
        issues: issuesOf(r),
      }),
    };
  }
  // The schema's output (defaults, coercions, stripped keys) is what handlers get.
  return { args: Array.isArray(r.value) ? [args[0], ...r.value] : args };
}

function limitedRefusal(event: string, wait: number): Refusal {
  return refusal(RefusalCodes.RATE_LIMITED, event, "rate limit exceeded", { retryAfterMs: wait });
}

function failed(event: string, cause: unknown): Outcome {
  return {
    refusal: refusal(RefusalCodes.VALIDATOR_FAILED, event, `validation of "${event}" failed`),
    cause,
  };
}

/** A TetherError carrying a Refusal's fields (thrown to server code for its own bad values). */
export class RefusalError extends TetherError {
  readonly event: string;
  readonly issues: readonly RefusalIssue[];
  constructor(
    code: Refusal["code"],
    event: string,
    message: string,
    issues: readonly RefusalIssue[],
  ) {
    super(code, message);
    this.event = event;
    this.issues = issues;
  }
}

function invalid(
  code: Refusal["code"],
  event: string,
  r: StandardSchemaV1.FailureResult,
): RefusalError {
  const what = code === RefusalCodes.INVALID_ACK ? "ack value" : "arguments";
  return new RefusalError(code, event, `invalid ${what} for "${event}"`, issuesOf(r));
}

function toRefusal(e: RefusalError): Refusal {
  return { code: e.code as Refusal["code"], message: e.message, event: e.event, issues: e.issues };
}

/** Engine-level limits of one server (`connectionRateLimit`): messages and bytes per connection. */
export class ConnectionLimiter {
  readonly #packets: Bucket | undefined;
  readonly #bytes: Bucket | undefined;

  constructor(opts: { packets?: BucketOptions; bytes?: BucketOptions }) {
    this.#packets = opts.packets && bucket("connectionRateLimit.packets", opts.packets);
    this.#bytes = opts.bytes && bucket("connectionRateLimit.bytes", opts.bytes);
  }

  /** A connection's state: [packets tokens, last, bytes tokens, last]. */
  create(): number[] {
    const t = now();
    return [this.#packets?.burst ?? 0, t, this.#bytes?.burst ?? 0, t];
  }

  /** Whether one more message of `size` bytes fits (a message larger than the burst never does). */
  admit(state: number[], size: number): boolean {
    const t = now();
    if (this.#packets && take(state, 0, this.#packets, t) > 0) return false;
    const b = this.#bytes;
    if (!b) return true;
    let tokens = (state[2] ?? 0) + (t - (state[3] ?? t)) * b.rate;
    if (tokens > b.burst) tokens = b.burst;
    state[3] = t;
    if (tokens < size) {
      state[2] = tokens;
      return false;
    }
    state[2] = tokens - size;
    return true;
  }
}

/** Code of the error describing a connection closed by `connectionRateLimit`. */
export const CONNECTION_LIMITED = RefusalCodes.CONNECTION_LIMITED;
