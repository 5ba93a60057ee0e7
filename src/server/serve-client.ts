/**
 * Serves the browser client bundles under the server path (PROTOCOL.md §3.9): a fixed whitelist
 * of 8 files from the package's `dist/bundles/`, with ETag (the package version) / 304,
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
  ["socket.io.js", "socket.io.min.js", "socket.io.esm.min.js", "socket.io.msgpack.min.js"].flatMap(
    (f) => [f, `${f}.map`],
  ),
);

interface PackageInfo {
  readonly root: string | undefined;
  readonly version: string;
}

let packageInfo: PackageInfo | undefined;

/** Folder of this module: `__dirname` in the CommonJS bundle, `import.meta.url` in ESM. */
function moduleDir(): string {
  if (typeof __dirname === "string") return __dirname;
  return dirname(fileURLToPath(import.meta.url));
}

/** Finds the `tether-io` package root by walking up from this module (src/, dist/esm/, dist/cjs/). */
export function findPackage(): PackageInfo {
  if (packageInfo) return packageInfo;
  let dir = moduleDir();
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: unknown; version?: unknown };
        if (pkg.name === "tether-io") {
          packageInfo = {
            root: dir,
            version: typeof pkg.version === "string" ? pkg.version : "0.0.0",
          };
          return packageInfo;
        }
      } catch {
        // Unreadable package.json: keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  packageInfo = { root: undefined, version: "0.0.0" };
  return packageInfo;
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

/** Picks br > gzip > deflate among the encodings `Accept-Encoding` allows (q > 0). */
export function negotiateEncoding(header: string | undefined): Encoding | undefined {
  if (!header) return undefined;
  const q = new Map<string, number>();
  for (const part of header.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (!name) continue;
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const value = qp ? Number(qp.slice(2)) : 1;
    q.set(name, Number.isFinite(value) ? value : 0);
  }
  const star = q.get("*");
  return ENCODINGS.find((e) => (q.get(e) ?? star ?? 0) > 0);
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
