/**
 * The cluster messages the emitter publishes and the channels it publishes them on. The emitter
 * layer may not import the adapter layer, so this file restates the subset of
 * `src/adapter/cluster-message.ts` it sends, field for field; `test/adapters/emitter.test.ts`
 * checks that the adapter's decoder accepts every message built here.
 */
import { encode } from "@msgpack/msgpack";

/** Broadcast options on the wire. */
export interface WireOptions {
  readonly rooms: readonly string[];
  readonly except: readonly string[];
  readonly flags: { readonly volatile?: boolean; readonly compress?: boolean };
}

interface Base {
  readonly uid: string;
  readonly nsp: string;
}

/** The messages an emitter sends (no requests: an emitter cannot receive responses). */
export type EmitterMessage =
  | (Base & {
      readonly type: "broadcast";
      readonly opts: WireOptions;
      readonly packet: { readonly type: 2; readonly data: unknown[] };
    })
  | (Base & {
      readonly type: "sockets-join" | "sockets-leave";
      readonly opts: WireOptions;
      readonly rooms: string[];
    })
  | (Base & {
      readonly type: "disconnect-sockets";
      readonly opts: WireOptions;
      readonly close: boolean;
    })
  | (Base & { readonly type: "server-side-emit"; readonly args: unknown[] });

/** msgpack bytes of `message`, as a Buffer for node-redis. */
export function encodeMessage(message: EmitterMessage): Buffer {
  const bytes = encode(message, { ignoreUndefined: true });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Same rule as the Redis adapter: a 20-char base64url room is a socket id (no own channel). */
function looksLikeSocketId(room: string): boolean {
  return room.length === 20 && /^[A-Za-z0-9_-]+$/.test(room);
}

/** The channel the Redis adapter listens on for `message` (see src/adapters/redis). */
export function channelFor(key: string, message: EmitterMessage, sharded: boolean): string {
  const main = `${key}#${message.nsp}#`;
  if (!sharded || message.type !== "broadcast") return main;
  const [room] = message.opts.rooms;
  if (message.opts.rooms.length !== 1 || room === undefined || looksLikeSocketId(room)) return main;
  return `${main}${room}#`;
}
