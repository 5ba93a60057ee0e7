/**
 * The slice of a node-redis v4 client the Redis adapters use, as structural types, so any
 * compatible client (with modules, scripts, or a test double over a real server) fits.
 */

/** A pub/sub listener in buffer mode. */
export type BufferListener = (message: Buffer, channel: Buffer) => unknown;

/** A client that runs commands (`createClient()` after `connect()`). */
export interface RedisCommandClient {
  sendCommand<T = unknown>(
    args: Array<string | Buffer>,
    options?: { returnBuffers?: boolean },
  ): Promise<T>;
}

/** A client in subscriber mode (`pubClient.duplicate()` after `connect()`). */
export interface RedisSubscriberClient {
  pSubscribe(
    patterns: string | string[],
    listener: BufferListener,
    bufferMode: true,
  ): Promise<void>;
  pUnsubscribe(
    patterns: string | string[],
    listener: BufferListener,
    bufferMode: true,
  ): Promise<void>;
  subscribe(channels: string | string[], listener: BufferListener, bufferMode: true): Promise<void>;
  unsubscribe(
    channels: string | string[],
    listener: BufferListener,
    bufferMode: true,
  ): Promise<void>;
  sSubscribe(
    channels: string | string[],
    listener: BufferListener,
    bufferMode: true,
  ): Promise<void>;
  sUnsubscribe(
    channels: string | string[],
    listener: BufferListener,
    bufferMode: true,
  ): Promise<void>;
}

/**
 * Whether a room name has the length of a socket id (20 characters), as socket.io's sharded
 * adapter decides: such rooms never get their own channel (the one socket in a private room lives
 * on one node, and the publisher cannot tell which), so every node must agree on the rule.
 */
export function looksLikeSocketId(room: string): boolean {
  return room.length === 20;
}

/**
 * The subscriber count of `channel` (`PUBSUB NUMSUB` or `SHARDNUMSUB`): socket.io's Redis adapters
 * count the cluster's nodes this way, so Tether nodes count the same.
 */
export async function countSubscribers(
  client: RedisCommandClient,
  command: "NUMSUB" | "SHARDNUMSUB",
  channel: string,
): Promise<number> {
  const reply = await client.sendCommand<unknown>(["PUBSUB", command, channel]);
  const count = Array.isArray(reply) ? Number(reply[1]) : Number.NaN;
  return Number.isSafeInteger(count) && count >= 0 ? count : 0;
}
