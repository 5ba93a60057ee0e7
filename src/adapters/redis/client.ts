/**
 * The slice of a node-redis v4 client the Redis adapters use, as structural types, so any
 * compatible client (with modules, scripts, or a test double over a real server) fits.
 */

/**
 * A pub/sub listener. Subscriptions are made in buffer mode, so both arguments are Buffers; the
 * signature accepts strings too because node-redis types a Redis Cluster's `unsubscribe` listener
 * that way (see {@link asBuffer}).
 */
export type BufferListener = <T extends Buffer | string>(message: T, channel: T) => unknown;

/** The bytes of a pub/sub argument (always a Buffer in buffer mode). */
export function asBuffer(v: Buffer | string): Buffer {
  return typeof v === "string" ? Buffer.from(v) : v;
}

/** A client that runs commands (`createClient()` after `connect()`). */
export interface RedisCommandClient {
  sendCommand<T = unknown>(
    args: Array<string | Buffer>,
    options?: { returnBuffers?: boolean },
  ): Promise<T>;
}

/** A client in subscriber mode (`pubClient.duplicate()` after `connect()`). */
export interface RedisSubscriberClient {
  pSubscribe(
    patterns: string | string[],
    listener: BufferListener,
    bufferMode: true,
  ): Promise<void>;
  pUnsubscribe(
    patterns: string | string[],
    listener: BufferListener,
    bufferMode: true,
  ): Promise<void>;
  subscribe(channels: string | string[], listener: BufferListener, bufferMode: true): Promise<void>;
  unsubscribe(
    channels: string | string[],
    listener: BufferListener,
    bufferMode: true,
  ): Promise<void>;
  sSubscribe(
    channels: string | string[],
    listener: BufferListener,
    bufferMode: true,
  ): Promise<void>;
  sUnsubscribe(
    channels: string | string[],
    listener: BufferListener,
    bufferMode: true,
  ): Promise<void>;
}

/**
 * Whether a room name has the length of a socket id (20 characters), as socket.io's sharded
 * adapter decides: such rooms never get their own channel (the one socket in a private room lives
 * on one node, and the publisher cannot tell which), so every node must agree on the rule.
 */
export function looksLikeSocketId(room: string): boolean {
  return room.length === 20;
}

/** A node of a Redis Cluster, as node-redis v4 lists them (`cluster.masters`). */
export interface RedisClusterNode {
  readonly address: string;
}

/**
 * A node-redis v4 Redis Cluster (`createCluster()` after `connect()`): commands are routed to the
 * master owning their first key's slot, and `nodeClient` reaches one node.
 */
export interface RedisClusterClient {
  readonly masters: readonly RedisClusterNode[];
  readonly replicas: readonly RedisClusterNode[];
  sendCommand<T = unknown>(
    firstKey: string | Buffer | undefined,
    isReadonly: boolean | undefined,
    args: Array<string | Buffer>,
    options?: { returnBuffers?: boolean },
  ): Promise<T>;
  nodeClient(node: RedisClusterNode): RedisCommandClient | Promise<RedisCommandClient>;
}

/** A single Redis (or a proxy) or a Redis Cluster. */
export type RedisClient = RedisCommandClient | RedisClusterClient;

/** Whether `client` is a node-redis Redis Cluster (it lists its masters). */
export function isCluster(client: RedisClient): client is RedisClusterClient {
  return Array.isArray((client as { masters?: unknown }).masters);
}

/**
 * Runs `args` where `key` lives: on a Redis Cluster, on the master owning `key`'s slot (for a
 * channel name, the shard that serves it); on a single Redis, on the client.
 */
export function sendTo<T = unknown>(
  client: RedisClient,
  key: string,
  args: Array<string | Buffer>,
  options?: { returnBuffers?: boolean },
): Promise<T> {
  if (isCluster(client)) return client.sendCommand<T>(key, false, args, options);
  return options ? client.sendCommand<T>(args, options) : client.sendCommand<T>(args);
}

function parseCount(reply: unknown): number {
  const count = Array.isArray(reply) ? Number(reply[1]) : Number.NaN;
  return Number.isSafeInteger(count) && count >= 0 ? count : 0;
}

/**
 * The subscriber count of `channel` across the deployment, as socket.io's Redis adapters count
 * the cluster's nodes (so Tether nodes count the same). Where Redis keeps the count:
 *   single Redis      its `PUBSUB NUMSUB` / `SHARDNUMSUB`
 *   Cluster, NUMSUB   each node counts the subscribers connected to it (classic pub/sub is
 *                     broadcast over the cluster bus): the sum over every node
 *   Cluster, SHARDNUMSUB  sharded subscriptions live on the shard owning the channel's slot
 *                     (other masters answer 0): asked there, so a master that is down elsewhere
 *                     does not fail the count
 */
export async function countSubscribers(
  client: RedisClient,
  command: "NUMSUB" | "SHARDNUMSUB",
  channel: string,
): Promise<number> {
  const args = ["PUBSUB", command, channel];
  if (!isCluster(client) || command === "SHARDNUMSUB") {
    return parseCount(await sendTo(client, channel, args));
  }
  const counts = await Promise.all(
    [...client.masters, ...client.replicas].map(async (node) =>
      parseCount(await (await client.nodeClient(node)).sendCommand(args)),
    ),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/** Something with Node's emitter `on`/`off` (a node-redis client or cluster). */
interface ErrorSource {
  on(event: "error", fn: (err: Error) => void): unknown;
  off(event: "error", fn: (err: Error) => void): unknown;
}

function isErrorSource(v: unknown): v is ErrorSource {
  const o = v as { on?: unknown; off?: unknown };
  return typeof o.on === "function" && typeof o.off === "function";
}

/** Per client: its one `error` listener, and the adapters that listener reports to. */
interface Relay {
  readonly listener: (err: Error) => void;
  readonly reports: Set<(err: Error) => void>;
}
const relays = new WeakMap<ErrorSource, Relay>();

/**
 * Calls `report` with every `error` event of `clients` (a lost connection, a master down and
 * reconnecting: node-redis queues commands meanwhile, so no command fails and the event is the
 * only sign of the outage). Each client gets one listener however many namespaces watch it,
 * removed when the last one stops. Returns the function that stops watching.
 */
export function watchErrors(clients: readonly unknown[], report: (err: Error) => void): () => void {
  const sources = [...new Set(clients)].filter(isErrorSource);
  for (const s of sources) {
    let relay = relays.get(s);
    if (relay === undefined) {
      const reports = new Set<(err: Error) => void>();
      relay = {
        reports,
        listener: (err) => {
          for (const r of reports) r(err);
        },
      };
      relays.set(s, relay);
      s.on("error", relay.listener);
    }
    relay.reports.add(report);
  }
  return () => {
    for (const s of sources) {
      const relay = relays.get(s);
      if (!relay?.reports.delete(report) || relay.reports.size > 0) continue;
      s.off("error", relay.listener);
      relays.delete(s);
    }
  };
}
