/**
 * A real Prometheus scrapes the chat demo's `/metrics`: the demo runs as `npm start` would
 * (examples/chat/server.mjs, a child process on a free port), a client joins, and a private
 * `prometheus` (Debian's package) with a temporary config scrapes it every second. The test asks
 * Prometheus's HTTP API for the connection count and the ack latency histogram (fed by the
 * demo's latency probe, an emit the client acknowledges).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type Socket as ClientSocket, io as ioc } from "socket.io-client";
import { freePort } from "../helpers/free-port.js";
import { eventually, onceEvent } from "../helpers/wait.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** Why this test is skipped here, or false when `prometheus` is installed. */
const prometheusMissing: string | false =
  spawnSync("prometheus", ["--version"]).status === 0
    ? false
    : "prometheus not found — install with: apt-get install -y prometheus";

/** Resolves once `child` printed a line matching `pattern` (rejects if it exits first). */
function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${text}`));
    }, timeoutMs);
    const onData = (d: Buffer): void => {
      text += d.toString();
      const m = pattern.exec(text);
      if (m) {
        cleanup();
        resolve(m[0]);
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`exited (${code}) before ${pattern}; output:\n${text}`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
}

/** Stops a child process and waits for it to exit (SIGKILL after 5 s). */
async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = onceEvent(child, "exit", 10_000);
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited.catch(() => undefined);
  clearTimeout(timer);
}

interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

describe("a real Prometheus scraping the chat demo", { skip: prometheusMissing }, () => {
  let demo: ChildProcess | undefined;
  let prometheus: ChildProcess | undefined;
  let client: ClientSocket | undefined;
  let dir: string | undefined;
  let api = "";

  /** Runs an instant query; returns its vector. */
  async function query(promql: string): Promise<Sample[]> {
    const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { status: string; data?: { result: Sample[] } };
    assert.equal(body.status, "success", `query ${promql}: ${JSON.stringify(body)}`);
    return body.data?.result ?? [];
  }

  /**
   * Asks Prometheus until the query's first value satisfies `ok` (each scrape, every second,
   * may change it); bounded by `timeoutMs`.
   */
  async function until(promql: string, ok: (v: number) => boolean, timeoutMs = 30_000) {
    const result = await eventually(
      () => query(promql),
      (r) => r[0] !== undefined && ok(Number(r[0].value[1])),
      promql,
      timeoutMs,
      250,
    );
    return result[0] as (typeof result)[number];
  }

  before(async () => {
    const [demoPort, promPort] = await Promise.all([freePort(), freePort()]);
    demo = spawn(process.execPath, [join(root, "examples/chat/server.mjs")], {
      cwd: root,
      env: { ...process.env, PORT: String(demoPort), NODE_NAME: "demo-1", DRAIN_MS: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    await waitForOutput(demo, /Chat running at \S+/, 20_000);

    dir = mkdtempSync(join(tmpdir(), "tether-prometheus-"));
    const config = join(dir, "prometheus.yml");
    writeFileSync(
      config,
      [
        "global:",
        "  scrape_interval: 1s",
        "  evaluation_interval: 1s",
        "scrape_configs:",
        "  - job_name: tether-demo",
        "    scrape_interval: 1s",
        "    scrape_timeout: 1s",
        "    static_configs:",
        `      - targets: ["127.0.0.1:${demoPort}"]`,
        "",
      ].join("\n"),
    );
    prometheus = spawn(
      "prometheus",
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        "--log.level=info",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    api = `http://127.0.0.1:${promPort}`;
    await waitForOutput(prometheus, /Server is ready to receive web requests/, 30_000);

    client = ioc(`http://127.0.0.1:${demoPort}`, {
      transports: ["websocket"],
      reconnection: false,
      auth: { clientId: "prometheus-test-client" },
    });
    client.on("latency", (ack: () => void) => ack());
    await onceEvent(client, "connect");
  });

  after(async () => {
    client?.disconnect();
    await Promise.all([stop(prometheus), stop(demo)]);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test("Prometheus scrapes the demo and sees one connected socket, with the node label", async () => {
    await until('up{job="tether-demo"}', (v) => v === 1);
    const sockets = await until('tether_sockets{namespace="/"}', (v) => v === 1);
    assert.equal(sockets.metric.node, "demo-1");
    assert.equal(sockets.metric.job, "tether-demo");
    await until('tether_engine_connections{transport="websocket"}', (v) => v === 1);
    await until("sum(tether_sockets_connected_total)", (v) => v >= 1);
    // prom-client's process metrics are on the same registry, with the node label.
    await until('process_resident_memory_bytes{node="demo-1"}', (v) => v > 0);
  });

  test("Prometheus has the ack latency histogram of the demo's latency probe", async () => {
    const count = await until('tether_ack_duration_seconds_count{namespace="/"}', (v) => v >= 1);
    assert.equal(count.metric.node, "demo-1");
    await until('tether_ack_duration_seconds_bucket{namespace="/",le="+Inf"}', (v) => v >= 1);
    // A loopback round trip is well under a second: the 1 s bucket holds every observation.
    const le1 = await until(
      'tether_ack_duration_seconds_bucket{namespace="/",le="1"}',
      (v) => v >= 1,
    );
    assert.equal(Number(le1.value[1]), Number(count.value[1]));
    const p99 = await until(
      "histogram_quantile(0.99, sum by (le) (tether_ack_duration_seconds_bucket))",
      (v) => Number.isFinite(v),
    );
    assert.ok(Number(p99.value[1]) < 1, `p99 ${p99.value[1]} s`);
    const timeouts = await query("sum(tether_ack_timeouts_total)");
    assert.equal(Number(timeouts[0]?.value[1] ?? 0), 0);
  });
});
