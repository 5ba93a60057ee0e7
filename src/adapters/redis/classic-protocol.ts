/**
 * socket.io's classic Redis adapter protocol (`@socket.io/redis-adapter` `createAdapter`, and
 * `@socket.io/redis-emitter`), mapped to and from Tether's {@link ClusterMessage}.
 *
 * Channels (`key` defaults to `socket.io`):
 *   `<key>#<nsp>#`              broadcasts without acks: msgpack `[uid, packet, opts]`
 *   `<key>#<nsp>#<room>#`       the same, for a broadcast to exactly one room; nodes
 *                               pattern-subscribe `<key>#<nsp>#*` and drop rooms they lack
 *   `<key>-request#<nsp>#`      requests `{ uid, type, requestId?, … }`, JSON or msgpack; the
 *                               subscriber count of this channel is the cluster's node count
 *   `<key>-response#<nsp>#`     responses `{ requestId, … }` (socket.io's default target)
 *   `<key>-response#<nsp>#<uid>#`  responses to node `uid` (every node subscribes its own;
 *                               Tether always answers there)
 *
 * Request types: 0 sockets, 1 all rooms, 2 join, 3 leave, 4 disconnect, 5 fetch, 6 server-side
 * emit, 7 broadcast with acks; response types: 6 server-side emit, 8 client count, 9 ack, none
 * for fetch (`{ requestId, sockets }`). Tether's additions: every message names its sender
 * (`uid`), and heartbeats / node-down travel on the request channel as Tether's own
 * string-typed messages, which socket.io's nodes skip as an unknown request type.
 */
import {
  type ClusterMessage,
  encodeClusterMessage,
  validateClusterMessage,
} from "../../adapter/cluster-message.js";
import { ok, type Result } from "../../shared/errors.js";
import { wireOpts, wirePacket } from "./sio-message.js";
import { decodeJsonOrMsgpack, invalid, isObj, packBuffer, unpack } from "./wire.js";

/** Request and response type numbers of the classic protocol. */
export const ClassicType = {
  SOCKETS: 0,
  ALL_ROOMS: 1,
  REMOTE_JOIN: 2,
  REMOTE_LEAVE: 3,
  REMOTE_DISCONNECT: 4,
  REMOTE_FETCH: 5,
  SERVER_SIDE_EMIT: 6,
  BROADCAST: 7,
  BROADCAST_CLIENT_COUNT: 8,
  BROADCAST_ACK: 9,
} as const;

/** The channels of one namespace. */
export interface ClassicChannels {
  /** Broadcasts without a single room; prefix of the room channels. */
  readonly main: string;
  readonly pattern: string;
  readonly request: string;
  readonly response: string;
  /** Responses to node `uid`. */
  responseTo(uid: string): string;
}

/** The classic channel names of namespace `nsp` under prefix `key`. */
export function classicChannels(key: string, nsp: string): ClassicChannels {
  const main = `${key}#${nsp}#`;
  const response = `${key}-response#${nsp}#`;
  return {
    main,
    pattern: `${main}*`,
    request: `${key}-request#${nsp}#`,
    response,
    responseTo: (uid) => (uid === "" ? response : `${response}${uid}#`),
  };
}

/** Bytes and where to publish them. */
export interface Outgoing {
  readonly channel: string;
  readonly bytes: Buffer;
}

const K = ClassicType;

/**
 * Encodes a message for the classic protocol. Responses go to the requester's own channel
 * (`to`); everything is msgpack, which socket.io's nodes read on every channel.
 */
export function encodeClassic(ch: ClassicChannels, m: ClusterMessage, to?: string): Outgoing {
  const { uid } = m;
  const request = (body: Record<string, unknown>): Outgoing => ({
    channel: ch.request,
    bytes: packBuffer({ uid, ...body }),
  });
  const response = (body: Record<string, unknown>): Outgoing => ({
    channel: ch.responseTo(to ?? ""),
    bytes: packBuffer({ uid, ...body }),
  });
  switch (m.type) {
    case "heartbeat":
    case "node-down":
      return { channel: ch.request, bytes: Buffer.from(encodeClusterMessage(m)) };
    case "broadcast": {
      const packet = wirePacket(m.packet, m.nsp);
      const opts = wireOpts(m.opts);
      if (m.requestId !== undefined) {
        return request({ type: K.BROADCAST, requestId: m.requestId, packet, opts });
      }
      const [room] = m.opts.rooms;
      const channel = m.opts.rooms.length === 1 ? `${ch.main}${room}#` : ch.main;
      return { channel, bytes: packBuffer([uid, packet, opts]) };
    }
    case "sockets-join":
    case "sockets-leave":
      return request({
        type: m.type === "sockets-join" ? K.REMOTE_JOIN : K.REMOTE_LEAVE,
        opts: wireOpts(m.opts),
        rooms: m.rooms,
      });
    case "disconnect-sockets":
      return request({ type: K.REMOTE_DISCONNECT, opts: wireOpts(m.opts), close: m.close });
    case "fetch-sockets":
      return request({ type: K.REMOTE_FETCH, requestId: m.requestId, opts: wireOpts(m.opts) });
    case "server-side-emit":
      return request(
        m.requestId === undefined
          ? { type: K.SERVER_SIDE_EMIT, data: m.args }
          : { type: K.SERVER_SIDE_EMIT, requestId: m.requestId, data: m.args },
      );
    case "fetch-sockets-response":
      return response({ requestId: m.requestId, sockets: m.sockets });
    case "server-side-emit-response":
      return response({ type: K.SERVER_SIDE_EMIT, requestId: m.requestId, data: m.response });
    case "broadcast-client-count":
      return response({
        type: K.BROADCAST_CLIENT_COUNT,
        requestId: m.requestId,
        clientCount: m.count,
      });
    case "broadcast-ack":
      // socket.io carries the first argument of an acknowledgement only.
      return response({ type: K.BROADCAST_ACK, requestId: m.requestId, packet: m.args[0] });
  }
}

/** socket.io's `sockets()` / `allRooms()` query: answered, though Tether never asks it. */
export interface LegacyQuery {
  readonly type: "legacy";
  readonly kind: "sockets" | "all-rooms";
  readonly uid: string;
  readonly requestId: string;
  readonly rooms: readonly string[];
}

/** What a classic decoder found: a message, nothing for Tether (`undefined`), or a legacy query. */
export type ClassicDecoded = ClusterMessage | LegacyQuery | undefined;

/** Decodes a broadcast from the main or a room channel of namespace `nsp`. */
export function decodeClassicBroadcast(bytes: Uint8Array, nsp: string): Result<ClassicDecoded> {
  const result = unpack(bytes);
  if (!result.ok) return result;
  const v = result.value;
  if (!Array.isArray(v) || v.length < 3) return { ok: false, error: invalid("not a broadcast") };
  const [uid, packet, opts] = v as [unknown, unknown, unknown];
  if (!isObj(packet)) return { ok: false, error: invalid("bad broadcast packet") };
  // socket.io's nodes take a packet without `nsp` for the main namespace.
  const target = packet.nsp === undefined ? "/" : packet.nsp;
  if (target !== nsp) return ok(undefined);
  const native = { type: "broadcast", uid, nsp, packet, opts };
  return validateClusterMessage(native, { anonymous: true });
}

/** Decodes a request from the request channel of namespace `nsp`. */
export function decodeClassicRequest(bytes: Uint8Array, nsp: string): Result<ClassicDecoded> {
  const result = decodeJsonOrMsgpack(bytes);
  if (!result.ok) return result;
  const v = result.value;
  if (!isObj(v)) return { ok: false, error: invalid("request is not an object") };
  const { uid, requestId, opts } = v;
  const anonymous = { anonymous: true };
  switch (v.type) {
    case "heartbeat":
    case "node-down":
      // Tether's own liveness messages (socket.io's nodes skip the unknown type).
      return v.nsp === nsp ? validateClusterMessage(v) : ok(undefined);
    case K.SOCKETS:
    case K.ALL_ROOMS: {
      if (typeof requestId !== "string") return { ok: false, error: invalid("bad requestId") };
      const rooms = Array.isArray(v.rooms) ? v.rooms.filter((r) => typeof r === "string") : [];
      const kind = v.type === K.SOCKETS ? "sockets" : "all-rooms";
      return ok({
        type: "legacy",
        kind,
        uid: typeof uid === "string" ? uid : "",
        requestId,
        rooms,
      });
    }
    case K.REMOTE_JOIN:
    case K.REMOTE_LEAVE:
    case K.REMOTE_DISCONNECT: {
      // Without `opts`: socket.io v2's single-socket form, which no v4 node sends.
      if (opts === undefined) return ok(undefined);
      const type =
        v.type === K.REMOTE_JOIN
          ? "sockets-join"
          : v.type === K.REMOTE_LEAVE
            ? "sockets-leave"
            : "disconnect-sockets";
      return validateClusterMessage(
        { type, uid, nsp, opts, rooms: v.rooms, close: v.close },
        anonymous,
      );
    }
    case K.REMOTE_FETCH:
      return validateClusterMessage(
        { type: "fetch-sockets", uid, nsp, opts, requestId },
        anonymous,
      );
    case K.SERVER_SIDE_EMIT:
      return validateClusterMessage(
        { type: "server-side-emit", uid, nsp, args: v.data, requestId },
        anonymous,
      );
    case K.BROADCAST: {
      if (requestId === undefined) return { ok: false, error: invalid("bad requestId") };
      const native = { type: "broadcast", uid, nsp, packet: v.packet, opts, requestId };
      return validateClusterMessage(native, anonymous);
    }
    default:
      return ok(undefined);
  }
}

/** Decodes a response from a response channel of namespace `nsp`. */
export function decodeClassicResponse(bytes: Uint8Array, nsp: string): Result<ClassicDecoded> {
  const result = decodeJsonOrMsgpack(bytes);
  if (!result.ok) return result;
  const v = result.value;
  if (!isObj(v)) return { ok: false, error: invalid("response is not an object") };
  const { uid, requestId } = v;
  const anonymous = { anonymous: true };
  switch (v.type) {
    case K.SERVER_SIDE_EMIT:
      return validateClusterMessage(
        { type: "server-side-emit-response", uid, nsp, requestId, response: v.data },
        anonymous,
      );
    case K.BROADCAST_CLIENT_COUNT:
      return validateClusterMessage(
        { type: "broadcast-client-count", uid, nsp, requestId, count: v.clientCount },
        anonymous,
      );
    case K.BROADCAST_ACK:
      return validateClusterMessage(
        { type: "broadcast-ack", uid, nsp, requestId, args: [v.packet] },
        anonymous,
      );
    case undefined: {
      const sockets = v.sockets;
      // Answers to requests Tether never sends (socket ids, room lists, v2 single-socket ops).
      if (!Array.isArray(sockets) || sockets.some((s) => typeof s === "string")) {
        return ok(undefined);
      }
      return validateClusterMessage(
        { type: "fetch-sockets-response", uid, nsp, requestId, sockets },
        anonymous,
      );
    }
    default:
      return ok(undefined);
  }
}
