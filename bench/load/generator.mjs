// Load generator process, controlled by the driver over IPC. Every loop is bounded in count and time.
import { closeAgent, LoadClient } from "./clients.mjs";

let clients = [];
let received = 0;
let expect = null; // { total, resolve }
const onBroadcast = () => {
  received++;
  if (expect && received >= expect.total) {
    const e = expect;
    expect = null;
    e.resolve();
  }
};

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function openMany(port, mode, n, concurrency = 50) {
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const c = new LoadClient(port, mode, onBroadcast);
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

async function ackLoop(durationMs, maxCount, payload) {
  const latencies = [];
  const deadline = performance.now() + durationMs;
  let count = 0;
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < deadline && count < maxCount) {
        count++;
        const s = performance.now();
        await c.echo(payload);
        latencies.push(performance.now() - s);
      }
    }),
  );
  const elapsed = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  return {
    count: latencies.length,
    elapsedMs: elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

async function connRate(port, mode, durationMs, concurrency) {
  const deadline = performance.now() + durationMs;
  let count = 0;
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const c = new LoadClient(port, mode, null);
        try {
          await c.connect();
          count++;
        } catch {
          failed++;
        }
        c.close();
      }
    }),
  );
  return { count, failed, elapsedMs: performance.now() - t0 };
}

process.on("message", async (msg) => {
  const reply = (data) => process.send({ id: msg.id, ...data });
  switch (msg.cmd) {
    case "open": {
      const t0 = performance.now();
      const failed = await openMany(msg.port, msg.mode, msg.n);
      reply({ open: clients.length, failed, elapsedMs: performance.now() - t0 });
      break;
    }
    case "expect": {
      received = 0;
      const t0 = performance.now();
      const timer = setTimeout(() => {
        expect = null;
        process.send({
          event: "expectDone",
          received,
          complete: false,
          elapsedMs: performance.now() - t0,
        });
      }, msg.timeoutMs);
      expect = {
        total: msg.total,
        resolve: () => {
          clearTimeout(timer);
          process.send({
            event: "expectDone",
            received,
            complete: true,
            elapsedMs: performance.now() - t0,
          });
        },
      };
      reply({ armed: true });
      break;
    }
    case "ack": {
      const payload = msg.binary ? Buffer.alloc(msg.size, 1) : "x".repeat(msg.size);
      reply(await ackLoop(msg.durationMs, msg.maxCount, payload));
      break;
    }
    case "cpu":
      reply({ cpu: process.cpuUsage() });
      break;
    case "connRate":
      reply(await connRate(msg.port, msg.mode, msg.durationMs, msg.concurrency));
      break;
    case "closeAll":
      for (const c of clients) c.close();
      clients = [];
      reply({ closed: true });
      break;
    case "exit":
      for (const c of clients) c.close();
      closeAgent();
      process.exit(0);
  }
});
process.send({ ready: true });
