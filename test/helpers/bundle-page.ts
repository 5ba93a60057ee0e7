/**
 * One built client bundle served to headless Chromium: the bundle at `/tether/<file>` and, at
 * `/`, an empty page that loads it (hand `pages` to a test server as its extra HTTP handler);
 * `chromiumSession` runs Chromium and such a server for one `describe` block.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname, join } from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import type { TestServer } from "../integration/client-servers.js";
import { launchChromium } from "./browser.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * In-page helper, as source (a function compiled by tsx would reference tsx's helpers in the
 * page): `until(cond, what?, ms?)` resolves once `cond()` holds, checking every 10 ms, and
 * rejects naming `what` after `ms` (10 s by default). Use as `const until = ${PAGE_UNTIL};`.
 */
export const PAGE_UNTIL = `async (f, what = "condition", ms = 10000) => {
  const end = performance.now() + ms;
  while (!f()) {
    if (performance.now() > end) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 10));
  }
}`;

/** A bundle of `dist/bundles/` and the page that loads it. */
export interface BundlePage {
  /** HTTP handler: the bundle, the page at `/`, 404 for anything else. */
  readonly pages: (req: IncomingMessage, res: ServerResponse) => void;
  /** Builds the client bundles when this one is missing (a test run without `npm run build`). */
  ensureBuilt(): Promise<void>;
}

/** Serves `dist/bundles/<file>`, read afresh on each request. */
export function bundlePage(file: "socket.io.js" | "socket.io.min.js"): BundlePage {
  const path = join(root, "dist/bundles", file);
  const url = `/tether/${file}`;
  return {
    pages: (req, res) => {
      if (req.url === url) {
        res.writeHead(200, { "content-type": "application/javascript" });
        res.end(readFileSync(path));
        return;
      }
      if (req.url === "/") {
        res.writeHead(200, { "content-type": "text/html" });
        res.end(`<!doctype html><script src="${url}"></script>`);
        return;
      }
      res.writeHead(404).end();
    },
    ensureBuilt: async () => {
      if (existsSync(path)) return;
      const step = "../../scripts/build-steps/client-bundles.mjs";
      const { default: build } = (await import(step)) as {
        default: (root: string) => Promise<void>;
      };
      await build(root);
    },
  };
}

/** Chromium and the server its pages load from, available once the block's `before` ran. */
export interface ChromiumSession {
  readonly browser: Browser;
  readonly server: TestServer;
}

/**
 * Call inside a `describe`: before its tests, builds `bundle` if missing, launches Chromium and
 * starts a server with `start(bundle.pages)`; after them, closes both.
 */
export function chromiumSession(
  bundle: BundlePage,
  start: (pages: BundlePage["pages"]) => Promise<TestServer>,
): ChromiumSession {
  let browser: Browser | undefined;
  let server: TestServer | undefined;
  before(async () => {
    await bundle.ensureBuilt();
    browser = await launchChromium();
    server = await start(bundle.pages);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });
  return {
    get browser() {
      assert.ok(browser, "Chromium is not running: used outside the describe's tests");
      return browser;
    },
    get server() {
      assert.ok(server, "the test server is not running: used outside the describe's tests");
      return server;
    },
  };
}
