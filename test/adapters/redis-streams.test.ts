/** The shared adapter suite on the Redis Streams adapter, against a private redis-server. */
import { adapterSuite } from "./adapter-suite.js";
import { redisBackend } from "./redis-backend.js";

adapterSuite(redisBackend("Redis Streams", "redis-streams"));
