/**
 * CORS for polling requests, with the semantics of the `cors` npm middleware that upstream uses:
 * simple requests get the origin/credentials/exposed headers; a preflight `OPTIONS` is answered
 * here (204 by default) and never reaches the engine.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { CorsOptions, CorsOriginValue, EngineMiddleware } from "./options.js";

const DEFAULT_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE";

function list(v: string | readonly string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  return typeof v === "string" ? v : v.join(",");
}

/** True when `origin` matches the `allowed` entry (string equality or RegExp test). */
export function originMatches(origin: string, allowed: CorsOriginValue): boolean {
  if (typeof allowed === "boolean") return allowed;
  if (typeof allowed === "string") return origin === allowed;
  if (allowed instanceof RegExp) {
    allowed.lastIndex = 0;
    return allowed.test(origin);
  }
  return allowed.some((a) => originMatches(origin, a));
}

function addVary(res: ServerResponse, field: string): void {
  const prev = res.getHeader("Vary");
  if (prev === undefined) {
    res.setHeader("Vary", field);
    return;
  }
  const text = Array.isArray(prev) ? prev.join(", ") : String(prev);
  const fields = text.split(/\s*,\s*/).map((f) => f.toLowerCase());
  if (fields.includes("*") || fields.includes(field.toLowerCase())) return;
  res.setHeader("Vary", `${text}, ${field}`);
}

/** Sets `Access-Control-Allow-Origin` (and `Vary: Origin` when it depends on the request). */
function applyOrigin(req: IncomingMessage, res: ServerResponse, allowed: CorsOriginValue): void {
  if (allowed === "*") {
    res.setHeader("Access-Control-Allow-Origin", "*");
    return;
  }
  if (typeof allowed === "string") {
    res.setHeader("Access-Control-Allow-Origin", allowed);
    addVary(res, "Origin");
    return;
  }
  const origin = req.headers.origin;
  if (origin !== undefined && originMatches(origin, allowed)) {
    res.setHeader("Access-Control-Allow-Origin", origin);
  }
  addVary(res, "Origin");
}

function applyHeaders(
  opts: Readonly<CorsOptions>,
  allowed: CorsOriginValue,
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
): void {
  if (allowed === false) {
    next();
    return;
  }
  applyOrigin(req, res, allowed);
  if (opts.credentials === true) res.setHeader("Access-Control-Allow-Credentials", "true");
  const exposed = list(opts.exposedHeaders);
  if (exposed) res.setHeader("Access-Control-Expose-Headers", exposed);
  if ((req.method ?? "").toUpperCase() !== "OPTIONS") {
    next();
    return;
  }
  // Preflight: answer it here.
  res.setHeader("Access-Control-Allow-Methods", list(opts.methods) ?? DEFAULT_METHODS);
  const allowedHeaders = list(opts.allowedHeaders);
  if (allowedHeaders !== undefined) {
    res.setHeader("Access-Control-Allow-Headers", allowedHeaders);
  } else {
    const requested = req.headers["access-control-request-headers"];
    if (requested) {
      res.setHeader("Access-Control-Allow-Headers", requested);
      addVary(res, "Access-Control-Request-Headers");
    }
  }
  if (opts.maxAge !== undefined) res.setHeader("Access-Control-Max-Age", String(opts.maxAge));
  res.statusCode = opts.optionsSuccessStatus ?? 204;
  res.setHeader("Content-Length", "0");
  res.end();
}

/** Builds the CORS middleware for `opts`. */
export function corsMiddleware(opts: Readonly<CorsOptions>): EngineMiddleware {
  return (req, res, next) => {
    const origin = opts.origin ?? "*";
    if (typeof origin !== "function") {
      applyHeaders(opts, origin, req, res, next);
      return;
    }
    origin(req.headers.origin, (err, allow) => {
      if (err) next(err);
      else applyHeaders(opts, allow ?? false, req, res, next);
    });
  };
}
