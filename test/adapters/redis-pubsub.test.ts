/**
 * The shared adapter suite on the Redis pub/sub adapter: sharded pub/sub with per-room channels
 * (Redis ≥ 7, the default) and classic pub/sub (forced), each against a private redis-server.
 */
import { adapterSuite } from "./adapter-suite.js";
import { redisBackend } from "./redis-backend.js";

adapterSuite(redisBackend("Redis pub/sub (sharded, per-room channels)", "redis"));
adapterSuite(redisBackend("Redis pub/sub (classic)", "redis", { SHARDED: "0" }));
