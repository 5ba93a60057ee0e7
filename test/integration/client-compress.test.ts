/**
 * `socket.compress(false)` on a Socket.IO client socket reaches the WebSocket frame: with
 * permessage-deflate on both sides, that event goes out uncompressed and the others compressed.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, test } from "node:test";
import { Server } from "socket.io";
import { io } from "../../src/client/index.js";
import { closeServer, listen, onceEvent, waitFor } from "../helpers/wait.js";
import { sniffClientFrames } from "../helpers/ws-frames.js";

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test("socket.compress(false).emit() sends an uncompressed WebSocket frame, other emits stay compressed", async () => {
  const http = createServer();
  const server = new Server(http, { perMessageDeflate: { threshold: 0 } });
  const port = await listen(http);
  cleanups.push(
    () => closeServer(http),
    () => server.close(),
  );
  const frames = sniffClientFrames(http);
  const received: string[] = [];
  server.on("connection", (s) => s.on("m", (d: string) => received.push(d)));
  const socket = io(`http://127.0.0.1:${port}`, {
    forceNew: true,
    transports: ["websocket"],
    perMessageDeflate: { threshold: 0 },
  });
  cleanups.push(() => socket.disconnect());
  await onceEvent(socket, "connect");
  const big = (ch: string) => ch.repeat(300);
  socket.compress(false).emit("m", big("a"));
  socket.emit("m", big("b"));
  socket.compress(true).emit("m", big("c"));
  socket.compress(false).emit("m", big("d"));
  await waitFor(() => received.length === 4, 5_000, "events");
  assert.deepEqual(received, [big("a"), big("b"), big("c"), big("d")]);
  // The CONNECT packet first (compressed by default), then the four events.
  assert.deepEqual(frames, [true, false, true, true, false]);
});
