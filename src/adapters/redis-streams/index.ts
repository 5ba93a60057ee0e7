/**
 * `tether-io/adapters/redis-streams`: one Tether cluster over a Redis stream. A short Redis
 * outage loses no packet (readers resume from their last entry id), and connection state
 * recovery works across nodes (sessions stored in Redis with expiry).
 * @example
 * import { createClient } from "redis";
 * import { Server } from "tether-io";
 * import { createAdapter } from "tether-io/adapters/redis-streams";
 * const redis = createClient({ url: "redis://localhost:6379" });
 * await redis.connect();
 * const io = new Server(3000, {
 *   adapter: createAdapter(redis),
 *   connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000 },
 * });
 */
import type { AdapterHost } from "../../adapter/types.js";
import { type RedisDuplicableClient, StreamConnection } from "./stream-connection.js";
import { RedisStreamsAdapter, type RedisStreamsAdapterOptions } from "./streams-adapter.js";

export type { RedisDuplicableClient } from "./stream-connection.js";
export { RedisStreamsAdapter, type RedisStreamsAdapterOptions } from "./streams-adapter.js";

/**
 * Returns the adapter factory for `new Server(…, { adapter })`. `redisClient` must be
 * connected; the adapter duplicates it once for its blocking reads.
 * @example new Server(3000, { adapter: createAdapter(redis, { maxLen: 50_000 }) });
 */
export function createAdapter(
  redisClient: RedisDuplicableClient,
  opts: RedisStreamsAdapterOptions = {},
): (nsp: AdapterHost) => RedisStreamsAdapter {
  const conn = new StreamConnection(redisClient, opts);
  return (nsp) => new RedisStreamsAdapter(nsp, conn, opts);
}
