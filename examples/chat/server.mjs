// `npm start`: the chat on http://127.0.0.1:3000 (PORT and HOST pick another address; with
// REDIS_URL, every chat process on that Redis shares rooms). SIGTERM or Ctrl-C drains: new
// connections are refused, connected tabs are asked to reconnect elsewhere in batches over
// DRAIN_MS (default 10 s; 0 closes at once), then the Redis clients close and the process exits.
import { createChatServer } from "./app.mjs";

const port = Number.parseInt(process.env.PORT ?? "3000", 10);
const host = process.env.HOST ?? "127.0.0.1";
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a number from 0 to 65535, got "${process.env.PORT}"`);
  process.exit(1);
}
const redisUrl = process.env.REDIS_URL || undefined;
const node = process.env.NODE_NAME || undefined;
const drainMs = Number(process.env.DRAIN_MS ?? "10000");
if (!Number.isFinite(drainMs) || drainMs < 0) {
  console.error(`DRAIN_MS must be a number of milliseconds, got "${process.env.DRAIN_MS}"`);
  process.exit(1);
}

const chat = await createChatServer({
  port,
  host,
  ...(redisUrl ? { redisUrl } : {}),
  ...(node ? { node } : {}),
  onError: (err) => console.error("chat error:", err),
}).catch((/** @type {unknown} */ err) => {
  const code = err instanceof Error && "code" in err ? err.code : undefined;
  console.error(
    code === "EADDRINUSE"
      ? `Port ${port} is already in use; try PORT=3001 npm start`
      : err instanceof Error
        ? err.message
        : err,
  );
  process.exit(1);
});
console.log(`Chat running at ${chat.url}  (Ctrl-C to stop)`);
if (redisUrl) console.log(`Sharing rooms with every chat on ${redisUrl}`);

let stopping = false;
/** @param {NodeJS.Signals} signal */
const stop = (signal) => {
  if (stopping) process.exit(1); // a second Ctrl-C: give up waiting
  stopping = true;
  console.log(
    drainMs > 0
      ? `\n${signal}: draining for up to ${drainMs} ms (again to exit at once)…`
      : `\n${signal}: closing connections…`,
  );
  chat.close(drainMs > 0 ? { drain: drainMs } : {}).then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
