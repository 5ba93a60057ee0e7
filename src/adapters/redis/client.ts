/**
 * The slice of a node-redis v4 client the Redis adapters use, as structural types, so any
 * compatible client (with modules, scripts, or a test double over a real server) fits.
 */

import type { ClusterMessage } from "../../adapter/cluster-message.js";

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

/** Whether the Redis server speaks sharded pub/sub (`SPUBLISH`, Redis ≥ 7). */
export async function supportsShardedPubSub(client: RedisCommandClient): Promise<boolean> {
  const info = await client.sendCommand<unknown>(["INFO", "server"]);
  const text = Buffer.isBuffer(info) ? info.toString() : String(info);
  const match = /redis_version:(\d+)/.exec(text);
  return match !== null && Number(match[1]) >= 7;
}

/** A view of msgpack bytes as a Buffer, without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Whether a room name has the shape of a socket id (20 base64url characters). Such private
 * rooms never get their own channel: the one socket in it lives on one node, and the publisher
 * cannot tell which.
 */
export function looksLikeSocketId(room: string): boolean {
  return room.length === 20 && /^[A-Za-z0-9_-]+$/.test(room);
}

/** The namespace's main channel: every message that has no room channel of its own. */
export function mainChannel(key: string, nsp: string): string {
  return `${key}#${nsp}#`;
}

/** A room's own channel (sharded pub/sub only). */
export function roomChannel(key: string, nsp: string, room: string): string {
  return `${mainChannel(key, nsp)}${room}#`;
}

/**
 * Where `message` is published. With sharded pub/sub, a broadcast without acks to exactly one
 * room (not a socket id) goes to that room's channel, so only nodes with members receive it;
 * everything else goes to the namespace's main channel.
 */
export function publishChannel(key: string, message: ClusterMessage, sharded: boolean): string {
  if (!sharded || message.type !== "broadcast" || message.requestId !== undefined) {
    return mainChannel(key, message.nsp);
  }
  const rooms = message.opts.rooms;
  const [room] = rooms;
  if (rooms.length !== 1 || room === undefined || looksLikeSocketId(room)) {
    return mainChannel(key, message.nsp);
  }
  return roomChannel(key, message.nsp, room);
}
