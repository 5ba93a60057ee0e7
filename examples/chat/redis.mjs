/**
 * Scale-out over Redis (REDIS_URL): two node-redis clients — one to publish, a duplicate to
 * subscribe — and Tether's Redis pub/sub adapter, so several chat processes share rooms.
 */
import { createClient } from "redis";
import { createAdapter } from "tether-io/adapters/redis";

/** Attempts to reach Redis at start before giving up with an error (later outages retry forever). */
const START_ATTEMPTS = 3;

/**
 * @typedef {object} RedisLink
 * @property {ReturnType<typeof createAdapter>} adapter For `new Server(…, { adapter })`.
 * @property {() => Promise<void>} close Closes both clients (after `io.close()`).
 */

/**
 * Connects to `url` and builds the adapter.
 * @param {string} url e.g. `redis://127.0.0.1:6379`
 * @param {(err: unknown) => void} onError Redis connection errors (the clients reconnect by themselves).
 * @returns {Promise<RedisLink>}
 * @example
 * const redis = await connectRedis(process.env.REDIS_URL, console.error);
 * const io = new Server(http, { adapter: redis.adapter });
 */
export async function connectRedis(url, onError) {
  let started = false;
  const pub = createClient({
    url,
    socket: {
      // At start a wrong URL should fail fast with a clear error; once running, ride out outages.
      reconnectStrategy: (retries, cause) =>
        started ? Math.min(100 * 2 ** retries, 3000) : retries >= START_ATTEMPTS ? cause : 200,
    },
  });
  const sub = pub.duplicate();
  /** The last error reported, so an outage is logged once, not on every retry. */
  let lastError = "";
  for (const client of [pub, sub]) {
    client.on("error", (/** @type {unknown} */ err) => {
      const text = err instanceof Error ? err.message : String(err);
      if (started && text !== lastError) onError(new Error(`Redis: ${text}`, { cause: err }));
      lastError = text;
    });
    client.on("ready", () => {
      lastError = "";
    });
  }
  try {
    await Promise.all([pub.connect(), sub.connect()]);
  } catch (err) {
    await Promise.allSettled([pub, sub].map((c) => (c.isOpen ? c.disconnect() : undefined)));
    throw new Error(
      `Cannot connect to Redis at ${url}: ${err instanceof Error ? err.message : err}`,
      {
        cause: err,
      },
    );
  }
  started = true;
  return {
    // A process that dies without a goodbye (kill -9, crash) is declared gone by the others
    // after `heartbeatTimeout`; then its people leave every online list. 3 s instead of the
    // default 10 s, for one small heartbeat per second per process.
    adapter: createAdapter(pub, sub, {
      requestsTimeout: 2000,
      heartbeatInterval: 1000,
      heartbeatTimeout: 3000,
    }),
    async close() {
      // QUIT waits for Redis; while Redis is unreachable it would wait forever, so drop instead.
      await Promise.allSettled(
        [pub, sub].map((c) => (c.isReady ? c.quit() : c.isOpen ? c.disconnect() : undefined)),
      );
    },
  };
}
