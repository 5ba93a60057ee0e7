import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { gunzipSync, inflateSync } from "node:zlib";
import { WebSocket } from "ws";
import { EngineServer } from "../../src/engine/index.js";
import { closeServer, listen } from "../helpers/wait.js";
import { handshake, nextConnection, poll, raw, startEngine } from "./engine-raw.js";

function upgradeHeaders(url: string): Promise<Record<string, string | string[] | undefined>> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once("upgrade", (res) => {
      resolve(res.headers);
      ws.terminate();
    });
    ws.once("error", reject);
  });
}

describe("engine CORS", () => {
  it("sends no CORS headers when the option is absent", async (t) => {
    const h = await startEngine(t);
    const res = await raw(h.port, "GET", h.path(), { headers: { Origin: "http://a.com" } });
    assert.equal(res.headers["access-control-allow-origin"], undefined);
  });

  it("sends origin, Vary and credentials headers for a fixed origin", async (t) => {
    const h = await startEngine(t, { cors: { origin: "http://example.com", credentials: true } });
    const res = await raw(h.port, "GET", h.path(), { headers: { Origin: "http://other.com" } });
    assert.equal(res.status, 200);
    assert.equal(res.headers["access-control-allow-origin"], "http://example.com");
    assert.equal(res.headers.vary, "Origin");
    assert.equal(res.headers["access-control-allow-credentials"], "true");
  });

  it("answers a preflight with 204 and the allowed methods and headers", async (t) => {
    const h = await startEngine(t, {
      cors: { origin: "http://example.com", allowedHeaders: ["x-a", "x-b"], maxAge: 600 },
    });
    const res = await raw(h.port, "OPTIONS", h.path(), {
      headers: { Origin: "http://example.com", "Access-Control-Request-Method": "POST" },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers["access-control-allow-methods"], "GET,HEAD,PUT,PATCH,POST,DELETE");
    assert.equal(res.headers["access-control-allow-headers"], "x-a,x-b");
    assert.equal(res.headers["access-control-max-age"], "600");
    assert.equal(h.engine.clientsCount, 0);
  });

  it("reflects matching origins from a list, a RegExp or a function, and nothing else", async (t) => {
    const list = await startEngine(t, { cors: { origin: ["http://a.com", /\.good\.com$/] } });
    const ok1 = await raw(list.port, "GET", list.path(), {
      headers: { Origin: "http://x.good.com" },
    });
    assert.equal(ok1.headers["access-control-allow-origin"], "http://x.good.com");
    const no1 = await raw(list.port, "GET", list.path(), {
      headers: { Origin: "http://evil.com" },
    });
    assert.equal(no1.headers["access-control-allow-origin"], undefined);
    assert.equal(no1.headers.vary, "Origin");
    const fn = await startEngine(t, {
      cors: {
        origin: (origin, cb) => cb(null, origin === "http://fn.com"),
        exposedHeaders: "x-id",
      },
    });
    const ok2 = await raw(fn.port, "GET", fn.path(), { headers: { Origin: "http://fn.com" } });
    assert.equal(ok2.headers["access-control-allow-origin"], "http://fn.com");
    assert.equal(ok2.headers["access-control-expose-headers"], "x-id");
    const no2 = await raw(fn.port, "GET", fn.path(), { headers: { Origin: "http://nope.com" } });
    assert.equal(no2.headers["access-control-allow-origin"], undefined);
    const err = await startEngine(t, { cors: { origin: (_o, cb) => cb(new Error("boom")) } });
    const res = await raw(err.port, "GET", err.path(), { headers: { Origin: "http://x.com" } });
    assert.equal(res.status, 400);
    assert.equal(JSON.parse(res.text).code, 3);
  });
});

describe("engine cookie and header hooks", () => {
  it("sets the sticky-session cookie on the handshake only", async (t) => {
    const h = await startEngine(t, { cookie: true });
    const { open, res } = await handshake(h);
    assert.deepEqual(res.headers["set-cookie"], [`io=${open.sid}; Path=/; HttpOnly; SameSite=Lax`]);
    h.engine.clients.get(open.sid)?.send("x");
    const next = await poll(h, open.sid);
    assert.equal(next.headers["set-cookie"], undefined);
    const wsHeaders = await upgradeHeaders(`ws://127.0.0.1:${h.port}${h.path("", "websocket")}`);
    assert.match(
      String(wsHeaders["set-cookie"]),
      /^io=[A-Za-z0-9_-]{20}; Path=\/; HttpOnly; SameSite=Lax$/,
    );
  });

  it("lets initial_headers and headers listeners add headers", async (t) => {
    const h = await startEngine(t);
    h.engine.on("initial_headers", (headers) => {
      headers["X-Initial"] = "1";
    });
    h.engine.on("headers", (headers, req) => {
      headers["X-Every"] = req.method ?? "";
    });
    const { open, res } = await handshake(h);
    assert.equal(res.headers["x-initial"], "1");
    assert.equal(res.headers["x-every"], "GET");
    h.engine.clients.get(open.sid)?.send("x");
    const next = await poll(h, open.sid);
    assert.equal(next.headers["x-initial"], undefined);
    assert.equal(next.headers["x-every"], "GET");
    const wsHeaders = await upgradeHeaders(`ws://127.0.0.1:${h.port}${h.path("", "websocket")}`);
    assert.equal(wsHeaders["x-initial"], "1");
    assert.equal(wsHeaders["x-every"], "GET");
  });

  it("runs middlewares on polling requests and upgrades, keeping the headers they set", async (t) => {
    const h = await startEngine(t);
    const seen: string[] = [];
    h.engine.use((req, res, next) => {
      seen.push(new URL(req.url ?? "", "http://x").searchParams.get("transport") ?? "");
      res.setHeader("X-Mw", "yes");
      next();
    });
    const { res } = await handshake(h);
    assert.equal(res.headers["x-mw"], "yes");
    const wsHeaders = await upgradeHeaders(`ws://127.0.0.1:${h.port}${h.path("", "websocket")}`);
    assert.equal(wsHeaders["x-mw"], "yes");
    assert.deepEqual(seen, ["polling", "websocket"]);
  });
});

describe("engine polling compression", () => {
  it("compresses payloads above the threshold per Accept-Encoding", async (t) => {
    const h = await startEngine(t);
    const big = "x".repeat(2000);
    for (const [encoding, inflate] of [
      ["gzip", gunzipSync],
      ["deflate", inflateSync],
    ] as const) {
      const { open } = await handshake(h);
      h.engine.clients.get(open.sid)?.send(big);
      const res = await raw(h.port, "GET", h.path(`sid=${open.sid}`), {
        headers: { "Accept-Encoding": encoding },
      });
      assert.equal(res.headers["content-encoding"], encoding);
      assert.equal(res.headers["content-length"], String(res.body.length));
      assert.ok(res.body.length < 200);
      assert.equal(inflate(res.body).toString(), `4${big}`);
    }
  });

  it("leaves small payloads, compress:false and httpCompression:false uncompressed", async (t) => {
    const h = await startEngine(t);
    const enc = { headers: { "Accept-Encoding": "gzip" } };
    const { open } = await handshake(h);
    const s = h.engine.clients.get(open.sid);
    s?.send("small");
    const small = await raw(h.port, "GET", h.path(`sid=${open.sid}`), enc);
    assert.equal(small.headers["content-encoding"], undefined);
    s?.send("y".repeat(2000), { compress: false });
    const off = await raw(h.port, "GET", h.path(`sid=${open.sid}`), enc);
    assert.equal(off.headers["content-encoding"], undefined);
    assert.equal(off.text.length, 2001);
    const h2 = await startEngine(t, { httpCompression: false });
    const s2 = await handshake(h2);
    h2.engine.clients.get(s2.open.sid)?.send("z".repeat(2000));
    const none = await raw(h2.port, "GET", h2.path(`sid=${s2.open.sid}`), enc);
    assert.equal(none.headers["content-encoding"], undefined);
  });
});

describe("engine attach and listen", () => {
  it("passes requests outside the path to the host server's listeners untouched", async (t) => {
    const http = createServer((_req: IncomingMessage, res: ServerResponse) => {
      res.end("host app");
    });
    const engine = new EngineServer();
    engine.attach(http);
    const port = await listen(http);
    t.after(async () => {
      engine.close();
      await closeServer(http);
    });
    assert.equal((await raw(port, "GET", "/")).text, "host app");
    assert.equal((await raw(port, "GET", "/engine.io?EIO=4&transport=polling")).text, "host app");
    assert.equal((await raw(port, "GET", "/engine.io/?EIO=4&transport=polling")).status, 200);
  });

  it("serves a custom path, with or without the trailing slash", async (t) => {
    const h = await startEngine(t, undefined, { path: "/rt", addTrailingSlash: false });
    const res = await raw(h.port, "GET", "/rt?EIO=4&transport=polling");
    assert.equal(res.status, 200);
    assert.ok(res.text.startsWith("0{"));
  });

  it("answers 501 outside the path of a standalone listen() server and serves the engine", async (t) => {
    const engine = new EngineServer();
    const http = await new Promise<import("node:http").Server>((resolve) => {
      const s = engine.listen(0, undefined, () => resolve(s));
    });
    t.after(async () => {
      engine.close();
      await closeServer(http);
    });
    const port = (http.address() as import("node:net").AddressInfo).port;
    assert.equal((await raw(port, "GET", "/elsewhere")).status, 501);
    assert.equal((await raw(port, "GET", "/engine.io/?EIO=4&transport=polling")).status, 200);
  });

  it("ends unanswered upgrade requests outside the path after destroyUpgradeTimeout", async (t) => {
    const h = await startEngine(t, undefined, { destroyUpgradeTimeout: 50 });
    const closed = await new Promise<boolean>((resolve) => {
      const sock = connect(h.port, "127.0.0.1", () => {
        sock.write(
          "GET /other HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
        );
      });
      sock.on("close", () => resolve(true));
      sock.on("error", () => resolve(true));
      sock.resume();
    });
    assert.ok(closed);
  });

  it("closes its sessions when the host HTTP server closes", async (t) => {
    const h = await startEngine(t);
    const conn = nextConnection(h.engine);
    await handshake(h);
    const socket = await conn;
    const reasons: string[] = [];
    socket.on("close", (r) => reasons.push(r));
    await closeServer(h.http);
    assert.deepEqual(reasons, ["server shutting down"]);
  });

  it("serves engine requests through handleRequest / handleUpgrade from a custom server", async (t) => {
    const engine = new EngineServer();
    const http = createServer((req, res) => {
      if (req.url?.startsWith("/custom/")) engine.handleRequest(req, res);
      else res.end("no");
    });
    http.on("upgrade", (req, socket, head) => engine.handleUpgrade(req, socket, head));
    const port = await listen(http);
    t.after(async () => {
      engine.close();
      await closeServer(http);
    });
    const res = await raw(port, "GET", "/custom/?EIO=4&transport=polling");
    assert.equal(res.status, 200);
    const headers = await upgradeHeaders(
      `ws://127.0.0.1:${port}/custom/?EIO=4&transport=websocket`,
    );
    assert.equal(headers.upgrade, "websocket");
  });
});
