/**
 * The shared adapter suite on the Redis pub/sub adapter: sharded pub/sub with per-room channels
 * (Redis ≥ 7, the default) and classic pub/sub (forced), each against a private redis-server.
 */
import { adapterSuite } from "./adapter-suite.js";
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
        async close() {
          await set.close();
          await redis.dispose();
        },
      };
    },
  };
}

adapterSuite(redisBackend("Redis pub/sub (sharded, per-room channels)", "redis"));
adapterSuite(redisBackend("Redis pub/sub (classic)", "redis", { SHARDED: "0" }));
