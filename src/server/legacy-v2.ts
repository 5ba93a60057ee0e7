/**
 * Socket.IO protocol 4, spoken to Socket.IO v2 clients (Engine.IO 3 sessions, `allowEIO3`).
 * It differs from protocol 5 only around connecting; these helpers hold each difference so the
 * client, namespace and socket code keeps one line per difference:
 *
 * - the server joins the client to `/` as soon as the session opens (the client sends no CONNECT
 *   for `/`), see `Client`;
 * - a CONNECT for another namespace carries the namespace's query string (`0/chat?token=abc,`):
 *   it becomes the socket's `handshake.auth`, and is merged into `handshake.query` as Socket.IO
 *   v2 servers did;
 * - the CONNECT reply has no payload (`0/chat,`), a CONNECT_ERROR carries a plain value (the
 *   middleware error's `data`, else its message: `4/chat,"not authorized"`);
 * - a socket's id is the Engine.IO id (`/chat#<engine id>` outside `/`), which the v2 client
 *   computes on its side and applications compare with.
 */
import type { Handshake, ParsedUrlQuery } from "./handshake.js";
import { parseQuery } from "./handshake.js";

/** The namespace name and parsed query of a protocol 4 CONNECT's namespace field. */
export function splitLegacyNamespace(nsp: string): { name: string; query: ParsedUrlQuery } {
  const q = nsp.indexOf("?");
  if (q === -1) return { name: nsp, query: {} };
  return { name: nsp.slice(0, q), query: parseQuery(nsp.slice(q)) };
}

/** The id of a protocol 4 client's socket in namespace `nsp`. */
export function legacySocketId(nsp: string, engineId: string): string {
  return nsp === "/" ? engineId : `${nsp}#${engineId}`;
}

/** The CONNECT_ERROR payload of a refusal for a protocol 4 client. */
export function legacyConnectError(err: { message: string; data?: unknown }): unknown {
  return err.data ?? err.message;
}

/** Adds the namespace query a protocol 4 client sent with CONNECT (its auth) to the query. */
export function withLegacyQuery(handshake: Handshake): Handshake {
  for (const [key, value] of Object.entries(handshake.auth)) {
    if (typeof value === "string" || Array.isArray(value)) handshake.query[key] = value;
  }
  return handshake;
}
