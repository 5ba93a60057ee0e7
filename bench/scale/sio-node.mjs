// One socket.io node of the scale benchmark, the counterpart of bench/scale/node.mjs (same IPC
// commands, same handlers): `node sio-node.mjs [redisUrl]`. With a URL it runs on the official
// `@socket.io/redis-adapter` classic `createAdapter(pub, sub)` with node-redis clients, else on
// socket.io's in-memory adapter. Loopback only.
import { createServer } from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";
import { Server } from "socket.io";
import { inBursts } from "../bursts.mjs";

const redisUrl = process.argv[2];
const http = createServer();
http.keepAliveTimeout = 60_000;
const redis = [];
let adapter;
if (redisUrl) {
  const pub = createClient({ url: redisUrl });
  const sub = pub.duplicate();
  for (const c of [pub, sub])
    c.on("error", (err) => console.error(`sio node ${process.pid}:`, err));
  await Promise.all([pub.connect(), sub.connect()]);
  redis.push(pub, sub);
  adapter = createAdapter(pub, sub);
}
const io = new Server(http, {
  pingInterval: 25_000,
  pingTimeout: 20_000,
  serveClient: false,
  ...(adapter ? { adapter } : {}),
});
let sockets = 0;
io.on("connection", (socket) => {
  sockets++;
  socket.join("r");
  socket.on("join", async (room, ack) => {
    await socket.join(room);
    ack();
  });
  socket.on("m", (room, payload) => io.to(room).emit("b", payload));
  socket.on("disconnect", () => sockets--);
});

process.on("message", async (msg) => {
  const reply = (data) => process.send({ id: msg.id, ...data });
  switch (msg.cmd) {
    case "settle":
      // The classic adapter's joins are local (it pattern-subscribes once per namespace).
      reply({ sockets });
      break;
    case "cpu":
      reply({ cpu: process.cpuUsage(), sockets });
      break;
    case "broadcast": {
      const payload = "x".repeat(msg.size);
      const emit = (n) => {
        for (let i = 0; i < n; i++) io.to("r").emit("b", payload);
      };
      inBursts(msg.count, msg.burst, emit, () => reply({ done: true }));
      break;
    }
    case "exit":
      await io.close();
      await Promise.allSettled(redis.map((c) => c.quit()));
      process.exit(0);
  }
});

http.listen(0, "127.0.0.1", () => process.send({ ready: true, port: http.address().port }));
