// `npm start`: the chat on http://127.0.0.1:3000 (PORT and HOST pick another address).
// Ctrl-C or SIGTERM disconnects everyone and exits.
import { createChatServer } from "./app.mjs";

const port = Number.parseInt(process.env.PORT ?? "3000", 10);
const host = process.env.HOST ?? "127.0.0.1";
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a number from 0 to 65535, got "${process.env.PORT}"`);
  process.exit(1);
}
if (process.env.REDIS_URL) {
  console.log("REDIS_URL is set but not used yet: this chat runs on a single node for now.");
}

const chat = await createChatServer({
  port,
  host,
  onError: (err) => console.error("chat handler error:", err),
}).catch((/** @type {unknown} */ err) => {
  const code = err instanceof Error && "code" in err ? err.code : undefined;
  console.error(
    code === "EADDRINUSE" ? `Port ${port} is already in use; try PORT=3001 npm start` : err,
  );
  process.exit(1);
});
console.log(`Chat running at ${chat.url}  (Ctrl-C to stop)`);

let stopping = false;
/** @param {NodeJS.Signals} signal */
const stop = (signal) => {
  if (stopping) process.exit(1); // a second Ctrl-C: give up waiting
  stopping = true;
  console.log(`\n${signal}: closing connections…`);
  chat.close().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
