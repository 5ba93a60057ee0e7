// Load generator of the scale benchmark, controlled by bench/scale/redis.mjs over IPC: raw
// wire-protocol clients (bench/load/clients.mjs), the same for every server implementation.
//   open {port, n}            n more websocket clients on a node
//   expect {total, timeoutMs} arms a count of received broadcasts; `expectDone` event when reached
//   join {roomSize}           client i joins room `c<i mod rooms>` (acknowledged by its node)
//   chat {rounds, window, size}  every client emits `m(room, payload)` once per round, at most
//                             `window` rounds ahead of the deliveries; replies when all arrived
// Every wait is bounded.
import { closeAgent, LoadClient } from "../load/clients.mjs";

let clients = [];
let received = 0;
/** Called after every received broadcast (expect, chat pacing). */
let onReceived = null;
const onBroadcast = () => {
  received++;
  onReceived?.();
};

async function openMany(port, n, concurrency = 50) {
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const c = new LoadClient(port, "websocket", onBroadcast);
      try {
        await c.connect();
        clients.push(c);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return failed;
}

/** One event with an ack id; resolves when the node acknowledged it. */
function emitWithAck(c, args) {
  const id = c.nextId++;
  const done = new Promise((resolve) => c.acks.set(id, resolve));
  c.send(`42${id}${JSON.stringify(args)}`);
  return done;
}

const roomOf = (i, roomSize) => `c${i % Math.max(1, Math.floor(clients.length / roomSize))}`;

/**
 * Rounds of one small event per client; each is delivered to its room (sender included), so a
 * round is `clients × roomSize` deliveries. Sending stays at most `window` rounds ahead.
 */
function chat({ rounds, window, size, roomSize, timeoutMs }) {
  const payload = JSON.stringify("x".repeat(size));
  const frames = clients.map((_, i) => `42["m","${roomOf(i, roomSize)}",${payload}]`);
  const perRound = clients.length * roomSize;
  const total = rounds * perRound;
  received = 0;
  let sent = 0;
  const t0 = performance.now();
  return new Promise((resolve) => {
    const finish = (complete) => {
      clearTimeout(timer);
      onReceived = null;
      resolve({ received, total, complete, elapsedMs: performance.now() - t0 });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    /** Deliveries needed before the next round goes out. */
    let gate = 0;
    const pump = () => {
      while (sent < rounds && received >= gate) {
        for (const [i, c] of clients.entries()) c.send(frames[i]);
        sent++;
        gate = (sent - window + 1) * perRound;
      }
    };
    onReceived = () => {
      if (received >= total) finish(true);
      else if (received >= gate) pump();
    };
    pump();
  });
}

process.on("message", async (msg) => {
  const reply = (data) => process.send({ id: msg.id, ...data });
  switch (msg.cmd) {
    case "open": {
      const failed = await openMany(msg.port, msg.n);
      reply({ open: clients.length, failed });
      break;
    }
    case "join":
      await Promise.all(clients.map((c, i) => emitWithAck(c, ["join", roomOf(i, msg.roomSize)])));
      reply({ joined: clients.length });
      break;
    case "expect": {
      received = 0;
      const t0 = performance.now();
      const finish = (complete) => {
        clearTimeout(timer);
        onReceived = null;
        process.send({
          event: "expectDone",
          received,
          complete,
          elapsedMs: performance.now() - t0,
        });
      };
      const timer = setTimeout(() => finish(false), msg.timeoutMs);
      onReceived = () => {
        if (received >= msg.total) finish(true);
      };
      reply({ armed: true });
      break;
    }
    case "chat":
      reply(await chat(msg));
      break;
    case "cpu":
      reply({ cpu: process.cpuUsage() });
      break;
    case "exit":
      for (const c of clients) c.close();
      clients = [];
      closeAgent();
      process.exit(0);
  }
});
process.send({ ready: true });
