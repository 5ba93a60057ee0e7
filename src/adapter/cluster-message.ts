/**
 * The inter-node protocol of cluster adapters: one discriminated union of messages, their
 * msgpack encoding (binary-safe: `Uint8Array` payloads travel as msgpack `bin`) and a decoder
 * that validates untrusted bytes into a message and never throws.
 *
 * Every message carries the sender's node id (`uid`) and the namespace it concerns (`nsp`).
 * Requests carry a `requestId`; the answering node sends its response to the requester only
 * (`publishResponse`), tagged with the same id.
 *
 *   node A                      transport                      node B, C …
 *   fetch-sockets {requestId} ──────────────────────────────▶  local fetchSockets
 *   collect until every live node answered      ◀── fetch-sockets-response {requestId}
 *   or requestsTimeout, or the node is dropped
 */
import { PacketType, type PacketTypeValue, RESERVED_EVENTS } from "../protocol/socket.js";
import { fail, ok, type Result, TetherError } from "../shared/errors.js";
import { pack, unpackValue } from "./msgpack.js";

/** Stable error codes of cluster adapters; each used for one meaning. */
export const ClusterErrorCodes = {
  /** Bytes from the transport are not a valid cluster message. */
  INVALID_MESSAGE: "ADAPTER_ERR_INVALID_MESSAGE",
  /** Some nodes did not answer a request (`serverSideEmit` with ack) in time. */
  REQUEST_TIMEOUT: "ADAPTER_ERR_REQUEST_TIMEOUT",
  /** The transport failed to publish a message. */
  PUBLISH_FAILED: "ADAPTER_ERR_PUBLISH_FAILED",
} as const;

/** Message type names. */
export const ClusterMessageType = {
  HEARTBEAT: "heartbeat",
  NODE_DOWN: "node-down",
  BROADCAST: "broadcast",
  BROADCAST_CLIENT_COUNT: "broadcast-client-count",
  BROADCAST_ACK: "broadcast-ack",
  SOCKETS_JOIN: "sockets-join",
  SOCKETS_LEAVE: "sockets-leave",
  DISCONNECT_SOCKETS: "disconnect-sockets",
  FETCH_SOCKETS: "fetch-sockets",
  FETCH_SOCKETS_RESPONSE: "fetch-sockets-response",
  SERVER_SIDE_EMIT: "server-side-emit",
  SERVER_SIDE_EMIT_RESPONSE: "server-side-emit-response",
} as const;

/** A message type name. */
export type ClusterMessageTypeName = (typeof ClusterMessageType)[keyof typeof ClusterMessageType];

/** Broadcast options as they travel: rooms as arrays, only the flags that matter remotely. */
export interface WireBroadcastOptions {
  readonly rooms: readonly string[];
  readonly except: readonly string[];
  readonly flags: Readonly<WireFlags>;
}

/** The broadcast flags that travel (built field by field, then frozen in the options' type). */
export interface WireFlags {
  volatile?: boolean;
  compress?: boolean;
  latest?: string | true;
  /** Milliseconds the origin waits for acks (broadcast with ack and `timeout()`). */
  timeout?: number;
}

/** A packet as it travels (its namespace is the message's). */
export interface WirePacket {
  readonly type: PacketTypeValue;
  readonly data: unknown;
}

/** A socket as described in a `fetch-sockets-response`. */
export interface WireSocket {
  readonly id: string;
  readonly handshake: unknown;
  readonly rooms: readonly string[];
  readonly data: unknown;
}

interface Base<T extends ClusterMessageTypeName> {
  readonly type: T;
  /**
   * Sender node id. `""` (see {@link ANONYMOUS_UID}) when the sender does not name itself: a
   * socket.io emitter's request, or a response from socket.io's classic Redis adapter.
   */
  readonly uid: string;
  /** Namespace name. */
  readonly nsp: string;
}

/** Every message exchanged between nodes. */
export type ClusterMessage =
  | (Base<"heartbeat"> & { readonly initial: boolean })
  | Base<"node-down">
  | (Base<"broadcast"> & {
      readonly packet: WirePacket;
      readonly opts: WireBroadcastOptions;
      /** Present when the sender collects acks (broadcast with ack). */
      readonly requestId?: string;
    })
  | (Base<"broadcast-client-count"> & { readonly requestId: string; readonly count: number })
  | (Base<"broadcast-ack"> & { readonly requestId: string; readonly args: readonly unknown[] })
  | (Base<"sockets-join"> & {
      readonly opts: WireBroadcastOptions;
      readonly rooms: readonly string[];
    })
  | (Base<"sockets-leave"> & {
      readonly opts: WireBroadcastOptions;
      readonly rooms: readonly string[];
    })
  | (Base<"disconnect-sockets"> & { readonly opts: WireBroadcastOptions; readonly close: boolean })
  | (Base<"fetch-sockets"> & { readonly opts: WireBroadcastOptions; readonly requestId: string })
  | (Base<"fetch-sockets-response"> & {
      readonly requestId: string;
      readonly sockets: readonly WireSocket[];
    })
  | (Base<"server-side-emit"> & { readonly args: readonly unknown[]; readonly requestId?: string })
  | (Base<"server-side-emit-response"> & {
      readonly requestId: string;
      readonly response: unknown;
    });

/** The message of type `T`. */
export type ClusterMessageOf<T extends ClusterMessageTypeName> = Extract<
  ClusterMessage,
  { type: T }
>;

/**
 * The `uid` of a message whose sender did not name itself. Such a message is never taken for a
 * live node's (no heartbeat bookkeeping) and answers requests only as an uncounted peer.
 */
export const ANONYMOUS_UID = "";

/** Options of {@link validateClusterMessage}. */
export interface ValidateOptions {
  /** Accept messages without a sender id (`uid` becomes {@link ANONYMOUS_UID}). @default false */
  readonly anonymous?: boolean;
}

/** Encodes a message to msgpack bytes. */
export function encodeClusterMessage(message: ClusterMessage): Uint8Array {
  return pack(message);
}

/** Decodes and validates msgpack bytes from the transport. Never throws. */
export function decodeClusterMessage(bytes: Uint8Array): Result<ClusterMessage> {
  const value = unpackValue(bytes);
  if (!value.ok) return fail(invalid(`not msgpack: ${value.error.message}`));
  return validateClusterMessage(value.value);
}

function invalid(why: string): TetherError {
  return new TetherError(ClusterErrorCodes.INVALID_MESSAGE, `invalid cluster message: ${why}`);
}

type Obj = { readonly [key: string]: unknown };

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

function isStr(v: unknown): v is string {
  return typeof v === "string";
}

function isStrArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every(isStr);
}

/**
 * Whether a broadcast packet from another node is an event clients may receive: EVENT or
 * BINARY_EVENT, `[name, ...args]` with a string or numeric name that is not one of the client's
 * own events (a foreign node could otherwise fake `connect`, or disconnect everyone with a
 * DISCONNECT packet). Every node only ever broadcasts such events.
 */
function validBroadcastPacket(p: unknown): WirePacket | undefined {
  if (!isObj(p) || (p.type !== PacketType.EVENT && p.type !== PacketType.BINARY_EVENT)) {
    return undefined;
  }
  const data = p.data;
  if (!Array.isArray(data) || data.length === 0) return undefined;
  const ev: unknown = data[0];
  if (typeof ev !== "string" && typeof ev !== "number") return undefined;
  if (typeof ev === "string" && RESERVED_EVENTS.has(ev)) return undefined;
  return { type: p.type, data };
}

/** Longest ack timeout taken from the wire (a day): a longer one is clamped, an invalid one ignored. */
const MAX_WIRE_TIMEOUT = 86_400_000;

function validOpts(v: unknown): WireBroadcastOptions | undefined {
  if (!isObj(v) || !isStrArray(v.rooms) || !isStrArray(v.except)) return undefined;
  const f = v.flags;
  if (f !== undefined && !isObj(f)) return undefined;
  const flags: WireFlags = {};
  if (f?.volatile === true) flags.volatile = true;
  if (f?.latest === true || typeof f?.latest === "string") flags.latest = f.latest;
  if (typeof f?.compress === "boolean") flags.compress = f.compress;
  if (typeof f?.timeout === "number" && f.timeout >= 0) {
    flags.timeout = Math.min(f.timeout, MAX_WIRE_TIMEOUT);
  }
  return { rooms: v.rooms, except: v.except, flags };
}

function validSocket(v: unknown): WireSocket | undefined {
  if (!isObj(v) || !isStr(v.id) || !isStrArray(v.rooms)) return undefined;
  return { id: v.id, handshake: v.handshake, rooms: v.rooms, data: v.data };
}

/** Checks that an unknown value (decoded from the transport) is a {@link ClusterMessage}. */
export function validateClusterMessage(
  v: unknown,
  options: ValidateOptions = {},
): Result<ClusterMessage> {
  if (!isObj(v)) return fail(invalid("not an object"));
  const { type, nsp } = v;
  const uid = options.anonymous && v.uid === undefined ? ANONYMOUS_UID : v.uid;
  if (!isStr(uid) || (uid === ANONYMOUS_UID && !options.anonymous))
    return fail(invalid("missing uid"));
  if (!isStr(nsp) || !nsp.startsWith("/")) return fail(invalid("bad nsp"));
  const requestId = v.requestId;
  const hasRequestId = isStr(requestId);
  switch (type) {
    case "heartbeat":
      return ok({ type, uid, nsp, initial: v.initial === true });
    case "node-down":
      return ok({ type, uid, nsp });
    case "broadcast": {
      const opts = validOpts(v.opts);
      const packet = validBroadcastPacket(v.packet);
      if (!opts || !packet) return fail(invalid("bad broadcast"));
      if (requestId !== undefined && !hasRequestId) return fail(invalid("bad requestId"));
      return ok(
        hasRequestId
          ? { type, uid, nsp, packet, opts, requestId }
          : { type, uid, nsp, packet, opts },
      );
    }
    case "broadcast-client-count": {
      const count = v.count;
      if (!hasRequestId || typeof count !== "number" || !Number.isSafeInteger(count) || count < 0)
        return fail(invalid("bad client count"));
      return ok({ type, uid, nsp, requestId, count });
    }
    case "broadcast-ack":
      if (!hasRequestId || !Array.isArray(v.args)) return fail(invalid("bad ack"));
      return ok({ type, uid, nsp, requestId, args: v.args });
    case "sockets-join":
    case "sockets-leave": {
      const opts = validOpts(v.opts);
      if (!opts || !isStrArray(v.rooms)) return fail(invalid(`bad ${type}`));
      return ok({ type, uid, nsp, opts, rooms: v.rooms });
    }
    case "disconnect-sockets": {
      const opts = validOpts(v.opts);
      if (!opts) return fail(invalid("bad disconnect-sockets"));
      return ok({ type, uid, nsp, opts, close: v.close === true });
    }
    case "fetch-sockets": {
      const opts = validOpts(v.opts);
      if (!opts || !hasRequestId) return fail(invalid("bad fetch-sockets"));
      return ok({ type, uid, nsp, opts, requestId });
    }
    case "fetch-sockets-response": {
      if (!hasRequestId || !Array.isArray(v.sockets)) return fail(invalid("bad fetch response"));
      const sockets: WireSocket[] = [];
      for (const s of v.sockets as unknown[]) {
        const socket = validSocket(s);
        if (!socket) return fail(invalid("bad socket in fetch response"));
        sockets.push(socket);
      }
      return ok({ type, uid, nsp, requestId, sockets });
    }
    case "server-side-emit":
      if (!Array.isArray(v.args) || !isStr(v.args[0])) return fail(invalid("bad server-side-emit"));
      if (requestId !== undefined && !hasRequestId) return fail(invalid("bad requestId"));
      return ok(
        hasRequestId
          ? { type, uid, nsp, args: v.args, requestId }
          : { type, uid, nsp, args: v.args },
      );
    case "server-side-emit-response":
      if (!hasRequestId) return fail(invalid("bad server-side-emit response"));
      return ok({ type, uid, nsp, requestId, response: v.response });
    default:
      return fail(invalid(`unknown type ${String(type)}`));
  }
}
