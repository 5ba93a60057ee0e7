/**
 * Integration: `volatile` packets are sent only when the transport can take them at once, as on
 * socket.io — not after another packet queued in the same tick, not while a write is in flight,
 * not without a pending polling GET — for socket emits and broadcasts, text and binary.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Socket as ClientSocket } from "socket.io-client";
import type { Socket } from "../../src/index.js";
import { waitFor } from "../helpers/wait.js";
import { type Fixture, next, startServer, type TransportMode } from "../interop/server-harness.js";

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

interface Peer {
  c: ClientSocket;
  s: Socket;
  got: unknown[];
  done: boolean;
}

/** Connects `n` clients that record `v` events and note the `end` marker. */
async function peers(mode: TransportMode, n: number): Promise<{ fx: Fixture; p: Peer[] }> {
  f = await startServer({}, mode);
  const fx = f;
  const p: Peer[] = [];
  for (let i = 0; i < n; i++) {
    const conn = next<[Socket]>(fx.io, "connection");
    const c = fx.client();
    const peer = { c, got: [] as unknown[], done: false } as Peer;
    c.on("v", (x: unknown) => peer.got.push(x));
    c.on("end", () => {
      peer.done = true;
    });
    await next(c, "connect");
    peer.s = (await conn)[0];
    p.push(peer);
  }
  return { fx, p };
}

/** Waits until every peer's transport is free: nothing queued, no write in flight, a GET pending. */
async function idle(p: Peer[]): Promise<void> {
  await waitFor(
    () => p.every((x) => x.s.conn.transport.writable && x.s.conn.bufferedPackets === 0),
    5000,
    "idle transports",
  );
}

for (const mode of ["websocket", "polling"] as const) {
  describe(`volatile (${mode})`, () => {
    it("100 volatile emits in one tick reach the client once", async () => {
      const { p } = await peers(mode, 1);
      const [a] = p as [Peer];
      await idle(p);
      for (let i = 0; i < 100; i++) a.s.volatile.emit("v", i);
      a.s.emit("end");
      await waitFor(() => a.done, 5000, "end marker");
      assert.deepEqual(a.got, [0]);
    });

    it("100 binary volatile emits in one tick reach the client once", async () => {
      const { p } = await peers(mode, 1);
      const [a] = p as [Peer];
      await idle(p);
      for (let i = 0; i < 100; i++) a.s.volatile.emit("v", Buffer.from([i]));
      a.s.emit("end");
      await waitFor(() => a.done, 5000, "end marker");
      assert.equal(a.got.length, 1);
      assert.deepEqual([...(a.got[0] as Uint8Array)], [0]);
    });

    it("drops a volatile packet queued after another packet in the same tick", async () => {
      const { p } = await peers(mode, 1);
      const [a] = p as [Peer];
      await idle(p);
      a.s.emit("other");
      a.s.volatile.emit("v", "late");
      a.s.emit("end");
      await waitFor(() => a.done, 5000, "end marker");
      assert.deepEqual(a.got, []);
    });

    it("io.volatile.emit 100 times in one tick reaches each recipient once, text and binary", async () => {
      const { fx, p } = await peers(mode, 3);
      await idle(p);
      for (let i = 0; i < 100; i++) fx.io.volatile.emit("v", i);
      fx.io.emit("end");
      await waitFor(() => p.every((x) => x.done), 5000, "end markers");
      assert.deepEqual(
        p.map((x) => x.got),
        [[0], [0], [0]],
      );
      for (const x of p) {
        x.got.length = 0;
        x.done = false;
      }
      await idle(p);
      for (let i = 0; i < 100; i++) fx.io.volatile.emit("v", Buffer.from([i]));
      fx.io.emit("end");
      await waitFor(() => p.every((x) => x.done), 5000, "end markers");
      assert.deepEqual(
        p.map((x) => x.got.map((b) => [...(b as Uint8Array)])),
        [[[0]], [[0]], [[0]]],
      );
    });

    it("a broadcast drops the volatile packet only for the recipient whose transport is busy", async () => {
      const { fx, p } = await peers(mode, 2);
      const [a, b] = p as [Peer, Peer];
      await idle(p);
      a.s.emit("other");
      fx.io.volatile.emit("v", "news");
      fx.io.emit("end");
      await waitFor(() => a.done && b.done, 5000, "end markers");
      assert.deepEqual([a.got, b.got], [[], ["news"]]);
    });
  });
}

describe("volatile without a pending GET", () => {
  it("drops a volatile packet while a polling client has no GET pending", async () => {
    const { p } = await peers("polling", 1);
    const [a] = p as [Peer];
    await idle(p);
    // Take the GET with a regular packet: until the client polls again, volatile is dropped.
    a.s.emit("other");
    // Queued packets are written in the event loop's check phase (setImmediate), once per turn.
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(a.s.conn.transport.writable, false);
    a.s.volatile.emit("v", "dropped");
    a.s.emit("end");
    await waitFor(() => a.done, 5000, "end marker");
    assert.deepEqual(a.got, []);
  });
});
