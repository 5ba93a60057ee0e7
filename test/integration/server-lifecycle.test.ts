/**
 * Integration: constructing, attaching, listening, closing; options (path, serveClient,
 * adapter, cleanupEmptyChildNamespaces); http, https and Express; the seed-article chat server.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import express from "express";
import { type Socket as ClientSocket, io as ioc } from "socket.io-client";
import type { BroadcastOptions } from "../../src/adapter/types.js";
import DefaultServer, {
  type AdapterHost,
  InMemoryAdapter,
  type Packet,
  Server,
} from "../../src/index.js";
import { closeServer, listen, waitFor } from "../helpers/wait.js";
import { next, startServer } from "../interop/server-harness.js";

const clients: ClientSocket[] = [];
function client(url: string, opts: Parameters<typeof ioc>[1] = {}): ClientSocket {
  const c = ioc(url, { forceNew: true, reconnection: false, transports: ["websocket"], ...opts });
  clients.push(c);
  return c;
}
after(() => {
  for (const c of clients) c.disconnect();
});

describe("Server construction and lifecycle", () => {
  it("exports Server as the default export too", () => {
    assert.equal(DefaultServer, Server);
  });

  it("new Server() then attach(httpServer) serves clients", async (t) => {
    const http = createServer();
    const io = new Server();
    io.attach(http);
    const port = await listen(http);
    t.after(async () => {
      await io.close();
      await closeServer(http);
    });
    const c = client(`http://127.0.0.1:${port}`);
    await next(c, "connect");
  });

  it("new Server(port) creates and listens on its own HTTP server that answers other paths 404", async (t) => {
    const io = new Server(0);
    t.after(() => io.close());
    const http = io.httpServer;
    assert.ok(http);
    await waitFor(() => http.listening, 5000, "listening");
    const { port } = http.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/other`);
    assert.equal(res.status, 404);
    const c = client(`http://127.0.0.1:${port}`);
    await next(c, "connect");
  });

  it("listen(port) is an alias of attach on a fresh server", async (t) => {
    const io = new Server();
    io.listen(0);
    t.after(() => io.close());
    await waitFor(() => io.httpServer?.listening === true, 5000, "listening");
    const { port } = io.httpServer?.address() as AddressInfo;
    await next(client(`http://127.0.0.1:${port}`), "connect");
  });

  it("close() disconnects every socket, closes the HTTP server and resolves", async () => {
    const f = await startServer();
    const reasons: string[] = [];
    f.io.on("connection", (s) => s.on("disconnect", (r) => reasons.push(r)));
    const c = f.client();
    await next(c, "connect");
    const gone = next<[string]>(c, "disconnect");
    await f.io.close();
    assert.deepEqual(reasons, ["server shutting down"]);
    assert.equal((await gone)[0], "transport close");
    assert.equal(f.http.listening, false);
  });

  it("answers under a custom path only", async (t) => {
    const http = createServer((_req, res) => {
      res.writeHead(404).end();
    });
    const io = new Server(http, { path: "/my-path" });
    const port = await listen(http);
    t.after(async () => {
      await io.close();
      await closeServer(http);
    });
    const ok = await fetch(`http://127.0.0.1:${port}/my-path/?EIO=4&transport=polling`);
    assert.equal(ok.status, 200);
    await ok.text();
    const c = client(`http://127.0.0.1:${port}`, { path: "/my-path" });
    await next(c, "connect");
    const def = await fetch(`http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling`);
    assert.equal(def.status, 404);
  });

  it("works over https", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "tether-tls-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-days",
        "1",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    const https = createHttpsServer({
      key: readFileSync(join(dir, "key.pem")),
      cert: readFileSync(join(dir, "cert.pem")),
    });
    const io = new Server(https);
    let secure: boolean | undefined;
    io.on("connection", (s) => {
      secure = s.handshake.secure;
    });
    const port = await listen(https);
    t.after(async () => {
      await io.close();
      await closeServer(https);
    });
    const c = client(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
    await next(c, "connect");
    await waitFor(() => secure !== undefined, 5000, "connection");
    assert.equal(secure, true);
  });

  it("runs the seed-article chat server (Express + io.on('connection') + io.emit)", async (t) => {
    const app = express();
    const server = createServer(app);
    const io = new Server(server);
    app.get("/", (_req, res) => {
      res.send("<h1>chat</h1>");
    });
    io.on("connection", (socket) => {
      socket.on("chat message", (msg) => {
        io.emit("chat message", msg);
      });
    });
    const port = await listen(server);
    t.after(async () => {
      await io.close();
      await closeServer(server);
    });
    const page = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(await page.text(), "<h1>chat</h1>");
    const alice = client(`http://127.0.0.1:${port}`, { transports: ["polling", "websocket"] });
    const bob = client(`http://127.0.0.1:${port}`);
    await Promise.all([next(alice, "connect"), next(bob, "connect")]);
    const both = Promise.all([
      next<[string]>(alice, "chat message"),
      next<[string]>(bob, "chat message"),
    ]);
    alice.emit("chat message", "hello everyone");
    assert.deepEqual(await both, [["hello everyone"], ["hello everyone"]]);
  });
});

describe("Server options", () => {
  it("uses the adapter option (class or factory) for every namespace", async (t) => {
    const broadcasts: string[] = [];
    class CountingAdapter extends InMemoryAdapter {
      override broadcast(packet: Packet, opts: BroadcastOptions): void {
        broadcasts.push(`${this.nsp.name}:${String((packet.data as unknown[])[0])}`);
        super.broadcast(packet, opts);
      }
    }
    const f = await startServer({ adapter: CountingAdapter });
    t.after(() => f.close());
    f.io.emit("a");
    f.io.of("/x").emit("b");
    assert.deepEqual(broadcasts, ["/:a", "/x:b"]);
    const made: string[] = [];
    const g = await startServer({
      adapter: (nsp: AdapterHost) => {
        made.push(nsp.name);
        return new InMemoryAdapter(nsp);
      },
    });
    t.after(() => g.close());
    g.io.of("/y");
    assert.deepEqual(made, ["/", "/y"]);
  });

  it("removes empty dynamic child namespaces with cleanupEmptyChildNamespaces", async (t) => {
    const f = await startServer({ cleanupEmptyChildNamespaces: true });
    t.after(() => f.close());
    const parent = f.io.of(/^\/dyn-\d+$/);
    const c = f.client("/dyn-1");
    await next(c, "connect");
    assert.ok(f.io._nsps.has("/dyn-1"));
    c.disconnect();
    await waitFor(() => !f.io._nsps.has("/dyn-1"), 5000, "child removed");
    assert.equal((parent as unknown as { children: Set<unknown> }).children.size, 0);
  });

  it("keeps empty child namespaces by default", async (t) => {
    const f = await startServer();
    t.after(() => f.close());
    f.io.of(/^\/dyn-\d+$/);
    const c = f.client("/dyn-2");
    await next(c, "connect");
    c.disconnect();
    await waitFor(() => f.io._nsps.get("/dyn-2")?.sockets.size === 0, 5000, "socket gone");
    assert.ok(f.io._nsps.has("/dyn-2"));
  });
});
