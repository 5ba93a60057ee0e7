/**
 * Size budget of the browser bundle: gzipped `socket.io.min.js` at most 60% of the official
 * `socket.io-client` one (both measured here, same zlib settings), and the presence list kept
 * out of it, in bundles of its own. Builds the bundles first.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { before, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const out = join(root, "dist/bundles");
const gz = (path: string) => gzipSync(readFileSync(path), { level: 9 }).length;

before(async () => {
  const step = "../../scripts/build-steps/client-bundles.mjs";
  const { default: build } = (await import(step)) as { default: (root: string) => Promise<void> };
  await build(root);
});

test("builds every bundle with a source map, and the IIFE exposes a callable global io", () => {
  for (const name of [
    "socket.io.js",
    "socket.io.min.js",
    "socket.io.esm.min.js",
    "socket.io.msgpack.min.js",
    "presence.min.js",
    "presence.esm.min.js",
  ]) {
    const code = readFileSync(join(out, name), "utf8");
    assert.match(code, /sourceMappingURL=/, name);
    JSON.parse(readFileSync(join(out, `${name}.map`), "utf8"));
    assert.doesNotMatch(code, /require\(["'](ws|node:)/, `${name} must not pull Node modules`);
  }
  const sandbox: { io?: unknown } = {};
  new Function("globalThis", "window", readFileSync(join(out, "socket.io.js"), "utf8"))(
    sandbox,
    sandbox,
  );
  const io = sandbox.io as { (): unknown; Manager: unknown; Socket: unknown; protocol: number };
  assert.equal(typeof io, "function");
  assert.equal(typeof io.Manager, "function");
  assert.equal(typeof io.Socket, "function");
  assert.equal(io.protocol, 5);
});

test("gzipped socket.io.min.js is at most 60% of the official socket.io-client one", () => {
  const require = createRequire(import.meta.url);
  const official = join(
    dirname(require.resolve("socket.io-client/package.json")),
    "dist/socket.io.min.js",
  );
  const ours = gz(join(out, "socket.io.min.js"));
  const theirs = gz(official);
  assert.ok(
    ours <= theirs * 0.6,
    `ours ${ours} B gzipped vs official ${theirs} B (${((100 * ours) / theirs).toFixed(1)}%)`,
  );
});

test("no client bundle carries Presence; socket.io.esm.min.js exports the rest of tether-io/client", async () => {
  for (const name of [
    "socket.io.js",
    "socket.io.min.js",
    "socket.io.esm.min.js",
    "socket.io.msgpack.min.js",
  ]) {
    assert.doesNotMatch(readFileSync(join(out, name), "utf8"), /presence_/, name);
  }
  const esm = (await import(pathToFileURL(join(out, "socket.io.esm.min.js")).href)) as object;
  const client = (await import("../../src/client/index.js")) as object;
  assert.deepEqual(
    Object.keys(esm).sort(),
    Object.keys(client)
      .filter((k) => k !== "Presence")
      .sort(),
  );
  const presence = (await import(pathToFileURL(join(out, "presence.esm.min.js")).href)) as object;
  assert.deepEqual(Object.keys(presence), ["Presence"]);
});

test("presence.min.js adds Presence to the global io, and says so when io is not loaded", () => {
  const page: { io?: { Presence?: unknown } } = {};
  for (const name of ["socket.io.min.js", "presence.min.js"]) {
    new Function("globalThis", readFileSync(join(out, name), "utf8"))(page);
  }
  assert.equal(typeof page.io?.Presence, "function");
  assert.throws(
    () => new Function("globalThis", readFileSync(join(out, "presence.min.js"), "utf8"))({}),
    /load \/socket\.io\/socket\.io\.js before it/,
  );
});

test("the presence bundles stay under 1.5 KB gzipped", () => {
  for (const name of ["presence.min.js", "presence.esm.min.js"]) {
    const size = gz(join(out, name));
    assert.ok(size <= 1536, `${name}: ${size} B gzipped`);
  }
});
