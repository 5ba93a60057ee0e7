// Browser bundles of the Socket.IO client (esbuild), into <root>/dist/bundles/:
//   socket.io.js (IIFE, global `io`), socket.io.min.js, socket.io.esm.min.js,
//   socket.io.msgpack.min.js (msgpack parser as default), and the presence list on its own so
//   the client bundles do not carry it: presence.min.js (IIFE, adds `io.Presence`) and
//   presence.esm.min.js (ESM, `export { Presence }`); each with a source map.
// Node-only modules (`*.node.ts`) are swapped for their browser sibling, so `ws` and
// `node:*` never reach the bundle (the build fails if anything Node-only slips through).
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { build } from "esbuild";

/** Redirects `./x.node.js` imports to `./x.js` (the browser implementation). */
const browserSiblings = {
  name: "browser-siblings",
  setup(b) {
    b.onResolve({ filter: /\.node\.js$/ }, (args) => ({
      path: resolve(args.resolveDir, args.path.replace(/\.node\.js$/, ".ts")),
    }));
  },
};

/**
 * Property names that are internal to the client (never read or written by users, never on the
 * wire, never seen by the server), shortened in the browser bundles only: the transport handler
 * callbacks, the platform's services, the Manager's `_` members (`@internal`, as upstream's),
 * the emitter's protected `emitReserved`, and fields of internal records (acks, retry queue,
 * backoff). Names of the public API, of options and of wire keys must never be listed here;
 * the dist/esm and CJS builds for Node keep every name.
 */
const INTERNAL_PROPS = [
  "emitReserved",
  "handler",
  "onOpen",
  "onPacket",
  "onDrain",
  "onError",
  "onClose",
  "ctx",
  "jar",
  "createWebSocket",
  "createCookieJar",
  "_readyState",
  "_reconnecting",
  "_packet",
  "_destroy",
  "_close",
  "withError",
  "fn",
  "tryCount",
  "pending",
  "fromQueue",
  "attempts",
  "duration",
  "base",
  "jitter",
  "args",
  "flags",
  "request",
];

// A listed name that is also a built-in's property (`Math.random`, `Set#add`, …) would be renamed
// on the built-in too: refuse to build rather than ship that.
const BUILTINS = [globalThis, Math, JSON, Object, Number, Date, Promise, Function.prototype]
  .concat(
    [Array, Map, Set, Promise, Uint8Array, ArrayBuffer, Error, String, URL, URLSearchParams],
    [AbortController, AbortSignal, EventTarget, Response, Request, Headers, TextEncoder],
    [globalThis.WebSocket, globalThis.Blob].filter(Boolean),
  )
  .flatMap((o) => (typeof o === "function" && o.prototype ? [o, o.prototype] : [o]));
for (const name of INTERNAL_PROPS) {
  if (BUILTINS.some((o) => name in o)) throw new Error(`client bundles: cannot mangle "${name}"`);
}

export default async function clientBundles(root) {
  const out = join(root, "dist/bundles");
  mkdirSync(out, { recursive: true });
  const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
  const common = {
    bundle: true,
    platform: "browser",
    target: ["es2022"],
    sourcemap: true,
    legalComments: "none",
    banner: { js: `/*! tether-io client v${version} | MIT */` },
    plugins: [browserSiblings],
    logLevel: "warning",
    mangleProps: new RegExp(`^(${INTERNAL_PROPS.join("|")})$`),
    // Fail loudly instead of shipping a Node built-in.
    external: [],
  };
  // The entries assign `globalThis.io` themselves (no `globalName`: no export helpers).
  const iife = { ...common, format: "iife" };
  const entry = join(root, "src/client/bundle-entry.ts");
  await Promise.all([
    build({ ...iife, entryPoints: [entry], outfile: join(out, "socket.io.js") }),
    build({ ...iife, entryPoints: [entry], outfile: join(out, "socket.io.min.js"), minify: true }),
    build({
      ...iife,
      entryPoints: [join(root, "src/client/bundle-entry-msgpack.ts")],
      outfile: join(out, "socket.io.msgpack.min.js"),
      minify: true,
    }),
    build({
      ...common,
      format: "esm",
      entryPoints: [join(root, "src/client/bundle-entry-esm.ts")],
      outfile: join(out, "socket.io.esm.min.js"),
      minify: true,
    }),
    build({
      ...iife,
      entryPoints: [join(root, "src/client/bundle-entry-presence.ts")],
      outfile: join(out, "presence.min.js"),
      minify: true,
    }),
    build({
      ...common,
      format: "esm",
      entryPoints: [join(root, "src/client/presence.ts")],
      outfile: join(out, "presence.esm.min.js"),
      minify: true,
    }),
  ]);
  return out;
}

// Allow `node scripts/build-steps/client-bundles.mjs` on its own.
if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  await clientBundles(join(dirname(new URL(import.meta.url).pathname), "../.."));
  console.log("client bundles: dist/bundles ready");
}
