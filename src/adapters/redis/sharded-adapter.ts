/**
 * The Redis sharded pub/sub adapter (`SPUBLISH`/`SSUBSCRIBE`, Redis ≥ 7) speaking socket.io's
 * sharded protocol (`@socket.io/redis-adapter`'s `createShardedAdapter`): socket.io-adapter's
 * `{ uid, nsp, type, data }` messages (sio-message.ts), JSON unless they hold binary (msgpack).
 *
 * Channels (`channelPrefix` defaults to `socket.io`):
 *   `<prefix>#<nsp>#`          every node of the namespace; its subscriber count
 *                              (`PUBSUB SHARDNUMSUB`) is the node count, as socket.io counts
 *   `<prefix>#<nsp>#<room>#`   broadcasts without acks to exactly one room (subscriptionMode
 *                              "dynamic": not to 20-character rooms, which look like socket ids;
 *                              "dynamic-private": any room); a node subscribes while it has
 *                              members in the room
 *   `<prefix>#<nsp>#<uid>#`    responses to node `uid`
 *
 * In a Redis Cluster (node-redis `createCluster` clients) a message only travels to the shard
 * owning its channel, and a node only receives the rooms it serves: each channel is subscribed
 * on its own (channels of different slots live on different masters), published and counted on
 * the master owning its slot. A lost connection (a master restarting) is reported as `error`;
 * node-redis resubscribes (see cluster-resubscribe.ts for the v4 bug this works around) and
 * flushes its queued commands once the master is back.
 */
import { ClusterAdapter, type ClusterAdapterOptions } from "../../adapter/cluster-adapter.js";
import type { ClusterMessage } from "../../adapter/cluster-message.js";
import type { AdapterHost, Room, SocketId } from "../../adapter/types.js";
import {
  asBuffer,
  type BufferListener,
  countSubscribers,
  looksLikeSocketId,
  type RedisClient,
  type RedisSubscriberClient,
  sendTo,
  watchErrors,
} from "./client.js";
import { isCrossSlot, repairShardedSubscriptions } from "./cluster-resubscribe.js";
import { transportError } from "./redis-adapter.js";
import { fromSioMessage, type SioMessage, toSioMessage } from "./sio-message.js";
import { decodeJsonOrMsgpack, hasBinary, packBuffer } from "./wire.js";

/** Which rooms get a channel of their own. */
export type SubscriptionMode = "static" | "dynamic" | "dynamic-private";

/** Options of `createShardedAdapter`. */
export interface ShardedRedisAdapterOptions extends ClusterAdapterOptions {
  /** Prefix of every channel name; must match the other nodes'. @default "socket.io" */
  channelPrefix?: string;
  /** Alias of `channelPrefix` (the classic adapter's name). */
  key?: string;
  /**
   * "static": one channel per namespace; "dynamic": plus one per public room; "dynamic-private":
   * plus one per room, socket ids included. Must match the other nodes'. @default "dynamic"
   */
  subscriptionMode?: SubscriptionMode;
}

/** Where a message goes in socket.io's sharded protocol. */
export function shardedChannel(main: string, m: ClusterMessage, mode: SubscriptionMode): string {
  if (m.type !== "broadcast" || m.requestId !== undefined || m.opts.rooms.length !== 1) {
    return main;
  }
  const [room = ""] = m.opts.rooms;
  const own = mode === "dynamic-private" || (mode === "dynamic" && !looksLikeSocketId(room));
  return own ? `${main}${room}#` : main;
}

/** Encodes a message as socket.io's sharded adapter does: JSON, or msgpack when it has binary. */
export function encodeSharded(m: ClusterMessage): Buffer | string {
  const message: SioMessage = toSioMessage(m);
  return hasBinary(message.data) ? packBuffer(message) : JSON.stringify(message);
}

/** A namespace's adapter over Redis sharded pub/sub, in socket.io's sharded protocol. */
export class ShardedRedisAdapter extends ClusterAdapter {
  readonly #pub: RedisClient;
  readonly #sub: RedisSubscriberClient;
  readonly #main: string;
  readonly #own: string;
  readonly #mode: SubscriptionMode;
  #ready: Promise<void> = Promise.resolve();
  /** Per-room chain of (un)subscribe operations, so they apply in order. */
  readonly #roomOps = new Map<Room, Promise<void>>();
  readonly #listener: BufferListener = (message) => this.#onBuffer(asBuffer(message));
  #unwatch: (() => void) | undefined;

  constructor(
    nsp: AdapterHost,
    pub: RedisClient,
    sub: RedisSubscriberClient,
    opts: ShardedRedisAdapterOptions = {},
  ) {
    super(nsp, opts);
    this.#pub = pub;
    this.#sub = sub;
    this.#main = `${opts.channelPrefix ?? opts.key ?? "socket.io"}#${nsp.name}#`;
    this.#own = `${this.#main}${this.uid}#`;
    this.#mode = opts.subscriptionMode ?? "dynamic";
  }

  override init(): Promise<void> {
    this.#unwatch = watchErrors([this.#pub, this.#sub], (err) => {
      this.emitReserved("error", transportError("connection", err));
      if (isCrossSlot(err)) void repairShardedSubscriptions(this.#sub);
    });
    // One channel per call: in a Redis Cluster each may live on another master.
    this.#ready = Promise.all(
      [this.#main, this.#own].map((c) => this.#sub.sSubscribe(c, this.#listener, true)),
    ).then(() => undefined);
    if (this.#mode !== "static") {
      this.on("create-room", (room) => this.#roomOp(room, "subscribe"));
      this.on("delete-room", (room) => this.#roomOp(room, "unsubscribe"));
    }
    super.init();
    return this.#ready.catch((err: unknown) => {
      this.emitReserved("error", transportError("subscribe", err));
    });
  }

  override async close(): Promise<void> {
    await super.close();
    this.#unwatch?.();
    this.#unwatch = undefined;
    const rooms = [...this.#roomOps.keys()].map((r) => this.#roomChannel(r));
    const channels = [this.#main, this.#own, ...rooms];
    await Promise.all(
      channels.map((c) => this.#sub.sUnsubscribe(c, this.#listener, true).catch(() => undefined)),
    );
    this.#roomOps.clear();
  }

  protected override async countPeers(): Promise<number> {
    return Math.max(0, (await countSubscribers(this.#pub, "SHARDNUMSUB", this.#main)) - 1);
  }

  /** Waits for the room channels of newly joined rooms, so a broadcast right after reaches us. */
  override addAll(id: SocketId, rooms: Iterable<Room>): Promise<void> {
    const list = [...rooms];
    super.addAll(id, list);
    const waits: Promise<void>[] = [];
    for (const room of list) {
      const op = this.#roomOps.get(room);
      if (op) waits.push(op);
    }
    return Promise.all(waits).then(() => undefined);
  }

  #roomChannel(room: Room): string {
    return `${this.#main}${room}#`;
  }

  #hasChannel(room: Room): boolean {
    if (this.#mode === "dynamic-private") return true;
    return this.#mode === "dynamic" && !looksLikeSocketId(room) && !this.sids.has(room);
  }

  #roomOp(room: Room, op: "subscribe" | "unsubscribe"): void {
    if (!this.#hasChannel(room)) return;
    const prev = this.#roomOps.get(room) ?? this.#ready;
    const next = prev.then(async () => {
      const channel = this.#roomChannel(room);
      if (op === "subscribe") await this.#sub.sSubscribe(channel, this.#listener, true);
      else await this.#sub.sUnsubscribe(channel, this.#listener, true);
    });
    const settled = next.catch((err: unknown) => {
      this.emitReserved("error", transportError("subscribe", err));
    });
    this.#roomOps.set(room, settled);
    if (op === "unsubscribe") {
      void settled.then(() => {
        if (this.#roomOps.get(room) === settled) this.#roomOps.delete(room);
      });
    }
  }

  #onBuffer(bytes: Buffer): void {
    const raw = decodeJsonOrMsgpack(bytes);
    const result = raw.ok ? fromSioMessage(raw.value, { anonymous: true }) : raw;
    if (!result.ok) {
      this.emitReserved("error", result.error);
      return;
    }
    if (result.value !== undefined) this.onMessage(result.value);
  }

  protected override async publish(message: ClusterMessage): Promise<void> {
    await this.#ready;
    const channel = shardedChannel(this.#main, message, this.#mode);
    await sendTo(this.#pub, channel, ["SPUBLISH", channel, encodeSharded(message)]);
  }

  protected override async publishResponse(uid: string, message: ClusterMessage): Promise<void> {
    await this.#ready;
    const channel = uid === "" ? this.#main : `${this.#main}${uid}#`;
    await sendTo(this.#pub, channel, ["SPUBLISH", channel, encodeSharded(message)]);
  }
}
