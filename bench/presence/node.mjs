// One Tether node of the presence benchmark: `node node.mjs <redisUrl> <nodeIndex>`, on the Redis
// pub/sub adapter (classic). Over IPC: `storm {room}` makes every connected socket track `room`
// under its own key (`n<index>-<i>`) at once; `count {room}` the keys this node lists; `stats` the
// tracker's counters; `cpu`; `exit`. Loopback only.
import { createServer } from "node:http";
import { createClient } from "redis";
import { Server } from "tether-io";
import { createAdapter } from "tether-io/adapters/redis";

const [redisUrl, index = "0"] = process.argv.slice(2);
const http = createServer();
const pub = createClient({ url: redisUrl });
const sub = pub.duplicate();
for (const c of [pub, sub]) c.on("error", (err) => console.error(`node ${process.pid}:`, err));
await Promise.all([pub.connect(), sub.connect()]);
const io = new Server(http, {
  serveClient: false,
  adapter: createAdapter(pub, sub, { heartbeatInterval: 1000, heartbeatTimeout: 3000 }),
  presence: { syncInterval: 1000 },
});
let diffEvents = 0;
io.on("presence", () => diffEvents++);

process.on("message", async (msg) => {
  const reply = (data) => process.send({ id: msg.id, ...data });
  switch (msg.cmd) {
    case "serverCount":
      reply({ count: await io.of("/").adapter.serverCount() });
      break;
    case "storm": {
      const sockets = [...io.of("/").sockets.values()];
      const t0 = performance.now();
      await Promise.all(sockets.map((s, i) => s.track(msg.room, `n${index}-${i}`, { i })));
      reply({ tracked: sockets.length, ms: performance.now() - t0 });
      break;
    }
    case "count":
      reply({ count: await io.in(msg.room).presenceCount() });
      break;
    case "stats":
      reply({ stats: io.of("/")._presenceTracker().stats(), diffEvents });
      break;
    case "cpu":
      reply({ cpu: process.cpuUsage() });
      break;
    case "exit":
      await io.close();
      await Promise.allSettled([pub.quit(), sub.quit()]);
      process.exit(0);
  }
});

http.listen(0, "127.0.0.1", () => process.send({ ready: true, port: http.address().port }));
