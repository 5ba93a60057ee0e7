/**
 * User-facing event typing, shaped like socket.io's `typed-events` so code written against the
 * upstream generics `<ListenEvents, EmitEvents, ServerSideEvents, SocketData>` compiles unchanged.
 * `any` appears only where upstream's public types use it: an untyped event map must accept
 * listeners with any parameter types.
 */

/**
 * A map of event name → listener signature. An index signature of `any` (as upstream) lets user
 * *interfaces* satisfy the constraint; a `Record` of functions would only accept type aliases.
 */
export interface EventsMap {
  // biome-ignore lint/suspicious/noExplicitAny: see above — the one shape interfaces are assignable to
  [event: string]: any;
}

/** The default, untyped map: any event name with any arguments. */
export interface DefaultEventsMap {
  // biome-ignore lint/suspicious/noExplicitAny: untyped events take any arguments, as upstream
  [event: string]: (...args: any[]) => void;
}

/** Event names of a map. */
export type EventNames<Map extends EventsMap> = keyof Map & string;

/** Parameters of an event in a map. */
export type EventParams<Map extends EventsMap, Ev extends EventNames<Map>> = Parameters<Map[Ev]>;

/** Reserved event names or user event names. */
export type ReservedOrUserEventNames<Reserved extends EventsMap, User extends EventsMap> =
  | EventNames<Reserved>
  | EventNames<User>;

type FallbackToUntypedListener<T> = [T] extends [never]
  ? // biome-ignore lint/suspicious/noExplicitAny: fallback listener type of untyped events, as upstream
    (...args: any[]) => void | Promise<void>
  : T;

/** The listener type for a reserved or user event. */
export type ReservedOrUserListener<
  Reserved extends EventsMap,
  User extends EventsMap,
  Ev extends ReservedOrUserEventNames<Reserved, User>,
> = FallbackToUntypedListener<
  Ev extends EventNames<Reserved> ? Reserved[Ev] : Ev extends EventNames<User> ? User[Ev] : never
>;

/** Last element of a tuple. */
// biome-ignore lint/suspicious/noExplicitAny: tuple helpers follow upstream's definitions
export type Last<T extends any[]> = T extends [...infer _H, infer L] ? L : any;
/** All elements of a tuple but the last. */
// biome-ignore lint/suspicious/noExplicitAny: tuple helpers follow upstream's definitions
export type AllButLast<T extends any[]> = T extends [...infer H, infer _L] ? H : any[];
/** First argument of a function type. */
// biome-ignore lint/suspicious/noExplicitAny: tuple helpers follow upstream's definitions
export type FirstArg<T> = T extends (arg: infer Param) => unknown ? Param : any;
type FirstNonErrorTuple<T extends unknown[]> = T[0] extends Error ? T[1] : T[0];
/** First argument of a callback that is not an Error (the ack's value). */
// biome-ignore lint/suspicious/noExplicitAny: tuple helpers follow upstream's definitions
export type FirstNonErrorArg<T> = T extends (...args: infer Params) => any
  ? FirstNonErrorTuple<Params>
  : // biome-ignore lint/suspicious/noExplicitAny: as upstream
    any;

type IsAny<T> = 0 extends 1 & T ? true : false;

/** Event names whose last parameter is an acknowledgement callback. */
export type EventNamesWithAck<
  Map extends EventsMap,
  K extends EventNames<Map> = EventNames<Map>,
> = {
  [Ev in K]: IsAny<Last<Parameters<Map[Ev]>>> extends true
    ? Ev
    : // biome-ignore lint/suspicious/noExplicitAny: callback detection
      Last<Parameters<Map[Ev]>> extends (...args: any[]) => any
      ? Ev
      : never;
}[K];

/** Event names without an acknowledgement callback. */
export type EventNamesWithoutAck<
  Map extends EventsMap,
  K extends EventNames<Map> = EventNames<Map>,
> = {
  [Ev in K]: IsAny<Last<Parameters<Map[Ev]>>> extends true
    ? Ev
    : // biome-ignore lint/suspicious/noExplicitAny: callback detection
      Last<Parameters<Map[Ev]>> extends (...args: any[]) => any
      ? never
      : Ev;
}[K];

/** Callbacks in a parameter list get a leading `err` (timeout). */
// biome-ignore lint/suspicious/noExplicitAny: mapped tuple, as upstream
export type PrependTimeoutError<T extends any[]> = {
  [K in keyof T]: T[K] extends (...args: infer Params) => infer Result
    ? (err: Error, ...args: Params) => Result
    : T[K];
};

/** Callbacks in a parameter list receive every recipient's response. */
// biome-ignore lint/suspicious/noExplicitAny: mapped tuple, as upstream
export type MultipleResponses<T extends any[]> = {
  [K in keyof T]: T[K] extends (...args: infer Params) => infer Result
    ? (err: Error, responses: Params) => Result
    : T[K];
};

/** `socket.timeout(ms)`: ack callbacks take `(err, ...args)`. */
export type DecorateAcknowledgements<E> = {
  [K in keyof E]: E[K] extends (...args: infer Params) => infer Result
    ? (...args: PrependTimeoutError<Params>) => Result
    : E[K];
};

/** Broadcast with ack: callbacks take `(err, responses[])`. */
export type DecorateAcknowledgementsWithTimeoutAndMultipleResponses<E> = {
  [K in keyof E]: E[K] extends (...args: infer Params) => infer Result
    ? (...args: MultipleResponses<Params>) => Result
    : E[K];
};

// biome-ignore lint/suspicious/noExplicitAny: mapped tuple, as upstream
type ExpectMultipleResponses<T extends any[]> = {
  [K in keyof T]: T[K] extends (err: Error, arg: infer Param) => infer Result
    ? (err: Error, arg: Param[]) => Result
    : T[K];
};

/** An already-timeout-decorated map whose callbacks now receive arrays of responses. */
export type DecorateAcknowledgementsWithMultipleResponses<E> = {
  [K in keyof E]: E[K] extends (...args: infer Params) => infer Result
    ? (...args: ExpectMultipleResponses<Params>) => Result
    : E[K];
};

/** Events without acknowledgement (for `volatile` / cluster-wide emits that cannot ack). */
export type RemoveAcknowledgements<E extends EventsMap> = {
  [K in EventNamesWithoutAck<E>]: E[K];
};

/** Promise value of `emitWithAck` for an event. */
export type AckValue<Map extends EventsMap, Ev extends EventNames<Map>> = FirstNonErrorArg<
  Last<EventParams<Map, Ev>>
>;
