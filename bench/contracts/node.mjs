// One Tether server of the contracts benchmark: `node node.mjs <mode>`, mode = none | zod |
// zod-outgoing | limits | zod+limits. The main namespace acks every `say` with `{ ok: true }`.
// Over IPC: `cpu`; `exit`. Loopback only.
import { createServer } from "node:http";
import { Server } from "tether-io";
import { benchContract, benchLimits } from "./contract.mjs";

const mode = process.argv[2] ?? "none";
const http = createServer();
const io = new Server(http, { serveClient: false });
if (mode.startsWith("zod")) {
  io.contract(benchContract, { validateOutgoing: mode === "zod-outgoing" });
}
if (mode.endsWith("limits")) io.limit(benchLimits);
io.on("connection", (socket) => {
  socket.on("say", (_msg, ack) => ack({ ok: true }));
});

process.on("message", async (msg) => {
  const reply = (data) => process.send({ id: msg.id, ...data });
  if (msg.cmd === "cpu") reply({ cpu: process.cpuUsage() });
  if (msg.cmd === "exit") {
    await io.close();
    process.exit(0);
  }
});

http.listen(0, "127.0.0.1", () => process.send({ ready: true, port: http.address().port }));
