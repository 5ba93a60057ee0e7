/** Serialises the sticky-session cookie (`Set-Cookie` value) of the handshake response. */
import type { CookieOptions } from "./options.js";

const TOKEN = /^[\u0021-\u007e]+$/;

/** `name=value; Path=/; HttpOnly; SameSite=Lax`, attributes in the order of the `cookie` package. */
export function serializeCookie(value: string, opts: Readonly<CookieOptions>): string {
  const name = opts.name ?? "io";
  if (!TOKEN.test(name)) throw new TypeError(`invalid cookie name ${JSON.stringify(name)}`);
  let out = `${name}=${encodeURIComponent(value)}`;
  if (opts.maxAge !== undefined) out += `; Max-Age=${Math.floor(opts.maxAge)}`;
  if (opts.domain) out += `; Domain=${opts.domain}`;
  if (opts.path) out += `; Path=${opts.path}`;
  if (opts.expires) out += `; Expires=${opts.expires.toUTCString()}`;
  if (opts.httpOnly) out += "; HttpOnly";
  if (opts.secure) out += "; Secure";
  if (opts.partitioned) out += "; Partitioned";
  const same = opts.sameSite;
  if (same === true || same === "strict") out += "; SameSite=Strict";
  else if (same === "lax") out += "; SameSite=Lax";
  else if (same === "none") out += "; SameSite=None";
  return out;
}
