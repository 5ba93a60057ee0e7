/**
 * The minified browser bundle (`dist/bundles/socket.io.min.js`) in headless Chromium, over
 * long-polling and over WebSocket: throwing listeners are reported as uncaught errors while
 * the connection keeps receiving, and emits made after the ping deadline passed (a throttled
 * tab, a laptop waking up) are buffered and acknowledged after the reconnection.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Page } from "playwright-core";
import { skipWithoutChromium } from "../helpers/browser.js";
import { bundlePage, chromiumSession, PAGE_UNTIL } from "../helpers/bundle-page.js";
import { serverKinds } from "../integration/client-servers.js";

const bundle = bundlePage("socket.io.min.js");
const skip = skipWithoutChromium();
const kinds = await serverKinds();

// Page helpers, as a string: functions compiled by tsx would reference its helpers in the page.
const prelude = `
  window.until = ${PAGE_UNTIL};
  window.uncaught = [];
  window.addEventListener("error", (e) => {
    uncaught.push(e.error && e.error.message);
    e.preventDefault();
  });
`;

for (const kind of kinds) {
  describe(`browser bundle drop-in behaviours against ${kind.name}`, { skip }, () => {
    const session = chromiumSession(bundle, (pages) =>
      kind.start(
        {},
        (ioServer) =>
          ioServer.on("connection", (s) => {
            s.on("go", () => {
              s.emit("boom");
              for (let i = 0; i < 100; i++) s.emit("n", i);
            });
            s.on("echo", (v: unknown, ack: (v: unknown) => void) => ack(v));
          }),
        pages,
      ),
    );

    async function open(): Promise<Page> {
      const page = await session.browser.newPage();
      await page.goto(`${session.server.url}/`);
      await page.evaluate(prelude);
      return page;
    }

    for (const transport of ["polling", "websocket"]) {
      test(`over ${transport}, throwing listeners (Manager open, event) are uncaught errors and the next 100 events arrive in order without a reconnection`, async () => {
        const page = await open();
        const result = await page.evaluate(`(async () => {
          const sock = io({ forceNew: true, transports: [${JSON.stringify(transport)}] });
          const got = [];
          const events = [];
          sock.io.on("reconnect_attempt", () => events.push("reconnect_attempt"));
          sock.on("disconnect", (r) => events.push("disconnect:" + r));
          sock.io.once("open", () => { throw new Error("thrown by an open listener"); });
          sock.on("boom", () => { throw new Error("thrown by a listener"); });
          sock.on("n", (i) => got.push(i));
          await until(() => sock.connected, "connect");
          sock.emit("go");
          await until(() => got.length >= 100, "100 events");
          const echoed = await sock.emitWithAck("echo", "still there");
          sock.disconnect();
          return { uncaught, events, got, echoed, transport: sock.io.engine.transport.name };
        })()`);
        assert.deepEqual(result, {
          uncaught: ["thrown by an open listener", "thrown by a listener"],
          events: ["disconnect:io client disconnect"],
          got: Array.from({ length: 100 }, (_, i) => i),
          echoed: "still there",
          transport,
        });
        await page.close();
      });

      test(`over ${transport}, after the clock jumps past the ping deadline (throttled timers), every emit of a burst is acknowledged after the reconnection`, async () => {
        const page = await open();
        const result = await page.evaluate(`(async () => {
          const sock = io({ forceNew: true, transports: [${JSON.stringify(transport)}],
            reconnectionDelay: 20, reconnectionDelayMax: 50 });
          await until(() => sock.connected, "connect");
          const order = [];
          sock.io.on("reconnect", () => order.push("reconnect"));
          // No timer ran while the clock moved on by ten minutes (a background tab, a sleep).
          const now = Date.now;
          Date.now = () => now() + 600000;
          const acks = [];
          for (let i = 0; i < 6; i++) {
            acks.push(i % 2
              ? sock.emitWithAck("echo", i).then((v) => order.push("ack:" + v))
              : new Promise((r) => sock.emit("echo", i, r)).then((v) => order.push("ack:" + v)));
          }
          const buffered = sock.sendBuffer.length;
          await Promise.all(acks);
          sock.disconnect();
          return { buffered, order, uncaught };
        })()`);
        assert.deepEqual(result, {
          buffered: 6,
          order: ["reconnect", "ack:0", "ack:1", "ack:2", "ack:3", "ack:4", "ack:5"],
          uncaught: [],
        });
        await page.close();
      });
    }
  });
}
