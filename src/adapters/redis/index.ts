/**
 * `tether-io/adapters/redis`: run a cluster over Redis pub/sub, with the call shape and the wire
 * protocols of `@socket.io/redis-adapter` (node-redis v4 clients). Tether nodes and socket.io
 * nodes using the same factory (`createAdapter` or `createShardedAdapter`) and key form one
 * cluster, and `@socket.io/redis-emitter` reaches the clients of both.
 * @example
 * import { createClient } from "redis";
 * import { Server } from "tether-io";
 * import { createAdapter } from "tether-io/adapters/redis";
 * const pubClient = createClient({ url: "redis://localhost:6379" });
 * const subClient = pubClient.duplicate();
 * await Promise.all([pubClient.connect(), subClient.connect()]);
 * const io = new Server(3000, { adapter: createAdapter(pubClient, subClient) });
 */
import type { AdapterHost } from "../../adapter/types.js";
import type { RedisClient, RedisSubscriberClient } from "./client.js";
import { RedisAdapter, type RedisAdapterOptions } from "./redis-adapter.js";
import { ShardedRedisAdapter, type ShardedRedisAdapterOptions } from "./sharded-adapter.js";

export type {
  RedisClient,
  RedisClusterClient,
  RedisCommandClient,
  RedisSubscriberClient,
} from "./client.js";
export { RedisAdapter, type RedisAdapterOptions } from "./redis-adapter.js";
export {
  ShardedRedisAdapter,
  type ShardedRedisAdapterOptions,
  type SubscriptionMode,
} from "./sharded-adapter.js";

/**
 * Returns the adapter factory for `new Server(…, { adapter })`, speaking socket.io's classic Redis
 * protocol (pub/sub with a channel per namespace, any Redis version). Both clients must be
 * connected; `subClient` is used for subscriptions only.
 * @example new Server(3000, { adapter: createAdapter(pubClient, subClient, { key: "chat" }) });
 */
export function createAdapter(
  pubClient: RedisClient,
  subClient: RedisSubscriberClient,
  opts: RedisAdapterOptions = {},
): (nsp: AdapterHost) => RedisAdapter | ShardedRedisAdapter {
  if (opts.sharded) return createShardedAdapter(pubClient, subClient, opts);
  return (nsp) => new RedisAdapter(nsp, pubClient, subClient, opts);
}

/**
 * Returns the adapter factory speaking socket.io's sharded Redis protocol (`SPUBLISH`, Redis ≥ 7;
 * per-room channels, suited to Redis Cluster: pass node-redis `createCluster` clients).
 * @example new Server(3000, { adapter: createShardedAdapter(pubClient, subClient) });
 * @example
 * const pubClient = createCluster({ rootNodes: [{ url: "redis://10.0.0.1:7000" }] });
 * const subClient = pubClient.duplicate();
 * await Promise.all([pubClient.connect(), subClient.connect()]);
 * new Server(3000, { adapter: createShardedAdapter(pubClient, subClient) });
 */
export function createShardedAdapter(
  pubClient: RedisClient,
  subClient: RedisSubscriberClient,
  opts: ShardedRedisAdapterOptions = {},
): (nsp: AdapterHost) => ShardedRedisAdapter {
  return (nsp) => new ShardedRedisAdapter(nsp, pubClient, subClient, opts);
}
export { createRateLimitStore, type RateLimitStoreOptions } from "./rate-limit.js";
