/**
 * One regression test per upstream advisory in which a single crafted request or packet crashed
 * the official server, replayed against Tether over real sockets. Each asserts that no exception
 * reaches the event loop, that the attacking session gets a clean refusal or close, and that a
 * bystander session on the same server keeps exchanging acknowledged messages.
 *
 * - CVE-2022-41940 (engine.io < 6.2.1): a socket error (ECONNRESET) on an upgrade request the
 *   engine does not serve went to an `error` event nobody listened to.
 * - CVE-2023-31125 (engine.io < 6.4.2): a WebSocket upgrade request with an unexpected `transport`
 *   query value reached a lookup of a transport that does not exist (TypeError).
 * - CVE-2023-32695 (socket.io-parser < 4.2.3): an EVENT whose name was not a string (e.g. an
 *   object with a non-callable `toString`) was handed to the server, which threw converting it.
 * - CVE-2024-38355 (socket.io < 4.6.2): an EVENT named `error` was emitted on a socket without an
 *   `error` listener, and Node's EventEmitter threw.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connected, PollingPeer, scene, WsPeer, waitForSessions } from "./harness.js";
import { rawExchange, upgradeRequest, waitForNoConnections } from "./raw-http.js";

describe("CVE-2022-41940: socket errors on upgrade requests", () => {
  it("survives a TCP reset on an upgrade request for a path the engine does not serve", async (t) => {
    const s = await scene(t);
    // Reset only once the server has handed the socket to its upgrade listeners.
    const arrived = new Promise<void>((resolve) => s.h.http.once("upgrade", () => resolve()));
    await rawExchange(s.h.port, upgradeRequest("/not-the-engine"), arrived);
    await waitForNoConnections(s.h.http, 1);
    await s.finish();
  });

  it("survives TCP resets on upgrade requests under the engine path, before and after the answer", async (t) => {
    const s = await scene(t);
    const paths = [
      "/socket.io/?EIO=4&transport=websocket",
      "/socket.io/?EIO=4&transport=polling",
      "/socket.io/?EIO=3&transport=websocket",
      "/socket.io/?transport=websocket",
      "/socket.io/?EIO=4&transport=websocket&sid=unknown",
    ];
    for (const path of paths) {
      await rawExchange(s.h.port, upgradeRequest(path), "reset");
      await rawExchange(s.h.port, upgradeRequest(path), "reset-after-answer");
    }
    await waitForNoConnections(s.h.http, 1);
    await waitForSessions(s.h, 1, "reset WebSocket sessions to close");
    await s.finish();
  });

  it("survives TCP resets in the middle of polling requests", async (t) => {
    // A handshake whose answer is lost leaves a session that ends by ping timeout: keep it short.
    const s = await scene(t, { pingInterval: 300, pingTimeout: 300 });
    const peer = await PollingPeer.open(s.h.port);
    const post = `POST /socket.io/?EIO=4&transport=polling&sid=${peer.sid} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n4partial`;
    await rawExchange(s.h.port, post, "reset");
    const get = `GET /socket.io/?EIO=4&transport=polling&sid=${peer.sid} HTTP/1.1\r\nHost: x\r\n\r\n`;
    await rawExchange(s.h.port, get, "reset");
    await rawExchange(
      s.h.port,
      "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n",
      "reset",
    );
    await waitForNoConnections(s.h.http, 1);
    assert.ok(!s.h.io.engine.clients.has(peer.sid), "the aborted session is closed at once");
    await waitForSessions(s.h, 1, "the orphaned handshake session to time out");
    await s.finish();
  });
});

describe("CVE-2023-31125: crafted query parameters on WebSocket upgrade requests", () => {
  it("refuses each crafted upgrade with a 400 (or closes it after the 101) and stays up", async (t) => {
    const s = await scene(t);
    const polling = await PollingPeer.open(s.h.port);
    const ws = await WsPeer.open(s.h.port);
    const wsSid = s.h.io.engine
      ? [...s.h.io.engine.clients.keys()].find((k) => k !== polling.sid)
      : "";
    const queries = [
      "EIO=4&transport=websocket&transport=polling",
      "EIO=4&transport=polling&transport=websocket",
      "EIO=4&transport=polling",
      `EIO=4&transport=polling&sid=${polling.sid}`,
      "EIO=4&transport=constructor",
      "EIO=4&transport=__proto__",
      "EIO=4&transport=toString",
      "EIO=4&transport=webtransport",
      "EIO=4&transport[]=websocket",
      "EIO=4&transport=websocket&sid=__proto__",
      "EIO=4&transport=websocket&sid=constructor",
      "EIO=4&transport=websocket&sid=hasOwnProperty",
      `EIO=4&transport=websocket&sid=${polling.sid}&sid=nope`,
      `EIO=4&transport=websocket&sid=${wsSid}`,
      "EIO=4&EIO=3&transport=websocket",
      "EIO=%E0%A4%A&transport=%ZZ",
      "transport=websocket",
      "",
    ];
    const answers = new Map<string, string>();
    for (const q of queries) {
      const r = await rawExchange(s.h.port, upgradeRequest(`/socket.io/?${q}`));
      answers.set(q, r.statusLine);
      assert.match(r.statusLine, /^HTTP\/1\.1 (101|400)/, `${q} → ${r.statusLine}`);
    }
    // The crafted values never open or upgrade anything.
    assert.match(answers.get("EIO=4&transport=polling") ?? "", /400/);
    assert.match(answers.get("EIO=4&transport=constructor") ?? "", /400/);
    assert.match(answers.get("EIO=4&transport=websocket&sid=__proto__") ?? "", /400/);
    // Non-WebSocket upgrades (h2c, garbage) and broken handshakes are refused too.
    for (const extra of [["Sec-WebSocket-Version: 99"], ["Sec-WebSocket-Key: short"]]) {
      const r = await rawExchange(
        s.h.port,
        upgradeRequest("/socket.io/?EIO=4&transport=websocket", extra),
      );
      assert.match(r.statusLine, /^HTTP\/1\.1 4\d\d/);
    }
    const h2c = await rawExchange(
      s.h.port,
      "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n",
    );
    assert.match(h2c.statusLine, /^HTTP\/1\.1 400/);
    // The legitimate sessions the attacker named are untouched.
    polling.post("40");
    assert.match((await polling.get()).text, /^40\{"sid":"/);
    ws.send("40");
    assert.match(String(await ws.next()), /^40\{"sid":"/);
    ws.terminate();
    await s.finish();
  });
});

describe("CVE-2023-32695: EVENT packets whose name is not a string", () => {
  it("closes only the offending connection with 'parse error' for each crafted event name", async (t) => {
    const s = await scene(t);
    const crafted = [
      '42[{"toString":"foo"}]',
      '42[{"toString":{"x":1},"valueOf":1}]',
      "42[{}]",
      "42[null]",
      '42[["array"]]',
      "42[true]",
      "42[]",
      "42{}",
      '42"event"',
      '42["connect"]',
      '42["disconnect"]',
      '42["newListener","x"]',
      '451-[{"toString":"x"},{"_placeholder":true,"num":0}]',
    ];
    for (const packet of crafted) {
      const before = s.h.reasons.length;
      const peer = await connected(s.h.port);
      peer.send(packet);
      const { code } = await peer.closed;
      assert.equal(code, 1005, `${packet} → close code ${code}`);
      await waitForSessions(s.h, 1, `${packet} to close its session`);
      assert.deepEqual(s.h.reasons.slice(before), ["parse error"], packet);
    }
    await s.finish();
  });
});

describe("CVE-2024-38355: an EVENT named 'error'", () => {
  it("does not throw when no 'error' listener exists, and the connection keeps working", async (t) => {
    const s = await scene(t);
    const peer = await connected(s.h.port);
    for (const packet of [
      '42["error"]',
      '42["error","boom"]',
      '42["error",{"message":"x"}]',
      '421["error"]',
    ]) {
      peer.send(packet);
    }
    peer.send('42["echo","still here"]');
    peer.send('4217["echo","still here"]');
    assert.equal(await peer.next(), '4317["still here"]');
    peer.terminate();
    await s.finish();
  });

  it("hands a client-sent 'error' to the application's listener; a throwing listener hurts no one", async (t) => {
    const s = await scene(t);
    const seen: unknown[] = [];
    s.h.io.on("connection", (socket) => {
      socket.on("error", (err: unknown) => {
        seen.push(err);
        throw new Error("listener bug");
      });
      socket.on("explode", () => {
        throw new Error("handler bug");
      });
    });
    const peer = await connected(s.h.port);
    peer.send('42["error","from client"]');
    peer.send('42["explode"]');
    peer.send('429["echo","alive"]');
    assert.equal(await peer.next(), '439["alive"]');
    assert.ok(seen.includes("from client"));
    peer.terminate();
    await s.finish();
  });
});
