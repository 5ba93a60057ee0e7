/**
 * Node sets that own a private server (redis-server, PostgreSQL), and closing the node sets a
 * test started once it ends.
 */
import { afterEach } from "node:test";
import { closeClients, type NodeSet } from "./harness.js";
import { startRedis } from "./redis-server.js";

/**
 * Forks a node set on a private server it owns: the server is disposed if forking fails, and
 * after the nodes when the set closes. `extra` is merged into the set (e.g. its `redis`).
 */
export async function forkOnPrivateServer(
  server: { dispose(): Promise<void> },
  fork: () => Promise<NodeSet>,
  extra: Pick<NodeSet, "redis"> = {},
): Promise<NodeSet> {
  const set = await fork().catch(async (err: unknown) => {
    await server.dispose();
    throw err;
  });
  return {
    ...extra,
    nodes: set.nodes,
    async close() {
      await set.close();
      await server.dispose();
    },
  };
}

/** {@link forkOnPrivateServer} on a fresh private redis-server, whose URL `fork` gets. */
export async function forkOnPrivateRedis(
  fork: (redisUrl: string) => Promise<NodeSet>,
): Promise<NodeSet> {
  const redis = await startRedis();
  return forkOnPrivateServer(redis, () => fork(redis.url), { redis });
}

/**
 * Registers an `afterEach` (in the enclosing describe, or the file) that closes the test
 * clients and every node set passed to the returned function since the last test.
 */
export function closeSetsAfterEach(): (set: NodeSet) => NodeSet {
  const sets = new Set<NodeSet>();
  afterEach(async () => {
    closeClients();
    await Promise.all([...sets].map((s) => s.close()));
    sets.clear();
  });
  return (set) => {
    sets.add(set);
    return set;
  };
}
