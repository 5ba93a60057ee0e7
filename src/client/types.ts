/**
 * User-facing types of the Socket.IO client: event maps and the helpers that type
 * acknowledgements for `emit`, `timeout().emit` and `emitWithAck`, as in `socket.io-client`.
 */
/**
 * A map of event names to listener signatures. An index signature of `any` (as upstream's)
 * so that user *interfaces* satisfy it, not only type aliases.
 */
export interface EventsMap {
  // biome-ignore lint/suspicious/noExplicitAny: the one type that interfaces are assignable to
  [event: string]: any;
}

/** The map used when no event types are given: any event, any arguments. */
// biome-ignore lint/suspicious/noExplicitAny: user-facing default, as upstream's DefaultEventsMap
export type DefaultEventsMap = Record<string, (...args: any[]) => void>;

/** Event names of a map. */
export type EventNames<M extends EventsMap> = keyof M & string;

/** Parameters of one event of a map. */
export type EventParams<M extends EventsMap, K extends EventNames<M>> = Parameters<M[K]>;

/** Why a client socket disconnected (upstream's strings). */
export type DisconnectReason =
  | "io server disconnect"
  | "io client disconnect"
  | "ping timeout"
  | "transport close"
  | "transport error"
  | "parse error";

/** Extra information passed with `disconnect` when the transport failed. */
export type DisconnectDescription = Error | { description: string; context?: unknown } | unknown;

/** Error given to `connect_error`; `data` is what the server middleware attached. */
export interface ConnectError extends Error {
  data?: unknown;
}

/** Events the client socket emits itself. */
export interface SocketReservedEvents {
  connect: () => void;
  connect_error: (err: ConnectError) => void;
  disconnect: (reason: DisconnectReason, description?: DisconnectDescription) => void;
}

/** What `on()` accepts: the user's listen events plus the reserved ones. */
export type ListenMap<L extends EventsMap> = Omit<L, keyof SocketReservedEvents> &
  SocketReservedEvents;

type Fn = (...args: never[]) => unknown;

/** The last element of a tuple. */
export type Last<T extends unknown[]> = T extends [...unknown[], infer L] ? L : never;

/** A tuple without its last element. */
export type AllButLast<T extends unknown[]> = T extends [...infer H, unknown] ? H : never;

/** Prepends `err: Error` to the ack callback (the last parameter) of an event signature. */
export type PrependErrorToAck<P extends unknown[]> = P extends [...infer H, infer L]
  ? L extends (...args: infer A) => infer R
    ? [...H, (err: Error, ...args: A) => R]
    : P
  : P;

/** The map of events as seen through `timeout()` / `retries`: acks receive an error first. */
export type DecorateAcknowledgements<E extends EventsMap> = {
  [K in keyof E]: E[K] extends (...args: infer P) => infer R
    ? (...args: PrependErrorToAck<P>) => R
    : E[K];
};

/** True for a fixed-length tuple, false for `T[]` (e.g. the default `any[]` parameters). */
type IsTuple<P extends unknown[]> = number extends P["length"] ? false : true;

/** Arguments of `emitWithAck`: the event's parameters without the ack callback. */
export type EmitWithAckArgs<E extends EventsMap, K extends EventNames<E>> = IsTuple<
  EventParams<E, K>
> extends false
  ? EventParams<E, K>
  : Last<EventParams<E, K>> extends Fn
    ? AllButLast<EventParams<E, K>>
    : EventParams<E, K>;

/** What `emitWithAck` resolves to: the first argument of the event's ack callback. */
export type AckResult<E extends EventsMap, K extends EventNames<E>> = IsTuple<
  EventParams<E, K>
> extends false
  ? unknown
  : Last<EventParams<E, K>> extends (arg: infer A, ...rest: never[]) => unknown
    ? A
    : unknown;
