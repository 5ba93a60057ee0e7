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

// ---- parameter-list helpers ------------------------------------------------------------------

type IsAny<T> = 0 extends 1 & T ? true : false;

/**
 * The last parameter of a list: the element type of an open-ended list (`any` for `any[]`), and
 * `never` for an empty one.
 */
export type Last<T extends readonly unknown[]> = T extends readonly [...unknown[], infer L]
  ? L
  : T extends readonly (infer E)[]
    ? E
    : never;
/** All parameters but the last (an open-ended list stays open). */
// biome-ignore lint/suspicious/noExplicitAny: an open-ended list keeps upstream's `any[]`
export type AllButLast<T extends any[]> = T extends [...infer H, infer _L] ? H : any[];
/** First argument of a function type. */
// biome-ignore lint/suspicious/noExplicitAny: tuple helpers follow upstream's definitions
export type FirstArg<T> = T extends (arg: infer Param) => unknown ? Param : any;
/**
 * The value an acknowledgement callback receives: its first parameter, or its second when the
 * first is the timeout `Error` added by `timeout()`.
 */
export type FirstNonErrorArg<T> = T extends (...args: infer Params) => unknown
  ? Params[0] extends Error
    ? Params[1]
    : Params[0]
  : // biome-ignore lint/suspicious/noExplicitAny: not a callback (untyped event): any value
    any;

// ---- acknowledgement classification ----------------------------------------------------------

/**
 * Whether a callback already takes the leading timeout error. A first parameter of type `any`
 * could be either, so both forms are accepted (`boolean`), as upstream.
 */
type TakesTimeoutError<F> = F extends (...args: infer A) => unknown
  ? IsAny<A[0]> extends true
    ? boolean
    : A extends readonly [Error, ...unknown[]]
      ? true
      : false
  : false;

/** `Then` if `Condition` holds, `Else` if not, both for `boolean`. */
type Either<Condition extends boolean, Then, Else> = Condition extends true ? Then : Else;

/**
 * How a listener signature ends, which decides the emit methods an event is allowed on:
 * - `"untyped"`: the signature or its last parameter is `any` (default maps): every method;
 * - `"none"`: no parameters, or the last one is not a function: `emit` only (broadcasts too);
 * - `"ack"`: the last parameter is an acknowledgement callback: `emit` and `emitWithAck`;
 * - `"timed"`: an acknowledgement whose first parameter is the timeout `Error`, as after
 *   `timeout()`: what a broadcast's `emitWithAck` requires, since only a deadline ends it.
 */
type AckShape<F> = IsAny<F> extends true
  ? "untyped"
  : F extends (...args: infer P) => unknown
    ? IsAny<Last<P>> extends true
      ? "untyped"
      : P extends readonly []
        ? "none"
        : // biome-ignore lint/suspicious/noExplicitAny: matches any callback signature
          Last<P> extends (...args: any[]) => unknown
          ? true extends TakesTimeoutError<Last<P>>
            ? "timed"
            : "ack"
          : "none"
    : "none";

/**
 * The names in `K` whose listener signature in `Map` has one of the given shapes. As upstream, a
 * single untyped listener among them makes every name qualify: the map no longer says which
 * events take an acknowledgement, so code written against it must keep compiling.
 */
type NamesShaped<Map extends EventsMap, K extends EventNames<Map>, Shape> = true extends {
  [Ev in K]: AckShape<Map[Ev]> extends "untyped" ? true : false;
}[K]
  ? K
  : { [Ev in K]: AckShape<Map[Ev]> extends Shape ? Ev : never }[K];

/** Event names whose last parameter is an acknowledgement callback (`emitWithAck` targets). */
export type EventNamesWithAck<
  Map extends EventsMap,
  K extends EventNames<Map> = EventNames<Map>,
> = NamesShaped<Map, K, "ack" | "timed" | "untyped">;

/** Event names without an acknowledgement callback (what a plain broadcast may send). */
export type EventNamesWithoutAck<
  Map extends EventsMap,
  K extends EventNames<Map> = EventNames<Map>,
> = NamesShaped<Map, K, "none" | "untyped">;

/**
 * Event names whose acknowledgement takes a leading timeout `Error`: the events a broadcast's
 * `emitWithAck` accepts, i.e. none until `timeout()` was applied.
 */
export type EventNamesWithError<
  Map extends EventsMap,
  K extends EventNames<Map> = EventNames<Map>,
> = NamesShaped<Map, K, "timed" | "untyped">;

/** The events of a map that carry no acknowledgement. */
export type RemoveAcknowledgements<E extends EventsMap> = {
  [K in EventNamesWithoutAck<E>]: E[K];
};

// ---- acknowledgement decoration ----------------------------------------------------------------
// The sender of an event with an ack does not always see the callback the receiver calls:
// `timeout()` adds a leading error, and a broadcast collects one response per recipient.

// A parameter is decorated when its whole type is a function: an optional callback (`cb?: …`) is
// left as declared, as upstream.

/** A callback given a leading timeout error (unchanged if it already has one). */
type WithTimeoutError<F> = IsAny<F> extends true
  ? F
  : [F] extends [(...args: infer A) => infer R]
    ? Either<TakesTimeoutError<F>, F, (err: Error, ...args: A) => R>
    : F;

/**
 * A callback given, instead of one client's arguments, an array of every client's first argument
 * (after the timeout error, if any). A callback whose arguments are an open list takes anything.
 */
type WithResponseArray<F> = IsAny<F> extends true
  ? F
  : [F] extends [(...args: infer A) => infer R]
    ? A extends readonly [Error, ...infer Rest]
      ? (err: Error, ...responses: ResponseArrays<Rest>) => R
      : (...responses: ResponseArrays<A>) => R
    : F;

/** One client's arguments → the array of every client's first argument. */
type ResponseArrays<A extends readonly unknown[]> = A extends readonly []
  ? []
  : A extends readonly [infer First, ...unknown[]]
    ? [responses: First[]]
    : // biome-ignore lint/suspicious/noExplicitAny: an open or optional list: untyped, as upstream
      any[];

/** Applies `WithTimeoutError` to the callbacks of a parameter list. */
// biome-ignore lint/suspicious/noExplicitAny: a homomorphic map over any parameter list
export type PrependTimeoutError<T extends any[]> = {
  [K in keyof T]: WithTimeoutError<T[K]>;
};

/** Applies `WithResponseArray` to the callbacks of a parameter list. */
// biome-ignore lint/suspicious/noExplicitAny: a homomorphic map over any parameter list
export type MultipleResponses<T extends any[]> = {
  [K in keyof T]: WithResponseArray<T[K]>;
};

/**
 * `socket.timeout(ms)`: acknowledgements take `(err, ...args)`.
 * @example socket.timeout(1000).emit("question", (err, answer) => {});
 */
export type DecorateAcknowledgements<E> = {
  [K in keyof E]: E[K] extends (...args: infer Params) => infer Result
    ? (...args: PrependTimeoutError<Params>) => Result
    : E[K];
};

/**
 * A broadcast (`io.to(room)`, `socket.broadcast` …): acknowledgements receive an array with
 * one response per recipient (a timeout error first if there is one).
 * @example io.to("room").timeout(1000).emit("question", (err, answers) => {});
 */
export type DecorateAcknowledgementsWithMultipleResponses<E> = {
  [K in keyof E]: E[K] extends (...args: infer Params) => infer Result
    ? (...args: MultipleResponses<Params>) => Result
    : E[K];
};

/**
 * Both at once: `(err, responses[])` — broadcasts with a timeout, and `serverSideEmit` (one
 * response per other server).
 */
export type DecorateAcknowledgementsWithTimeoutAndMultipleResponses<E> = {
  [K in keyof E]: E[K] extends (...args: infer Params) => infer Result
    ? (...args: MultipleResponses<PrependTimeoutError<Params>>) => Result
    : E[K];
};

/** Promise value of `emitWithAck` for an event: the value its acknowledgement receives. */
export type AckValue<Map extends EventsMap, Ev extends EventNames<Map>> = FirstNonErrorArg<
  Last<EventParams<Map, Ev>>
>;

/**
 * Arguments of `send()` / `write()`, which emit `message`: its parameters, any arguments on an
 * untyped map, and none accepted when a typed map has no `message` event.
 */
export type MessageArgs<Map extends EventsMap> = Parameters<Map["message" & keyof Map]>;
