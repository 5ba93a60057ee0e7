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

/**
 * Error given to `connect_error`: `data` is what the server middleware attached
 * (`err.data = …`), `any` as in socket.io-client 4.8.4 so that `err.data.reason` compiles.
 */
export interface ExtendedError extends Error {
  // biome-ignore lint/suspicious/noExplicitAny: user-facing, as upstream's ExtendedError
  data?: any;
}

/** Former name of {@link ExtendedError}. */
export type ConnectError = ExtendedError;

/** Events the client socket emits itself. */
export interface SocketReservedEvents {
  connect: () => void;
  connect_error: (err: ExtendedError) => void;
  disconnect: (reason: DisconnectReason, description?: DisconnectDescription) => void;
}

/** What `on()` accepts: the user's listen events plus the reserved ones. */
export type ListenMap<L extends EventsMap> = Omit<L, keyof SocketReservedEvents> &
  SocketReservedEvents;

/** Whether `T` is `any` (untyped maps and listeners). */
type IsAny<T> = 0 extends 1 & T ? true : false;

/** The last element of a tuple; `any` when there is none (as upstream). */
// biome-ignore lint/suspicious/noExplicitAny: upstream's result for lists without a last element
export type Last<T extends unknown[]> = T extends [...unknown[], infer L] ? L : any;

/** A tuple without its last element; an open-ended list stays `any[]` (as upstream). */
// biome-ignore lint/suspicious/noExplicitAny: upstream's result for open-ended lists
export type AllButLast<T extends unknown[]> = T extends [...infer H, unknown] ? H : any[];

/**
 * A callback given the leading timeout error: `(err: Error, ...args)`. Left as is when it is
 * untyped, or already takes an `Error` first (so `timeout()` twice adds one error, not two).
 */
type WithTimeoutError<F> = IsAny<F> extends true
  ? F
  : [F] extends [(...args: infer A) => infer R]
    ? A extends [Error, ...unknown[]]
      ? F
      : (err: Error, ...args: A) => R
    : F;

/** Gives the acknowledgement callbacks of a parameter list the leading timeout error. */
export type PrependErrorToAck<P extends unknown[]> = { [I in keyof P]: WithTimeoutError<P[I]> };

/**
 * The map of events as seen through `timeout()`: acknowledgements receive an error first.
 * @example socket.timeout(1000).emit("question", (err, answer) => {});
 */
export type DecorateAcknowledgements<E> = {
  [K in keyof E]: E[K] extends (...args: infer P) => infer R
    ? (...args: PrependErrorToAck<P>) => R
    : E[K];
};

/**
 * Arguments of `emitWithAck`: the event's parameters without the last one (the callback slot),
 * as upstream; any arguments on an untyped map.
 */
export type EmitWithAckArgs<E extends EventsMap, K extends EventNames<E>> = AllButLast<
  EventParams<E, K>
>;

/**
 * What `emitWithAck` resolves to: the value the acknowledgement receives — its first
 * parameter, or its second when the first is the timeout `Error` (after `timeout()`). `any`
 * when the event is untyped or its last parameter is not a callback.
 */
export type AckResult<E extends EventsMap, K extends EventNames<E>> = AckValue<
  Last<EventParams<E, K>>
>;

type AckValue<F> = IsAny<F> extends true
  ? // biome-ignore lint/suspicious/noExplicitAny: untyped acknowledgement, as upstream
    any
  : F extends (...args: infer A) => unknown
    ? IsAny<A[0]> extends true
      ? A[0]
      : A extends [Error, ...unknown[]]
        ? A[1]
        : A[0]
    : // biome-ignore lint/suspicious/noExplicitAny: not a callback: any value, as upstream
      any;
