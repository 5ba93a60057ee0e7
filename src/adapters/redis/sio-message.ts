/**
 * The message format of `socket.io-adapter`'s `ClusterAdapter`, spoken by socket.io's sharded
 * Redis adapter and Redis Streams adapter: `{ uid, nsp, type, data }` with a numeric `type`.
 * Tether's {@link ClusterMessage} maps onto it one to one:
 *
 *   1 initial heartbeat   2 heartbeat        3 broadcast (data.requestId: with acks)
 *   4 sockets-join        5 sockets-leave    6 disconnect-sockets
 *   7 fetch-sockets       8 its response     9 server-side-emit (data.requestId: with ack)
 *   10 its response       11 broadcast-client-count   12 broadcast-ack   13 node-down
 *
 * Tether's additions ride in fields socket.io ignores (`opts.flags.latest`). socket.io's nodes
 * ignore unknown types; Tether ignores them too, and validates everything else before use.
 */
import {
  type ClusterMessage,
  type ValidateOptions,
  validateClusterMessage,
  type WireBroadcastOptions,
} from "../../adapter/cluster-message.js";
import { PacketType } from "../../protocol/socket.js";
import { ok, type Result } from "../../shared/errors.js";
import { isObj } from "./wire.js";

/** socket.io-adapter's message type numbers. */
export const SioMessageType = {
  INITIAL_HEARTBEAT: 1,
  HEARTBEAT: 2,
  BROADCAST: 3,
  SOCKETS_JOIN: 4,
  SOCKETS_LEAVE: 5,
  DISCONNECT_SOCKETS: 6,
  FETCH_SOCKETS: 7,
  FETCH_SOCKETS_RESPONSE: 8,
  SERVER_SIDE_EMIT: 9,
  SERVER_SIDE_EMIT_RESPONSE: 10,
  BROADCAST_CLIENT_COUNT: 11,
  BROADCAST_ACK: 12,
  ADAPTER_CLOSE: 13,
} as const;

/** A message in socket.io-adapter's format. */
export interface SioMessage {
  readonly uid: string;
  readonly nsp: string;
  readonly type: number;
  readonly data?: { readonly [key: string]: unknown };
}

const T = SioMessageType;

/** The packet as socket.io nodes expect it: EVENT/ACK types (their encoder adds BINARY_*). */
export function wirePacket(packet: { type: number; data: unknown }, nsp: string) {
  const type =
    packet.type === PacketType.BINARY_EVENT
      ? PacketType.EVENT
      : packet.type === PacketType.BINARY_ACK
        ? PacketType.ACK
        : packet.type;
  return { type, data: packet.data, nsp };
}

/** Broadcast options as socket.io sends them (flags included: its nodes read `volatile`…). */
export function wireOpts(opts: WireBroadcastOptions) {
  return { rooms: opts.rooms, except: opts.except, flags: opts.flags };
}

/** Converts a Tether message to socket.io-adapter's format. */
export function toSioMessage(m: ClusterMessage): SioMessage {
  const { uid, nsp } = m;
  switch (m.type) {
    case "heartbeat":
      return { uid, nsp, type: m.initial ? T.INITIAL_HEARTBEAT : T.HEARTBEAT };
    case "node-down":
      return { uid, nsp, type: T.ADAPTER_CLOSE };
    case "broadcast": {
      const data = { packet: wirePacket(m.packet, nsp), opts: wireOpts(m.opts) };
      return {
        uid,
        nsp,
        type: T.BROADCAST,
        data: m.requestId === undefined ? data : { ...data, requestId: m.requestId },
      };
    }
    case "sockets-join":
    case "sockets-leave":
      return {
        uid,
        nsp,
        type: m.type === "sockets-join" ? T.SOCKETS_JOIN : T.SOCKETS_LEAVE,
        data: { opts: wireOpts(m.opts), rooms: m.rooms },
      };
    case "disconnect-sockets":
      return {
        uid,
        nsp,
        type: T.DISCONNECT_SOCKETS,
        data: { opts: wireOpts(m.opts), close: m.close },
      };
    case "fetch-sockets":
      return {
        uid,
        nsp,
        type: T.FETCH_SOCKETS,
        data: { opts: wireOpts(m.opts), requestId: m.requestId },
      };
    case "fetch-sockets-response":
      return {
        uid,
        nsp,
        type: T.FETCH_SOCKETS_RESPONSE,
        data: { requestId: m.requestId, sockets: m.sockets },
      };
    case "server-side-emit":
      return {
        uid,
        nsp,
        type: T.SERVER_SIDE_EMIT,
        data:
          m.requestId === undefined
            ? { packet: m.args }
            : { packet: m.args, requestId: m.requestId },
      };
    case "server-side-emit-response":
      return {
        uid,
        nsp,
        type: T.SERVER_SIDE_EMIT_RESPONSE,
        data: { requestId: m.requestId, packet: m.response },
      };
    case "broadcast-client-count":
      return {
        uid,
        nsp,
        type: T.BROADCAST_CLIENT_COUNT,
        data: { requestId: m.requestId, clientCount: m.count },
      };
    case "broadcast-ack":
      // socket.io carries the first argument of an acknowledgement only.
      return {
        uid,
        nsp,
        type: T.BROADCAST_ACK,
        data: { requestId: m.requestId, packet: m.args[0] },
      };
  }
}

/**
 * Validates an untrusted value as a socket.io-adapter message and converts it. `undefined`: a
 * well-formed message of a type Tether does not handle (ignored, as socket.io's nodes do).
 */
export function fromSioMessage(
  v: unknown,
  options: ValidateOptions = {},
): Result<ClusterMessage | undefined> {
  if (!isObj(v)) return validateClusterMessage(v, options);
  const { uid, nsp } = v;
  const type = typeof v.type === "string" ? Number(v.type) : v.type;
  const d = isObj(v.data) ? v.data : {};
  const base = { uid, nsp, requestId: d.requestId };
  let native: Record<string, unknown>;
  switch (type) {
    case T.INITIAL_HEARTBEAT:
    case T.HEARTBEAT:
      native = { uid, nsp, type: "heartbeat", initial: type === T.INITIAL_HEARTBEAT };
      break;
    case T.ADAPTER_CLOSE:
      native = { uid, nsp, type: "node-down" };
      break;
    case T.BROADCAST:
      native = { ...base, type: "broadcast", packet: d.packet, opts: d.opts };
      break;
    case T.SOCKETS_JOIN:
    case T.SOCKETS_LEAVE:
      native = {
        uid,
        nsp,
        type: type === T.SOCKETS_JOIN ? "sockets-join" : "sockets-leave",
        opts: d.opts,
        rooms: d.rooms,
      };
      break;
    case T.DISCONNECT_SOCKETS:
      native = { uid, nsp, type: "disconnect-sockets", opts: d.opts, close: d.close };
      break;
    case T.FETCH_SOCKETS:
      native = { ...base, type: "fetch-sockets", opts: d.opts };
      break;
    case T.FETCH_SOCKETS_RESPONSE:
      native = { ...base, type: "fetch-sockets-response", sockets: d.sockets };
      break;
    case T.SERVER_SIDE_EMIT:
      native = { ...base, type: "server-side-emit", args: d.packet };
      break;
    case T.SERVER_SIDE_EMIT_RESPONSE:
      native = { ...base, type: "server-side-emit-response", response: d.packet };
      break;
    case T.BROADCAST_CLIENT_COUNT:
      native = { ...base, type: "broadcast-client-count", count: d.clientCount };
      break;
    case T.BROADCAST_ACK:
      native = { ...base, type: "broadcast-ack", args: [d.packet] };
      break;
    default:
      return ok(undefined);
  }
  return validateClusterMessage(native, options);
}
