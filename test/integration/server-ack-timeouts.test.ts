/**
 * Integration: acknowledgements with a timeout. A timed-out broadcast reports the acks that did
 * arrive (callback and promise forms), and the pending entries of the sockets that never answered
 * are dropped at the timeout, on this node and on the other nodes of a cluster, as are those of a
 * single socket's `timeout(ms).emit`. `socket.acks` is the socket.io-compatible view checked here.
 */
import assert from "node:assert/strict";
import { createServer, type Server as HttpServer } from "node:http";
import { afterEach, describe, it } from "node:test";
import { type Socket as ClientSocket, io as ioc } from "socket.io-client";
import { ClusterAdapter } from "../../src/adapter/cluster-adapter.js";
import {
  type ClusterMessage,
  decodeClusterMessage,
  encodeClusterMessage,
} from "../../src/adapter/cluster-message.js";
import type { AdapterHost } from "../../src/adapter/types.js";
import { RemoteSocket, Server, type Socket } from "../../src/index.js";
import { closeServer, listen, waitFor } from "../helpers/wait.js";
import { type Fixture, next, startServer } from "../interop/server-harness.js";

type AckError = Error & { responses?: unknown[] };

let f: Fixture | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await f?.close();
  f = undefined;
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface Peer {
  c: ClientSocket;
  s: Socket;
}

/** Connects `n` official clients to `fx`; returns each with its server-side socket. */
async function connectPeers(fx: Fixture, n: number): Promise<Peer[]> {
  const peers: Peer[] = [];
  for (let i = 0; i < n; i++) {
    const conn = next<[Socket]>(fx.io, "connection");
    const c = fx.client("/");
    await next(c, "connect");
    const [s] = await conn;
    peers.push({ c, s });
  }
  return peers;
}

/** Pending ack entries of each server-side socket of the main namespace. */
function pendingAcks(io: Server): number[] {
  return [...io.of("/").sockets.values()].map((s) => s.acks.size);
}

/** Three clients: the first two answer `q` with their index, the third never answers. */
async function twoOfThreeAnswer(): Promise<{ fx: Fixture; p: Peer[] }> {
  f = await startServer();
  const p = await connectPeers(f, 3);
  p[0]?.c.on("q", (ack: (v: number) => void) => ack(0));
  p[1]?.c.on("q", (ack: (v: number) => void) => ack(1));
  p[2]?.c.on("q", () => {});
  return { fx: f, p };
}

describe("broadcast acks with a timeout", () => {
  it("emitWithAck rejects with 'operation has timed out' and the arrived acks in err.responses, for every kind of broadcast", async () => {
    const { fx, p } = await twoOfThreeAnswer();
    const [s0, s1, s2] = p.map((x) => x.s) as [Socket, Socket, Socket];
    s1.join("room");
    s2.join("room");
    const cases: [string, () => Promise<unknown>, number[]][] = [
      ["io", () => fx.io.timeout(1000).emitWithAck("q"), [0, 1]],
      ["namespace", () => fx.io.of("/").timeout(1000).emitWithAck("q"), [0, 1]],
      ["io.to(room)", () => fx.io.to("room").timeout(1000).emitWithAck("q"), [1]],
      ["socket.broadcast", () => s0.broadcast.timeout(1000).emitWithAck("q"), [1]],
      ["socket.to(room)", () => s0.to("room").timeout(1000).emitWithAck("q"), [1]],
    ];
    for (const [name, run, expected] of cases) {
      const err = (await run().then(
        () => assert.fail(`${name}: resolved although a client never answered`),
        (e: unknown) => e,
      )) as AckError;
      assert.ok(err instanceof Error, name);
      assert.equal(err.message, "operation has timed out", name);
      assert.deepEqual([...(err.responses ?? [])].sort(), expected, name);
      // As socket.io: by the time the caller hears of the timeout, nothing is pending any more.
      assert.deepEqual(pendingAcks(fx.io), [0, 0, 0], name);
    }
  });

  it("the callback form gets (err, responses) with the same responses on err.responses", async () => {
    const { fx } = await twoOfThreeAnswer();
    const [err, responses] = await new Promise<[AckError | null, unknown[]]>((resolve) =>
      fx.io.timeout(1000).emit("q", (e: AckError | null, r: unknown[]) => resolve([e, r])),
    );
    assert.equal(err?.message, "operation has timed out");
    assert.deepEqual([...responses].sort(), [0, 1]);
    assert.deepEqual(err?.responses, responses);
    assert.deepEqual(pendingAcks(fx.io), [0, 0, 0]);
  });

  it("an ack arriving after the timeout is ignored and does not change the reported responses", async () => {
    f = await startServer();
    const fx = f;
    const [a, b] = (await connectPeers(fx, 2)) as [Peer, Peer];
    a.c.on("q", (ack: (v: string) => void) => ack("in time"));
    let late: ((v: string) => void) | undefined;
    b.c.on("q", (ack: (v: string) => void) => {
      late = ack;
    });
    b.c.on("ping", (ack: () => void) => ack());
    const err = (await fx.io
      .timeout(1000)
      .emitWithAck("q")
      .then(
        () => assert.fail("resolved"),
        (e: unknown) => e,
      )) as AckError;
    assert.deepEqual(err.responses, ["in time"]);
    late?.("too late");
    // A round trip after the late ack: the server has processed it by the time this resolves.
    await b.s.timeout(5000).emitWithAck("ping");
    assert.deepEqual(err.responses, ["in time"]);
    assert.deepEqual(pendingAcks(fx.io), [0, 0]);
  });

  it("10,000 unanswered broadcasts with acks leave no pending entry on any socket", async () => {
    f = await startServer();
    const fx = f;
    const p = await connectPeers(fx, 2);
    let received = 0;
    for (const x of p) x.c.on("never", () => received++);
    const total = 10_000;
    let timedOut = 0;
    for (let i = 0; i < total; i++) {
      fx.io.timeout(50).emit("never", (err: Error | null) => {
        if (err) timedOut++;
      });
    }
    await waitFor(() => timedOut === total, 30_000, "every broadcast to time out");
    assert.deepEqual(pendingAcks(fx.io), [0, 0]);
    await waitFor(() => received === total * 2, 30_000, "every packet delivered");
    assert.deepEqual(pendingAcks(fx.io), [0, 0]);
  });

  it("a broadcast that reaches no socket completes at once with no responses", async () => {
    f = await startServer();
    await connectPeers(f, 1);
    assert.deepEqual(await f.io.to("nobody").timeout(5000).emitWithAck("q"), []);
  });
});

describe("single-socket acks with a timeout", () => {
  it("socket.timeout(ms).emit removes its pending entry when the timeout fires", async () => {
    f = await startServer();
    const [a] = (await connectPeers(f, 1)) as [Peer];
    const errors: (Error | null)[] = [];
    for (let i = 0; i < 100; i++) {
      a.s.timeout(30).emit("never", (err: Error | null) => errors.push(err));
    }
    assert.equal(a.s.acks.size, 100);
    await waitFor(() => errors.length === 100, 10_000, "every emit to time out");
    assert.ok(errors.every((e) => e?.message === "operation has timed out"));
    assert.equal(a.s.acks.size, 0);
    await assert.rejects(a.s.timeout(30).emitWithAck("never"), /operation has timed out/);
    assert.equal(a.s.acks.size, 0);
  });
});

// ---- cluster -----------------------------------------------------------------------------

/** An in-process cluster adapter: every message goes through the real wire encoding. */
function busAdapter(bus: Set<ClusterAdapter>) {
  return class BusAdapter extends ClusterAdapter {
    constructor(nsp: AdapterHost) {
      super(nsp, { heartbeatInterval: 60_000, heartbeatTimeout: 120_000 });
      bus.add(this);
    }
    protected publish(message: ClusterMessage): void {
      const bytes = encodeClusterMessage(message);
      for (const other of bus) {
        if (other === this) continue;
        queueMicrotask(() => {
          const decoded = decodeClusterMessage(bytes);
          if (decoded.ok) other.onMessage(decoded.value);
        });
      }
    }
    override close(): Promise<void> | void {
      bus.delete(this);
      return super.close();
    }
  };
}

interface Node {
  io: Server;
  http: HttpServer;
  url: string;
}

async function startNode(bus: Set<ClusterAdapter>): Promise<Node> {
  const http = createServer();
  const io = new Server(http, { adapter: busAdapter(bus) });
  const port = await listen(http);
  cleanups.push(async () => {
    await io.close();
    await closeServer(http);
  });
  return { io, http, url: `http://127.0.0.1:${port}` };
}

async function connectTo(node: Node): Promise<Peer> {
  const conn = next<[Socket]>(node.io, "connection");
  const c = ioc(node.url, { forceNew: true, reconnection: false, transports: ["websocket"] });
  cleanups.push(() => {
    c.disconnect();
  });
  await next(c, "connect");
  const [s] = await conn;
  return { c, s };
}

describe("broadcast acks with a timeout across a cluster", () => {
  it("the ack timeout travels with the broadcast; a bad one is dropped and a huge one clamped", () => {
    const wire = (timeout: unknown) => {
      const message = {
        type: "broadcast",
        uid: "n1",
        nsp: "/",
        packet: { type: 2, data: ["ev"] },
        opts: { rooms: [], except: [], flags: { timeout } },
        requestId: "r1",
      } as unknown as ClusterMessage;
      const decoded = decodeClusterMessage(encodeClusterMessage(message));
      assert.ok(decoded.ok && decoded.value.type === "broadcast");
      return decoded.value.opts.flags.timeout;
    };
    assert.equal(wire(250), 250);
    assert.equal(wire(-1), undefined);
    assert.equal(wire(Number.NaN), undefined);
    assert.equal(wire("250"), undefined);
    assert.equal(wire(1e12), 86_400_000);
  });

  it("collects the acks of every node and drops the other node's unanswered entries at the timeout", async () => {
    const bus = new Set<ClusterAdapter>();
    const nodeA = await startNode(bus);
    const nodeB = await startNode(bus);
    const adapterA = nodeA.io.of("/").adapter as ClusterAdapter;
    const adapterB = nodeB.io.of("/").adapter as ClusterAdapter;
    await waitFor(() => adapterA.nodes.size === 1 && adapterB.nodes.size === 1, 5000, "peers");
    const a1 = await connectTo(nodeA);
    const b1 = await connectTo(nodeB);
    const b2 = await connectTo(nodeB);
    a1.c.on("q", (ack: (v: string) => void) => ack("a1"));
    b1.c.on("q", (ack: (v: string) => void) => ack("b1"));
    let late: ((v: string) => void) | undefined;
    b2.c.on("q", (ack: (v: string) => void) => {
      late = ack;
    });
    b2.c.on("ping", (ack: () => void) => ack());

    const err = await nodeA.io
      .timeout(1000)
      .emitWithAck("q")
      .then(
        () => assert.fail("resolved although b2 never answered"),
        (e: unknown) => e as AckError,
      );
    assert.equal(err.message, "operation has timed out");
    assert.deepEqual([...(err.responses ?? [])].sort(), ["a1", "b1"]);
    assert.equal(a1.s.acks.size, 0);
    // Node B got the timeout with the broadcast and drops its own pending entry at that time.
    await waitFor(() => b2.s.acks.size === 0 && b1.s.acks.size === 0, 5000, "node B cleanup");
    late?.("too late");
    await b2.s.timeout(5000).emitWithAck("ping");
    assert.deepEqual([...(err.responses ?? [])].sort(), ["a1", "b1"]);
  });

  it("a RemoteSocket's timeout().emit gets the one response, or a timeout error with null responses, as socket.io", async () => {
    const bus = new Set<ClusterAdapter>();
    const nodeA = await startNode(bus);
    const nodeB = await startNode(bus);
    const adapterA = nodeA.io.of("/").adapter as ClusterAdapter;
    await waitFor(() => adapterA.nodes.size === 1, 5000, "peers");
    const b1 = await connectTo(nodeB);
    const b2 = await connectTo(nodeB);
    b1.c.on("q", (ack: (v: string) => void) => ack("b1"));
    b2.c.on("q", () => {});
    const found = await nodeA.io.fetchSockets();
    const r1 = found.find((s) => s.id === b1.s.id);
    const r2 = found.find((s) => s.id === b2.s.id);
    assert.ok(r1 instanceof RemoteSocket && r2 instanceof RemoteSocket);
    const answer = await new Promise<[Error | null, unknown]>((resolve) =>
      r1.timeout(5000).emit("q", (e: Error | null, v: unknown) => resolve([e, v])),
    );
    assert.deepEqual(answer, [null, "b1"]);
    const [err, value] = await new Promise<[AckError | null, unknown]>((resolve) =>
      r2.timeout(60).emit("q", (e: AckError | null, v: unknown) => resolve([e, v])),
    );
    assert.equal(err?.message, "operation has timed out");
    assert.equal(value, null);
    assert.equal(err?.responses, null);
    await waitFor(() => b2.s.acks.size === 0, 5000, "node B cleanup");
  });
});
