/** The Socket.IO server layer. */

export {
  type Contract,
  type ContractClientEvents,
  type ContractEmitEvents,
  type ContractListenEvents,
  type ContractServerEvents,
  defineContract,
  type EventContract,
  isRefusal,
  REFUSAL_EVENT,
  type Refusal,
  type RefusalCode,
  RefusalCodes,
  type RefusalIssue,
} from "../shared/contract.js";
export { BroadcastOperator, RemoteSocket } from "./broadcast-operator.js";
export { Client } from "./client.js";
export type { CloseOptions } from "./drain.js";
export {
  type AckCheck,
  type BucketOptions,
  type ContractOptions,
  type GuardedSocket,
  NamespaceGuard,
  type RateLimitOptions,
  type RateLimitStore,
  RefusalError,
  type RefusalPolicy,
} from "./guard.js";
export type { Handshake, ParsedUrlQuery } from "./handshake.js";
export {
  type ExtendedError,
  Namespace,
  type NamespaceMiddleware,
  type NamespaceReservedEventsMap,
} from "./namespace.js";
export type { ConnectionStateRecoveryOptions, ServerOptions } from "./options.js";
export { ParentNamespace, type ParentNspNameMatchFn } from "./parent-namespace.js";
export {
  PRESENCE_EVENT,
  type PresenceDiff,
  PresenceErrorCodes,
  type PresenceMeta,
  type PresenceOptions,
  type PresenceState,
} from "./presence.js";
export { type AttachableServer, Server } from "./server.js";
export {
  type DisconnectReason,
  type Event,
  Socket,
  type SocketReservedEventsMap,
} from "./socket.js";
export type * from "./typed-events.js";
