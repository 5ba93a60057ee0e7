/**
 * Cluster-wide key buckets for `nsp.limit({ key: { store } })`: one Redis hash per key holding
 * a token bucket (`t` tokens, `l` last refill in ms), updated atomically by a Lua script that
 * reads the clock of Redis itself (every node agrees on time). The hash expires once the bucket
 * would be full again, so idle keys cost Redis nothing.
 */
import { createHash } from "node:crypto";
import type { RedisCommandClient } from "./client.js";

// KEYS[1] bucket; ARGV[1] tokens per ms; ARGV[2] burst. Returns 0 (taken) or ms to wait.
const SCRIPT = `
pcall(redis.replicate_commands)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local v = redis.call('HMGET', KEYS[1], 't', 'l')
local tokens = tonumber(v[1]) or burst
local last = tonumber(v[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - last) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate) end
redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'l', string.format('%.17g', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate) + 1000)
return wait
`;
const SHA = createHash("sha1").update(SCRIPT).digest("hex");

/** Options of {@link createRateLimitStore}. */
export interface RateLimitStoreOptions {
  /** Prefix of the Redis keys. @default "tether:rl:" */
  prefix?: string;
}

/**
 * A `RateLimitStore` on Redis (node-redis v4 client, connected; not a subscriber).
 * @example
 * io.of("/chat").limit({
 *   key: { of: (s) => s.data.userId, perSecond: 5, burst: 10, store: createRateLimitStore(pub) },
 * });
 */
export function createRateLimitStore(
  client: RedisCommandClient,
  opts: RateLimitStoreOptions = {},
): { take(key: string, perSecond: number, burst: number): Promise<number> } {
  const prefix = opts.prefix ?? "tether:rl:";
  return {
    async take(key, perSecond, burst) {
      const args = ["1", prefix + key, String(perSecond / 1000), String(burst)];
      let reply: unknown;
      try {
        reply = await client.sendCommand(["EVALSHA", SHA, ...args]);
      } catch (err) {
        // First use on this Redis (or after SCRIPT FLUSH): send the script itself once.
        if (!String((err as Error)?.message).includes("NOSCRIPT")) throw err;
        reply = await client.sendCommand(["EVAL", SCRIPT, ...args]);
      }
      return typeof reply === "number" ? reply : Number(reply);
    },
  };
}
