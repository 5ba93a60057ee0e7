/**
 * One Redis stream shared by every namespace adapter of a `createAdapter()` call: `XADD` (with
 * approximate `MAXLEN` trimming) to publish, and one read loop on a dedicated client
 * (`XREAD BLOCK`, which would stall any other command on its connection).
 *
 *   read loop:  lastId ← newest entry id at start ("0-0" for an empty stream)
 *               loop: XREAD BLOCK COUNT STREAMS <stream> lastId ─▶ dispatch each entry, lastId = id
 *               on error (Redis down): wait, then XREAD again from the same lastId
 *
 * After an outage the loop resumes from the last id it saw, so entries added meanwhile (by
 * nodes whose `XADD`s waited in node-redis's offline queue) are all delivered; the first failed
 * `XREAD` of an outage is reported to every namespace as `error`.
 *
 * Redis Cluster (a node-redis `createCluster` client): every command on the stream goes to the
 * master owning the stream key's slot, session keys to theirs; the read loop runs on a
 * duplicate of the cluster client.
 */
import { ClusterErrorCodes, type ClusterMessage } from "../../adapter/cluster-message.js";
import { pack } from "../../adapter/msgpack.js";
import { fail, type Result, TetherError } from "../../shared/errors.js";
import { type RedisClient, sendTo } from "../redis/client.js";
import { transportError } from "../redis/redis-adapter.js";
import { fromSioMessage, toSioMessage } from "../redis/sio-message.js";
import { hasBinary, invalid, unpack } from "../redis/wire.js";

/** The client the read loop owns: duplicated from the user's client, connected by us. */
export type RedisReaderClient = RedisClient & {
  connect(): Promise<unknown>;
  disconnect(): Promise<void>;
  on(event: "error", fn: (err: Error) => void): unknown;
};

/** A connected node-redis v4 client or Redis Cluster (`createClient` / `createCluster`). */
export type RedisDuplicableClient = RedisClient & { duplicate(): RedisReaderClient };

/** Receives the entries of one namespace. */
export interface StreamSubscriber {
  readonly nsp: { readonly name: string };
  onMessage(message: ClusterMessage, offset: string): void;
  emit(event: "error", err: Error): unknown;
}

/** Tuning of the stream. */
export interface StreamOptions {
  /** Stream key. @default "socket.io" */
  streamName?: string;
  /** Approximate maximum length of the stream (`XADD MAXLEN ~`). @default 10000 */
  maxLen?: number;
  /** Entries fetched per `XREAD`. @default 100 */
  readCount?: number;
  /** Milliseconds one `XREAD` blocks. @default 5000 */
  blockTimeMs?: number;
}

/**
 * The fields of an entry, as socket.io's Redis Streams adapter writes them: `uid`, `nsp`, `type`
 * (socket.io-adapter's type number, as text) and `data` (JSON, or base64 msgpack when it holds
 * binary), so socket.io's nodes on the same stream read Tether's entries and the other way round.
 */
export function encodeEntry(m: ClusterMessage): string[] {
  const message = toSioMessage(m);
  const fields = ["uid", message.uid, "nsp", message.nsp, "type", String(message.type)];
  const data = message.data;
  if (data !== undefined) {
    const text = hasBinary(data) ? pack(data).toString("base64") : JSON.stringify(data);
    fields.push("data", text);
  }
  return fields;
}

/** Decodes an entry's fields. `undefined`: not a message for Tether (ignored). */
export function decodeEntry(fields: readonly unknown[]): Result<ClusterMessage | undefined> {
  const raw: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const key = fields[i];
    const value = fields[i + 1];
    if (!Buffer.isBuffer(key) || !Buffer.isBuffer(value)) return fail(invalid("bad entry"));
    raw[key.toString()] = value.toString();
  }
  const text = raw.data;
  let data: unknown;
  if (text !== undefined) {
    if (text.startsWith("{")) {
      try {
        data = JSON.parse(text);
      } catch {
        return fail(invalid("entry data is not JSON"));
      }
    } else {
      const result = unpack(Buffer.from(text, "base64"));
      if (!result.ok) return result;
      data = result.value;
    }
  }
  return fromSioMessage({ uid: raw.uid, nsp: raw.nsp, type: raw.type, data }, { anonymous: true });
}

/** A stream entry id (`<ms>-<seq>`). */
export const STREAM_ID = /^\d+-\d+$/;

const RETRY_DELAY_MS = 100;
/**
 * How long an entry is retried after its first failed `XADD`. Long enough to ride out a Redis
 * Cluster master restarting: back on its port, it answers CLUSTERDOWN until it has rejoined.
 */
const PUBLISH_RETRY_MS = 10_000;

/** Entries per `EVAL` of {@link XADD_BATCH}: bounds the time one script holds Redis. */
const MAX_BATCH = 256;

/**
 * `XADD`s a batch of entries atomically, in order. KEYS[1]: the stream; ARGV[1]: MAXLEN; then,
 * per entry, its field count followed by its fields. Returns the entry ids.
 */
const XADD_BATCH = `local ids = {}
local i = 2
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  local cmd = {"XADD", KEYS[1], "MAXLEN", "~", ARGV[1], "*"}
  for j = 1, n do cmd[6 + j] = ARGV[i + j] end
  ids[#ids + 1] = redis.call(unpack(cmd))
  i = i + n + 1
end
return ids`;

/** An `XADD` reply as text. */
function entryId(id: unknown): string {
  return Buffer.isBuffer(id) ? id.toString() : String(id);
}

/** Whether `err` says the server will not run scripts (not a connection problem). */
function isScriptRefusal(err: unknown): boolean {
  const message = err instanceof Error ? err.message : "";
  return /^(NOPERM|NOSCRIPT|ERR unknown command)/.test(message);
}

type RawEntry = [Buffer, Buffer[]];

interface OutboxItem {
  readonly fields: readonly string[];
  /** When its first `XADD` failed. */
  failedSince: number | undefined;
  resolve(id: string): void;
  reject(err: unknown): void;
}

function isEntry(v: unknown): v is RawEntry {
  return Array.isArray(v) && Buffer.isBuffer(v[0]) && Array.isArray(v[1]);
}

/** Decodes raw `XRANGE`/`XREAD` entries into (id, message) pairs, skipping bad ones. */
export function decodeEntries(
  raw: unknown,
  onError: (err: TetherError) => void,
): Array<{ id: string; message: ClusterMessage }> {
  const out: Array<{ id: string; message: ClusterMessage }> = [];
  if (!Array.isArray(raw)) return out;
  for (const entry of raw) {
    if (!isEntry(entry)) continue;
    const id = entry[0].toString();
    const fields = entry[1];
    const result = decodeEntry(fields);
    if (!result.ok) onError(result.error);
    else if (result.value !== undefined) out.push({ id, message: result.value });
  }
  return out;
}

/** The shared stream: publishing and the read loop. */
export class StreamConnection {
  readonly client: RedisDuplicableClient;
  readonly stream: string;
  readonly #maxLen: number;
  readonly #readCount: number;
  readonly #blockMs: number;
  readonly #subscribers = new Set<StreamSubscriber>();
  #state: "idle" | "reading" | "closed" = "idle";
  #reader: RedisReaderClient | undefined;
  #started: Promise<void> | undefined;
  readonly #outbox: OutboxItem[] = [];
  #draining = false;
  /** Whether batches go out as one `EVAL` (until the server refuses scripts). */
  #scripted = true;
  readonly #xaddArgs: string[];

  constructor(client: RedisDuplicableClient, opts: StreamOptions = {}) {
    this.client = client;
    this.stream = opts.streamName ?? "socket.io";
    this.#maxLen = opts.maxLen ?? 10_000;
    this.#readCount = opts.readCount ?? 100;
    this.#blockMs = opts.blockTimeMs ?? 5000;
    this.#xaddArgs = ["XADD", this.stream, "MAXLEN", "~", String(this.#maxLen), "*"];
  }

  /** Adds a namespace; the first one starts the read loop. Resolves once reading. */
  subscribe(sub: StreamSubscriber): Promise<void> {
    this.#subscribers.add(sub);
    if (this.#state === "idle") {
      this.#state = "reading";
      this.#started = this.#start();
    }
    return this.#started ?? Promise.resolve();
  }

  /** Removes a namespace; the last one stops the read loop. */
  async unsubscribe(sub: StreamSubscriber): Promise<void> {
    this.#subscribers.delete(sub);
    if (this.#subscribers.size > 0 || this.#state !== "reading") return;
    this.#state = "closed";
    await this.#reader?.disconnect().catch(() => undefined);
  }

  /**
   * Appends `message`; resolves with its entry id (the offset). Entries keep the order of the
   * calls, also across a reconnect: see {@link #drain}.
   */
  publish(message: ClusterMessage): Promise<string> {
    const fields = encodeEntry(message);
    return new Promise((resolve, reject) => {
      this.#outbox.push({ fields, failedSince: undefined, resolve, reject });
      if (!this.#draining) void this.#drain();
    });
  }

  /**
   * Sends the outbox, one command at a time: a batch of entries goes out as one `EVAL` of
   * {@link XADD_BATCH} (all of it appended, in order, or none), and the next batch only once this
   * one has settled. Pipelined `XADD`s would reorder entries when the connection drops: the
   * commands in flight are rejected while later ones wait in node-redis's offline queue, and a
   * Redis Cluster client retries a redirected command after the commands sent behind it. A failed
   * batch goes back to the front of the outbox and is retried for {@link PUBLISH_RETRY_MS}.
   * Where scripting is refused (ACLs, managed services) the outbox falls back to one `XADD` at
   * a time, which keeps the order too.
   */
  async #drain(): Promise<void> {
    this.#draining = true;
    while (this.#outbox.length > 0) {
      const size = this.#scripted ? MAX_BATCH : 1;
      const batch = this.#outbox.splice(0, size);
      let ids: string[] | undefined;
      let error: unknown;
      try {
        ids = await this.#append(batch);
      } catch (err) {
        if (this.#scripted && batch.length > 1 && isScriptRefusal(err)) {
          this.#scripted = false;
          this.#outbox.unshift(...batch);
          continue;
        }
        error = err;
      }
      if (ids !== undefined) {
        batch.forEach((item, i) => {
          item.resolve(ids[i] ?? "");
        });
        continue;
      }
      const now = Date.now();
      const retry: OutboxItem[] = [];
      for (const item of batch) {
        item.failedSince ??= now;
        if (now - item.failedSince >= PUBLISH_RETRY_MS) item.reject(error);
        else retry.push(item);
      }
      if (retry.length > 0) {
        this.#outbox.unshift(...retry);
        await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
      }
    }
    this.#draining = false;
  }

  /** Appends `batch` with one command; resolves with the entry ids, in order. */
  async #append(batch: readonly OutboxItem[]): Promise<string[]> {
    const only = batch.length === 1 ? batch[0] : undefined;
    if (only !== undefined) {
      const id = await this.send<unknown>(this.stream, [...this.#xaddArgs, ...only.fields]);
      return [entryId(id)];
    }
    const args = ["EVAL", XADD_BATCH, "1", this.stream, String(this.#maxLen)];
    for (const item of batch) args.push(String(item.fields.length), ...item.fields);
    const ids = await this.send<unknown>(this.stream, args);
    return Array.isArray(ids) ? ids.map(entryId) : [];
  }

  /** Runs `args` where `key` lives (the master owning its slot, on a Redis Cluster). */
  send<T = unknown>(
    key: string,
    args: Array<string | Buffer>,
    options?: { returnBuffers?: boolean },
  ): Promise<T> {
    return sendTo<T>(this.client, key, args, options);
  }

  /** Entries after `after` (exclusive), in order, up to `limit`. */
  async range(
    after: string,
    limit: number,
  ): Promise<Array<{ id: string; message: ClusterMessage }>> {
    const out: Array<{ id: string; message: ClusterMessage }> = [];
    let from = after;
    while (out.length < limit) {
      const raw = await this.send<unknown>(
        this.stream,
        [
          "XRANGE",
          this.stream,
          `(${from}`,
          "+",
          "COUNT",
          String(Math.min(500, limit - out.length)),
        ],
        { returnBuffers: true },
      );
      const batch = decodeEntries(raw, () => undefined);
      const count = Array.isArray(raw) ? raw.length : 0;
      out.push(...batch);
      if (count === 0) break;
      const lastRaw: unknown = Array.isArray(raw) ? raw[raw.length - 1] : undefined;
      if (!isEntry(lastRaw)) break;
      from = lastRaw[0].toString();
    }
    return out;
  }

  /** Whether entry `id` is still in the stream (not trimmed). */
  async has(id: string): Promise<boolean> {
    const raw = await this.send<unknown>(this.stream, [
      "XRANGE",
      this.stream,
      id,
      id,
      "COUNT",
      "1",
    ]);
    return Array.isArray(raw) && raw.length > 0;
  }

  async #start(): Promise<void> {
    const reader = this.client.duplicate();
    reader.on("error", () => {
      // Reconnection is node-redis's job; the read loop retries from the last id.
    });
    this.#reader = reader;
    await reader.connect();
    const newest = await this.send<unknown>(this.stream, [
      "XREVRANGE",
      this.stream,
      "+",
      "-",
      "COUNT",
      "1",
    ]);
    const first: unknown = Array.isArray(newest) ? newest[0] : undefined;
    const lastId = Array.isArray(first) && first[0] !== undefined ? String(first[0]) : "0-0";
    void this.#loop(reader, lastId);
  }

  async #loop(reader: RedisClient, from: string): Promise<void> {
    let lastId = from;
    let failing = false;
    while (this.#state === "reading") {
      let raw: unknown;
      try {
        raw = await sendTo<unknown>(
          reader,
          this.stream,
          [
            "XREAD",
            "BLOCK",
            String(this.#blockMs),
            "COUNT",
            String(this.#readCount),
            "STREAMS",
            this.stream,
            lastId,
          ],
          { returnBuffers: true },
        );
      } catch (err) {
        if (this.#state !== "reading") return;
        if (!failing) {
          failing = true;
          const error = transportError("XREAD", err);
          for (const s of this.#subscribers) s.emit("error", error);
        }
        await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
        continue;
      }
      failing = false;
      if (!Array.isArray(raw)) continue;
      for (const streamReply of raw) {
        if (!Array.isArray(streamReply)) continue;
        const entries: unknown = streamReply[1];
        if (Array.isArray(entries) && entries.length > 0) {
          const tail: unknown = entries[entries.length - 1];
          if (isEntry(tail)) lastId = tail[0].toString();
        }
        this.#dispatch(entries);
      }
    }
  }

  #dispatch(entries: unknown): void {
    const onError = (err: TetherError) => {
      for (const s of this.#subscribers) s.emit("error", err);
    };
    for (const { id, message } of decodeEntries(entries, onError)) {
      for (const s of this.#subscribers) {
        if (s.nsp.name !== message.nsp) continue;
        try {
          s.onMessage(message, id);
        } catch (err) {
          const why = err instanceof Error ? err.message : String(err);
          s.emit("error", new TetherError(ClusterErrorCodes.INVALID_MESSAGE, why, { cause: err }));
        }
      }
    }
  }
}
