/**
 * Request verification and the two ways a refused request is answered (upstream's exact shapes):
 * JSON `{code, message}` with 400/403 for HTTP requests, a raw `HTTP/1.1 400` for upgrades.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import {
  type ErrorCode,
  ErrorCodes,
  ErrorMessages,
  errorStatus,
  type TransportName,
} from "../../protocol/engine.js";

/** A refused request: the numeric code and what upstream reports as the event's `context`. */
export interface RequestError {
  readonly code: ErrorCode;
  readonly context: Readonly<Record<string, unknown>>;
}

/** What verification needs to know about a session. */
export interface KnownSession {
  readonly transport: { readonly name: TransportName };
}

/** Parses the query of a request URL (never throws). */
export function parseQuery(url: string | undefined): URLSearchParams {
  const i = url === undefined ? -1 : url.indexOf("?");
  return new URLSearchParams(i === -1 || url === undefined ? "" : url.slice(i + 1));
}

// Characters not allowed in a header value (RFC 7230 field-value).
const INVALID_HEADER_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * The synchronous part of upstream's `verify`: transport, origin, sid/transport consistency and
 * handshake method. `allowRequest` runs afterwards, for handshakes only.
 */
export function checkRequest(
  req: Pick<IncomingMessage, "headers" | "method">,
  query: URLSearchParams,
  upgrade: boolean,
  transports: readonly TransportName[],
  sessions: ReadonlyMap<string, KnownSession>,
): RequestError | undefined {
  const transport = query.get("transport");
  if (transport === null || !(transports as readonly string[]).includes(transport)) {
    return { code: ErrorCodes.UNKNOWN_TRANSPORT, context: { transport } };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && INVALID_HEADER_CHAR.test(origin)) {
    return { code: ErrorCodes.BAD_REQUEST, context: { name: "INVALID_ORIGIN", origin } };
  }
  const sid = query.get("sid");
  if (sid !== null) {
    const session = sessions.get(sid);
    if (session === undefined) return { code: ErrorCodes.UNKNOWN_SID, context: { sid } };
    const previousTransport = session.transport.name;
    if (!upgrade && previousTransport !== transport) {
      return {
        code: ErrorCodes.BAD_REQUEST,
        context: { name: "TRANSPORT_MISMATCH", transport, previousTransport },
      };
    }
    return undefined;
  }
  if (req.method !== "GET") {
    return { code: ErrorCodes.BAD_HANDSHAKE_METHOD, context: { method: req.method } };
  }
  if (transport === "websocket" && !upgrade) {
    return { code: ErrorCodes.BAD_REQUEST, context: { name: "TRANSPORT_HANDSHAKE_ERROR" } };
  }
  return undefined;
}

/** The message a refusal carries: the context's `message` (allowRequest) or the catalog text. */
export function errorMessage(err: RequestError): string {
  const m = err.context.message;
  return typeof m === "string" && m.length > 0 ? m : ErrorMessages[err.code];
}

/** Answers a refused HTTP request: JSON body, status from {@link errorStatus}. */
export function abortRequest(res: ServerResponse, err: RequestError): void {
  if (res.headersSent || res.writableEnded) return;
  const status = errorStatus(err.code);
  // A refusal for being busy or draining also gives up the connection, so that a retry through a
  // TCP load balancer can reach another node rather than reuse this keep-alive connection.
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (status === 429 || status === 503) headers.Connection = "close";
  res.writeHead(status, headers);
  res.end(JSON.stringify({ code: err.code, message: errorMessage(err) }));
}

const STATUS_LINES: Readonly<Record<number, string>> = {
  400: "400 Bad Request",
  403: "403 Forbidden",
  429: "429 Too Many Requests",
  503: "503 Service Unavailable",
};

/**
 * Answers a refused upgrade with a raw HTTP response (400 as upstream; 403/429/503 for Tether's
 * own refusals) and destroys the socket.
 */
export function abortUpgrade(socket: Duplex, err: RequestError): void {
  if (socket.writable) {
    const message = errorMessage(err);
    const status = errorStatus(err.code);
    // Upstream answers every refused upgrade with 400; only Tether's limits use other codes.
    const line = STATUS_LINES[status === 403 ? 400 : status] ?? STATUS_LINES[400];
    socket.write(
      `HTTP/1.1 ${line}\r\n` +
        "Connection: close\r\n" +
        "Content-type: text/html\r\n" +
        `Content-Length: ${Buffer.byteLength(message)}\r\n` +
        "\r\n" +
        message,
    );
  }
  socket.destroy();
}
