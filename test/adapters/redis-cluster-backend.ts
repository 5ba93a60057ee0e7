/**
 * Backend descriptors for Tether's Redis adapters on a private Redis Cluster (3 masters, see
 * redis-cluster-server.ts): node-server.ts connects with node-redis `createCluster`.
 */
import { type Backend, forkNodes, type NodeSet, randomPrefix } from "./harness.js";
import {
  type RedisClusterInstance,
  redisClusterMissing,
  startRedisCluster,
} from "./redis-cluster-server.js";

/** The nodes of a Redis Cluster backend, and the cluster they run on. */
export interface ClusterNodeSet extends NodeSet {
  readonly cluster: RedisClusterInstance;
  readonly keyPrefix: string;
}

/** Starts a Redis Cluster and `count` Tether nodes on it (`adapter`: sharded or Streams). */
export async function startClusterNodes(
  adapter: "redis" | "redis-streams",
  count: number,
  env: Record<string, string> = {},
): Promise<ClusterNodeSet> {
  const cluster = await startRedisCluster(3);
  const keyPrefix = randomPrefix();
  const vars = { REDIS_CLUSTER: cluster.urls, KEY_PREFIX: keyPrefix, ...env };
  const set = await forkNodes(adapter, count, vars).catch(async (err: unknown) => {
    await cluster.dispose();
    throw err;
  });
  return {
    nodes: set.nodes,
    cluster,
    keyPrefix,
    async close() {
      await set.close();
      await cluster.dispose();
    },
  };
}

/** A backend for the shared adapter suite: Tether nodes on a private Redis Cluster. */
export function redisClusterBackend(name: string, adapter: "redis" | "redis-streams"): Backend {
  return {
    name,
    crossNode: true,
    recoveryAcrossNodes: adapter === "redis-streams",
    skip: redisClusterMissing,
    start: (count, env = {}) => startClusterNodes(adapter, count, env),
  };
}
