/**
 * The minified browser bundles themselves (property-mangled, as shipped) against the official
 * `socket.io` server: each IIFE runs with a sandboxed `globalThis` that, like a page with
 * WebSocket blocked, has no `WebSocket`, `Buffer` or `location` — so the browser code paths run
 * (fetch polling, failed upgrade probe, atob/btoa base64, ArrayBuffer binary).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Server } from "socket.io";
import msgpackParser from "socket.io-msgpack-parser";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

type ClientSocket = {
  connected: boolean;
  on(ev: string, fn: (...a: unknown[]) => void): void;
  emitWithAck(ev: string, ...args: unknown[]): Promise<unknown>;
  disconnect(): void;
};
type Io = (url: string, opts?: object) => ClientSocket;

before(async () => {
  const step = "../../scripts/build-steps/client-bundles.mjs";
  const { default: build } = (await import(step)) as { default: (root: string) => Promise<void> };
  await build(root);
});

/** Evaluates a bundle with its own `globalThis` and returns the `io` it defines. */
function load(name: string): Io {
  const page: { io?: Io } = {};
  new Function("globalThis", readFileSync(join(root, "dist/bundles", name), "utf8"))(page);
  assert.equal(typeof page.io, "function", name);
  return page.io as Io;
}

for (const [bundle, parser] of [
  ["socket.io.min.js", undefined],
  ["socket.io.msgpack.min.js", msgpackParser],
] as const) {
  test(`${bundle} connects over polling, acks events and returns binary as ArrayBuffer`, async (t) => {
    const http = createServer();
    const server = new Server(http, parser ? { parser } : {});
    server.of("/chat").on("connection", (s) => {
      s.on("echo", (...args: unknown[]) => {
        const ack = args.pop() as (...a: unknown[]) => void;
        ack(args);
      });
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const socket = load(bundle)(`http://127.0.0.1:${(http.address() as AddressInfo).port}/chat`);
    t.after(() => {
      socket.disconnect();
      server.close();
    });
    await new Promise<void>((resolve, reject) => {
      socket.on("connect", () => resolve());
      socket.on("connect_error", reject);
    });
    const reply = (await socket.emitWithAck("echo", "hi", new Uint8Array([1, 2, 3]))) as unknown[];
    assert.equal(reply[0], "hi");
    assert.ok(reply[1] instanceof ArrayBuffer, "binary arrives as an ArrayBuffer");
    assert.deepEqual([...new Uint8Array(reply[1] as ArrayBuffer)], [1, 2, 3]);
  });
}
