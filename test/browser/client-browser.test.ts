/**
 * The built browser bundle (`dist/bundles/socket.io.js`) in headless Chromium, against the
 * official server (and Tether's when available): events and binary, upgrade to websocket,
 * long-polling when WebSocket is blocked, reconnection after a server restart.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Page } from "playwright-core";
import { skipWithoutChromium } from "../helpers/browser.js";
import { bundlePage, chromiumSession, PAGE_UNTIL } from "../helpers/bundle-page.js";
import { serverKinds } from "../integration/client-servers.js";

const bundle = bundlePage("socket.io.js");
const skip = skipWithoutChromium();
const kinds = await serverKinds();

for (const kind of kinds) {
  describe(`browser bundle against ${kind.name}`, { skip }, () => {
    const session = chromiumSession(bundle, (pages) =>
      kind.start(
        {},
        (ioServer) =>
          ioServer.on("connection", (s) => {
            s.on("echo", (...args: unknown[]) => {
              const ack = args.pop() as (...a: unknown[]) => void;
              ack(...args);
            });
            s.emit("hello", { bytes: Buffer.from([1, 2, 3]) });
          }),
        pages,
      ),
    );

    async function open(blockWebSocket: boolean): Promise<Page> {
      const context = await session.browser.newContext();
      if (blockWebSocket) {
        await context.addInitScript({
          content: 'Object.defineProperty(window, "WebSocket", { value: undefined });',
        });
      }
      const page = await context.newPage();
      await page.goto(`${session.server.url}/`);
      // Scripts are strings: functions compiled by tsx would reference its helpers in the page.
      await page.evaluate(`
        window.events = [];
        window.sock = io({ reconnectionDelay: 100, reconnectionDelayMax: 500 });
        sock.on("hello", (d) => events.push(d));
        sock.on("connect", () => events.push("connect"));
        sock.on("disconnect", (r) => events.push("disconnect:" + r));
        sock.io.on("reconnect_attempt", (n) => events.push("attempt:" + n));
        sock.io.on("reconnect_error", (e) => events.push("rerr:" + e.message));
      `);
      return page;
    }

    test("the global io() connects, exchanges events and binary, and upgrades to websocket", async () => {
      const page = await open(false);
      const result = await page.evaluate(`(async () => {
        const until = ${PAGE_UNTIL};
        await until(() => sock.connected && events.length >= 2);
        const hello = events.find((e) => typeof e === "object");
        const echoed = await sock.emitWithAck("echo", new Uint8Array([9, 8, 7]).buffer);
        await until(() => sock.io.engine.transport.name === "websocket");
        const again = await sock.emitWithAck("echo", "after upgrade");
        return {
          helloIsArrayBuffer: hello.bytes instanceof ArrayBuffer,
          hello: [...new Uint8Array(hello.bytes)],
          echoed: [...new Uint8Array(echoed)],
          again,
          transport: sock.io.engine.transport.name,
          api: [typeof io.Manager, typeof io.Socket, io.protocol],
        };
      })()`);
      assert.deepEqual(result, {
        helloIsArrayBuffer: true,
        hello: [1, 2, 3],
        echoed: [9, 8, 7],
        again: "after upgrade",
        transport: "websocket",
        api: ["function", "function", 5],
      });
    });

    test("falls back to long-polling when WebSocket is blocked, and reconnects after a server restart", async () => {
      const page = await open(true);
      const waitIn = (expr: string) =>
        page.waitForFunction(expr, undefined, { timeout: 15_000, polling: 50 }).catch(async (e) => {
          throw new Error(`${e}; page events: ${await page.evaluate("JSON.stringify(events)")}`);
        });
      await waitIn("window.sock.connected");
      assert.equal(
        await page.evaluate("window.sock.emitWithAck('echo', 'over polling')"),
        "over polling",
      );
      assert.equal(await page.evaluate("window.sock.io.engine.transport.name"), "polling");
      await session.server.restart();
      await waitIn(
        "window.events.filter((e) => e === 'connect').length >= 2 && window.sock.connected",
      );
      assert.equal(await page.evaluate("window.sock.emitWithAck('echo', 'back')"), "back");
    });
  });
}
