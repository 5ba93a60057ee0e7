/** The handshake details of a socket, as upstream exposes them on `socket.handshake`. */
import type { IncomingHttpHeaders } from "node:http";
import type { HandshakeRequestInfo } from "../engine/server/socket.js";

/** Parsed query string: a repeated key becomes an array, as Node's `querystring` does. */
export type ParsedUrlQuery = Record<string, string | string[] | undefined>;

/** What `socket.handshake` holds. */
export interface Handshake {
  /** Headers of the first HTTP request of the connection. */
  headers: IncomingHttpHeaders;
  /** Date of creation, as `Date.prototype.toString()`. */
  time: string;
  /** Remote IP address. */
  address: string;
  /** Whether the connection is cross-domain (an `Origin` header was sent). */
  xdomain: boolean;
  /** Whether the connection is over TLS. */
  secure: boolean;
  /** Date of creation, as milliseconds since the epoch. */
  issued: number;
  /** Request URL of the first HTTP request. */
  url: string;
  /** Query parameters of the first HTTP request. */
  query: ParsedUrlQuery;
  /** The auth payload the client sent with CONNECT. */
  // biome-ignore lint/suspicious/noExplicitAny: public shape, as upstream (applications index it freely)
  auth: { [key: string]: any };
}

/** Parses `?a=1&a=2&b` into `{ a: ["1","2"], b: "" }` with a null-prototype-safe result. */
export function parseQuery(url: string | undefined): ParsedUrlQuery {
  const out: ParsedUrlQuery = {};
  const q = url?.indexOf("?") ?? -1;
  if (url === undefined || q === -1) return out;
  for (const [key, value] of new URLSearchParams(url.slice(q + 1))) {
    if (key === "__proto__") continue;
    const prev = Object.hasOwn(out, key) ? out[key] : undefined;
    if (prev === undefined) out[key] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[key] = [prev, value];
  }
  return out;
}

/** Builds the handshake of a socket from what its connection kept of its first request. */
export function buildHandshake(
  req: HandshakeRequestInfo,
  address: string,
  issued: number,
  auth: Record<string, unknown>,
): Handshake {
  return {
    headers: req.headers,
    time: new Date(issued).toString(),
    address,
    xdomain: req.headers.origin !== undefined,
    secure: req.secure,
    issued,
    url: req.url,
    query: parseQuery(req.url),
    auth,
  };
}
