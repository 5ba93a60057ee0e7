/**
 * The chat example survives a server restart: pages show they are reconnecting, come back by
 * themselves, and a message typed during the outage is delivered exactly once.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { type ChatServer, createChatServer } from "../../examples/chat/app.mjs";
import { launchChromium, skipWithoutChromium } from "../helpers/browser.js";
import {
  type ChatPage,
  countMessages,
  joinRoom,
  openChat,
  sendText,
  waitForDelivered,
  waitForMessage,
  waitForOnline,
} from "./chat-pages.js";

describe("chat across a server restart", { skip: skipWithoutChromium() }, () => {
  let browser: Browser;
  const servers: ChatServer[] = [];
  const opened: ChatPage[] = [];

  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await Promise.all(opened.map((p) => p.close()));
    await browser?.close();
    await Promise.all(servers.map((s) => s.close()));
  });

  test("pages reconnect on their own and a message typed during the outage arrives once", async () => {
    const first = await createChatServer({ port: 0 });
    servers.push(first);
    // A short reconnection delay keeps the test fast; the page reads it from the query string.
    const query = "?reconnectionDelay=100";
    const a = await openChat(browser, first.url, { query });
    const b = await openChat(browser, first.url, { query });
    opened.push(a, b);
    const [lena, milo] = [a.page, b.page];
    await joinRoom(lena, "lena", "ops");
    await joinRoom(milo, "milo", "ops");
    await sendText(lena, "before the restart");
    await waitForMessage(milo, "before the restart");

    await first.close();
    for (const page of [lena, milo]) {
      await page.locator("#banner[data-state=reconnecting]").waitFor();
      await page.locator("#banner-text", { hasText: /Reconnecting… attempt \d+/ }).waitFor();
    }

    await sendText(lena, "typed while the server was down");
    await lena.locator(".msg.mine[data-status=pending]", { hasText: "while the server" }).waitFor();
    await lena.locator("#banner-text", { hasText: "1 message queued" }).waitFor();

    const second = await createChatServer({ port: first.port });
    servers.push(second);
    for (const page of [lena, milo]) await page.locator("#banner[data-state=connected]").waitFor();

    // Both are back in the room without doing anything.
    await waitForOnline(lena, ["lena", "milo"]);
    await waitForOnline(milo, ["lena", "milo"]);
    await waitForDelivered(lena, "typed while the server was down");
    await waitForMessage(milo, "typed while the server was down");
    assert.doesNotMatch((await lena.textContent("#banner-text")) ?? "", /queued/);

    // Later traffic in both directions: any duplicate of the queued message would be on the
    // pages by the time these arrive.
    await sendText(milo, "welcome back");
    await waitForMessage(lena, "welcome back");
    await sendText(lena, "thanks");
    await waitForMessage(milo, "thanks");
    await waitForDelivered(lena, "thanks");
    assert.equal(await countMessages(milo, "typed while the server was down"), 1);
    assert.equal(await countMessages(lena, "typed while the server was down"), 1);
    for (const p of opened) assert.deepEqual(p.errors, [], "uncaught errors in the page");
  });
});
