/**
 * The official Admin UI page — the static files shipped in `@socket.io/admin-ui` (`ui/dist`),
 * served by a small local HTTP server — in real Chromium, connected to a Tether server that
 * calls `instrument(io)`: the page lists that server's sockets, rooms and events. Requests the
 * page makes to other hosts (web fonts, icon CSS on CDNs) are refused: no network.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server as HttpServer } from "node:http";
import { createRequire } from "node:module";
import { dirname, extname, join, normalize, sep } from "node:path";
import { after, before, describe, test } from "node:test";
import { instrument } from "@socket.io/admin-ui";
import type { Browser, Page } from "playwright-core";
import { type Socket as ClientSocket, io as ioc } from "socket.io-client";
import { Server } from "../../src/index.js";
import { launchChromium, skipWithoutChromium } from "../helpers/browser.js";
import { closeServer, listen } from "../helpers/wait.js";
import { ADMIN_PASSWORD, ADMIN_PASSWORD_HASH } from "../interop/admin-ui-harness.js";
import { next } from "../interop/server-harness.js";
import { OUTPUT_DIR } from "./chat-pages.js";

const UI_DIR = join(
  dirname(createRequire(import.meta.url).resolve("@socket.io/admin-ui/package.json")),
  "ui",
  "dist",
);
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".json": "application/json",
  ".map": "application/json",
};

/** Serves `root` read-only (GET only, no directory listing, nothing outside `root`). */
function staticServer(root: string): HttpServer {
  return createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent((req.url ?? "/").split("?")[0] ?? "/")));
    const file = path.endsWith(sep) ? join(path, "index.html") : path;
    if (req.method !== "GET" || !file.startsWith(root + sep)) {
      res.writeHead(404).end();
      return;
    }
    readFile(file).then(
      (body) => {
        res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
        res.end(body);
      },
      () => res.writeHead(404).end(),
    );
  });
}

/** A screenshot in test-output/, CSS transitions finished (docs/admin-ui.png comes from here). */
async function snap(page: Page, name: string): Promise<void> {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  await page.screenshot({ path: join(OUTPUT_DIR, `${name}.png`), animations: "disabled" });
}

describe(
  "the Admin UI page in Chromium on a Tether server",
  { skip: skipWithoutChromium() },
  () => {
    let browser: Browser;
    let ui: HttpServer;
    let uiUrl: string;
    let http: HttpServer;
    let io: Server;
    let serverUrl: string;
    const users: ClientSocket[] = [];
    const pageErrors: Error[] = [];

    before(async () => {
      ui = staticServer(UI_DIR);
      uiUrl = `http://127.0.0.1:${await listen(ui)}`;
      http = createServer();
      // The page runs on another origin and connects `withCredentials`.
      io = new Server(http, { cors: { origin: uiUrl, credentials: true } });
      // socket.io's Server declares private members, so TypeScript accepts only its own class
      // there: one cast (docs/admin-ui.md).
      instrument(io as unknown as Parameters<typeof instrument>[0], {
        auth: { type: "basic", username: "admin", password: ADMIN_PASSWORD_HASH },
        mode: "development",
        serverId: "tether-demo",
      });
      io.on("connection", (socket) => {
        void socket.join("lobby");
        socket.on("hello", (who: string) => {
          socket.emit("welcome", `hello ${who}`);
        });
      });
      io.of("/chat").on("connection", (socket) => {
        void socket.join("general");
      });
      serverUrl = `http://127.0.0.1:${await listen(http)}`;
      browser = await launchChromium();
    });
    after(async () => {
      for (const u of users) u.disconnect();
      await browser?.close();
      await io?.close();
      await Promise.all([http && closeServer(http), ui && closeServer(ui)]);
    });

    async function user(nsp: string, transports: string[]): Promise<ClientSocket> {
      const s = ioc(`${serverUrl}${nsp}`, { forceNew: true, reconnection: false, transports });
      users.push(s);
      await next(s, "connect");
      return s;
    }

    async function openAdminUi(): Promise<Page> {
      const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      page.on("pageerror", (err) => pageErrors.push(err));
      await page.route("**/*", (route) => {
        const { hostname } = new URL(route.request().url());
        return hostname === "127.0.0.1" ? route.continue() : route.abort();
      });
      await page.goto(uiUrl);
      await page.getByLabel("Server URL").fill(serverUrl);
      await page.getByLabel("Username").fill("admin");
      await page.getByLabel("Password").fill(ADMIN_PASSWORD);
      await page.getByRole("button", { name: "Connect" }).click();
      await page.getByRole("dialog").waitFor({ state: "hidden" });
      return page;
    }

    async function show(page: Page, route: string): Promise<void> {
      await page.evaluate((hash) => {
        location.hash = hash;
      }, route);
    }

    test("lists the server's sockets, rooms and events", async () => {
      const alice = await user("/", ["websocket"]);
      const bob = await user("/", ["polling"]);
      const page = await openAdminUi();

      // Sockets: both, with their transport, from all_sockets.
      await show(page, "#/sockets/");
      const rows = page.locator("table tbody tr");
      await rows
        .filter({ hasText: alice.id as string })
        .filter({ hasText: "websocket" })
        .waitFor();
      await rows
        .filter({ hasText: bob.id as string })
        .filter({ hasText: "polling" })
        .waitFor();

      // A socket connecting while the page is open appears live (socket_connected).
      const carol = await user("/", ["websocket"]);
      await rows.filter({ hasText: carol.id as string }).waitFor();

      // Rooms: "lobby" with its three members.
      await show(page, "#/rooms/");
      const lobby = page.locator("table tbody tr", { hasText: "lobby" });
      await lobby.filter({ hasText: "3" }).waitFor();

      // Events: a received and a sent event, by name.
      const welcome = next<[string]>(carol, "welcome");
      carol.emit("hello", "carol");
      assert.deepEqual(await welcome, ["hello carol"]);
      await show(page, "#/events/");
      const events = page.locator("table tbody tr");
      await events.filter({ hasText: "hello" }).first().waitFor();
      await events.filter({ hasText: "welcome" }).first().waitFor();

      // The "disconnect" button of a socket row reaches Tether (`_disconnect`). The click also
      // opens that socket's page (the row's own click handler).
      const bobId = bob.id as string;
      const gone = next<[string]>(bob, "disconnect");
      await show(page, "#/sockets/");
      await rows.filter({ hasText: bobId }).getByRole("button").click();
      assert.equal((await gone)[0], "io server disconnect");
      await show(page, "#/sockets/");
      await rows.filter({ hasText: carol.id as string }).waitFor();
      await page.waitForFunction((id) => {
        return ![...document.querySelectorAll("table tbody tr")].some((tr) => {
          return tr.textContent?.includes(id);
        });
      }, bobId);

      await page.mouse.move(0, 0);
      await snap(page, "admin-ui-sockets");

      // A socket in another namespace.
      await user("/chat", ["websocket"]);

      // Servers: this node's server_stats.
      await show(page, "#/servers/");
      await page.getByText("tether-demo").first().waitFor();
      // Dashboard: namespaces and their socket counts from server_stats (sent every 2 s).
      await show(page, "#/");
      await page.locator("tr", { hasText: "/chat" }).filter({ hasText: "1" }).waitFor();
      await snap(page, "admin-ui-dashboard");
      assert.deepEqual(pageErrors, []);
      await page.close();
    });
  },
);
