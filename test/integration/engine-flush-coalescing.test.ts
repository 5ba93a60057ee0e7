/**
 * Integration: when sessions' queued packets are written. A turn of the event loop that leaves a
 * few sessions with output writes them at the end of that turn; a turn that leaves many (a busy
 * server) waits for one more non-blocking poll, so that packets queued meanwhile leave in the
 * same write — never longer than that one extra turn.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { describe, it, type TestContext } from "node:test";
import { WebSocket } from "ws";
import { EngineServer, type EngineSocket } from "../../src/engine/index.js";
import type { EnginePacket } from "../../src/protocol/engine.js";
import { closeServer, listen, waitFor } from "../helpers/wait.js";

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** `n` WebSocket sessions on one engine; each records the packets of every flush. */
async function sessions(t: TestContext, n: number) {
  const http = createServer();
  const engine = new EngineServer({ pingInterval: 60_000, pingTimeout: 60_000 });
  engine.attach(http);
  const port = await listen(http);
  const open: EngineSocket[] = [];
  engine.on("connection", (s) => open.push(s));
  const clients: WebSocket[] = [];
  let frames = 0;
  for (let i = 0; i < n; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/engine.io/?EIO=4&transport=websocket`);
    ws.on("message", () => frames++);
    clients.push(ws);
  }
  t.after(async () => {
    for (const ws of clients) ws.terminate();
    engine.close();
    await closeServer(http);
  });
  await waitFor(() => open.length === n && frames === n, 5000, "every session open");
  const flushes = open.map(() => [] as string[][]);
  for (const [i, s] of open.entries()) {
    s.on("flush", (packets: readonly EnginePacket[]) => {
      flushes[i]?.push(packets.map((p) => String(p.data)));
    });
  }
  return { open, flushes };
}

describe("engine write coalescing", () => {
  it("a few sessions with output are written at the end of the same turn", async (t) => {
    const { open, flushes } = await sessions(t, 3);
    for (const s of open) s.send("a");
    await turn();
    assert.deepEqual(flushes, [[["a"]], [["a"]], [["a"]]]);
  });

  it("many sessions with output wait one more poll, and what is queued meanwhile joins the write", async (t) => {
    const n = 20;
    const { open, flushes } = await sessions(t, n);
    for (const s of open) s.send("a");
    await turn();
    // Busy turn: nothing written yet; a packet queued now joins its session's pending write.
    assert.deepEqual(
      flushes.map((f) => f.length),
      Array(n).fill(0),
    );
    open[0]?.send("b");
    await turn();
    assert.deepEqual(flushes[0], [["a", "b"]]);
    for (const f of flushes.slice(1)) assert.deepEqual(f, [["a"]]);
    // The wait is one turn at most: the next busy turn is deferred once again, not for longer.
    for (const s of open) s.send("c");
    await turn();
    await turn();
    for (const f of flushes) assert.deepEqual(f.at(-1), ["c"]);
  });
});
