/**
 * The Redis pub/sub adapter speaking socket.io's classic protocol (see classic-protocol.ts), so
 * Tether nodes and socket.io nodes running `@socket.io/redis-adapter`'s `createAdapter` on one
 * Redis and key form one cluster, and `@socket.io/redis-emitter` reaches Tether's clients.
 *
 *   subscribe:  PSUBSCRIBE <key>#<nsp>#*        broadcasts (room channels filtered locally)
 *               SUBSCRIBE  <key>-request#<nsp>#  requests, Tether heartbeats; node count
 *                          <key>-response#<nsp>#, <key>-response#<nsp>#<uid>#  responses
 *
 * Node count: the request channel's subscriber count (`PUBSUB NUMSUB`), as socket.io counts, so
 * requests wait for socket.io's nodes (which send no heartbeat) as well as Tether's. On a Redis
 * Cluster (node-redis `createCluster` clients) the count is summed over every node.
 */
import { ClusterAdapter, type ClusterAdapterOptions } from "../../adapter/cluster-adapter.js";
import { ClusterErrorCodes, type ClusterMessage } from "../../adapter/cluster-message.js";
import type { AdapterHost } from "../../adapter/types.js";
import { type Result, TetherError } from "../../shared/errors.js";
import {
  type ClassicChannels,
  type ClassicDecoded,
  classicChannels,
  decodeClassicBroadcast,
  decodeClassicRequest,
  decodeClassicResponse,
  encodeClassic,
  type LegacyQuery,
} from "./classic-protocol.js";
import {
  asBuffer,
  type BufferListener,
  countSubscribers,
  type RedisClient,
  type RedisSubscriberClient,
  sendTo,
  watchErrors,
} from "./client.js";
import { packBuffer } from "./wire.js";

/** Options of `createAdapter`. */
export interface RedisAdapterOptions extends ClusterAdapterOptions {
  /** Prefix of every channel name; must match the other nodes'. @default "socket.io" */
  key?: string;
  /**
   * `true`: speak socket.io's sharded protocol instead (same as `createShardedAdapter`).
   * @default false
   */
  sharded?: boolean;
}

/** Reports a failed subscribe or publish as the adapter's `error` event. */
export function transportError(what: string, err: unknown): TetherError {
  const why = err instanceof Error ? err.message : String(err);
  return new TetherError(ClusterErrorCodes.PUBLISH_FAILED, `redis ${what} failed: ${why}`, {
    cause: err,
  });
}

/** A namespace's adapter over Redis pub/sub, in socket.io's classic protocol. */
export class RedisAdapter extends ClusterAdapter {
  readonly #pub: RedisClient;
  readonly #sub: RedisSubscriberClient;
  readonly #ch: ClassicChannels;
  readonly #own: string;
  #ready: Promise<void> = Promise.resolve();
  #unwatch: (() => void) | undefined;
  readonly #onBroadcast: BufferListener = (message, channel) =>
    this.#onPattern(asBuffer(message), channel.toString());
  readonly #onRequestOrResponse: BufferListener = (message, channel) =>
    this.#onChannel(asBuffer(message), channel.toString());

  constructor(
    nsp: AdapterHost,
    pub: RedisClient,
    sub: RedisSubscriberClient,
    opts: RedisAdapterOptions = {},
  ) {
    super(nsp, opts);
    this.#pub = pub;
    this.#sub = sub;
    this.#ch = classicChannels(opts.key ?? "socket.io", nsp.name);
    this.#own = this.#ch.responseTo(this.uid);
  }

  override init(): Promise<void> {
    const ch = this.#ch;
    this.#unwatch = watchErrors([this.#pub, this.#sub], (err) => {
      this.emitReserved("error", transportError("connection", err));
    });
    this.#ready = Promise.all([
      this.#sub.pSubscribe(ch.pattern, this.#onBroadcast, true),
      this.#sub.subscribe([ch.request, ch.response, this.#own], this.#onRequestOrResponse, true),
    ]).then(() => undefined);
    super.init();
    return this.#ready.catch((err: unknown) => {
      this.emitReserved("error", transportError("subscribe", err));
    });
  }

  override async close(): Promise<void> {
    await super.close();
    this.#unwatch?.();
    this.#unwatch = undefined;
    const ch = this.#ch;
    await Promise.all([
      this.#sub.pUnsubscribe(ch.pattern, this.#onBroadcast, true),
      // One channel per call (node-redis v4 mishandles several channels with one listener).
      ...[ch.request, ch.response, this.#own].map((c) =>
        this.#sub.unsubscribe(c, this.#onRequestOrResponse, true),
      ),
    ]).catch(() => undefined);
  }

  protected override async countPeers(): Promise<number> {
    return Math.max(0, (await countSubscribers(this.#pub, "NUMSUB", this.#ch.request)) - 1);
  }

  #onPattern(bytes: Buffer, channel: string): void {
    if (!channel.startsWith(this.#ch.main)) return;
    // A room channel: only nodes with members deliver (as socket.io's nodes do).
    const room = channel.slice(this.#ch.main.length, -1);
    if (room !== "" && !this.rooms.has(room)) return;
    this.#dispatch(decodeClassicBroadcast(bytes, this.nsp.name));
  }

  #onChannel(bytes: Buffer, channel: string): void {
    const nsp = this.nsp.name;
    if (channel === this.#ch.request) this.#dispatch(decodeClassicRequest(bytes, nsp));
    else this.#dispatch(decodeClassicResponse(bytes, nsp));
  }

  #dispatch(result: Result<ClassicDecoded>): void {
    if (!result.ok) {
      this.emitReserved("error", result.error);
      return;
    }
    const message = result.value;
    if (message === undefined) return;
    if (message.type === "legacy") {
      if (message.uid !== this.uid) void this.#answerLegacy(message);
      return;
    }
    this.onMessage(message);
  }

  /** Answers socket.io's `sockets()` / `allRooms()` queries, so they do not time out on us. */
  async #answerLegacy(q: LegacyQuery): Promise<void> {
    const body =
      q.kind === "all-rooms"
        ? { requestId: q.requestId, rooms: [...this.rooms.keys()] }
        : {
            requestId: q.requestId,
            sockets: (
              await this.fetchSockets({ rooms: new Set(q.rooms), flags: { local: true } })
            ).map((s) => s.id),
          };
    await this.#publishRaw(this.#ch.responseTo(q.uid), packBuffer({ uid: this.uid, ...body }));
  }

  async #publishRaw(channel: string, bytes: Buffer): Promise<void> {
    await this.#ready;
    await sendTo(this.#pub, channel, ["PUBLISH", channel, bytes]).catch((err: unknown) => {
      this.emitReserved("error", transportError("publish", err));
    });
  }

  protected override async publish(message: ClusterMessage): Promise<void> {
    await this.#ready;
    const out = encodeClassic(this.#ch, message);
    await sendTo(this.#pub, out.channel, ["PUBLISH", out.channel, out.bytes]);
  }

  protected override async publishResponse(uid: string, message: ClusterMessage): Promise<void> {
    await this.#ready;
    const out = encodeClassic(this.#ch, message, uid);
    await sendTo(this.#pub, out.channel, ["PUBLISH", out.channel, out.bytes]);
  }
}
