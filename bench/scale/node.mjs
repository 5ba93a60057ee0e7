// One Tether node of the scale benchmark: `node node.mjs [redisUrl]`. With a URL it runs on the
// Redis pub/sub adapter (two node-redis clients), else on the default in-memory adapter. Every
// socket joins room "r"; the driver asks over IPC for broadcasts to it. Chat: `join(room, ack)`
// joins a room, `m(room, payload)` is broadcast to it. bench/scale/sio-node.mjs is the same node
// on socket.io + @socket.io/redis-adapter. Loopback only.
import { createServer } from "node:http";
import { createClient } from "redis";
import { Server } from "tether-io";
import { createAdapter } from "tether-io/adapters/redis";
import { inBursts } from "../bursts.mjs";

const redisUrl = process.argv[2];
const http = createServer();
http.keepAliveTimeout = 60_000;
const redis = [];
let adapter;
if (redisUrl) {
  const pub = createClient({ url: redisUrl });
  const sub = pub.duplicate();
  for (const c of [pub, sub]) c.on("error", (err) => console.error(`node ${process.pid}:`, err));
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
/** Joins still in flight (with Redis, a join resolves once the room's channel is subscribed). */
const joins = new Set();
io.on("connection", (socket) => {
  sockets++;
  const joined = socket.join("r");
  if (joined) {
    joins.add(joined);
    joined.finally(() => joins.delete(joined));
  }
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
      await Promise.all([...joins]);
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
