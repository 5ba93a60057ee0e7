// A benchmark server process: `node --expose-gc server.mjs <tether|socketio|ws>`.
// Identical handlers for each implementation; controlled by the driver over IPC. Tether's
// `metrics` command turns tether-io/metrics on (scraped every second) or off, for
// bench/load/metrics-cost.mjs.
//   echo(...args, ack)  → ack(...args)           (ack round-trip, binary echo)
//   every socket joins room "r"; the driver asks for broadcasts to it
import { createServer } from "node:http";
import { inBursts } from "../bursts.mjs";

const impl = process.argv[2];
const http = createServer();
http.keepAliveTimeout = 60_000;
let broadcast; // (payload, count) => void
let sockets = 0;
let setMetrics; // (on: boolean) => void, Tether only

const ioOpts = {
  pingInterval: 25_000,
  pingTimeout: 20_000,
  maxHttpBufferSize: 1e8,
  serveClient: false,
};

if (impl === "tether" || impl === "socketio") {
  const { Server } =
    impl === "tether" ? await import("../../dist/esm/index.js") : await import("socket.io");
  const io = new Server(http, ioOpts);
  io.on("connection", (socket) => {
    sockets++;
    socket.join("r");
    socket.on("echo", (...args) => {
      const ack = args.pop();
      if (typeof ack === "function") ack(...args);
    });
    socket.on("disconnect", () => sockets--);
  });
  broadcast = (payload, count) => {
    for (let i = 0; i < count; i++) io.to("r").emit("b", payload);
  };
  if (impl === "tether") {
    const { metricsSwitch } = await import("./metrics-switch.mjs");
    setMetrics = await metricsSwitch(io);
  }
} else if (impl === "ws") {
  // The floor any ws-based server stands on: raw frames, JSON echo, no protocol.
  const { WebSocketServer } = await import("ws");
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: 1e8 });
  wss.on("connection", (ws) => {
    sockets++;
    ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on("close", () => sockets--);
  });
  broadcast = (payload, count) => {
    const msg = JSON.stringify(["b", payload]);
    for (let i = 0; i < count; i++) for (const c of wss.clients) c.send(msg);
  };
} else {
  console.error(`unknown implementation ${impl}`);
  process.exit(2);
}

function memory() {
  for (let i = 0; i < 4; i++) global.gc?.();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers };
}

process.on("message", (msg) => {
  const reply = (data) => process.send({ id: msg.id, ...data });
  switch (msg.cmd) {
    case "memory":
      reply({ ...memory(), sockets });
      break;
    case "cpu":
      reply({ cpu: process.cpuUsage(), sockets });
      break;
    case "metrics":
      setMetrics?.(msg.on);
      reply({ metrics: setMetrics === undefined ? "unsupported" : msg.on });
      break;
    case "broadcast": {
      const payload = "x".repeat(msg.size);
      inBursts(
        msg.count,
        msg.burst,
        (n) => broadcast(payload, n),
        () => reply({ done: true }),
      );
      break;
    }
    case "exit":
      process.exit(0);
  }
});

http.listen(0, "127.0.0.1", () => process.send({ ready: true, port: http.address().port }));
