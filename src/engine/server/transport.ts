/**
 * The interface between a session and its transports. A transport reports to its owner through
 * these methods (no per-session event listeners); the owner tells the current transport apart
 * from an upgrade probe by identity.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { EnginePacket, TransportName } from "../../protocol/engine.js";
import type { TetherError } from "../../shared/errors.js";
import type { OutboundPacket } from "./outbound.js";

/** What a session exposes to its transports. */
export interface TransportOwner {
  /** A decoded packet arrived. */
  onTransportPacket(transport: ServerTransport, packet: EnginePacket): void;
  /** Input could not be decoded (closes the session with `parse error`). */
  onTransportParseError(transport: ServerTransport, error: TetherError): void;
  /** The transport became writable (polling: a GET arrived). */
  onTransportReady(transport: ServerTransport): void;
  /** Everything handed to `send` has been written. */
  onTransportDrain(transport: ServerTransport): void;
  /** The transport failed (closes the session with `transport error`). */
  onTransportError(transport: ServerTransport, error: TetherError): void;
  /** The transport closed (closes the session with `transport close`, or completes a close). */
  onTransportClose(transport: ServerTransport): void;
  /** Lets the server add headers (events, cookie) to a polling response. */
  decorateHeaders(req: IncomingMessage, headers: Record<string, string | string[]>): void;
  /** Largest accepted polling body in bytes. */
  readonly maxPayload: number;
  /** Polling responses at least this long are compressed; `false` disables compression. */
  readonly compressionThreshold: number | false;
}

/** One transport of one session. */
export interface ServerTransport {
  readonly name: TransportName;
  /** Whether `send` may be called now. */
  readonly writable: boolean;
  /** Bytes handed to the transport and not yet written to the socket. */
  readonly bufferedAmount: number;
  /** The connection the transport owns for the session's life (WebSocket), else undefined. */
  readonly socket: Duplex | undefined;
  /** Writes packets (polling: as one payload on the pending GET; WebSocket: one frame each). */
  send(packets: readonly OutboundPacket[], compress: boolean): void;
  /**
   * Closes gracefully: polling writes a `close` packet (now, or on the next GET), WebSocket closes
   * the socket. Reports `onTransportClose` when done.
   */
  close(): void;
  /**
   * Tears down at once without reporting to the owner. A pending polling GET is answered with
   * `close` when `closing` (session closed) or `noop` otherwise (session upgraded away). With
   * `destroy`, a WebSocket's connection is destroyed instead of closed with a handshake (the
   * client stopped reading; buffered frames are dropped).
   */
  discard(closing: boolean, destroy?: boolean): void;
}
