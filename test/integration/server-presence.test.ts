/**
 * Presence on one node (src/server/presence.ts): `socket.track()` / `updatePresence()` /
 * `untrack()`, `io.in(room).presence()` and `presenceCount()`, the `presence_state` and batched
 * `presence_diff` events the official client receives, the namespace `presence` event, recovery
 * without flicker, limits and hostile metas. Multi-node behaviour: test/adapters/presence-*.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Socket as ClientSocket } from "socket.io-client";
import type { PresenceDiff, PresenceState, ServerOptions, Socket } from "../../src/index.js";
import { waitFor } from "../helpers/wait.js";
import { type Fixture, next, startServer } from "../interop/server-harness.js";

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

interface Observed {
  states: Array<[string, PresenceState]>;
  diffs: Array<[string, PresenceDiff]>;
}

function observe(c: ClientSocket): Observed {
  const o: Observed = { states: [], diffs: [] };
  c.on("presence_state", (room: string, state: PresenceState) => o.states.push([room, state]));
  c.on("presence_diff", (room: string, diff: PresenceDiff) => o.diffs.push([room, diff]));
  return o;
}

/** Connects an official client; returns it with its server-side socket. */
async function join(
  fx: Fixture,
  opts: Record<string, unknown> = {},
): Promise<{ c: ClientSocket; s: Socket; o: Observed }> {
  const conn = next<[Socket]>(fx.io, "connection");
  const c = fx.client("/", opts);
  const o = observe(c);
  await next(c, "connect");
  const [s] = await conn;
  return { c, s, o };
}

const keysOf = (state: PresenceState) => Object.keys(state).sort();
const sidsOf = (state: PresenceState, key: string) =>
  (state[key]?.metas ?? []).map((m) => m.socketId).sort();

describe("presence on one node", () => {
  it("lists tracked keys with one meta per socket, tagged with the socket id, and counts keys", async () => {
    f = await startServer({});
    const a = await join(f);
    const b = await join(f);
    const c = await join(f);
    await a.s.track("lobby", "alice", { device: "phone" });
    await b.s.track("lobby", "alice", { device: "laptop" });
    await c.s.track("lobby", "bob", { device: "tablet" });
    const state = await f.io.in("lobby").presence();
    assert.deepEqual(keysOf(state), ["alice", "bob"]);
    assert.deepEqual(sidsOf(state, "alice"), [a.s.id, b.s.id].sort());
    const phone = state.alice?.metas.find((m) => m.socketId === a.s.id);
    assert.deepEqual(phone, { device: "phone", socketId: a.s.id });
    assert.equal(await f.io.in("lobby").presenceCount(), 2);
    assert.equal(await f.io.of("/").to("lobby").presenceCount(), 2);
    assert.deepEqual(await f.io.in("elsewhere").presence(), {});
    // track() joined the room.
    assert.ok(a.s.rooms.has("lobby"));
  });

  it("sends the full state once when a socket tracks, and to a socket joining a tracked room", async () => {
    f = await startServer({});
    const a = await join(f);
    await a.s.track("lobby", "alice");
    await waitFor(() => a.o.states.length === 1, 5000, "state for the tracker");
    const [room, state] = a.o.states[0] as [string, PresenceState];
    assert.equal(room, "lobby");
    assert.deepEqual(keysOf(state), ["alice"]);
    await a.s.updatePresence("lobby", { status: "away" });
    const b = await join(f);
    await b.s.join("lobby");
    await waitFor(() => b.o.states.length === 1, 5000, "state for the joiner");
    assert.deepEqual(b.o.states[0]?.[1].alice?.metas, [{ status: "away", socketId: a.s.id }]);
    // Once per socket and room: tracking after joining sends no second state.
    await b.s.track("lobby", "bob");
    await waitFor(() => b.o.diffs.some(([, d]) => "bob" in d.joins), 5000, "bob's join diff");
    assert.equal(b.o.states.length, 1);
    assert.equal(a.o.states.length, 1);
  });

  it("pushes joins and leaves to the room: track, updatePresence (leave + join), untrack, leave, disconnect", async () => {
    f = await startServer({});
    const watcher = await join(f);
    await watcher.s.join("lobby");
    const events: Array<[string, PresenceDiff]> = [];
    f.io.on("presence", (room, diff) => events.push([room, diff]));
    const a = await join(f);
    const all = () => watcher.o.diffs.map(([, d]) => d);
    const saw = (pred: (d: PresenceDiff) => boolean, what: string) =>
      waitFor(() => all().some(pred), 5000, what);

    await a.s.track("lobby", "alice", { v: 1 });
    await saw((d) => d.joins.alice?.metas[0]?.v === 1, "join");
    await a.s.updatePresence("lobby", { v: 2 });
    await saw(
      (d) => d.leaves.alice?.metas[0]?.v === 1 && d.joins.alice?.metas[0]?.v === 2,
      "update",
    );
    await a.s.untrack("lobby");
    await saw((d) => d.leaves.alice?.metas[0]?.v === 2, "untrack");
    assert.ok(a.s.rooms.has("lobby"), "untrack keeps the socket in the room");
    assert.deepEqual(await f.io.in("lobby").presence(), {});

    await a.s.track("lobby", "alice", { v: 3 });
    await saw((d) => d.joins.alice?.metas[0]?.v === 3, "join again");
    await a.s.leave("lobby");
    await saw((d) => d.leaves.alice?.metas[0]?.v === 3, "leave");

    await a.s.track("lobby", "alice", { v: 4 });
    await saw((d) => d.joins.alice?.metas[0]?.v === 4, "join before disconnect");
    a.c.disconnect();
    await saw((d) => d.leaves.alice?.metas[0]?.v === 4, "leave on disconnect");
    assert.deepEqual(await f.io.in("lobby").presence(), {});
    // The namespace event saw the same diffs, on the server.
    assert.deepEqual(
      events.map(([room]) => room),
      events.map(() => "lobby"),
    );
    assert.deepEqual(
      events.map(([, d]) => d),
      all(),
    );
  });

  it("batches a join storm: 300 sockets tracking at once produce a few diffs, not one per join", async () => {
    f = await startServer({ presence: { diffInterval: 50 } });
    const watcher = await join(f);
    await watcher.s.join("room");
    const sockets: Socket[] = [];
    f.io.on("connection", (s) => sockets.push(s));
    for (let i = 0; i < 300; i++) f.client("/");
    await waitFor(() => sockets.length === 300, 20_000, "300 connections");
    const t0 = Date.now();
    await Promise.all(sockets.map((s, i) => s.track("room", `user${i}`)));
    await waitFor(
      () => watcher.o.diffs.reduce((n, [, d]) => n + Object.keys(d.joins).length, 0) === 300,
      10_000,
      "every join pushed",
    );
    const elapsed = Date.now() - t0;
    // At most one diff per room per 50 ms window (+1 for the window in progress).
    assert.ok(
      watcher.o.diffs.length <= Math.ceil(elapsed / 50) + 1,
      `${watcher.o.diffs.length} diffs in ${elapsed} ms`,
    );
    assert.ok(watcher.o.diffs.length < 30, `${watcher.o.diffs.length} diffs`);
    assert.equal(await f.io.in("room").presenceCount(), 300);
  });

  it("with presence.events off, sends no presence events but still answers presence()", async () => {
    f = await startServer({ presence: { events: false } });
    const a = await join(f);
    const events: string[] = [];
    f.io.on("presence", (room) => events.push(room));
    await a.s.track("lobby", "alice");
    await waitFor(() => events.length === 1, 5000, "the namespace event");
    assert.deepEqual(keysOf(await f.io.in("lobby").presence()), ["alice"]);
    assert.equal(a.o.states.length + a.o.diffs.length, 0);
  });

  it("keeps the entries of a client that recovers its session: no leave/join pair", async () => {
    f = await startServer({ connectionStateRecovery: { maxDisconnectionDuration: 5000 } });
    const watcher = await join(f);
    await watcher.s.join("lobby");
    const a = await join(f, {
      reconnection: true,
      reconnectionDelay: 20,
      reconnectionDelayMax: 50,
    });
    await a.s.track("lobby", "alice", { v: 1 });
    await waitFor(() => watcher.o.diffs.length === 1, 5000, "join diff");
    const again = next<[Socket]>(f.io, "connection");
    a.c.io.engine.close();
    const [s2] = await again;
    assert.equal(s2.recovered, true);
    assert.equal(s2.id, a.s.id);
    // A later change proves diffs still flow; no leave for alice came before it.
    await s2.updatePresence("lobby", { v: 2 });
    await waitFor(() => watcher.o.diffs.length === 2, 5000, "update diff");
    assert.deepEqual(watcher.o.diffs[1]?.[1].leaves.alice?.metas, [{ v: 1, socketId: a.s.id }]);
    assert.deepEqual(watcher.o.diffs[1]?.[1].joins.alice?.metas, [{ v: 2, socketId: a.s.id }]);
  });

  it("removes a recoverable client's entries once the recovery window ends without it", async () => {
    f = await startServer({ connectionStateRecovery: { maxDisconnectionDuration: 300 } });
    const watcher = await join(f);
    await watcher.s.join("lobby");
    const a = await join(f);
    await a.s.track("lobby", "alice");
    await waitFor(() => watcher.o.diffs.length === 1, 5000, "join diff");
    const t0 = Date.now();
    a.c.io.engine.close();
    await waitFor(() => a.s.disconnected, 5000, "server-side disconnect");
    // Held during the window…
    assert.deepEqual(keysOf(await f.io.in("lobby").presence()), ["alice"]);
    await waitFor(() => watcher.o.diffs.length === 2, 5000, "leave diff");
    assert.ok(Date.now() - t0 >= 250, "not before the window ends");
    assert.ok("alice" in (watcher.o.diffs[1]?.[1].leaves ?? {}));
    assert.deepEqual(await f.io.in("lobby").presence(), {});
  });

  it("refuses invalid rooms, keys and hostile metas with PRESENCE_ERR_INVALID, and keeps serving", async () => {
    f = await startServer({ presence: { maxMetaBytes: 256 } });
    const a = await join(f);
    let deep: Record<string, unknown> = { x: 1 };
    for (let i = 0; i < 20; i++) deep = { d: deep };
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const bad: Array<[string, string, unknown]> = [
      ["", "k", {}],
      ["r", "", {}],
      ["r", "__proto__", {}],
      ["r", "k", JSON.parse('{"__proto__": {"polluted": true}}')],
      ["r", "k", { big: "x".repeat(300) }],
      ["r", "k", deep],
      ["r", "k", cyclic],
      ["r", "k", { f: () => 1 }],
      ["r", "k", { n: Number.NaN }],
      ["r", "k", new Date()],
      ["r", "k", ["not", "an", "object"]],
      ["r", "k", { socketId: "forged" }],
      ["r", "k", { nested: new Map() }],
    ];
    for (const [room, key, meta] of bad) {
      await assert.rejects(
        a.s.track(room, key, meta as Record<string, unknown>),
        (err: { code?: string }) => err.code === "PRESENCE_ERR_INVALID",
        `track(${JSON.stringify(room)}, ${JSON.stringify(key)}, …)`,
      );
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    await assert.rejects(
      a.s.updatePresence("never-tracked", {}),
      (err: { code?: string }) => err.code === "PRESENCE_ERR_NOT_TRACKED",
    );
    await a.s.track("r", "k", { ok: true });
    assert.deepEqual(keysOf(await f.io.in("r").presence()), ["k"]);
  });

  it("enforces keys per room, metas per key and rooms per socket with PRESENCE_ERR_LIMIT", async () => {
    f = await startServer({
      presence: { maxKeysPerRoom: 2, maxMetasPerKey: 2, maxRoomsPerSocket: 2 },
    });
    const s: Socket[] = [];
    for (let i = 0; i < 4; i++) s.push((await join(f)).s);
    const [a, b, c, d] = s as [Socket, Socket, Socket, Socket];
    const isLimit = (err: { code?: string }) => err.code === "PRESENCE_ERR_LIMIT";
    await a.track("r", "k1");
    await b.track("r", "k2");
    await assert.rejects(c.track("r", "k3"), isLimit, "third key");
    await c.track("r", "k1");
    await assert.rejects(d.track("r", "k1"), isLimit, "third meta of k1");
    await a.track("r2", "k1");
    await assert.rejects(a.track("r3", "k1"), isLimit, "third room of one socket");
    // Tracking again in the same room replaces the entry: no limit hit.
    await a.track("r", "k1", { again: true });
    assert.equal(await f.io.in("r").presenceCount(), 2);
  });

  it("socket.track() on a disconnected socket rejects with PRESENCE_ERR_DISCONNECTED", async () => {
    f = await startServer({});
    const a = await join(f);
    a.c.disconnect();
    await waitFor(() => a.s.disconnected, 5000, "disconnect");
    await assert.rejects(
      a.s.track("r", "k"),
      (err: { code?: string }) => err.code === "PRESENCE_ERR_DISCONNECTED",
    );
  });
});

// Server options type accepts presence (compile-time check).
const _typed: ServerOptions = { presence: { events: true, diffInterval: 20 } };
void _typed;
