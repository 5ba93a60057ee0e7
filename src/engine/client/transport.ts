/**
 * The interface every client transport implements, and the handler through which a transport
 * reports to its owner (the engine socket, or an upgrade probe) — plain callbacks, no events.
 */
import type { EnginePacket, TransportName } from "../../protocol/engine.js";
import { TetherError } from "../../shared/errors.js";

/** Callbacks a transport calls on its owner. */
export interface TransportHandler {
  /** The transport is connected (websocket open / first poll started). */
  onOpen(): void;
  onPacket(packet: EnginePacket): void;
  /** Everything passed to `send()` has been written. */
  onDrain(): void;
  onError(error: TransportError): void;
  /** The underlying connection closed (not after `close()`). */
  onClose(description?: unknown): void;
}

/** A client transport. */
export interface ClientTransport {
  readonly name: TransportName;
  /** True when `send()` may be called. */
  readonly writable: boolean;
  /** Where reports go; replaced when a probed transport becomes the engine's transport. */
  handler: TransportHandler;
  /** Session id, set once the handshake is known (polling adds it to every request). */
  sid: string | undefined;
  open(): void;
  send(packets: readonly EnginePacket[]): void;
  /** Stops polling after the requests in flight (upgrade); resolves once paused. */
  pause(onPaused: () => void): void;
  /** Sends a close where the protocol has one, then releases every resource. */
  close(): void;
  /** Stops reporting to the handler and releases resources without a close packet. */
  destroy(): void;
}

/** A transport-level failure (`xhr poll error`, `websocket error`, …), as upstream names it. */
export class TransportError extends TetherError {
  readonly type = "TransportError";
  constructor(
    reason: string,
    readonly description?: unknown,
    readonly context?: unknown,
  ) {
    super("EIO_ERR_TRANSPORT", reason);
  }
}
