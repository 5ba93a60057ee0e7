/**
 * Event contracts, the part both sides share: the contract's shape (Standard Schema validators,
 * https://standardschema.dev), the event maps inferred from it, the refusal object a server sends
 * when it refuses an event, and its error codes. Types and two tiny functions only: a client that
 * imports this module (or `import type`s a contract) bundles no validator.
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";

export type { StandardSchemaV1 };

/** One event of a contract: a schema for its argument list and, when it has an ack, for the ack's value. */
export interface EventContract {
  /** Validates the argument list (an array; e.g. `z.tuple([z.string()])`). */
  readonly args: StandardSchemaV1<readonly unknown[], readonly unknown[]>;
  /** Validates the acknowledgement's value; the event takes an ack callback only if present. */
  readonly ack?: StandardSchemaV1;
}

/** What a namespace accepts from clients and sends to them. */
export interface Contract {
  /** Events clients send (validated on arrival, before any middleware or handler). */
  readonly clientToServer?: { readonly [event: string]: EventContract };
  /** Events the server sends (validated on emit when `validateOutgoing` is on). */
  readonly serverToClient?: { readonly [event: string]: EventContract };
}

/**
 * Declares a contract, keeping its literal type for inference. Identity at run time.
 * @example
 * export const chat = defineContract({
 *   clientToServer: { say: { args: z.tuple([z.string().max(500)]), ack: z.string() } },
 *   serverToClient: { said: { args: z.tuple([z.string(), z.string()]) } },
 * });
 */
export function defineContract<const C extends Contract>(contract: C): C {
  return contract;
}

type In<S> = S extends StandardSchemaV1<infer I, unknown> ? I : never;
type Out<S> = S extends StandardSchemaV1<unknown, infer O> ? O : never;
type Spread<T> = T extends readonly unknown[] ? [...T] : [T];

/** Listener signature for an event received (the schema's output, then the ack callback). */
type Received<E extends EventContract, Reply extends "in" | "out"> = E extends { ack: infer A }
  ? (
      ...args: [
        ...Spread<Out<E["args"]>>,
        ack: (value: Reply extends "in" ? In<A> : Out<A>) => void,
      ]
    ) => void
  : (...args: Spread<Out<E["args"]>>) => void;

/** Emitter signature for an event sent (the schema's input, then the callback for the ack). */
type Sent<E extends EventContract> = E extends { ack: infer A }
  ? (...args: [...Spread<In<E["args"]>>, ack: (value: Out<A>) => void]) => void
  : (...args: Spread<In<E["args"]>>) => void;

type Events<M, Side extends "received" | "sent", Reply extends "in" | "out"> = {
  [K in keyof M & string]: M[K] extends EventContract
    ? Side extends "received"
      ? Received<M[K], Reply>
      : Sent<M[K]>
    : never;
};

type NoEvents = {};

/** The server's listen events (what clients send), as handler signatures. */
export type ContractListenEvents<C extends Contract> = C["clientToServer"] extends object
  ? Events<C["clientToServer"], "received", "in">
  : NoEvents;

/** The server's emit events (what it sends), as emit signatures. */
export type ContractEmitEvents<C extends Contract> = C["serverToClient"] extends object
  ? Events<C["serverToClient"], "sent", "in">
  : NoEvents;

/**
 * The client's listen events (what the server sends), for `Socket<ServerEvents, ClientEvents>`:
 * the contract's, plus `tether:error` carrying refusals of events sent without an ack.
 */
export type ContractServerEvents<C extends Contract> = (C["serverToClient"] extends object
  ? Events<C["serverToClient"], "received", "in">
  : NoEvents) & { "tether:error": (refusal: Refusal) => void };

/** The client's emit events (what it sends), for `Socket<ServerEvents, ClientEvents>`. */
export type ContractClientEvents<C extends Contract> = C["clientToServer"] extends object
  ? Events<C["clientToServer"], "sent", "in">
  : NoEvents;

/** Codes of refused events (the wire `code` of a {@link Refusal}); listed once, never reused. */
export const RefusalCodes = {
  /** The arguments do not match the event's schema (`issues` says where). */
  INVALID_ARGS: "CONTRACT_ERR_INVALID_ARGS",
  /** An acknowledgement's value does not match the event's `ack` schema. */
  INVALID_ACK: "CONTRACT_ERR_INVALID_ACK",
  /** An event the contract does not list, refused in `strict` mode. */
  UNKNOWN_EVENT: "CONTRACT_ERR_UNKNOWN_EVENT",
  /** The schema threw or its promise rejected (the cause stays on the server). */
  VALIDATOR_FAILED: "CONTRACT_ERR_VALIDATOR_FAILED",
  /** Too many events of this socket are waiting for an async schema. */
  TOO_MANY_PENDING: "CONTRACT_ERR_TOO_MANY_PENDING",
  /** Over a rate limit; `retryAfterMs` says when one more event would pass. */
  RATE_LIMITED: "RATE_ERR_LIMITED",
  /** Too many refused events: the server disconnects the socket after sending this. */
  TOO_MANY_REFUSALS: "RATE_ERR_TOO_MANY_REFUSALS",
  /**
   * Never sent: the description (a TetherError) of a connection closed by `connectionRateLimit`,
   * listed here to keep every rate-limit code in one catalog.
   */
  CONNECTION_LIMITED: "RATE_ERR_CONNECTION",
} as const;
export type RefusalCode = (typeof RefusalCodes)[keyof typeof RefusalCodes];

/** One problem found by a schema: where (`path` into the argument list) and what. */
export interface RefusalIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * What the server sends for a refused event: as the ack's only argument when the event had one,
 * otherwise as the argument of the `tether:error` event (see `errorEvent`). Plain JSON, no stack.
 */
export interface Refusal {
  readonly code: RefusalCode;
  readonly message: string;
  /** The refused event's name. */
  readonly event: string;
  /** Validation issues (empty for limits and unknown events). */
  readonly issues: readonly RefusalIssue[];
  /** Rate limits only: milliseconds until the limit would let one more event through. */
  readonly retryAfterMs?: number;
}

/** Default name of the event carrying a {@link Refusal} to a client when the event had no ack. */
export const REFUSAL_EVENT = "tether:error";

/**
 * Whether an ack value (or error event argument) is a server refusal.
 * @example
 * const reply = await socket.emitWithAck("say", text);
 * if (isRefusal(reply)) showError(reply.message);
 */
export function isRefusal(value: unknown): value is Refusal {
  if (typeof value !== "object" || value === null) return false;
  const v = value as { code?: unknown; event?: unknown };
  // Prefix test rather than a Set of the codes: no module-level work, so bundlers drop this
  // module entirely from clients that do not call it.
  return (
    typeof v.code === "string" &&
    (v.code.startsWith("CONTRACT_ERR_") || v.code.startsWith("RATE_ERR_")) &&
    typeof v.event === "string"
  );
}
