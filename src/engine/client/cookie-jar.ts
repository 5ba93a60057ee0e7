/**
 * A minimal cookie jar for Node clients with `withCredentials`: keeps `name=value` pairs from
 * `Set-Cookie` headers (honouring `Expires` / `Max-Age` deletion) and replays them in `Cookie`.
 * Enough for sticky-session cookies; domain/path scoping is not needed for one server origin.
 */
export class CookieJar {
  readonly #cookies = new Map<string, { value: string; expires: number }>();

  /** Stores the cookies of `Set-Cookie` header values. */
  parse(setCookies: readonly string[]): void {
    for (const header of setCookies) {
      const parts = header.split(";");
      const pair = parts[0] ?? "";
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let expires = Number.POSITIVE_INFINITY;
      for (const attr of parts.slice(1)) {
        const [k = "", v = ""] = attr.split("=", 2).map((s) => s.trim());
        const key = k.toLowerCase();
        if (key === "max-age") expires = Date.now() + Number(v) * 1000;
        else if (key === "expires" && expires === Number.POSITIVE_INFINITY) {
          const t = Date.parse(v);
          if (!Number.isNaN(t)) expires = t;
        }
      }
      if (expires <= Date.now()) this.#cookies.delete(name);
      else this.#cookies.set(name, { value, expires });
    }
  }

  /** The `Cookie` header value, or undefined when the jar is empty. */
  header(): string | undefined {
    const now = Date.now();
    const out: string[] = [];
    for (const [name, c] of this.#cookies) {
      if (c.expires <= now) this.#cookies.delete(name);
      else out.push(`${name}=${c.value}`);
    }
    return out.length > 0 ? out.join("; ") : undefined;
  }
}
