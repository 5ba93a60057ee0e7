/**
 * The chat example in real headless Chromium against an in-process server: rooms, who is online
 * (Tether's presence and the client `Presence`), typing, binary images, hostile input and the
 * long-polling fallback.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { type ChatIoSocket, type ChatServer, createChatServer } from "../../examples/chat/app.mjs";
import { launchChromium, skipWithoutChromium } from "../helpers/browser.js";
import {
  type ChatPage,
  countMessages,
  drawPng,
  joinRoom,
  onlineList,
  openChat,
  PHONE,
  screenshot,
  sendText,
  waitForDelivered,
  waitForMessage,
  waitForOnline,
} from "./chat-pages.js";

describe("chat in the browser", { skip: skipWithoutChromium() }, () => {
  let browser: Browser;
  let chat: ChatServer;

  before(async () => {
    [browser, chat] = await Promise.all([launchChromium(), createChatServer({ port: 0 })]);
  });
  after(async () => {
    await browser?.close();
    await chat?.close();
  });

  /** Opens pages that the test closes when it ends, and asserts none of them threw. */
  function pages(t: { after(fn: () => Promise<void>): void }) {
    const opened: ChatPage[] = [];
    t.after(async () => {
      await Promise.all(opened.map((p) => p.close()));
      for (const p of opened) assert.deepEqual(p.errors, [], "uncaught errors in the page");
    });
    return async (options?: Parameters<typeof openChat>[2]) => {
      const p = await openChat(browser, chat.url, options);
      opened.push(p);
      return p.page;
    };
  }

  test("the page loads Tether's own client bundle from /socket.io/socket.io.js and Presence from /socket.io/presence.esm.min.js", async (t) => {
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    const served = (path: string) =>
      page.waitForResponse((r) => new URL(r.url()).pathname === path);
    const script = served("/socket.io/socket.io.js");
    const presence = served("/socket.io/presence.esm.min.js");
    await page.goto(`${chat.url}/`);
    for (const [response, file] of [
      [await script, "socket.io.js"],
      [await presence, "presence.esm.min.js"],
    ] as const) {
      assert.equal(response.status(), 200);
      const body = await response.body();
      const bundle = readFileSync(join(import.meta.dirname, "../../dist/bundles", file));
      assert.ok(body.equals(bundle), `the served file is dist/bundles/${file}`);
      assert.match(body.subarray(0, 64).toString(), /tether-io client/);
    }
    assert.equal(await page.evaluate(() => typeof (window as { io?: unknown }).io), "function");
    await page.locator("#banner[data-state=connected]").waitFor();
  });

  test("two pages in a room share messages, presence and typing; a page in another room sees none of it", async (t) => {
    const open = pages(t);
    const [alice, bob, carol] = await Promise.all([open(), open({ viewport: PHONE }), open()]);
    await joinRoom(alice, "alice", "lounge");
    await joinRoom(bob, "bob", "lounge");
    await joinRoom(carol, "carol", "kitchen");

    await waitForOnline(alice, ["alice", "bob"]);
    await waitForOnline(bob, ["alice", "bob"]);
    await alice.locator(".notice", { hasText: "bob joined" }).waitFor();

    await sendText(alice, "Hi bob, lunch at noon?");
    await waitForMessage(bob, "Hi bob, lunch at noon?");
    await waitForDelivered(alice, "Hi bob, lunch at noon?");

    await bob.fill("#text", "Sounds");
    await alice.locator("#typing", { hasText: "bob is typing…" }).waitFor();
    await sendText(bob, "Sounds good, see you there!");
    await waitForMessage(alice, "Sounds good, see you there!");
    // A message from bob ends his typing hint.
    await alice.waitForFunction(() => document.querySelector("#typing")?.textContent === "");
    // The room list counts the two of them.
    await alice.locator("#rooms li", { hasText: "#lounge2" }).waitFor();

    // carol's own round trip comes after every lounge broadcast, so anything leaked to her
    // connection would already be on her page.
    await sendText(carol, "anyone in the kitchen?");
    await waitForDelivered(carol, "anyone in the kitchen?");
    assert.deepEqual(await carol.locator(".msg-text").allTextContents(), [
      "anyone in the kitchen?",
    ]);
    assert.equal(await carol.locator(".notice").count(), 0);
    assert.equal(await carol.textContent("#typing"), "");
    assert.deepEqual(await onlineList(carol), ["carol"]);
    assert.equal(await countMessages(alice, "anyone in the kitchen?"), 0);
    assert.equal(await countMessages(bob, "anyone in the kitchen?"), 0);

    // A newcomer gets the room's history.
    const dave = await open();
    await joinRoom(dave, "dave", "lounge");
    await waitForMessage(dave, "Sounds good, see you there!");
    assert.deepEqual(await dave.locator(".msg-text").allTextContents(), [
      "Hi bob, lunch at noon?",
      "Sounds good, see you there!",
    ]);
    await waitForOnline(alice, ["alice", "bob", "dave"]);

    // Leaving updates everyone's online list.
    await dave.click("#leave");
    await waitForOnline(alice, ["alice", "bob"]);
    await alice.locator(".notice", { hasText: "dave left" }).waitFor();

    await screenshot(alice, "chat-laptop");
    await screenshot(bob, "chat-phone");
  });

  test("an image sent from one page arrives in the other as binary and renders inline", async (t) => {
    const received: unknown[] = [];
    const spy = (socket: ChatIoSocket) => socket.on("image", (payload) => received.push(payload));
    chat.io.on("connection", spy);
    t.after(() => chat.io.off("connection", spy));
    const open = pages(t);
    const [erin, frank] = await Promise.all([open(), open()]);
    await joinRoom(erin, "erin", "pictures");
    await joinRoom(frank, "frank", "pictures");
    await sendText(erin, "Look at this:");
    await waitForMessage(frank, "Look at this:");

    const png = await drawPng(erin);
    await erin.setInputFiles("#image-input", {
      name: "sunny.png",
      mimeType: "image/png",
      buffer: png,
    });
    await erin.locator(".msg.mine[data-status=delivered] img.msg-image").waitFor();
    await frank.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>(".msg.theirs img.msg-image");
      return img?.complete === true && img.naturalWidth > 0;
    });
    const size = await frank.$eval(".msg.theirs img.msg-image", (img) => {
      const el = img as HTMLImageElement;
      return { w: el.naturalWidth, h: el.naturalHeight, src: el.src };
    });
    assert.deepEqual({ w: size.w, h: size.h }, { w: 96, h: 64 });
    assert.match(size.src, /^blob:/);

    assert.equal(received.length, 1);
    const payload = received[0] as { data?: unknown };
    assert.ok(Buffer.isBuffer(payload.data), "the image reached the server as a Buffer");
    assert.ok(payload.data.equals(png), "the bytes are the PNG the page picked");
    await screenshot(frank, "chat-image");
  });

  test("hostile input is shown as text and rejected with a clear error to the sender", async (t) => {
    const open = pages(t);
    const [gina, hank] = await Promise.all([open(), open()]);
    await joinRoom(gina, "gina", "safety");
    await joinRoom(hank, "hank", "safety");

    const markup = `<img src=x onerror="document.body.dataset.pwned=1"><b>bold</b>`;
    await sendText(gina, markup);
    await waitForMessage(hank, markup);
    assert.equal(await hank.locator("#messages img, #messages b").count(), 0);
    assert.equal(await hank.evaluate(() => document.body.dataset.pwned), undefined);

    // A nickname already in the room is refused.
    const ivan = await open();
    await ivan.locator("#banner[data-state=connected]").waitFor();
    await ivan.fill("#nick", "Hank");
    await ivan.fill("#room", "safety");
    await ivan.click("#login button[type=submit]");
    await ivan.locator("#login-error", { hasText: "already taken in #safety" }).waitFor();

    // Raw emits from a second connection in gina's page bypass the page's own checks.
    const replies = await gina.evaluate(async () => {
      // The chat's own replies, or a refusal of the server's contract (examples/chat/contract.mjs).
      type Reply = { ok: boolean; error?: string; code?: string; issues?: { message: string }[] };
      const s = (window as unknown as { io: (o: object) => SocketLike }).io({ forceNew: true });
      interface SocketLike {
        emitWithAck(event: string, ...args: unknown[]): Promise<Reply>;
        disconnect(): void;
      }
      const out: Record<string, Reply> = {};
      out.beforeJoin = await s.emitWithAck("message", { id: "m0", text: "hello" });
      out.badNick = await s.emitWithAck("join", { nick: "<script>", room: "safety" });
      out.badRoom = await s.emitWithAck("join", { nick: "mallory", room: "../etc" });
      out.notObject = await s.emitWithAck("join", "mallory");
      out.join = await s.emitWithAck("join", { nick: "mallory", room: "safety" });
      out.tooLong = await s.emitWithAck("message", { id: "m1", text: "x".repeat(2001) });
      out.noText = await s.emitWithAck("message", { id: "m2", text: 42 });
      out.badId = await s.emitWithAck("message", { id: "<>", text: "hi" });
      out.base64 = await s.emitWithAck("image", { id: "i1", data: "iVBORw0KGgo=" });
      out.notImage = await s.emitWithAck("image", {
        id: "i2",
        data: new TextEncoder().encode("<svg onload=alert(1)>").buffer,
      });
      out.tooBig = await s.emitWithAck("image", { id: "i3", data: new Uint8Array(1_300_000) });
      out.fine = await s.emitWithAck("message", { id: "m3", text: "still here" });
      s.disconnect();
      return out;
    });
    const errors = Object.fromEntries(
      Object.entries(replies).map(([k, r]) => [
        k,
        r.ok
          ? "ok"
          : (r.error ?? (r.code === "CONTRACT_ERR_INVALID_ARGS" ? r.issues?.[0]?.message : r.code)),
      ]),
    );
    assert.deepEqual(errors, {
      beforeJoin: "Join a room first.",
      badNick: "Nicknames may use letters, digits, spaces, '.', '_' and '-'.",
      badRoom: "Room names may use a–z, 0–9 and '-'.",
      notObject: "Malformed join request.",
      join: "ok",
      tooLong: "Message is too long (2001 characters, limit 2000).",
      noText: "Malformed message.",
      badId: "Malformed message id.",
      base64: "Images must be sent as binary data.",
      notImage: "Only PNG, JPEG, GIF and WebP images can be shared.",
      tooBig: "Image is too large (1.2 MB, limit 1 MB).",
      fine: "ok",
    });
    await waitForMessage(hank, "still here");
    assert.equal(await hank.locator(".msg").count(), 2, "only the two valid messages arrived");
  });

  test("messages beyond 5 a second (bursts of 10) are refused by the server and the page says so", async (t) => {
    const open = pages(t);
    const [ivy, jack] = await Promise.all([open(), open()]);
    await joinRoom(ivy, "ivy", "fast");
    await joinRoom(jack, "jack", "fast");
    // Fifteen messages in one task, through the page's own composer.
    await ivy.evaluate(() => {
      const text = document.querySelector<HTMLTextAreaElement>("#text");
      const form = document.querySelector<HTMLFormElement>("#composer");
      for (let i = 0; i < 15; i++) {
        if (text) text.value = `burst ${i}`;
        form?.requestSubmit();
      }
    });
    const failed = ivy.locator(".msg.mine[data-status=failed]");
    await failed.first().waitFor();
    await waitForMessage(jack, "burst 9");
    const title = await failed.first().locator(".tick").getAttribute("title");
    assert.match(title ?? "", /^You are sending too fast; try again in \d+ s\.$/);
    const delivered = await ivy.locator(".msg.mine[data-status=delivered]").count();
    assert.ok(delivered >= 10 && delivered < 15, `${delivered} delivered`);
  });

  test("with WebSocket blocked in the page, the chat works over long-polling", async (t) => {
    const transports: ChatIoSocket[] = [];
    const spy = (socket: ChatIoSocket) => transports.push(socket);
    chat.io.on("connection", spy);
    t.after(() => chat.io.off("connection", spy));
    const open = pages(t);
    const [jo, kim] = await Promise.all([
      open({ blockWebSocket: true }),
      open({ blockWebSocket: true, viewport: PHONE }),
    ]);
    assert.equal(await jo.evaluate(() => typeof window.WebSocket), "undefined");
    await joinRoom(jo, "jo", "polling");
    await joinRoom(kim, "kim", "polling");
    await waitForOnline(jo, ["jo", "kim"]);
    await sendText(jo, "over plain HTTP");
    await waitForMessage(kim, "over plain HTTP");
    await kim.fill("#text", "typ");
    await jo.locator("#typing", { hasText: "kim is typing…" }).waitFor();
    await sendText(kim, "loud and clear");
    await waitForMessage(jo, "loud and clear");
    await waitForDelivered(kim, "loud and clear");

    for (const page of [jo, kim]) {
      assert.equal(await page.textContent("#banner-text"), "Connected · polling");
    }
    assert.equal(transports.length, 2);
    for (const socket of transports) assert.equal(socket.conn.transport.name, "polling");
  });
});
