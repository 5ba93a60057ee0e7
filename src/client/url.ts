/**
 * Resolves the URL given to `io()`: scheme (`ws:` → `http:`), host, port, namespace (the
 * path) and query. No URL means the page's origin.
 */

/** A parsed `io()` target. */
export interface ParsedUrl {
  /** `http(s)://host:port`, the engine target. */
  readonly origin: string;
  /** Namespace (`/` when the URL has no path). */
  readonly nsp: string;
  /** Query string without `?` (may be empty). */
  readonly query: string;
}

/** Parses `uri` relative to the page location (browsers) or `http://localhost` (Node). */
export function parseUrl(uri: string | undefined): ParsedUrl {
  const loc = (globalThis as { location?: { href: string } }).location;
  const base = loc?.href ?? "http://localhost";
  let s = uri ?? base;
  if (s.startsWith("//")) s = (loc ? new URL(base).protocol : "https:") + s;
  else if (!/^(https?|wss?):\/\//i.test(s) && !s.startsWith("/")) {
    // "localhost:3000" or "example.com/admin": a host without a scheme.
    s = `${loc ? new URL(base).protocol : "https:"}//${s}`;
  }
  const u = new URL(s, base);
  const secure = u.protocol === "https:" || u.protocol === "wss:";
  const port = u.port || (secure ? "443" : "80");
  const host =
    u.hostname.includes(":") && !u.hostname.startsWith("[") ? `[${u.hostname}]` : u.hostname;
  return {
    origin: `${secure ? "https" : "http"}://${host}:${port}`,
    nsp: uri === undefined ? "/" : u.pathname || "/",
    query: u.search.slice(1),
  };
}
