/**
 * Multi-node harness of the adapter suite: a backend descriptor starts N server nodes, each in
 * its own process running `node-server.ts`, and gives the test a handle per node (its URL, an
 * RPC `call` into the node, `kill`). Clients are official `socket.io-client` sockets.
 */
import { type ChildProcess, fork } from "node:child_process";
import cluster, { type Worker } from "node:cluster";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { type Socket as ClientSocket, io as ioc } from "socket.io-client";
import { waitFor } from "../helpers/wait.js";
import type { RedisInstance } from "./redis-server.js";

export const NODE_SCRIPT = fileURLToPath(new URL("./node-server.ts", import.meta.url));

/** A server node in its own process. */
export interface NodeHandle {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  call<T = unknown>(op: string, args?: Record<string, unknown>): Promise<T>;
  /** SIGKILL; resolves once the process has exited. */
  kill(): Promise<void>;
  readonly alive: boolean;
}

/** The nodes of one backend. */
export interface NodeSet {
  readonly nodes: NodeHandle[];
  /** The private Redis of a Redis backend. */
  readonly redis?: RedisInstance;
  close(): Promise<void>;
}

/** How to run a backend. */
export interface Backend {
  readonly name: string;
  /** False for the in-memory adapter: one node, cross-node cases skipped by design. */
  readonly crossNode: boolean;
  /** Whether a session can be recovered on another node. */
  readonly recoveryAcrossNodes: boolean;
  /** Why the backend cannot run here (e.g. redis-server missing), if so. */
  readonly skip?: string | false;
  start(count: number, env?: Record<string, string>): Promise<NodeSet>;
}

interface Proc {
  send(msg: unknown): unknown;
  on(event: "message", fn: (msg: unknown) => void): unknown;
  once(event: "exit", fn: () => void): unknown;
  kill(signal: NodeJS.Signals): unknown;
}

function handle(proc: Proc, name: string, port: number, exited: Promise<void>): NodeHandle {
  let seq = 0;
  let alive = true;
  void exited.then(() => {
    alive = false;
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  proc.on("message", (msg) => {
    const m = msg as { harness?: string; id?: number; value?: unknown; error?: string };
    if (m?.harness !== "result" || typeof m.id !== "number") return;
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error !== undefined) p?.reject(new Error(`${name}: ${m.error}`));
    else p?.resolve(m.value);
  });
  void exited.then(() => {
    for (const p of pending.values()) p.reject(new Error(`${name} exited`));
    pending.clear();
  });
  return {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    get alive() {
      return alive;
    },
    call<T>(op: string, args: Record<string, unknown> = {}): Promise<T> {
      const id = ++seq;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        proc.send({ harness: "call", id, op, args });
      });
    },
    async kill() {
      if (alive) proc.kill("SIGKILL");
      await exited;
    },
  };
}

function ready(proc: Proc, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start`)), 30_000);
    proc.once("exit", () => reject(new Error(`${name} exited before ready`)));
    proc.on("message", (msg) => {
      const m = msg as { harness?: string; port?: number };
      if (m?.harness !== "ready" || typeof m.port !== "number") return;
      clearTimeout(timer);
      resolve(m.port);
    });
  });
}

/** Starts `count` nodes as plain child processes (memory, Redis backends). */
export async function forkNodes(
  backend: string,
  count: number,
  env: Record<string, string>,
): Promise<NodeSet> {
  const procs: ChildProcess[] = [];
  const nodes = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const name = `node${i}`;
      const proc = fork(NODE_SCRIPT, [], {
        execArgv: ["--import", "tsx"],
        env: { ...process.env, ...env, BACKEND: backend, NODE_NAME: name },
        serialization: "advanced",
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      procs.push(proc);
      const exited = new Promise<void>((r) => proc.once("exit", () => r()));
      const port = await ready(proc, name);
      return handle(proc, name, port, exited);
    }),
  );
  return {
    nodes,
    async close() {
      await Promise.all(nodes.map((n) => n.kill()));
    },
  };
}

/** The official socket.io node (socket.io + one of its Redis adapters), for mixed clusters. */
export const SIO_NODE_SCRIPT = fileURLToPath(new URL("./sio-node-server.ts", import.meta.url));

/** One node of a mixed node set: its backend, and its script (Tether's node by default). */
export interface NodeSpec {
  readonly backend: string;
  readonly script?: string;
}

/**
 * Starts one node per spec as plain child processes, named node0, node1, … in order: Tether
 * nodes and official socket.io nodes side by side.
 */
export async function forkMixedNodes(
  specs: readonly NodeSpec[],
  env: Record<string, string>,
): Promise<NodeSet> {
  const nodes = await Promise.all(
    specs.map(async (spec, i) => {
      const name = `node${i}`;
      const proc = fork(spec.script ?? NODE_SCRIPT, [], {
        execArgv: ["--import", "tsx"],
        env: { ...process.env, ...env, BACKEND: spec.backend, NODE_NAME: name },
        serialization: "advanced",
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      const exited = new Promise<void>((r) => proc.once("exit", () => r()));
      const port = await ready(proc, name);
      return handle(proc, name, port, exited);
    }),
  );
  return {
    nodes,
    async close() {
      await Promise.all(nodes.map((n) => n.kill()));
    },
  };
}

/**
 * Starts `count` nodes as `node:cluster` workers of this (test) process. `primary` runs another
 * adapter's primary side (default: Tether's relay, workers on the `cluster` backend) and returns
 * its teardown.
 */
export async function forkWorkers(
  count: number,
  env: Record<string, string>,
  primary?: { backend: string; setup: () => () => void },
): Promise<NodeSet> {
  const { setupPrimary } = await import("../../src/adapters/cluster/index.js");
  cluster.setupPrimary({
    exec: NODE_SCRIPT,
    execArgv: ["--import", "tsx"],
    serialization: "advanced",
    silent: false,
  });
  const stopRelay = primary ? primary.setup() : setupPrimary();
  const backend = primary?.backend ?? "cluster";
  const workers: Worker[] = [];
  const nodes = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const name = `worker${i}`;
      const worker = cluster.fork({ ...env, BACKEND: backend, NODE_NAME: name });
      workers.push(worker);
      const proc: Proc = {
        send: (m) => worker.send(m as never),
        on: (ev, fn) => worker.on(ev, fn),
        once: (ev, fn) => worker.once(ev, fn),
        kill: (sig) => worker.process.kill(sig),
      };
      const exited = new Promise<void>((r) => worker.once("exit", () => r()));
      const port = await ready(proc, name);
      return handle(proc, name, port, exited);
    }),
  );
  return {
    nodes,
    async close() {
      await Promise.all(nodes.map((n) => n.kill()));
      stopRelay();
    },
  };
}

/** A random prefix so concurrent runs never share Redis keys or channels. */
export function randomPrefix(): string {
  return `tether-test-${randomBytes(6).toString("hex")}`;
}

/** A client that records every event it receives. */
export interface TestClient {
  readonly socket: ClientSocket;
  readonly events: Array<{ ev: string; args: unknown[] }>;
  received(ev: string): unknown[][];
  /** Waits until `ev` was received `count` times. */
  waitFor(ev: string, count?: number, timeoutMs?: number): Promise<unknown[][]>;
  call<T>(ev: string, ...args: unknown[]): Promise<T>;
}

const openClients = new Set<ClientSocket>();

/** Connects an official client to `url + nsp` (WebSocket only) and waits for `connect`. */
export async function connectClient(
  url: string,
  nsp = "/",
  opts: { user?: string; reconnection?: boolean; transports?: Array<"polling" | "websocket"> } = {},
): Promise<TestClient> {
  const socket = ioc(`${url}${nsp}`, {
    transports: opts.transports ?? ["websocket"],
    forceNew: true,
    reconnection: opts.reconnection ?? false,
    reconnectionDelay: 100,
    reconnectionDelayMax: 300,
    auth: { user: opts.user ?? "anon" },
  });
  openClients.add(socket);
  const events: Array<{ ev: string; args: unknown[] }> = [];
  socket.onAny((ev: string, ...args: unknown[]) => events.push({ ev, args }));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`connect to ${url}${nsp} timed out`)), 15_000);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once("connect_error", (err: Error) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  const received = (ev: string) => events.filter((e) => e.ev === ev).map((e) => e.args);
  return {
    socket,
    events,
    received,
    async waitFor(ev, count = 1, timeoutMs = 10_000) {
      await waitFor(
        () => received(ev).length >= count,
        timeoutMs,
        `${count}× '${ev}' on ${url}${nsp}`,
      );
      return received(ev);
    },
    call<T>(ev: string, ...args: unknown[]) {
      return socket.timeout(10_000).emitWithAck(ev, ...args) as Promise<T>;
    },
  };
}

/** Disconnects every client opened by {@link connectClient}. */
export function closeClients(): void {
  for (const s of openClients) s.disconnect();
  openClients.clear();
}

/** Waits until every live node counts `expected` servers in namespace `nsp`. */
export async function waitForServerCount(
  nodes: NodeHandle[],
  expected: number,
  nsp = "/",
  timeoutMs = 15_000,
): Promise<void> {
  const counts = new Map<string, number>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await Promise.all(
      nodes
        .filter((n) => n.alive)
        .map(async (n) => counts.set(n.name, await n.call<number>("serverCount", { nsp }))),
    );
    if ([...counts.values()].every((c) => c === expected)) return;
    if (Date.now() > deadline)
      throw new Error(`server count never reached ${expected}: ${JSON.stringify([...counts])}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
