/**
 * Page helpers shared by the chat browser tests (test/browser/chat-*.test.ts): open the chat in
 * a fresh browser context, join a room, send, and read what a page shows.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";

/** Where screenshots go (gitignored). */
export const OUTPUT_DIR = join(import.meta.dirname, "..", "..", "test-output");

export const LAPTOP = { width: 1024, height: 640 } as const;
export const PHONE = { width: 390, height: 720 } as const;

/** A page plus the uncaught errors it threw (tests assert there are none). */
export interface ChatPage {
  readonly page: Page;
  readonly errors: Error[];
  close(): Promise<void>;
}

export interface OpenOptions {
  viewport?: { width: number; height: number };
  /** Query string appended to the URL, e.g. `?reconnectionDelay=100`. */
  query?: string;
  /** Removes `window.WebSocket` before any page script runs. */
  blockWebSocket?: boolean;
}

/** Opens the chat in its own browser context (own storage, own connection). */
export async function openChat(
  browser: Browser,
  url: string,
  options: OpenOptions = {},
): Promise<ChatPage> {
  const context = await browser.newContext({ viewport: options.viewport ?? LAPTOP });
  if (options.blockWebSocket) {
    await context.addInitScript(() => {
      Object.defineProperty(window, "WebSocket", { value: undefined, configurable: true });
    });
  }
  const page = await context.newPage();
  const errors: Error[] = [];
  page.on("pageerror", (err) => errors.push(err));
  await page.goto(`${url}/${options.query ?? ""}`);
  return { page, errors, close: () => context.close() };
}

/** Joins `room` as `nick` from the lobby and waits until the room is shown. */
export async function joinRoom(page: Page, nick: string, room: string): Promise<void> {
  await page.locator("#banner[data-state=connected]").waitFor();
  await page.fill("#nick", nick);
  await page.fill("#room", room);
  await page.click("#login button[type=submit]");
  await page.locator("#room-title", { hasText: `#${room}` }).waitFor();
}

/** Types `text` into the composer and presses Enter. */
export async function sendText(page: Page, text: string): Promise<void> {
  await page.fill("#text", text);
  await page.press("#text", "Enter");
}

/** Waits until a message with exactly this text is shown. */
export async function waitForMessage(page: Page, text: string): Promise<void> {
  await page.locator(".msg-text", { hasText: text }).first().waitFor();
}

/** Waits until the page's own message with this text has its delivery tick. */
export async function waitForDelivered(page: Page, text: string): Promise<void> {
  await page.locator(".msg.mine[data-status=delivered]", { hasText: text }).waitFor();
}

/** How many messages with exactly this text the page shows. */
export function countMessages(page: Page, text: string): Promise<number> {
  return page.evaluate(
    (t) => [...document.querySelectorAll(".msg-text")].filter((n) => n.textContent === t).length,
    text,
  );
}

/** The nicknames in the page's online list. */
export function onlineList(page: Page): Promise<string[]> {
  return page.locator("#people li").allTextContents();
}

/** Waits until the online list is exactly `nicks` (sorted). */
export async function waitForOnline(page: Page, nicks: string[]): Promise<void> {
  await page.waitForFunction(
    (want) =>
      JSON.stringify([...document.querySelectorAll("#people li")].map((n) => n.textContent)) ===
      JSON.stringify(want),
    [...nicks].sort(),
  );
}

/** Writes a screenshot to test-output/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const path = join(OUTPUT_DIR, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** A small PNG drawn by the browser's canvas (so the test needs no image fixture). */
export async function drawPng(page: Page): Promise<Buffer> {
  const dataUrl = await page.evaluate(() => {
    const canvas = document.createElement("canvas");
    canvas.width = 96;
    canvas.height = 64;
    const g = canvas.getContext("2d");
    if (!g) throw new Error("no 2d context");
    g.fillStyle = "#2f6fed";
    g.fillRect(0, 0, 96, 64);
    g.fillStyle = "#ffd34d";
    g.beginPath();
    g.arc(30, 26, 12, 0, Math.PI * 2);
    g.fill();
    g.fillStyle = "#1f9d55";
    g.fillRect(0, 44, 96, 20);
    return canvas.toDataURL("image/png");
  });
  return Buffer.from(dataUrl.slice(dataUrl.indexOf(",") + 1), "base64");
}
