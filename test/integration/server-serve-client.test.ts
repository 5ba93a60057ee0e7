/**
 * Integration: serving the client bundles under the server path (PROTOCOL.md §3.9), against a
 * temporary bundle folder (the real dist/bundles is built by another step and is left alone).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, describe, it } from "node:test";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";
import type { ServerOptions } from "../../src/index.js";
import { defaultBundleDir, findPackage, negotiateEncoding } from "../../src/server/serve-client.js";
import { type Fixture, startServer } from "../interop/server-harness.js";

const dir = mkdtempSync(join(tmpdir(), "tether-bundles-"));
const JS = `/* fixture */ console.log(${JSON.stringify("x".repeat(4000))});\n`;
writeFileSync(join(dir, "socket.io.js"), JS);
writeFileSync(join(dir, "socket.io.min.js.map"), '{"version":3}');
after(() => rmSync(dir, { recursive: true, force: true }));

const version = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Raw GET (fetch would transparently decompress and hide Content-Encoding). */
function get(url: string, headers: Record<string, string> = {}, method = "GET"): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

async function serve(opts: ServerOptions = {}): Promise<string> {
  f = await startServer({ clientBundleDir: dir, ...opts });
  return `${f.url}/socket.io`;
}

describe("client bundle serving", () => {
  it("serves socket.io.js with its content type, cache control and the package version as ETag", async () => {
    const base = await serve();
    const res = await get(`${base}/socket.io.js`);
    assert.equal(res.status, 200);
    assert.equal(res.headers["content-type"], "application/javascript; charset=utf-8");
    assert.equal(res.headers["cache-control"], "public, max-age=0");
    assert.equal(res.headers.etag, `"${version}"`);
    assert.equal(res.body.toString(), JS);
  });

  it("serves source maps as JSON", async () => {
    const base = await serve();
    const res = await get(`${base}/socket.io.min.js.map?v=1`);
    assert.equal(res.status, 200);
    assert.equal(res.headers["content-type"], "application/json; charset=utf-8");
  });

  it("answers 304 to a matching If-None-Match, strong or weak", async () => {
    const base = await serve();
    for (const tag of [`"${version}"`, `W/"${version}"`]) {
      const res = await get(`${base}/socket.io.js`, { "if-none-match": tag });
      assert.equal(res.status, 304, tag);
      assert.equal(res.body.length, 0);
    }
    assert.equal(
      (await get(`${base}/socket.io.js`, { "if-none-match": '"0.0.0-other"' })).status,
      200,
    );
  });

  it("compresses with the encoding Accept-Encoding prefers (br, gzip or deflate)", async () => {
    const base = await serve();
    const br = await get(`${base}/socket.io.js`, { "accept-encoding": "br, gzip, deflate" });
    assert.equal(br.headers["content-encoding"], "br");
    assert.equal(brotliDecompressSync(br.body).toString(), JS);
    const gz = await get(`${base}/socket.io.js`, { "accept-encoding": "deflate;q=0.5, gzip" });
    assert.equal(gz.headers["content-encoding"], "gzip");
    assert.equal(gunzipSync(gz.body).toString(), JS);
    const df = await get(`${base}/socket.io.js`, { "accept-encoding": "deflate" });
    assert.equal(df.headers["content-encoding"], "deflate");
    assert.equal(inflateSync(df.body).toString(), JS);
    const id = await get(`${base}/socket.io.js`, { "accept-encoding": "br;q=0, identity" });
    assert.equal(id.headers["content-encoding"], undefined);
    assert.equal(id.body.toString(), JS);
  });

  it("serves the presence bundles beside the client ones", async () => {
    const presence = "/* presence fixture */ export { Presence };\n";
    writeFileSync(join(dir, "presence.esm.min.js"), presence);
    writeFileSync(join(dir, "presence.min.js"), JS);
    const base = await serve();
    const esm = await get(`${base}/presence.esm.min.js`);
    assert.equal(esm.status, 200);
    assert.equal(esm.headers["content-type"], "application/javascript; charset=utf-8");
    assert.equal(esm.body.toString(), presence);
    assert.equal((await get(`${base}/presence.min.js`)).body.toString(), JS);
    assert.equal((await get(`${base}/presence.min.js.map`)).status, 404, "whitelisted, not built");
  });

  it("answers 404 for a whitelisted file that is not built yet", async () => {
    const base = await serve();
    assert.equal((await get(`${base}/socket.io.esm.min.js`)).status, 404);
  });

  it("leaves other names under the path to the engine", async () => {
    const base = await serve();
    const res = await get(`${base}/nope.js`);
    assert.equal(res.status, 400);
    assert.deepEqual(JSON.parse(res.body.toString()), { code: 0, message: "Transport unknown" });
  });

  it("serves nothing when serveClient is false", async () => {
    const base = await serve({ serveClient: false });
    assert.equal((await get(`${base}/socket.io.js`)).status, 400);
  });

  it("applies CORS headers when cors is configured", async () => {
    const base = await serve({ cors: { origin: "http://example.com", credentials: true } });
    const res = await get(`${base}/socket.io.js`, { origin: "http://example.com" });
    assert.equal(res.status, 200);
    assert.equal(res.headers["access-control-allow-origin"], "http://example.com");
    assert.equal(res.headers["access-control-allow-credentials"], "true");
    await f?.close();
    const plain = await serve();
    assert.equal(
      (await get(`${plain}/socket.io.js`)).headers["access-control-allow-origin"],
      undefined,
    );
  });

  it("answers HEAD with headers only", async () => {
    const base = await serve();
    const res = await get(`${base}/socket.io.js`, {}, "HEAD");
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 0);
  });
});

describe("package location", () => {
  it("finds the tether-io package root and its dist/bundles folder from the sources", () => {
    const { root, version: v } = findPackage();
    assert.equal(v, version);
    assert.equal(defaultBundleDir(), join(root ?? "", "dist", "bundles"));
    assert.equal(
      JSON.parse(readFileSync(join(root ?? "", "package.json"), "utf8")).name,
      "tether-io",
    );
  });

  it("negotiates by q, then the client's order, then br > gzip > deflate, and honours q=0 and *", () => {
    assert.equal(negotiateEncoding(undefined), undefined);
    assert.equal(negotiateEncoding("gzip, br"), "gzip");
    assert.equal(negotiateEncoding("br;q=0, gzip;q=0.5"), "gzip");
    assert.equal(negotiateEncoding("*"), "br");
    assert.equal(negotiateEncoding("*, br;q=0"), "gzip");
    assert.equal(negotiateEncoding("identity"), undefined);
  });
});
