/**
 * Resolves the URL given to `io()`: the engine target (scheme, host, port, query) and the
 * namespace (the path). No URL means the page's origin.
 */

/** A parsed `io()` target. */
export interface ParsedUrl {
  /**
   * `http(s)://host[:port]`: `ws(s):` maps to `http(s):` and a default port is omitted, so one
   * server gets one key whatever the spelling (`io()` shares a Manager per origin + path).
   */
  readonly origin: string;
  /** Namespace (`/` when the URL has no path). */
  readonly nsp: string;
  /** Query string with its `?` (empty when none). */
  readonly search: string;
}

/** Parses `uri` relative to the page location (browsers) or `http://localhost` (Node). */
export function parseUrl(uri: string | undefined): ParsedUrl {
  const loc = (globalThis as { location?: { href: string; protocol: string } }).location;
  const base = loc?.href ?? "http://localhost";
  let s = uri ?? base;
  // A host without a scheme ("localhost:3000", "//example.com") gets the page's (or https:).
  if (!/^((https?|wss?):)?\/\//i.test(s) && !s.startsWith("/")) s = `//${s}`;
  if (s.startsWith("//")) s = (loc?.protocol ?? "https:") + s;
  const u = new URL(s, base);
  return {
    origin: u.origin.replace(/^ws/, "http"),
    nsp: uri === undefined ? "/" : u.pathname || "/",
    search: u.search,
  };
}
