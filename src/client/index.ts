/**
 * Tether's Socket.IO client, API-compatible with `socket.io-client`: switch by changing the
 * import. Browser-safe (the browser bundles are built from this entry).
 */
import { SOCKET_PROTOCOL } from "../protocol/socket.js";
import type { Contract, ContractClientEvents, ContractServerEvents } from "../shared/contract.js";
import { Manager, type ManagerOptions } from "./manager.js";
import type { Socket, SocketOptions } from "./socket.js";
import type { DefaultEventsMap, EventsMap } from "./types.js";
import { parseUrl } from "./url.js";

const cache = new Map<string, Manager>();

/**
 * Returns a socket for the namespace in `uri` (default: the page's origin, namespace `/`),
 * reusing one Manager per origin+path unless `forceNew` or `multiplex: false`.
 * @example
 * const socket = io("https://example.com/chat", { auth: { token: "abc" } });
 * socket.on("connect", () => console.log(socket.id));
 */
export function io<L extends EventsMap = DefaultEventsMap, E extends EventsMap = L>(
  uri?: string | (Partial<ManagerOptions> & SocketOptions),
  opts?: Partial<ManagerOptions> & SocketOptions,
): Socket<L, E> {
  if (typeof uri === "object") {
    opts = uri;
    uri = undefined;
  }
  const o = opts ?? {};
  const { origin, nsp, search } = parseUrl(uri);
  const id = origin + (o.path ?? "/socket.io");
  const cached = cache.get(id);
  // A namespace already open on the cached Manager gets a new connection, as upstream.
  const shared = !(o.forceNew || o.multiplex === false || cached?.nsps.has(nsp));
  const manager = (shared && cached) || new Manager(origin + search, o);
  if (shared) cache.set(id, manager);
  return manager.socket(nsp, o) as unknown as Socket<L, E>;
}

/** Socket.IO protocol revision. */
export const protocol = SOCKET_PROTOCOL;

export { io as connect, io as lookup };
export default io;
export {
  type Contract,
  type ContractClientEvents,
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
export {
  Manager,
  type ManagerEvents,
  type ManagerEvents as ManagerReservedEvents,
  type ManagerOptions,
  managerDefaults,
} from "./manager.js";
export {
  Presence,
  type PresenceDiff,
  type PresenceEntry,
  type PresenceEvents,
  type PresenceJoinCallback,
  type PresenceLeaveCallback,
  type PresenceMeta,
  type PresenceSocket,
  type PresenceState,
} from "./presence.js";
export {
  type AnyEventListener,
  type AuthData,
  Socket,
  type SocketOptions,
  type SocketState,
} from "./socket.js";
export type {
  AckResult,
  ConnectError,
  DecorateAcknowledgements,
  DefaultEventsMap,
  DisconnectDescription,
  DisconnectReason,
  EmitWithAckArgs,
  EventNames,
  EventParams,
  EventsMap,
  ExtendedError,
  ListenMap,
  SocketReservedEvents,
} from "./types.js";

/**
 * A client socket typed from a contract shared with the server (`import type` it: no validator
 * is bundled).
 * @example
 * import type { chat } from "../shared/contract.js";
 * const socket: ContractSocket<typeof chat> = io("/chat");
 */
export type ContractSocket<C extends Contract> = Socket<
  ContractServerEvents<C>,
  ContractClientEvents<C>
>;
