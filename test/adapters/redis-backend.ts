/** Backend descriptors for the Redis adapters: a private redis-server per node set. */
import { type Backend, forkNodes, randomPrefix } from "./harness.js";
import { forkOnPrivateRedis } from "./node-sets.js";
import { redisMissing } from "./redis-server.js";

/**
 * Nodes of node-server.ts's `backend` on a private redis-server per node set, a random key
 * prefix, `extraEnv` under the environment each start passes.
 */
export function privateRedisBackend(
  name: string,
  backend: string,
  recoveryAcrossNodes: boolean,
  extraEnv: Record<string, string> = {},
): Backend {
  return {
    name,
    crossNode: true,
    recoveryAcrossNodes,
    skip: redisMissing,
    start: (count, env = {}) =>
      forkOnPrivateRedis((url) =>
        forkNodes(backend, count, {
          REDIS_URL: url,
          KEY_PREFIX: randomPrefix(),
          ...extraEnv,
          ...env,
        }),
      ),
  };
}

/** A Redis-backed backend: a private redis-server per node set, a random key prefix. */
export function redisBackend(
  name: string,
  adapter: "redis" | "redis-streams",
  extraEnv: Record<string, string> = {},
): Backend {
  return privateRedisBackend(name, adapter, adapter === "redis-streams", extraEnv);
}
