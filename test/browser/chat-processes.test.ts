/**
 * Two chat processes (`node examples/chat/server.mjs`, as `npm start` runs it) sharing rooms over
 * a private redis-server: pages on both show the same online list, kept by Tether's presence,
 * and when one process is killed with SIGKILL (no goodbye) its people leave the other's list
 * within the adapter's node-down timeout (the chat sets 3 s).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { type RedisInstance, redisMissing, startRedis } from "../adapters/redis-server.js";
import { launchChromium, skipWithoutChromium } from "../helpers/browser.js";
import { type ChatPage, joinRoom, onlineList, openChat, waitForOnline } from "./chat-pages.js";

const SERVER = join(import.meta.dirname, "../../examples/chat/server.mjs");

interface ChatProcess {
  readonly url: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<void>;
}

/** Starts a chat process on a free port; resolves with the URL it prints. */
async function startChat(redisUrl: string): Promise<ChatProcess> {
  const proc = spawn(process.execPath, [SERVER], {
    env: { ...process.env, REDIS_URL: redisUrl, PORT: "0", HOST: "127.0.0.1", DRAIN_MS: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`chat did not start: ${output}`)), 20_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const found = /Chat running at (\S+)/.exec(output);
      if (found?.[1]) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    };
    proc.stdout?.on("data", read);
    proc.stderr?.on("data", read);
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`chat exited with ${code}: ${output}`));
    });
  });
  return { url, proc, exited };
}

/** Ends a chat process (SIGTERM drains nothing with DRAIN_MS=0) and waits for it to exit. */
async function stopChat(chat: ChatProcess | undefined): Promise<void> {
  if (!chat || chat.proc.exitCode !== null || chat.proc.signalCode !== null) return;
  chat.proc.kill("SIGTERM");
  await chat.exited;
}

describe(
  "chat on two processes sharing Redis",
  { skip: redisMissing || skipWithoutChromium() },
  () => {
    let browser: Browser;
    let redis: RedisInstance;
    let east: ChatProcess;
    let west: ChatProcess;
    const opened: ChatPage[] = [];

    before(async () => {
      redis = await startRedis();
      [browser, east, west] = await Promise.all([
        launchChromium(),
        startChat(redis.url),
        startChat(redis.url),
      ]);
    });
    after(async () => {
      await Promise.all(opened.map((p) => p.close()));
      await browser?.close();
      await Promise.all([stopChat(east), stopChat(west)]);
      await redis?.dispose();
    });

    async function open(chat: ChatProcess) {
      const p = await openChat(browser, chat.url);
      opened.push(p);
      return p.page;
    }

    test("pages on both show the same online list; kill -9 of one process takes its people off the other's", async () => {
      const [ann, ben, cat] = await Promise.all([open(east), open(west), open(west)]);
      await joinRoom(ann, "ann", "deck");
      await joinRoom(ben, "ben", "deck");
      await joinRoom(cat, "cat", "deck");
      for (const page of [ann, ben, cat]) await waitForOnline(page, ["ann", "ben", "cat"]);
      await ann.locator("#rooms li", { hasText: "#deck3" }).waitFor();

      const killedAt = Date.now();
      west.proc.kill("SIGKILL");
      await west.exited;
      await waitForOnline(ann, ["ann"]);
      const took = Date.now() - killedAt;
      // heartbeatTimeout 3 s, checked every heartbeatInterval (1 s), then one diff interval.
      assert.ok(took < 10_000, `the list shrank after ${took} ms`);
      await ann.locator("#rooms li", { hasText: "#deck1" }).waitFor();
      assert.deepEqual(await onlineList(ann), ["ann"]);
      await ben.locator("#banner[data-state=reconnecting]").waitFor();
      for (const p of opened) assert.deepEqual(p.errors, [], "uncaught errors in the page");
    });
  },
);
