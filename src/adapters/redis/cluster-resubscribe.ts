/**
 * A workaround for node-redis v4 on a Redis Cluster (redis/node-redis#2902, fixed in v5): after a
 * master's sharded pub/sub connection drops (the master restarts), node-redis resubscribes all
 * its channels with one `SSUBSCRIBE`. Channels of different slots — nearly always the case, a
 * master owns thousands — make Redis answer CROSSSLOT, node-redis counts that as a failed
 * connection and reconnects, forever: the node never hears those channels again.
 *
 *   sub client error "CROSSSLOT …" ─▶ for each master whose sharded connection is not ready:
 *       copy its channel listeners ─▶ forget the connection (node-redis opens a new one on the
 *       next subscribe) and close it ─▶ subscribe each channel again, one per `SSUBSCRIBE`
 *
 * It reads node-redis v4's cluster internals (`masters[].pubSubClient`, `getPubSubListeners`),
 * checked at run time: with any other client it does nothing.
 */
import type { BufferListener } from "./client.js";

type AnyListener = (message: never, channel: never) => unknown;

/** The listeners node-redis keeps per channel (`{ buffers, strings }`). */
interface ChannelListeners {
  readonly buffers: ReadonlySet<AnyListener>;
  readonly strings: ReadonlySet<AnyListener>;
}

/** A master's sharded pub/sub connection, as node-redis v4 keeps it. */
interface ShardedConnection {
  readonly isReady: boolean;
  getPubSubListeners(type: "SHARDED"): ReadonlyMap<string, ChannelListeners>;
  disconnect(): Promise<void>;
}

interface MasterNode {
  pubSubClient?: unknown;
}

interface ShardedSubscriber {
  readonly masters: readonly MasterNode[];
  sSubscribe(channel: string, listener: BufferListener, bufferMode: boolean): Promise<void>;
}

function isShardedSubscriber(v: unknown): v is ShardedSubscriber {
  const o = v as { masters?: unknown; sSubscribe?: unknown };
  return Array.isArray(o.masters) && typeof o.sSubscribe === "function";
}

function isShardedConnection(v: unknown): v is ShardedConnection {
  if (typeof v !== "object" || v === null) return false;
  const o = v as { isReady?: unknown; getPubSubListeners?: unknown; disconnect?: unknown };
  return (
    typeof o.isReady === "boolean" &&
    typeof o.getPubSubListeners === "function" &&
    typeof o.disconnect === "function"
  );
}

/** Whether `err` is the CROSSSLOT refusal of a batched resubscription. */
export function isCrossSlot(err: Error): boolean {
  return err.message.startsWith("CROSSSLOT");
}

const repairing = new WeakSet<object>();

const RETRY_MS = 250;
const RETRY_FOR_MS = 10_000;

/** Runs `fn` until it resolves, for up to 10 s (a master down too would refuse the connection). */
async function retry(fn: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + RETRY_FOR_MS;
  for (;;) {
    try {
      return await fn();
    } catch {
      if (Date.now() > deadline) return;
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }
}

/**
 * Re-subscribes, one channel per command, the sharded channels of every master connection of
 * `sub` stuck reconnecting. Safe to call often: one repair at a time per client. Resolves once
 * the channels are subscribed again (or the attempt failed: the next CROSSSLOT retries).
 */
export async function repairShardedSubscriptions(sub: unknown): Promise<void> {
  if (!isShardedSubscriber(sub) || repairing.has(sub)) return;
  repairing.add(sub);
  try {
    const resubscribe: Array<{ channel: string; listener: AnyListener; buffers: boolean }> = [];
    for (const master of sub.masters) {
      const conn = master.pubSubClient;
      if (!isShardedConnection(conn) || conn.isReady) continue;
      for (const [channel, listeners] of conn.getPubSubListeners("SHARDED")) {
        for (const listener of listeners.buffers)
          resubscribe.push({ channel, listener, buffers: true });
        for (const listener of listeners.strings) {
          resubscribe.push({ channel, listener, buffers: false });
        }
      }
      master.pubSubClient = undefined;
      await conn.disconnect().catch(() => undefined);
    }
    await Promise.all(
      resubscribe.map(({ channel, listener, buffers }) =>
        retry(() => sub.sSubscribe(channel, listener as BufferListener, buffers)),
      ),
    );
  } finally {
    repairing.delete(sub);
  }
}
