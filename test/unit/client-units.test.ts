/** Pure pieces of the client: backoff, URL parsing, engine request URLs, cookie jar. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Backoff } from "../../src/client/backoff.js";
import { parseUrl } from "../../src/client/url.js";
import { CookieJar } from "../../src/engine/client/cookie-jar.js";
import { buildUrl, resolveOptions } from "../../src/engine/client/options.js";

test("backoff doubles from the base, caps at the max and spreads by the jitter factor", () => {
  const mid = new Backoff(() => 0.5);
  assert.deepEqual(
    [1, 2, 3, 4, 5].map(() => mid.duration(1000, 5000, 0.5)),
    [1000, 2000, 4000, 5000, 5000],
  );
  assert.equal(mid.attempts, 5);
  const low = new Backoff(() => 0);
  assert.deepEqual([low.duration(1000, 5000, 0.5), low.duration(1000, 5000, 0.5)], [500, 1000]);
  const high = new Backoff(() => 0.999999);
  const d = () => high.duration(1000, 5000, 0.5);
  assert.deepEqual([d(), d(), d()], [1499, 2999, 5000]);
});

test("parses the namespace and origin from io() URLs", () => {
  assert.deepEqual(parseUrl("http://localhost:3000/admin?x=1"), {
    origin: "http://localhost:3000",
    nsp: "/admin",
    search: "?x=1",
  });
  assert.deepEqual(parseUrl("wss://example.com:443"), {
    origin: "https://example.com",
    nsp: "/",
    search: "",
  });
  assert.equal(parseUrl("ws://example.com:80/a").origin, parseUrl("http://example.com").origin);
  assert.equal(parseUrl("//example.com/chat").origin, "https://example.com");
  assert.equal(parseUrl(undefined).nsp, "/");
  assert.equal(parseUrl("localhost:3000").origin, "https://localhost:3000");
  assert.equal(parseUrl("http://[::1]:8080/").origin, "http://[::1]:8080");
});

test("builds engine request URLs with EIO=4, transport, sid, query and timestamp", () => {
  const opts = resolveOptions("http://127.0.0.1:3000", { path: "/socket.io", query: { a: "b" } });
  const polling = new URL(buildUrl(opts, "polling", "abc"));
  assert.equal(polling.pathname, "/socket.io/");
  assert.equal(polling.searchParams.get("EIO"), "4");
  assert.equal(polling.searchParams.get("transport"), "polling");
  assert.equal(polling.searchParams.get("sid"), "abc");
  assert.equal(polling.searchParams.get("a"), "b");
  assert.ok(polling.searchParams.get("t"));
  const ws = new URL(buildUrl(opts, "websocket", undefined));
  assert.equal(ws.protocol, "ws:");
  assert.equal(ws.searchParams.has("t"), false);
  assert.equal(ws.searchParams.has("sid"), false);
  const noSlash = resolveOptions("https://h", { addTrailingSlash: false });
  assert.equal(new URL(buildUrl(noSlash, "polling", undefined)).pathname, "/engine.io");
});

test("the cookie jar replays Set-Cookie values and drops expired ones", () => {
  const jar = new CookieJar();
  assert.equal(jar.header(), undefined);
  jar.parse(["io=abc; Path=/; HttpOnly; SameSite=Lax", "b=2"]);
  assert.equal(jar.header(), "io=abc; b=2");
  jar.parse(["b=; Max-Age=0", "c=3; Expires=Thu, 01 Jan 1970 00:00:00 GMT"]);
  assert.equal(jar.header(), "io=abc");
});
