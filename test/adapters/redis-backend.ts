/** Backend descriptors for the Redis adapters: a private redis-server per node set. */
import { type Backend, forkNodes, randomPrefix } from "./harness.js";
import { redisMissing, startRedis } from "./redis-server.js";

/** A Redis-backed backend: a private redis-server per node set, a random key prefix. */
export function redisBackend(
  name: string,
  adapter: "redis" | "redis-streams",
  extraEnv: Record<string, string> = {},
): Backend {
  return {
    name,
    crossNode: true,
    recoveryAcrossNodes: adapter === "redis-streams",
    skip: redisMissing,
    async start(count, env = {}) {
      const redis = await startRedis();
      const vars = { REDIS_URL: redis.url, KEY_PREFIX: randomPrefix(), ...extraEnv, ...env };
      const set = await forkNodes(adapter, count, vars).catch(async (err: unknown) => {
        await redis.dispose();
        throw err;
      });
      return {
        nodes: set.nodes,
        redis,
        async close() {
          await set.close();
          await redis.dispose();
        },
      };
    },
  };
}
