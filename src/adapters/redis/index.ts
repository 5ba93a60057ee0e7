/**
 * `tether-io/adapters/redis`: run one Tether cluster over Redis pub/sub, with the call shape of
 * `@socket.io/redis-adapter` (node-redis v4 clients).
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
import type { RedisCommandClient, RedisSubscriberClient } from "./client.js";
import { RedisAdapter, type RedisAdapterOptions, RedisConnection } from "./redis-adapter.js";

export type { RedisCommandClient, RedisSubscriberClient } from "./client.js";
export { RedisAdapter, type RedisAdapterOptions } from "./redis-adapter.js";

/**
 * Returns the adapter factory for `new Server(…, { adapter })`. Both clients must be connected;
 * `subClient` is used for subscriptions only.
 * @example new Server(3000, { adapter: createAdapter(pubClient, subClient, { key: "chat" }) });
 */
export function createAdapter(
  pubClient: RedisCommandClient,
  subClient: RedisSubscriberClient,
  opts: RedisAdapterOptions = {},
): (nsp: AdapterHost) => RedisAdapter {
  const conn = new RedisConnection(pubClient, subClient, opts);
  return (nsp) => new RedisAdapter(nsp, conn, opts);
}
