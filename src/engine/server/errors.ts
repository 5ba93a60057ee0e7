/**
 * Engine server error catalog: every code listed once, never reused.
 * HTTP-level refusals use the numeric codes of `ErrorCodes` (src/protocol/engine.ts);
 * these string codes describe why a session closed with `transport error` / `parse error`.
 */
import { TetherError } from "../../shared/errors.js";

export const EngineServerErrors = {
  /** A second GET arrived while one was pending. */
  POLL_OVERLAP: "EIO_ERR_POLL_OVERLAP",
  /** A second POST arrived while one was being read. */
  POST_OVERLAP: "EIO_ERR_POST_OVERLAP",
  /** The client went away while a GET was pending. */
  POLL_ABORTED: "EIO_ERR_POLL_ABORTED",
  /** The client went away while its POST body was being read. */
  POST_ABORTED: "EIO_ERR_POST_ABORTED",
  /** A polling body or WebSocket message exceeded `maxHttpBufferSize`. */
  PAYLOAD_TOO_LARGE: "EIO_ERR_PAYLOAD_TOO_LARGE",
  /** A v4 POST declared `Content-Type: application/octet-stream`. */
  INVALID_CONTENT: "EIO_ERR_INVALID_CONTENT",
  /** A v4 client sent a ping (servers ping in v4). */
  HEARTBEAT_DIRECTION: "EIO_ERR_HEARTBEAT_DIRECTION",
  /** The WebSocket reported an error (bad frame, oversize message, socket error). */
  WEBSOCKET: "EIO_ERR_WEBSOCKET",
  /** Writing to the transport failed. */
  WRITE_FAILED: "EIO_ERR_WRITE_FAILED",
  /** The outgoing buffer reached `backpressure.maxBufferedBytes` / `maxBufferedPackets`. */
  BUFFER_FULL: "EIO_ERR_BUFFER_FULL",
  /** Polling requests over `pollingRateLimit`. */
  RATE_LIMITED: "EIO_ERR_RATE_LIMITED",
} as const;
export type EngineServerErrorCode = (typeof EngineServerErrors)[keyof typeof EngineServerErrors];

/** Builds the error given as the `description` of a session close. */
export function engineError(
  code: EngineServerErrorCode,
  message: string,
  cause?: unknown,
): TetherError {
  return new TetherError(code, message, cause === undefined ? undefined : { cause });
}
