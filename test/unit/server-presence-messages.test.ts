/**
 * What other nodes send to presence is untrusted: malformed, truncated, hostile or out-of-order
 * messages on the reserved `tether:presence` event are dropped or trigger a resync, never throw,
 * never touch prototypes, and never exceed the per-node bounds.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Server, type ServerOptions } from "../../src/index.js";
import { rng } from "../helpers/rng.js";

function tracker(opts: ServerOptions = {}) {
  const io = new Server({ serveClient: false, ...opts });
  return { io, t: io.of("/")._presenceTracker() };
}

function junk(next: () => number, depth = 0): unknown {
  const k = Math.floor(next() * 10);
  if (depth > 3 || k < 3)
    return [0, 1, -1, 1.5, "", "x", "lobby", "n1", null, true, undefined][Math.floor(next() * 11)];
  if (k < 6) return Array.from({ length: Math.floor(next() * 6) }, () => junk(next, depth + 1));
  const o: Record<string, unknown> = {};
  for (const key of ["t", "n", "s", "ops", "rooms", "to", "sid", "entries"])
    if (next() < 0.5) o[key] = junk(next, depth + 1);
  if (next() < 0.5) o.t = ["d", "g", "q", "f", "x", "c", "h"][Math.floor(next() * 7)];
  if (next() < 0.5) o.n = "node1";
  return o;
}

describe("presence messages from other nodes", () => {
  it("applies a well-formed delta and full state, in sequence", async () => {
    const { io, t } = tracker();
    t.onMessage({ t: "d", n: "node1", s: 1, ops: [[0, "lobby", "alice", "sid1", { v: 1 }]] });
    assert.deepEqual(await io.in("lobby").presence(), {
      alice: { metas: [{ v: 1, socketId: "sid1" }] },
    });
    t.onMessage({ t: "f", n: "node1", s: 2, rooms: [["lobby", [["bob", "sid2", {}]]]] });
    assert.deepEqual(Object.keys(await io.in("lobby").presence()), ["bob"]);
    t.onMessage({ t: "x", n: "node1" });
    assert.deepEqual(await io.in("lobby").presence(), {});
    await io.close();
  });

  it("ignores a delta after a gap in the sequence (and asks for the full state instead)", async () => {
    const { io, t } = tracker();
    t.onMessage({ t: "d", n: "node1", s: 1, ops: [[0, "lobby", "alice", "sid1", {}]] });
    t.onMessage({ t: "d", n: "node1", s: 3, ops: [[0, "lobby", "carol", "sid3", {}]] });
    assert.deepEqual(Object.keys(await io.in("lobby").presence()), ["alice"]);
    // A replayed old delta changes nothing either.
    t.onMessage({ t: "d", n: "node1", s: 1, ops: [[1, "lobby", "alice", "sid1"]] });
    assert.deepEqual(Object.keys(await io.in("lobby").presence()), ["alice"]);
    await io.close();
  });

  it("drops hostile entries: __proto__ keys and metas, huge and deep metas, oversized messages", async () => {
    const { io, t } = tracker({ presence: { maxEntriesPerNode: 100 } });
    let deep: unknown = 1;
    for (let i = 0; i < 50; i++) deep = { d: deep };
    t.onMessage({
      t: "d",
      n: "node1",
      s: 1,
      ops: [
        [0, "lobby", "__proto__", "sid1", {}],
        [0, "lobby", "k1", "sid2", JSON.parse('{"__proto__": {"polluted": true}}')],
        [0, "lobby", "k2", "sid3", { big: "x".repeat(5000) }],
        [0, "lobby", "k3", "sid4", deep],
        [0, "__proto__", "k4", "sid5", {}],
        [0, "lobby", "ok", "sid6", { fine: true }],
      ],
    });
    assert.deepEqual(Object.keys(await io.in("lobby").presence()), ["ok"]);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const many = Array.from({ length: 500 }, (_, i) => [`k${i}`, `s${i}`, {}]);
    t.onMessage({ t: "f", n: "node2", s: 1, rooms: [["big", many]] });
    assert.equal(await io.in("big").presenceCount(), 100);
    t.onMessage({
      t: "d",
      n: "node3",
      s: 1,
      ops: Array.from({ length: 20_000 }, () => [0, "r", "k", "s", {}]),
    });
    assert.equal(await io.in("r").presenceCount(), 0);
    await io.close();
  });

  it("keeps state for at most 1,000 other nodes, however many node ids messages claim", async () => {
    const { io, t } = tracker();
    for (let i = 0; i < 3000; i++) t.onMessage({ t: "g", n: `node${i}`, s: 0 });
    assert.equal(t.stats().nodes, 1000);
    await io.close();
  });

  it("survives 20,000 random messages without throwing", async () => {
    const { io, t } = tracker();
    const next = rng(1);
    for (let i = 0; i < 20_000; i++) t.onMessage(junk(next));
    const stats = t.stats();
    assert.ok(stats.remoteEntries >= 0);
    await io.close();
  });
});
