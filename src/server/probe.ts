/**
 * Observability hooks of the Socket.IO layer: what `tether-io/metrics` (Prometheus metrics,
 * OpenTelemetry traces) needs to see and no event shows. A server has no probe unless one is
 * installed (`server._probe`), and every hook site is a property read and a comparison then.
 *
 * Lifecycle the hooks cover (events that do exist — engine `connection`, session `close`,
 * `upgrade`, `packet`, `flush`, `connection_error`, adapter `error` — are listened to instead):
 *
 *   CONNECT ──▶ connect(run) ─┬─ recovery(restored) ─ middlewares ─▶ joined / refused
 *   EVENT ──▶ event(run) ──▶ listeners      emit/broadcast with ack ──▶ ack(fn) ──▶ fn(...)
 *   packet written ──▶ sent(packet)         volatile dropped ──▶ volatileDropped(nsp)
 *   decoder refused input ──▶ decodeError(err)          socket closed ──▶ disconnected(reason)
 */
import type { EngineServer, EngineSocket } from "../engine/index.js";
import type { Packet } from "../protocol/socket.js";
import type { TetherError } from "../shared/errors.js";
import type { Namespace } from "./namespace.js";
import type { Socket } from "./socket.js";

// biome-ignore lint/suspicious/noExplicitAny: a probe watches namespaces of any event typing
type AnyNamespace = Namespace<any, any, any, any>;
// biome-ignore lint/suspicious/noExplicitAny: a probe watches sockets of any event typing
type AnySocket = Socket<any, any, any, any>;

/** Hooks called by the Socket.IO server when a probe is installed (see `tether-io/metrics`). */
export interface ServerProbe {
  /** The server got its Engine.IO server (`attach`, `listen` or `bind`). */
  engineBound(engine: EngineServer): void;
  /**
   * A client asks to join `nsp` (CONNECT). `run` performs the connection (session recovery,
   * middlewares, CONNECT reply) and resolves whether the socket joined; the probe calls it once
   * and returns its promise (a tracer runs it inside the client's trace context).
   */
  connect(
    nsp: AnyNamespace,
    conn: EngineSocket,
    auth: Readonly<Record<string, unknown>>,
    run: () => Promise<boolean>,
  ): Promise<boolean>;
  /** A CONNECT carried a recovery `pid` and `offset`; `restored` tells whether it worked. */
  recovery(nsp: AnyNamespace, restored: boolean): void;
  /**
   * An event from the client is about to reach its listeners: `args` is `[name, ...args]`, the
   * last one the ack function when the client asked for one (the probe may replace it with a
   * wrapper that calls it). `run` calls the listeners; the probe calls it once, synchronously.
   */
  event(socket: AnySocket, args: unknown[], run: () => void): void;
  /**
   * The server expects an acknowledgement from `socket` (an emit or a broadcast with a
   * callback); returns the function to register in place of `fn`. Called with a TetherError
   * `SIO_ERR_ACK_TIMEOUT` first, the wrapper is reporting a timeout.
   */
  ack<F extends (...args: never[]) => void>(socket: AnySocket, fn: F): F;
  /** An acknowledgement expected from a broadcast recipient was given up (timeout). */
  ackAbandoned(socket: AnySocket): void;
  /** A packet was handed to a connection (after the volatile check). */
  sent(packet: Packet): void;
  /** A volatile packet for namespace `nsp` was dropped: its connection could not take it now. */
  volatileDropped(nsp: string): void;
  /** A connection sent input the decoder refused (the connection is then closed). */
  decodeError(error: TetherError): void;
  /** A socket left its namespace. */
  disconnected(socket: AnySocket, reason: string): void;
}
