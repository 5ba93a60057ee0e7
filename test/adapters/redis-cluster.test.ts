/**
 * The shared adapter suite on a real Redis Cluster (3 masters): Tether's sharded pub/sub adapter
 * (per-room channels spread over the masters), its Redis Streams adapter, and its classic pub/sub
 * adapter (node count summed over the masters), with node-redis `createCluster` clients.
 */
import { adapterSuite } from "./adapter-suite.js";
import { redisClusterBackend } from "./redis-cluster-server.js";

adapterSuite(redisClusterBackend("Redis Cluster, sharded pub/sub", "redis"));
adapterSuite(redisClusterBackend("Redis Cluster, Redis Streams", "redis-streams"));
adapterSuite(redisClusterBackend("Redis Cluster, classic pub/sub", "redis", { SHARDED: "0" }));
