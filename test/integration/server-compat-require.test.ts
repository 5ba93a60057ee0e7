/**
 * Integration (built package): `require("tether-io")` is the callable factory CommonJS code
 * written for socket.io calls — `require("socket.io")(httpServer, opts)`, `require("socket.io")(3000)`
 * — with the named exports as its properties; the ESM default export stays the `Server` class.
 * Runs the built `dist/` (npm run build) in child processes, as an application would load it.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** Runs `code` with `node -e` (CommonJS) or `--input-type=module`; resolves with its stdout JSON. */
function run(code: string, mode: "require" | "import" = "require"): Promise<unknown> {
  const args = mode === "import" ? ["--input-type=module", "-e", code] : ["-e", code];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: root, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

describe("CommonJS factory export", () => {
  it("require('tether-io')(port) creates a server listening on that port which completes a handshake", async () => {
    const result = await run(`
      const tether = require("tether-io");
      const io = tether(0);
      io.httpServer.once("listening", async () => {
        const { port } = io.httpServer.address();
        const res = await fetch("http://127.0.0.1:" + port + "/socket.io/?EIO=4&transport=polling");
        const body = await res.text();
        const out = { type: typeof tether, isServer: io instanceof tether.Server, status: res.status, open: body[0] };
        io.close(() => console.log(JSON.stringify(out)));
      });
    `);
    assert.deepEqual(result, { type: "function", isServer: true, status: 200, open: "0" });
  });

  it("require('tether-io')(httpServer, opts) attaches to that server with the options", async () => {
    const result = await run(`
      const { createServer } = require("node:http");
      const http = createServer();
      const io = require("tether-io")(http, { path: "/rt", connectTimeout: 1234 });
      console.log(JSON.stringify({ attached: io.httpServer === http, path: io.path(), timeout: io.connectTimeout() }));
      io.close(() => {});
    `);
    assert.deepEqual(result, { attached: true, path: "/rt", timeout: 1234 });
  });

  it("the factory takes options alone, works with new, and carries Server, Namespace, Socket and the other names", async () => {
    const result = await run(`
      const tether = require("tether-io");
      const a = tether({ path: "/opts" });
      const b = new tether();
      const { Server, Namespace, Socket, BroadcastOperator } = tether;
      console.log(JSON.stringify({
        optsOnly: a instanceof Server && a.path() === "/opts",
        withNew: b instanceof Server,
        names: [Server, Namespace, Socket, BroadcastOperator].map((c) => typeof c),
        mainNamespace: a.sockets instanceof Namespace,
        defaultIsClass: tether.default === Server,
      }));
    `);
    assert.deepEqual(result, {
      optsOnly: true,
      withNew: true,
      names: ["function", "function", "function", "function"],
      mainNamespace: true,
      defaultIsClass: true,
    });
  });

  it("the ESM default export is still the Server class", async () => {
    const result = await run(
      `import Server, { Server as Named } from "tether-io";
       console.log(JSON.stringify({ same: Server === Named, isClass: /^class\\b/.test(Function.prototype.toString.call(Server)) }));`,
      "import",
    );
    assert.deepEqual(result, { same: true, isClass: true });
  });
});
