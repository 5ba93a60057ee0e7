/**
 * Unit: the drain scheduler (`drainSessions`) with fake timers and plain connection objects —
 * batch count and timing, order of persist and close, early finish, deadline, late sessions.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import { DRAIN_MAX_BATCHES, type DrainConnection, drainSessions } from "../../src/server/drain.js";

/** A connection that records when it was released and closed; `end()` is it leaving. */
class Conn implements DrainConnection {
  released: number | undefined;
  closedAt: number | undefined;
  #listeners: Array<() => void> = [];
  constructor(
    readonly id: number,
    readonly sessions: Set<Conn>,
    readonly clock: () => number,
  ) {
    sessions.add(this);
  }
  once(_event: "close", listener: () => void): this {
    this.#listeners.push(listener);
    return this;
  }
  close(): void {
    if (this.closedAt !== undefined) return;
    this.closedAt = this.clock();
    this.end();
  }
  end(): void {
    this.sessions.delete(this);
    const ls = this.#listeners;
    this.#listeners = [];
    for (const l of ls) l();
  }
}

let now = 0;
const clock = (): number => now;

function tick(ms: number): void {
  now += ms;
  mock.timers.tick(ms);
}

/** Lets settled promises run their callbacks (fake timers do not drive microtasks). */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

function host(sessions: Set<Conn>, release?: (c: Conn) => Promise<unknown> | undefined) {
  return {
    sessions: () => sessions,
    count: () => sessions.size,
    release: (c: Conn) => {
      c.released = now;
      return release?.(c);
    },
  };
}

describe("drainSessions", () => {
  beforeEach(() => {
    now = 0;
    mock.timers.enable({ apis: ["setTimeout"] });
  });
  afterEach(() => mock.timers.reset());

  it("releases one connection per batch when there are fewer than the maximum, each in its own slot over the first half", async () => {
    const sessions = new Set<Conn>();
    const conns = Array.from({ length: 5 }, (_, i) => new Conn(i, sessions, clock));
    const done = drainSessions(host(sessions), 1000, () => 0.5);
    // Batch 0 goes at once; batch i at (i + 0.5) · slot with slot = 500 / 5 = 100 ms.
    tick(0);
    assert.equal(conns.filter((c) => c.released !== undefined).length, 1);
    for (let i = 1; i < 5; i++) {
      tick(i === 1 ? 149 : 99);
      assert.equal(conns.filter((c) => c.released !== undefined).length, i, `before batch ${i}`);
      tick(1);
      assert.equal(conns.filter((c) => c.released !== undefined).length, i + 1, `batch ${i}`);
    }
    const result = await done;
    assert.equal(result.outcome, "drained");
    assert.equal(result.batches, 5);
    assert.deepEqual(
      conns.map((c) => c.closedAt !== undefined),
      [true, true, true, true, true],
    );
  });

  it("uses at most DRAIN_MAX_BATCHES batches of even size for many connections", async () => {
    const sessions = new Set<Conn>();
    const conns = Array.from({ length: 1000 }, (_, i) => new Conn(i, sessions, clock));
    const done = drainSessions(host(sessions), 10_000, () => 0);
    const sizes: number[] = [];
    let before = 0;
    for (let i = 0; i < DRAIN_MAX_BATCHES; i++) {
      tick(i === 0 ? 0 : 250);
      const released = conns.filter((c) => c.released !== undefined).length;
      sizes.push(released - before);
      before = released;
    }
    assert.deepEqual(
      sizes,
      Array.from({ length: DRAIN_MAX_BATCHES }, () => 1000 / DRAIN_MAX_BATCHES),
    );
    const result = await done;
    assert.equal(result.batches, DRAIN_MAX_BATCHES);
  });

  it("closes a connection only once its sessions are persisted", async () => {
    const sessions = new Set<Conn>();
    const conn = new Conn(0, sessions, clock);
    let persist: (() => void) | undefined;
    const done = drainSessions(
      host(
        sessions,
        () =>
          new Promise<void>((r) => {
            persist = r;
          }),
      ),
      1000,
    );
    tick(0);
    assert.equal(conn.released, 0);
    tick(50);
    await flush();
    assert.equal(conn.closedAt, undefined, "closed before the write finished");
    persist?.();
    await flush();
    assert.equal(conn.closedAt, 50);
    assert.equal((await done).outcome, "drained");
  });

  it("resolves as soon as the rest leave by themselves", async () => {
    const sessions = new Set<Conn>();
    const conns = Array.from({ length: 4 }, (_, i) => new Conn(i, sessions, clock));
    let resolved = false;
    const done = drainSessions(host(sessions), 60_000).then((r) => {
      resolved = true;
      return r;
    });
    tick(0);
    for (const c of conns) if (c.released === undefined) c.end();
    await flush();
    assert.equal(resolved, true);
    assert.equal((await done).batches, 1);
  });

  it("resolves at the deadline when a connection does not go", async () => {
    const sessions = new Set<Conn>();
    const stuck = new Conn(0, sessions, clock);
    stuck.close = () => {}; // e.g. a polling client that never fetches its close packet
    let resolved = false;
    const done = drainSessions(host(sessions), 300).then((r) => {
      resolved = true;
      return r;
    });
    tick(299);
    await flush();
    assert.equal(resolved, false);
    tick(1);
    const result = await done;
    assert.equal(result.outcome, "deadline");
    assert.equal(sessions.size, 1);
  });

  it("takes sessions opened after the start in the last batch", async () => {
    const sessions = new Set<Conn>();
    const first = new Conn(0, sessions, clock);
    const second = new Conn(1, sessions, clock);
    const done = drainSessions(host(sessions), 1000, () => 0);
    tick(0);
    const late = new Conn(2, sessions, clock);
    tick(250);
    assert.ok(first.released !== undefined && second.released !== undefined);
    assert.equal(late.released, 250);
    assert.equal((await done).outcome, "drained");
  });

  it("resolves at once when there is nothing to drain", async () => {
    const result = await drainSessions(host(new Set()), 10_000);
    assert.deepEqual([result.outcome, result.batches], ["drained", 0]);
  });
});
