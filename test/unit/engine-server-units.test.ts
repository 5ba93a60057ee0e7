import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { serializeCookie } from "../../src/engine/server/cookie.js";
import { originMatches } from "../../src/engine/server/cors.js";
import { DeadlineWheel } from "../../src/engine/server/deadline-wheel.js";
import { generateSessionId } from "../../src/engine/server/id.js";
import { computePath, resolveOptions } from "../../src/engine/server/options.js";
import { OutboundPacket, preEncode } from "../../src/engine/server/outbound.js";
import { pickEncoding } from "../../src/engine/server/polling.js";
import { checkRequest, errorMessage, parseQuery } from "../../src/engine/server/verify.js";

describe("deadline wheel", () => {
  function setup(resolution: number) {
    let now = 0;
    const wheel = new DeadlineWheel<{ name: string; onDeadline(t: number): void }>(
      resolution,
      () => now,
    );
    const fired: string[] = [];
    const item = (name: string) => ({ name, onDeadline: () => fired.push(name) });
    return {
      wheel,
      fired,
      item,
      at: (t: number) => {
        now = t;
      },
    };
  }

  it("fires an item once its deadline has passed, never before", () => {
    const { wheel, fired, item, at } = setup(10);
    const a = item("a");
    wheel.add(a, 25);
    at(20);
    wheel.tick();
    assert.deepEqual(fired, []);
    at(29);
    wheel.tick();
    assert.deepEqual(fired, []);
    at(30);
    wheel.tick();
    assert.deepEqual(fired, ["a"]);
    assert.equal(wheel.size, 0);
    wheel.stop();
  });

  it("fires within one resolution of the deadline", () => {
    const { wheel, fired, item, at } = setup(10);
    wheel.add(item("b"), 31);
    at(40);
    wheel.tick();
    assert.deepEqual(fired, ["b"]);
  });

  it("does not fire a removed item and reschedules a moved one", () => {
    const { wheel, fired, item, at } = setup(10);
    const a = item("a");
    const b = item("b");
    wheel.add(a, 15);
    wheel.add(b, 15);
    wheel.remove(a, 15);
    wheel.remove(b, 15);
    wheel.add(b, 55);
    assert.equal(wheel.size, 1);
    at(50);
    wheel.tick();
    assert.deepEqual(fired, []);
    at(60);
    wheel.tick();
    assert.deepEqual(fired, ["b"]);
  });

  it("lets an item reschedule itself from its callback", () => {
    let now = 0;
    const wheel = new DeadlineWheel<{ onDeadline(t: number): void }>(10, () => now);
    let count = 0;
    const item = {
      onDeadline(t: number) {
        count++;
        if (count < 3) wheel.add(item, t + 10);
      },
    };
    wheel.add(item, 10);
    for (now = 10; now <= 60; now += 10) wheel.tick();
    assert.equal(count, 3);
    assert.equal(wheel.size, 0);
  });
});

describe("polling compression negotiation", () => {
  it("prefers gzip, honours q-values and ignores unsupported codings", () => {
    assert.equal(pickEncoding(undefined), undefined);
    assert.equal(pickEncoding(""), undefined);
    assert.equal(pickEncoding("br"), undefined);
    assert.equal(pickEncoding("gzip, deflate, br"), "gzip");
    assert.equal(pickEncoding("deflate"), "deflate");
    assert.equal(pickEncoding("gzip;q=0.5, deflate"), "deflate");
    assert.equal(pickEncoding("gzip;q=0, deflate;q=0"), undefined);
    assert.equal(pickEncoding("*"), "gzip");
    assert.equal(pickEncoding("identity, deflate;q=0.1"), "deflate");
  });
});

describe("handshake cookie", () => {
  it("serialises upstream's default attributes in order", () => {
    const opts = resolveOptions({ cookie: true }).cookie;
    assert.ok(opts);
    assert.equal(serializeCookie("abc", opts), "io=abc; Path=/; HttpOnly; SameSite=Lax");
  });

  it("applies a custom name, no path, and extra attributes", () => {
    const opts = resolveOptions({
      cookie: { name: "sticky", path: false, secure: true, sameSite: "none", maxAge: 60 },
    }).cookie;
    assert.ok(opts);
    assert.equal(serializeCookie("x y", opts), "sticky=x%20y; Max-Age=60; Secure; SameSite=None");
  });
});

describe("options", () => {
  it("applies upstream defaults", () => {
    const o = resolveOptions();
    assert.equal(o.pingInterval, 25000);
    assert.equal(o.pingTimeout, 20000);
    assert.equal(o.upgradeTimeout, 10000);
    assert.equal(o.maxHttpBufferSize, 1e6);
    assert.deepEqual(o.transports, ["polling", "websocket"]);
    assert.equal(o.httpCompression, 1024);
    assert.equal(o.perMessageDeflate, false);
    assert.equal(o.cookie, undefined);
    assert.equal(resolveOptions({ httpCompression: false }).httpCompression, false);
    assert.equal(resolveOptions({ httpCompression: { threshold: 10 } }).httpCompression, 10);
  });

  it("throws on nonsense options", () => {
    assert.throws(() => resolveOptions({ pingInterval: -1 }), TypeError);
    assert.throws(() => resolveOptions({ maxHttpBufferSize: Number.NaN }), TypeError);
    assert.throws(() => resolveOptions({ transports: ["carrier-pigeon" as "polling"] }), TypeError);
  });

  it("computes the path with upstream's trailing-slash rule", () => {
    assert.equal(computePath(), "/engine.io/");
    assert.equal(computePath({ path: "/socket.io/" }), "/socket.io/");
    assert.equal(computePath({ path: "/rt", addTrailingSlash: false }), "/rt");
  });
});

describe("session ids", () => {
  it("are 20 URL-safe characters and unique", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = generateSessionId();
      assert.match(id, /^[A-Za-z0-9_-]{20}$/);
      seen.add(id);
    }
    assert.equal(seen.size, 2000);
  });
});

describe("outbound packets", () => {
  it("caches the frame and the polling record of one packet", () => {
    const p = preEncode(new Uint8Array([1, 2, 3, 4]));
    assert.equal(p.record, "bAQIDBA==");
    assert.equal(p.record, p.record);
    assert.deepEqual([...(p.frame as Uint8Array)], [1, 2, 3, 4]);
    assert.equal(p.size, 4);
    const t = new OutboundPacket("message", "€");
    assert.equal(t.frame, "4€");
    assert.equal(t.record, "4€");
    assert.equal(t.size, 4);
    assert.equal(new OutboundPacket("ping").size, 1);
  });
});

describe("request verification", () => {
  const sessions = new Map([["abc", { transport: { name: "polling" as const } }]]);
  const req = (method: string, origin?: string) => ({
    method,
    headers: origin === undefined ? {} : { origin },
  });
  const check = (url: string, method = "GET", upgrade = false, origin?: string) =>
    checkRequest(req(method, origin), parseQuery(url), upgrade, ["polling", "websocket"], sessions);

  it("accepts a polling handshake and a known sid", () => {
    assert.equal(check("/engine.io/?EIO=4&transport=polling"), undefined);
    assert.equal(check("/engine.io/?EIO=4&transport=polling&sid=abc", "POST"), undefined);
    assert.equal(check("/engine.io/?EIO=4&transport=websocket&sid=abc", "GET", true), undefined);
  });

  it("maps each refusal to upstream's code and context", () => {
    assert.deepEqual(check("/e/?EIO=4"), { code: 0, context: { transport: null } });
    assert.equal(check("/e/?transport=flash")?.code, 0);
    assert.deepEqual(check("/e/?transport=polling&sid=nope"), {
      code: 1,
      context: { sid: "nope" },
    });
    assert.deepEqual(check("/e/?transport=polling", "POST"), {
      code: 2,
      context: { method: "POST" },
    });
    assert.deepEqual(check("/e/?transport=websocket"), {
      code: 3,
      context: { name: "TRANSPORT_HANDSHAKE_ERROR" },
    });
    assert.deepEqual(check("/e/?transport=websocket&sid=abc"), {
      code: 3,
      context: { name: "TRANSPORT_MISMATCH", transport: "websocket", previousTransport: "polling" },
    });
    assert.equal(check("/e/?transport=polling", "GET", false, "http://a\u0001b")?.code, 3);
  });

  it("uses allowRequest's message when there is one", () => {
    assert.equal(errorMessage({ code: 4, context: { message: "no thanks" } }), "no thanks");
    assert.equal(errorMessage({ code: 4, context: {} }), "Forbidden");
    assert.equal(errorMessage({ code: 1, context: {} }), "Session ID unknown");
  });
});

describe("CORS origin matching", () => {
  it("matches strings, RegExps, lists and booleans", () => {
    assert.equal(originMatches("http://a.com", "http://a.com"), true);
    assert.equal(originMatches("http://b.com", "http://a.com"), false);
    assert.equal(originMatches("http://x.a.com", /\.a\.com$/), true);
    assert.equal(originMatches("http://b.com", ["http://a.com", /b\.com$/]), true);
    assert.equal(originMatches("http://c.com", ["http://a.com", /b\.com$/]), false);
    assert.equal(originMatches("http://c.com", true), true);
    assert.equal(originMatches("http://c.com", false), false);
  });
});
