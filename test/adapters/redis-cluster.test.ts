/**
 * The shared adapter suite on a real Redis Cluster (3 masters): Tether's sharded pub/sub adapter
 * (per-room channels spread over the masters) and its Redis Streams adapter, with node-redis
 * `createCluster` clients.
 */
import { adapterSuite } from "./adapter-suite.js";
import { redisClusterBackend } from "./redis-cluster-server.js";

adapterSuite(redisClusterBackend("Redis Cluster, sharded pub/sub", "redis"));
adapterSuite(redisClusterBackend("Redis Cluster, Redis Streams", "redis-streams"));
