/**
 * Integration (built package): the client bundle is found wherever Tether is loaded from —
 * `node -e`, the REPL or a bundler define a global `__dirname` that is not Tether's folder — and
 * `Accept-Encoding` is negotiated as the `negotiator` package (socket.io's) does: `q=` weights
 * first, then the client's order.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { negotiateEncoding } from "../../src/server/serve-client.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const esm = pathToFileURL(join(root, "dist/esm/index.js")).href;
const cjs = join(root, "dist/cjs/index.cjs");

/** Starts `new Server(0)` in a child process run from outside the package; returns the status of the bundle request. */
function bundleStatus(args: string[], load: string): Promise<number> {
  const code = `${load}.then(({ Server }) => {
    const io = new Server(0);
    io.httpServer.once("listening", async () => {
      const { port } = io.httpServer.address();
      const res = await fetch("http://127.0.0.1:" + port + "/socket.io/socket.io.min.js");
      await res.arrayBuffer();
      io.close(() => console.log(res.status));
    });
  })`;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...args, code],
      { cwd: tmpdir(), timeout: 30_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(Number(stdout.trim()));
      },
    );
  });
}

describe("client bundle location", () => {
  it("serves socket.io.min.js when the ESM build is loaded from node -e (a global __dirname of '.')", async () => {
    assert.equal(await bundleStatus(["-e"], `import(${JSON.stringify(esm)})`), 200);
  });

  it("serves socket.io.min.js when a bundler-style global __dirname points elsewhere", async () => {
    const load = `(globalThis.__dirname = "/", import(${JSON.stringify(esm)}))`;
    assert.equal(await bundleStatus(["--input-type=module", "-e"], load), 200);
  });

  it("serves socket.io.min.js when the CommonJS build is required from node -e", async () => {
    assert.equal(
      await bundleStatus(["-e"], `Promise.resolve(require(${JSON.stringify(cjs)}))`),
      200,
    );
  });
});

describe("Accept-Encoding negotiation", () => {
  it("prefers the highest q= weight", () => {
    assert.equal(negotiateEncoding("br;q=0.2, gzip;q=0.8, deflate;q=0.5"), "gzip");
    assert.equal(negotiateEncoding("gzip;q=0.1, deflate"), "deflate");
    assert.equal(negotiateEncoding("br;q=0.9, *;q=1"), "gzip");
  });

  it("on equal weights, follows the client's order", () => {
    assert.equal(negotiateEncoding("gzip, deflate, br"), "gzip");
    assert.equal(negotiateEncoding("deflate, br"), "deflate");
    assert.equal(negotiateEncoding("br;q=0.5, gzip;q=0.5"), "br");
  });

  it("ranks a named encoding above one matched by *, and refuses q=0 or an unreadable q", () => {
    assert.equal(negotiateEncoding("*;q=0.5, gzip;q=0.5"), "gzip");
    assert.equal(negotiateEncoding("*, br;q=0, gzip;q=0"), "deflate");
    assert.equal(negotiateEncoding("gzip;q=abc"), undefined);
    assert.equal(negotiateEncoding("GZIP"), "gzip");
    assert.equal(negotiateEncoding("identity, compress"), undefined);
  });
});
