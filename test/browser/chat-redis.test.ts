/**
 * Two chat processes' worth of servers sharing rooms over Redis (REDIS_URL): a page on each
 * node, in the same room, sees the other's messages, presence, typing and history. Runs against
 * a private redis-server on a free port.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { createClient } from "redis";
import { type ChatServer, createChatServer } from "../../examples/chat/app.mjs";
import { type RedisInstance, redisMissing, startRedis } from "../adapters/redis-server.js";
import { launchChromium, skipWithoutChromium } from "../helpers/browser.js";
import {
  type ChatPage,
  countMessages,
  joinRoom,
  onlineList,
  openChat,
  screenshot,
  sendText,
  waitForDelivered,
  waitForMessage,
  waitForOnline,
} from "./chat-pages.js";

/** Connections Redis has open to clients other than the asking one. */
async function otherClients(url: string): Promise<number> {
  const probe = createClient({ url });
  await probe.connect();
  try {
    const list = await probe.sendCommand<string>(["CLIENT", "LIST"]);
    return list.split("\n").filter((line) => line.trim() !== "").length - 1;
  } finally {
    await probe.quit();
  }
}

describe("chat on two nodes sharing Redis", { skip: redisMissing || skipWithoutChromium() }, () => {
  let browser: Browser;
  let redis: RedisInstance;
  let east: ChatServer;
  let west: ChatServer;
  const opened: ChatPage[] = [];

  before(async () => {
    redis = await startRedis();
    [browser, east, west] = await Promise.all([
      launchChromium(),
      createChatServer({ port: 0, redisUrl: redis.url }),
      createChatServer({ port: 0, redisUrl: redis.url }),
    ]);
  });
  after(async () => {
    await Promise.all(opened.map((p) => p.close()));
    await browser?.close();
    await Promise.all([east?.close(), west?.close()]);
    await redis?.dispose();
  });

  async function open(chat: ChatServer) {
    const p = await openChat(browser, chat.url);
    opened.push(p);
    return p.page;
  }

  test("pages on two nodes in one room share messages, presence, typing and history", async () => {
    assert.notEqual(east.port, west.port);
    const [alice, bob, zoe] = await Promise.all([open(east), open(west), open(west)]);
    await joinRoom(alice, "alice", "bridge");
    await joinRoom(bob, "bob", "bridge");
    await joinRoom(zoe, "zoe", "engine-room");

    await waitForOnline(alice, ["alice", "bob"]);
    await waitForOnline(bob, ["alice", "bob"]);
    await alice.locator(".notice", { hasText: "bob joined" }).waitFor();
    // Head counts span both nodes too.
    await zoe.locator("#rooms li", { hasText: "#bridge2" }).waitFor();

    await sendText(alice, "hello from the east node");
    await waitForMessage(bob, "hello from the east node");
    await waitForDelivered(alice, "hello from the east node");

    await bob.fill("#text", "typ");
    await alice.locator("#typing", { hasText: "bob is typing…" }).waitFor();
    await sendText(bob, "and hello from the west");
    await waitForMessage(alice, "and hello from the west");
    await waitForDelivered(bob, "and hello from the west");

    // zoe's own round trip on the west node comes after the bridge broadcasts: nothing leaked.
    await sendText(zoe, "quiet down here");
    await waitForDelivered(zoe, "quiet down here");
    assert.deepEqual(await zoe.locator(".msg-text").allTextContents(), ["quiet down here"]);
    assert.equal(await countMessages(alice, "quiet down here"), 0);

    // A nickname taken on the other node is refused.
    const impostor = await open(east);
    await impostor.locator("#banner[data-state=connected]").waitFor();
    await impostor.fill("#nick", "Bob");
    await impostor.fill("#room", "bridge");
    await impostor.click("#login button[type=submit]");
    await impostor.locator("#login-error", { hasText: "already taken in #bridge" }).waitFor();

    // A newcomer on the east node gets both nodes' messages from the history.
    const carol = await open(east);
    await joinRoom(carol, "carol", "bridge");
    await waitForMessage(carol, "and hello from the west");
    assert.deepEqual(await carol.locator(".msg-text").allTextContents(), [
      "hello from the east node",
      "and hello from the west",
    ]);
    await waitForOnline(bob, ["alice", "bob", "carol"]);

    // Leaving on one node updates the other's online list.
    await carol.click("#leave");
    await waitForOnline(bob, ["alice", "bob"]);
    await bob.locator(".notice", { hasText: "carol left" }).waitFor();
    // A closed tab (a disconnect, not a Leave) disappears from the other node's list as well.
    const alicePage = opened.find((p) => p.page === alice);
    await alicePage?.close();
    await waitForOnline(bob, ["bob"]);
    await bob.locator(".notice", { hasText: "alice left" }).waitFor();
    assert.deepEqual(await onlineList(bob), ["bob"]);

    await screenshot(bob, "chat-redis-west");
    for (const p of opened) assert.deepEqual(p.errors, [], "uncaught errors in the page");
  });

  test("closing the chats closes their Redis clients", async () => {
    assert.equal(await otherClients(redis.url), 4, "two clients (pub, sub) per chat");
    await Promise.all([east.close(), west.close()]);
    assert.equal(await otherClients(redis.url), 0);
  });
});
