/**
 * The Redis pub/sub adapter: cluster messages over Redis channels.
 *
 * Channels (`key` defaults to `socket.io`):
 *   `<key>#<nsp>#`            every node of the namespace (requests, heartbeats, broadcasts)
 *   `<key>#<nsp>#<room>#`     sharded mode only: broadcasts to exactly one room, no ack; a node
 *                             subscribes while it has members in the room
 *   `<key>-response#<nsp>#<uid>#`  responses to node `uid`
 *
 * Sharded mode uses `SPUBLISH`/`SSUBSCRIBE` (Redis ≥ 7), so in a Redis Cluster a message only
 * travels to the shard owning its channel and a node only receives the rooms it serves.
 */
import { ClusterAdapter, type ClusterAdapterOptions } from "../../adapter/cluster-adapter.js";
import {
  ClusterErrorCodes,
  type ClusterMessage,
  decodeClusterMessage,
  encodeClusterMessage,
} from "../../adapter/cluster-message.js";
import type { AdapterHost, Room, SocketId } from "../../adapter/types.js";
import { TetherError } from "../../shared/errors.js";
import {
  asBuffer,
  type BufferListener,
  looksLikeSocketId,
  mainChannel,
  publishChannel,
  type RedisCommandClient,
  type RedisSubscriberClient,
  roomChannel,
  supportsShardedPubSub,
} from "./client.js";

/** Options of {@link createAdapter}. */
export interface RedisAdapterOptions extends ClusterAdapterOptions {
  /** Prefix of every channel name. @default "socket.io" */
  key?: string;
  /**
   * Sharded pub/sub with one channel per room (`SPUBLISH`); `false` forces classic pub/sub
   * with one channel per namespace. @default true when the server is Redis ≥ 7
   */
  sharded?: boolean;
}

/** What every namespace adapter of one `createAdapter()` call shares. */
export class RedisConnection {
  readonly pub: RedisCommandClient;
  readonly sub: RedisSubscriberClient;
  readonly key: string;
  /** Resolves with the pub/sub mode once known. */
  readonly sharded: Promise<boolean>;

  constructor(pub: RedisCommandClient, sub: RedisSubscriberClient, opts: RedisAdapterOptions) {
    this.pub = pub;
    this.sub = sub;
    this.key = opts.key ?? "socket.io";
    const forced = opts.sharded;
    this.sharded =
      forced === undefined
        ? supportsShardedPubSub(pub).catch(() => false)
        : Promise.resolve(forced);
  }
}

/** A namespace's adapter over Redis pub/sub. */
export class RedisAdapter extends ClusterAdapter {
  readonly #conn: RedisConnection;
  readonly #main: string;
  readonly #response: string;
  #ready: Promise<boolean> = Promise.resolve(false);
  #sharded = false;
  /** Per-room chain of (un)subscribe operations, so they apply in order. */
  readonly #roomOps = new Map<Room, Promise<void>>();
  readonly #listener: BufferListener = (message) => this.#onBuffer(message);

  constructor(nsp: AdapterHost, conn: RedisConnection, opts: RedisAdapterOptions = {}) {
    super(nsp, opts);
    this.#conn = conn;
    this.#main = mainChannel(conn.key, nsp.name);
    this.#response = `${conn.key}-response#${nsp.name}#${this.uid}#`;
  }

  override init(): Promise<void> {
    this.#ready = this.#conn.sharded.then(async (sharded) => {
      this.#sharded = sharded;
      const sub = this.#conn.sub;
      if (sharded) await sub.sSubscribe([this.#main, this.#response], this.#listener, true);
      else await sub.subscribe([this.#main, this.#response], this.#listener, true);
      return sharded;
    });
    this.on("create-room", (room) => this.#roomOp(room, "subscribe"));
    this.on("delete-room", (room) => this.#roomOp(room, "unsubscribe"));
    super.init();
    return this.#ready.then(
      () => undefined,
      (err: unknown) => this.#fail(err),
    );
  }

  override async close(): Promise<void> {
    await super.close();
    const sub = this.#conn.sub;
    const rooms = [...this.#roomOps.keys()].map((r) => this.#roomChannel(r));
    const channels = [this.#main, this.#response, ...(this.#sharded ? rooms : [])];
    await (this.#sharded
      ? sub.sUnsubscribe(channels, this.#listener, true)
      : sub.unsubscribe(channels, this.#listener, true)
    ).catch(() => undefined);
    this.#roomOps.clear();
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
    return roomChannel(this.#conn.key, this.nsp.name, room);
  }

  #roomOp(room: Room, op: "subscribe" | "unsubscribe"): void {
    if (looksLikeSocketId(room)) return;
    const prev = this.#roomOps.get(room) ?? this.#ready.then(() => undefined);
    const next = prev.then(async () => {
      if (!this.#sharded) return;
      const channel = this.#roomChannel(room);
      if (op === "subscribe") await this.#conn.sub.sSubscribe(channel, this.#listener, true);
      else await this.#conn.sub.sUnsubscribe(channel, this.#listener, true);
    });
    const settled = next.catch((err: unknown) => this.#fail(err));
    this.#roomOps.set(room, settled);
    if (op === "unsubscribe") {
      void settled.then(() => {
        if (this.#roomOps.get(room) === settled) this.#roomOps.delete(room);
      });
    }
  }

  #fail(err: unknown): void {
    const why = err instanceof Error ? err.message : String(err);
    this.emitReserved(
      "error",
      new TetherError(ClusterErrorCodes.PUBLISH_FAILED, `redis subscribe failed: ${why}`, {
        cause: err,
      }),
    );
  }

  #onBuffer(bytes: Buffer): void {
    const result = decodeClusterMessage(bytes);
    if (!result.ok) {
      this.emitReserved("error", result.error);
      return;
    }
    this.onMessage(result.value);
  }

  protected override async publish(message: ClusterMessage): Promise<void> {
    await this.#ready;
    const command = this.#sharded ? "SPUBLISH" : "PUBLISH";
    const bytes = asBuffer(encodeClusterMessage(message));
    await this.#conn.pub.sendCommand([
      command,
      publishChannel(this.#conn.key, message, this.#sharded),
      bytes,
    ]);
  }

  protected override async publishResponse(uid: string, message: ClusterMessage): Promise<void> {
    await this.#ready;
    const command = this.#sharded ? "SPUBLISH" : "PUBLISH";
    const channel = `${this.#conn.key}-response#${this.nsp.name}#${uid}#`;
    await this.#conn.pub.sendCommand([command, channel, asBuffer(encodeClusterMessage(message))]);
  }
}
