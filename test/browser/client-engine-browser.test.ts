/**
 * The Engine.IO client inside the built browser bundle (`dist/bundles/socket.io.js`, reached as
 * `socket.io.engine`) in headless Chromium, against the official server: a throwing `message`
 * listener does not make the connection deaf, and `binaryType` gives ArrayBuffer (default) or
 * Blob, over long-polling and WebSocket.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Page } from "playwright-core";
import { skipWithoutChromium } from "../helpers/browser.js";
import { bundlePage, chromiumSession, PAGE_UNTIL } from "../helpers/bundle-page.js";
import { serverKinds } from "../integration/client-servers.js";

const bundle = bundlePage("socket.io.js");
const skip = skipWithoutChromium();

const UNTIL = `const until = ${PAGE_UNTIL};`;

describe("engine client in Chromium", { skip }, () => {
  const session = chromiumSession(bundle, async (pages) => {
    const [official] = await serverKinds();
    assert.ok(official);
    return official.start(
      {},
      (io) =>
        io.on("connection", (s) => {
          s.on("burst", (n: number) => {
            for (let i = 0; i < n; i++) s.emit("n", i);
          });
          s.on("bin", () => s.emit("b", Buffer.from([1, 2, 3])));
        }),
      pages,
    );
  });

  async function page(): Promise<Page> {
    const p = await (await session.browser.newContext()).newPage();
    await p.goto(`${session.server.url}/`);
    return p;
  }

  for (const transport of ["polling", "websocket"]) {
    test(`after a 'message' listener throws, the next 100 messages arrive in order over ${transport}, with no reconnect`, async () => {
      const p = await page();
      const result = await p.evaluate(`(async () => {
        ${UNTIL}
        const errors = [];
        window.addEventListener("error", (e) => errors.push(e.message));
        const sock = io({ transports: ["${transport}"], reconnectionDelay: 100 });
        let attempts = 0;
        sock.io.on("reconnect_attempt", () => attempts++);
        await until(() => sock.connected);
        const engine = sock.io.engine;
        const id = engine.id;
        const got = [];
        let thrown = false;
        engine.on("message", (d) => {
          // Socket.IO EVENT packets: 2["n",i].
          if (typeof d !== "string" || !d.startsWith('2["n"')) return;
          if (!thrown) {
            thrown = true;
            throw new Error("boom in the page");
          }
          got.push(JSON.parse(d.slice(1))[1]);
        });
        sock.emit("burst", 101);
        await until(() => got.length >= 100);
        await until(() => errors.length > 0, "the uncaught error", 1000);
        return {
          got,
          errors,
          attempts,
          sameSession: sock.io.engine === engine && engine.id === id,
          connected: sock.connected,
          transport: engine.transport.name,
        };
      })()`);
      assert.deepEqual(result, {
        got: Array.from({ length: 100 }, (_, i) => i + 1),
        errors: ["Uncaught Error: boom in the page"],
        attempts: 0,
        sameSession: true,
        connected: true,
        transport,
      });
    });

    test(`binaryType gives ArrayBuffer by default and Blob when set to 'blob', over ${transport}`, async () => {
      const p = await page();
      const result = await p.evaluate(`(async () => {
        ${UNTIL}
        const sock = io({ transports: ["${transport}"] });
        await until(() => sock.connected);
        const engine = sock.io.engine;
        const binary = [];
        const args = [];
        engine.on("message", (d) => typeof d !== "string" && binary.push(d));
        sock.on("b", (a) => args.push(a));
        const initial = engine.binaryType;
        sock.emit("bin");
        await until(() => args.length === 1);
        engine.binaryType = "blob";
        sock.emit("bin");
        await until(() => args.length === 2);
        const bytes = async (d) => [...new Uint8Array(d instanceof Blob ? await d.arrayBuffer() : d)];
        return {
          initial,
          kinds: binary.map((d) => Object.prototype.toString.call(d)),
          bytes: await Promise.all(binary.map(bytes)),
          firstArgIsTheSame: args[0] === binary[0],
        };
      })()`);
      assert.deepEqual(result, {
        initial: "arraybuffer",
        kinds: ["[object ArrayBuffer]", "[object Blob]"],
        bytes: [
          [1, 2, 3],
          [1, 2, 3],
        ],
        firstArgIsTheSame: true,
      });
    });
  }
});
