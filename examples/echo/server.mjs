// `npm start` (until the chat demo lands): an Engine.IO echo server on Tether's engine.
// Every message a client sends comes straight back. PORT / HOST pick where it listens.
import { createServer } from "node:http";
import { EngineServer } from "../../dist/esm/engine/index.js";

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "127.0.0.1";
const http = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
  res.end("Tether engine echo server. Connect an Engine.IO v4 client to /engine.io/\n");
});
const engine = new EngineServer();
engine.attach(http);
engine.on("connection", (socket) => {
  socket.on("message", (data) => socket.send(data));
});
http.listen(port, host, () => {
  console.log(
    `Tether echo server listening on http://${host}:${port} (Engine.IO path /engine.io/)`,
  );
});
const stop = () => {
  engine.close();
  http.close(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
