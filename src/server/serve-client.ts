/**
 * Serves the browser client bundles under the server path (PROTOCOL.md §3.9): a fixed whitelist
 * of 12 files from the package's `dist/bundles/` (the four client bundles, the two presence
 * bundles, and their source maps), with ETag (the package version) / 304,
 * br > gzip > deflate compression and CORS when configured.
 */
import { existsSync, readFileSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { brotliCompress, deflate, gzip, constants as zlib } from "node:zlib";
import { corsMiddleware } from "../engine/server/cors.js";
import type { CorsOptions } from "../engine/server/options.js";

/** The files served, relative to the bundle folder. */
export const CLIENT_FILES: ReadonlySet<string> = new Set(
  [
    "socket.io.js",
    "socket.io.min.js",
    "socket.io.esm.min.js",
    "socket.io.msgpack.min.js",
    "presence.min.js",
    "presence.esm.min.js",
  ].flatMap((f) => [f, `${f}.map`]),
);

interface PackageInfo {
  readonly root: string | undefined;
  readonly version: string;
}

let packageInfo: PackageInfo | undefined;

/**
 * Folders this module may live in, most reliable first: `import.meta.url` in ESM (empty in the
 * CommonJS bundle), then `__dirname` (the CommonJS bundle's own). A global `__dirname` is not
 * this module's folder — `node -e`, the REPL and some bundlers define one (`.` or `/`) — so it
 * only comes second, and {@link findPackage} checks each candidate.
 */
function moduleDirs(): string[] {
  const dirs: string[] = [];
  const url: unknown = import.meta.url;
  if (typeof url === "string" && url.startsWith("file:")) dirs.push(dirname(fileURLToPath(url)));
  if (typeof __dirname === "string") dirs.push(__dirname);
  return dirs;
}

/** Finds the `tether-io` package root by walking up from this module (src/, dist/esm/, dist/cjs/). */
export function findPackage(): PackageInfo {
  if (packageInfo) return packageInfo;
  for (const start of moduleDirs()) {
    const root = packageRootFrom(start);
    if (root !== undefined) {
      packageInfo = root;
      return root;
    }
  }
  packageInfo = { root: undefined, version: "0.0.0" };
  return packageInfo;
}

function packageRootFrom(start: string): PackageInfo | undefined {
  let dir = start;
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: unknown; version?: unknown };
        if (pkg.name === "tether-io") {
          return { root: dir, version: typeof pkg.version === "string" ? pkg.version : "0.0.0" };
        }
      } catch {
        // Unreadable package.json: keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The default bundle folder: `<package root>/dist/bundles`. */
export function defaultBundleDir(): string | undefined {
  const { root } = findPackage();
  return root === undefined ? undefined : join(root, "dist", "bundles");
}

type Encoding = "br" | "gzip" | "deflate";
const ENCODINGS: readonly Encoding[] = ["br", "gzip", "deflate"];
const compressors: Record<Encoding, (buf: Buffer) => Promise<Buffer>> = {
  br: (buf) =>
    promisify(brotliCompress)(buf, {
      params: { [zlib.BROTLI_PARAM_QUALITY]: 9, [zlib.BROTLI_PARAM_SIZE_HINT]: buf.length },
    }),
  gzip: (buf) => promisify(gzip)(buf),
  deflate: (buf) => promisify(deflate)(buf),
};

/** How one `Accept-Encoding` entry rates an encoding. */
interface Rating {
  readonly q: number;
  /** 1 for the encoding's own name, 0 for `*`. */
  readonly specific: number;
  /** Position of the entry in the header. */
  readonly order: number;
}

/** The best entry of `header` matching `encoding` (its own name beats `*`, then higher q). */
function rate(entries: readonly (readonly [string, number])[], encoding: Encoding): Rating {
  let best: Rating | undefined;
  entries.forEach(([name, q], order) => {
    const specific = name === encoding ? 1 : name === "*" ? 0 : -1;
    if (specific < 0) return;
    if (
      best === undefined ||
      specific > best.specific ||
      (specific === best.specific && q > best.q)
    ) {
      best = { q, specific, order };
    }
  });
  return best ?? { q: 0, specific: 0, order: -1 };
}

/**
 * Picks the encoding the client prefers, as the `negotiator` package (used by socket.io) does:
 * highest `q` first, then an encoding named over one matched by `*`, then the client's order,
 * then br > gzip > deflate. `q=0` (or an unparsable q) refuses an encoding.
 */
export function negotiateEncoding(header: string | undefined): Encoding | undefined {
  if (!header) return undefined;
  const entries: (readonly [string, number])[] = [];
  for (const part of header.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (!name) continue;
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    entries.push([name.trim(), qp ? Number.parseFloat(qp.slice(2)) : 1]);
  }
  let chosen: Encoding | undefined;
  let best: Rating | undefined;
  for (const encoding of ENCODINGS) {
    const r = rate(entries, encoding);
    if (!(r.q > 0)) continue;
    if (
      best === undefined ||
      r.q > best.q ||
      (r.q === best.q &&
        (r.specific > best.specific || (r.specific === best.specific && r.order < best.order)))
    ) {
      chosen = encoding;
      best = r;
    }
  }
  return chosen;
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((t) => {
    const v = t.trim();
    return v === etag || v === `W/${etag}` || v === "*";
  });
}

/** Options of the client-serving handler. */
export interface ServeClientOptions {
  /** Folder holding the bundle files. */
  readonly dir: string | undefined;
  readonly cors: Readonly<CorsOptions> | undefined;
}

/** Serves the whitelisted client files; one instance per server (holds a compression cache). */
export class ClientFileHandler {
  readonly #prefix: string;
  readonly #opts: ServeClientOptions;
  readonly #etag = `"${findPackage().version}"`;
  readonly #cache = new Map<string, Promise<Buffer>>();

  constructor(path: string, opts: ServeClientOptions) {
    this.#prefix = `${path.replace(/\/$/, "")}/`;
    this.#opts = opts;
  }

  /** The whitelisted file a request asks for, if any. */
  match(req: IncomingMessage): string | undefined {
    const method = req.method;
    const allowed =
      method === "GET" || method === "HEAD" || (method === "OPTIONS" && this.#opts.cors);
    if (!allowed) return undefined;
    const url = req.url ?? "";
    if (!url.startsWith(this.#prefix)) return undefined;
    const q = url.indexOf("?");
    const name = url.slice(this.#prefix.length, q === -1 ? undefined : q);
    return CLIENT_FILES.has(name) ? name : undefined;
  }

  /** Answers a request for `name` (from {@link match}). */
  handle(req: IncomingMessage, res: ServerResponse, name: string): void {
    const cors = this.#opts.cors;
    if (!cors) {
      void this.#serve(req, res, name);
      return;
    }
    corsMiddleware(cors)(req, res, (err) => {
      if (err) {
        res.writeHead(500).end();
        return;
      }
      void this.#serve(req, res, name);
    });
  }

  async #serve(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    try {
      const dir = this.#opts.dir;
      const file = dir === undefined ? undefined : join(dir, name);
      const info = file === undefined ? undefined : await stat(file).catch(() => undefined);
      if (file === undefined || !info?.isFile()) {
        res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("Not Found");
        return;
      }
      res.setHeader("Cache-Control", "public, max-age=0");
      res.setHeader("ETag", this.#etag);
      if (etagMatches(req.headers["if-none-match"], this.#etag)) {
        res.writeHead(304).end();
        return;
      }
      res.setHeader(
        "Content-Type",
        name.endsWith(".map")
          ? "application/json; charset=utf-8"
          : "application/javascript; charset=utf-8",
      );
      res.setHeader("Vary", "Accept-Encoding");
      const encoding = negotiateEncoding(req.headers["accept-encoding"] as string | undefined);
      const body = await this.#body(file, info.mtimeMs, encoding);
      if (encoding) res.setHeader("Content-Encoding", encoding);
      res.setHeader("Content-Length", String(body.length));
      res.writeHead(200);
      res.end(req.method === "HEAD" ? undefined : body);
    } catch {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  }

  #body(file: string, mtime: number, encoding: Encoding | undefined): Promise<Buffer> {
    const key = `${file}\0${mtime}\0${encoding ?? "identity"}`;
    let body = this.#cache.get(key);
    if (!body) {
      const raw = readFile(file);
      body = encoding ? raw.then((b) => compressors[encoding](b)) : raw;
      body.catch(() => this.#cache.delete(key));
      this.#cache.set(key, body);
    }
    return body;
  }
}
