/**
 * Mixed clusters: Tether nodes and official socket.io nodes (the `socket.io` package with
 * socket.io's own Redis adapter) on one private redis-server and one key, as one cluster. Each
 * flavour pairs a Tether adapter with the official adapter whose protocol it speaks.
 */
import {
  type Backend,
  forkMixedNodes,
  type NodeSpec,
  randomPrefix,
  SIO_NODE_SCRIPT,
} from "./harness.js";
import { forkOnPrivateRedis } from "./node-sets.js";
import { redisMissing } from "./redis-server.js";

/** Which of socket.io's Redis protocols the cluster speaks. */
export type Flavour = "classic" | "sharded" | "streams";

const TETHER: Record<Flavour, NodeSpec> = {
  classic: { backend: "redis" },
  sharded: { backend: "redis" },
  streams: { backend: "redis-streams" },
};

const OFFICIAL: Record<Flavour, NodeSpec> = {
  classic: { backend: "official-redis", script: SIO_NODE_SCRIPT },
  sharded: { backend: "official-redis-sharded", script: SIO_NODE_SCRIPT },
  streams: { backend: "official-redis-streams", script: SIO_NODE_SCRIPT },
};

/**
 * A mixed node set: `layout` has one letter per node, `T` for Tether and `O` for official
 * socket.io (e.g. "TOT": node0 and node2 are Tether nodes).
 */
export function mixedSpecs(flavour: Flavour, layout: string): NodeSpec[] {
  return [...layout].map((c) => (c === "O" ? OFFICIAL[flavour] : TETHER[flavour]));
}

/** The environment every node of a mixed set gets. */
export function mixedEnv(flavour: Flavour): { KEY_PREFIX: string; SHARDED: string } {
  // SHARDED picks Tether's protocol (node-server.ts); the official nodes ignore it.
  return { KEY_PREFIX: randomPrefix(), SHARDED: flavour === "classic" ? "0" : "1" };
}

const NAMES: Record<Flavour, string> = {
  classic: "classic pub/sub",
  sharded: "sharded pub/sub",
  streams: "Redis Streams",
};

/** A backend of mixed nodes for the shared adapter suite. */
export function mixedBackend(flavour: Flavour, layout: string): Backend {
  const who = [...layout].map((c) => (c === "O" ? "socket.io" : "Tether")).join(" + ");
  return {
    name: `mixed ${NAMES[flavour]} cluster (${who})`,
    crossNode: true,
    recoveryAcrossNodes: flavour === "streams",
    skip: redisMissing,
    async start(count, env = {}) {
      if (count !== layout.length) throw new Error(`layout ${layout} has ${layout.length} nodes`);
      return forkOnPrivateRedis((url) =>
        forkMixedNodes(mixedSpecs(flavour, layout), {
          REDIS_URL: url,
          ...mixedEnv(flavour),
          ...env,
        }),
      );
    },
  };
}
