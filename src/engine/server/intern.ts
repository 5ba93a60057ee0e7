/**
 * Interning of handshake strings that repeat across connections: header values (`Upgrade:
 * websocket`, the host, the user agent, …), the handshake URL and the client address. A session
 * keeps its handshake headers for `socket.handshake`, and thousands of equal copies would each
 * cost their own string (about 0.2 KB per WebSocket connection). Bounded: the table starts over
 * when full, and long or per-connection values are never stored.
 */
import type { IncomingHttpHeaders } from "node:http";

const MAX_ENTRIES = 1024;
const MAX_LENGTH = 512;
/** Headers whose value differs on every connection: not worth a table slot. */
const UNIQUE = new Set(["sec-websocket-key", "cookie", "authorization"]);

let table = new Map<string, string>();

/** Returns the table's copy of `value` (adding it), or `value` itself when too long. */
export function intern(value: string): string {
  if (value.length > MAX_LENGTH) return value;
  const hit = table.get(value);
  if (hit !== undefined) return hit;
  if (table.size >= MAX_ENTRIES) table = new Map();
  table.set(value, value);
  return value;
}

/** Replaces the string values of `headers` by their interned copies, in place. */
export function internHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  for (const key of Object.keys(headers)) {
    if (UNIQUE.has(key)) continue;
    const value = headers[key];
    if (typeof value === "string") headers[key] = intern(value);
  }
  return headers;
}
