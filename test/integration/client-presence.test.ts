/**
 * The client `Presence` list against a real Tether server. Most tests send the wire events by
 * hand from the server side (`presence_state` / `presence_diff`, as docs/presence.md describes
 * them), so they pin the client's semantics on their own: state replaces, diffs join and leave,
 * several metas per key, updates, other rooms, hostile payloads, callback order, dispose — with
 * Tether's client and with the official socket.io-client. The last one follows the server's own
 * presence (`socket.track` and friends) end to end.
 */
import assert from "node:assert/strict";
import { createServer, type Server as HttpServer } from "node:http";
import { after, afterEach, before, describe, test } from "node:test";
import { io as officialIo } from "socket.io-client";
import {
  io as ioc,
  Presence,
  type PresenceEntry,
  type PresenceMeta,
  type Socket,
} from "../../src/client/index.js";
import { Server, type ServerOptions, type Socket as ServerSocket } from "../../src/index.js";
import { closeClients } from "../helpers/client-sockets.js";
import { closeServer, listen, onceEvent } from "../helpers/wait.js";

const ROOM = "lobby";

interface Meta {
  nick?: string;
  status?: string;
}

/** A meta as the server sends it. */
const m = (socketId: string, extra: Meta = {}): PresenceMeta<Meta> => ({ ...extra, socketId });

/** `{ key: { metas } }` from `[key, metas]` pairs. */
function state(...entries: [string, PresenceMeta<Meta>[]][]) {
  return Object.fromEntries(entries.map(([key, metas]) => [key, { metas }]));
}

/** One line per callback: "join u1 [a1] +[a2]", "leave u1 [-] -[a1]", "sync". */
interface Recorder {
  readonly log: string[];
  /** Resolves once `onSync` has run `n` times in all. */
  syncs(n: number): Promise<void>;
  /** The log so far, emptied. */
  take(): string[];
  /** Resolves on the first sync (or now) when `cond()` holds. */
  until(cond: () => boolean): Promise<void>;
}

function fmt(entry: PresenceEntry<Meta> | undefined): string {
  if (!entry) return "-";
  return entry.metas.map((x) => (x.status ? `${x.socketId}/${x.status}` : x.socketId)).join(",");
}

function record(presence: Presence<Meta>): Recorder {
  const log: string[] = [];
  let count = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const conditions: { cond: () => boolean; resolve: () => void }[] = [];
  presence
    .onJoin((key, current, joined) => log.push(`join ${key} [${fmt(current)}] +[${fmt(joined)}]`))
    .onLeave((key, current, left) => log.push(`leave ${key} [${fmt(current)}] -[${fmt(left)}]`))
    .onSync(() => {
      log.push("sync");
      count++;
      for (const w of waiters.filter((x) => x.n <= count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      for (const c of conditions.filter((x) => x.cond())) {
        conditions.splice(conditions.indexOf(c), 1);
        c.resolve();
      }
    });
  return {
    log,
    syncs(n) {
      if (count >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for sync #${n} (had ${count})`)),
          10_000,
        );
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    take: () => log.splice(0),
    until(cond) {
      if (cond()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("timed out waiting for the list")), 10_000);
        conditions.push({
          cond,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}

/** The list as "key:socketId=nick,…" strings. */
function view(presence: Presence<Meta>): string[] {
  return presence.list(
    (key, { metas }) =>
      `${key}:${metas.map((x) => `${x.socketId}${x.nick ? `=${x.nick}` : ""}`).join(",")}`,
  );
}

/**
 * Runs `body` with this test's own `uncaughtException` listener in place of the runner's,
 * collecting the messages (a throwing callback surfaces there, after the list is updated).
 */
async function withUncaught(body: () => Promise<void>): Promise<string[]> {
  const saved = process.listeners("uncaughtException");
  const seen: string[] = [];
  const mine = (err: Error) => seen.push(err.message);
  process.removeAllListeners("uncaughtException");
  process.on("uncaughtException", mine);
  try {
    await body();
  } finally {
    process.off("uncaughtException", mine);
    for (const l of saved) process.on("uncaughtException", l);
  }
  return seen;
}

interface Fixture {
  io: Server;
  http: HttpServer;
  url: string;
}

async function startServer(opts: Partial<ServerOptions> = {}): Promise<Fixture> {
  const http = createServer();
  const io = new Server(http, opts);
  const port = await listen(http);
  return { io, http, url: `http://127.0.0.1:${port}` };
}

async function stopServer(f: Fixture | undefined): Promise<void> {
  if (!f) return;
  await f.io.close();
  await closeServer(f.http);
}

describe("client Presence with Tether's client", () => {
  let f: Fixture;
  const clients: Socket[] = [];

  before(async () => {
    f = await startServer();
  });
  afterEach(() => closeClients(clients));
  after(() => stopServer(f));

  /** A connected client and its server-side socket. */
  async function connect(): Promise<{ client: Socket; server: ServerSocket }> {
    const serverSide = onceEvent<[ServerSocket]>(f.io, "connection");
    const client = ioc(f.url, { forceNew: true, transports: ["websocket"], reconnection: false });
    clients.push(client);
    const connected = onceEvent(client, "connect");
    const [[server]] = await Promise.all([serverSide, connected]);
    return { client, server };
  }

  test("a presence_state fills the list; the next one replaces it, reporting joins and leaves against the old list", async () => {
    const { client, server } = await connect();
    const presence = new Presence<Meta>(client, ROOM);
    const r = record(presence);
    assert.deepEqual(presence.list(), []);

    server.emit(
      "presence_state",
      ROOM,
      state(["u1", [m("a1", { nick: "ann" })]], ["u2", [m("b1", { nick: "bob" })]]),
    );
    await r.syncs(1);
    assert.deepEqual(r.take(), ["join u1 [-] +[a1]", "join u2 [-] +[b1]", "sync"]);
    assert.deepEqual(view(presence), ["u1:a1=ann", "u2:b1=bob"]);
    assert.deepEqual(presence.list(), [
      { key: "u1", metas: [{ nick: "ann", socketId: "a1" }] },
      { key: "u2", metas: [{ nick: "bob", socketId: "b1" }] },
    ]);

    server.emit(
      "presence_state",
      ROOM,
      state(["u3", [m("c1", { nick: "cy" })]], ["u2", [m("b1", { nick: "bob" })]]),
    );
    await r.syncs(2);
    assert.deepEqual(r.take(), ["join u3 [-] +[c1]", "leave u1 [-] -[a1]", "sync"]);
    assert.deepEqual(view(presence), ["u3:c1=cy", "u2:b1=bob"], "in the server's order");

    server.emit("presence_state", ROOM, {});
    await r.syncs(3);
    assert.deepEqual(r.take(), ["leave u3 [-] -[c1]", "leave u2 [-] -[b1]", "sync"]);
    assert.deepEqual(presence.list(), []);
  });

  test("a presence_diff adds joins and removes leaves; a repeated join is not duplicated and a leave of an unknown entry does nothing", async () => {
    const { client, server } = await connect();
    const presence = new Presence<Meta>(client, ROOM);
    const r = record(presence);
    server.emit("presence_state", ROOM, state(["u1", [m("a1", { nick: "ann" })]]));
    await r.syncs(1);
    r.take();

    // Its own join, already in the state it was sent, comes back in the next batch.
    server.emit("presence_diff", ROOM, {
      joins: state(["u2", [m("b1", { nick: "bob" })]], ["u1", [m("a1", { nick: "ann" })]]),
      leaves: state(["u9", [m("z9")]], ["u1", [m("a7")]]),
    });
    await r.syncs(2);
    assert.deepEqual(r.take(), ["join u2 [-] +[b1]", "sync"]);
    assert.deepEqual(view(presence), ["u1:a1=ann", "u2:b1=bob"]);

    server.emit("presence_diff", ROOM, { joins: {}, leaves: state(["u1", [m("a1")]]) });
    await r.syncs(3);
    assert.deepEqual(r.take(), ["leave u1 [-] -[a1]", "sync"]);
    assert.deepEqual(view(presence), ["u2:b1=bob"]);

    // An empty batch still counts as a sync.
    server.emit("presence_diff", ROOM, { joins: {}, leaves: {} });
    await r.syncs(4);
    assert.deepEqual(r.take(), ["sync"]);
  });

  test("one key with several metas (tabs, devices) is one item; it goes offline only with its last meta", async () => {
    const { client, server } = await connect();
    const presence = new Presence<Meta>(client, ROOM);
    const r = record(presence);
    server.emit("presence_diff", ROOM, { joins: state(["u1", [m("a1")]]), leaves: {} });
    server.emit("presence_diff", ROOM, { joins: state(["u1", [m("a2")]]), leaves: {} });
    await r.syncs(2);
    assert.deepEqual(r.take(), ["join u1 [-] +[a1]", "sync", "join u1 [a1] +[a2]", "sync"]);
    assert.deepEqual(view(presence), ["u1:a1,a2"]);

    server.emit("presence_diff", ROOM, { joins: {}, leaves: state(["u1", [m("a1")]]) });
    await r.syncs(3);
    assert.deepEqual(r.take(), ["leave u1 [a2] -[a1]", "sync"], "still online on a2");
    server.emit("presence_diff", ROOM, { joins: {}, leaves: state(["u1", [m("a2")]]) });
    await r.syncs(4);
    assert.deepEqual(r.take(), ["leave u1 [-] -[a2]", "sync"], "offline");

    server.emit("presence_state", ROOM, state(["u2", [m("b1"), m("b2"), m("b3")]]));
    await r.syncs(5);
    assert.deepEqual(r.take(), ["join u2 [-] +[b1,b2,b3]", "sync"]);
    assert.equal(presence.list().length, 1);
  });

  test("an update (leave of the old meta, join of the new, same socket) keeps one meta with the new data", async () => {
    const { client, server } = await connect();
    const presence = new Presence<Meta>(client, ROOM);
    const r = record(presence);
    server.emit(
      "presence_state",
      ROOM,
      state(["u1", [m("a1", { status: "away" }), m("a2", { status: "away" })]]),
    );
    await r.syncs(1);
    r.take();

    server.emit("presence_diff", ROOM, {
      joins: state(["u1", [m("a1", { status: "here" })]]),
      leaves: state(["u1", [m("a1", { status: "away" })]]),
    });
    await r.syncs(2);
    assert.deepEqual(r.take(), [
      "join u1 [a1/away,a2/away] +[a1/here]",
      "leave u1 [a1/here,a2/away] -[a1/away]",
      "sync",
    ]);
    assert.deepEqual(presence.list(), [
      { key: "u1", metas: [m("a1", { status: "here" }), m("a2", { status: "away" })] },
    ]);

    // A state with a changed meta reports the same pair.
    server.emit(
      "presence_state",
      ROOM,
      state(["u1", [m("a1", { status: "here" }), m("a2", { status: "busy" })]]),
    );
    await r.syncs(3);
    assert.deepEqual(r.take(), [
      "join u1 [a1/here,a2/away] +[a2/busy]",
      "leave u1 [a1/here,a2/busy] -[a2/away]",
      "sync",
    ]);

    // An update that changes nothing is no change.
    server.emit("presence_diff", ROOM, {
      joins: state(["u1", [m("a1", { status: "here" })]]),
      leaves: state(["u1", [m("a1", { status: "here" })]]),
    });
    await r.syncs(4);
    assert.deepEqual(r.take(), ["sync"]);
    assert.equal(presence.list()[0]?.metas.length, 2);
  });

  test("in one batch every join is reported before any leave, in the payload's order, then onSync once", async () => {
    const { client, server } = await connect();
    const presence = new Presence<Meta>(client, ROOM);
    const r = record(presence);
    server.emit("presence_state", ROOM, state(["u1", [m("a1")]], ["u2", [m("b1")]]));
    await r.syncs(1);
    r.take();
    server.emit("presence_diff", ROOM, {
      joins: state(["u4", [m("d1")]], ["u3", [m("c1")]], ["u1", [m("a2")]]),
      leaves: state(["u2", [m("b1")]], ["u1", [m("a1")]]),
    });
    await r.syncs(2);
    assert.deepEqual(r.take(), [
      "join u4 [-] +[d1]",
      "join u3 [-] +[c1]",
      "join u1 [a1] +[a2]",
      "leave u2 [-] -[b1]",
      "leave u1 [a2] -[a1]",
      "sync",
    ]);
    assert.deepEqual(view(presence), ["u1:a2", "u4:d1", "u3:c1"]);
  });

  test("events for other rooms are ignored; two lists on one socket follow their own rooms", async () => {
    const { client, server } = await connect();
    const lobby = new Presence<Meta>(client, ROOM);
    const kitchen = new Presence<Meta>(client, "kitchen");
    const rl = record(lobby);
    const rk = record(kitchen);
    server.emit("presence_state", "kitchen", state(["k1", [m("k")]]));
    server.emit("presence_diff", "kitchen", { joins: state(["k2", [m("kk")]]), leaves: {} });
    server.emit("presence_state", "LOBBY", state(["x", [m("x")]]));
    server.emit("presence_state", ROOM, state(["u1", [m("a1")]]));
    await Promise.all([rl.syncs(1), rk.syncs(2)]);
    assert.deepEqual(rl.take(), ["join u1 [-] +[a1]", "sync"]);
    assert.deepEqual(view(lobby), ["u1:a1"]);
    assert.deepEqual(view(kitchen), ["k1:k", "k2:kk"]);
  });

  test("malformed payloads are ignored as a whole, without throwing, and leave the list as it was", async () => {
    const { client, server } = await connect();
    const presence = new Presence<Meta>(client, ROOM);
    const r = record(presence);
    server.emit("presence_state", ROOM, state(["u1", [m("a1")]]));
    await r.syncs(1);
    r.take();

    const badStates: unknown[] = [
      null,
      [],
      "u1",
      42,
      true,
      { u2: null },
      { u2: [] },
      { u2: "x" },
      { u2: { metas: "x" } },
      { u2: { metas: {} } },
      { u2: { metas: [null] } },
      { u2: { metas: [[]] } },
      { u2: { metas: ["b1"] } },
      { u2: { metas: [{ nick: "no socket id" }] } },
      { u2: { metas: [{ socketId: 5 }] } },
      { u2: { metas: [{ socketId: "b1" }] }, u3: { metas: [{ socketId: null }] } },
    ];
    for (const bad of badStates) server.emit("presence_state", ROOM, bad);
    for (const room of [undefined, null, 5, [ROOM], { room: ROOM }]) {
      server.emit("presence_state", room, state(["u2", [m("b1")]]));
    }
    server.emit("presence_state");
    const badDiffs: unknown[] = [
      null,
      [],
      "x",
      {},
      { joins: state(["u2", [m("b1")]]) },
      { leaves: state(["u1", [m("a1")]]) },
      { joins: [], leaves: {} },
      { joins: {}, leaves: null },
      { joins: state(["u2", [m("b1")]]), leaves: { u1: { metas: [{ socketId: 1 }] } } },
      { joins: { u2: { metas: [{ socketId: "b1" }, 7] } }, leaves: {} },
    ];
    for (const bad of badDiffs) server.emit("presence_diff", ROOM, bad);
    server.emit("presence_diff", 7, { joins: state(["u2", [m("b1")]]), leaves: {} });

    // Events arrive in order: when this one is applied, every bad one before it was seen.
    server.emit("presence_diff", ROOM, { joins: state(["ok", [m("o1")]]), leaves: {} });
    await r.syncs(2);
    assert.deepEqual(r.take(), ["join ok [-] +[o1]", "sync"]);
    assert.deepEqual(view(presence), ["u1:a1", "ok:o1"]);
  });

  test("keys such as __proto__ and constructor are plain keys and pollute nothing", async () => {
    const { client, server } = await connect();
    const presence = new Presence<Meta>(client, ROOM);
    const r = record(presence);
    const hostile: unknown = JSON.parse(
      '{"__proto__":{"metas":[{"socketId":"p1","polluted":true}]},' +
        '"constructor":{"metas":[{"socketId":"c1","__proto__":{"polluted":true}}]}}',
    );
    server.emit("presence_state", ROOM, hostile);
    await r.syncs(1);
    assert.deepEqual(r.take(), ["join __proto__ [-] +[p1]", "join constructor [-] +[c1]", "sync"]);
    assert.deepEqual(view(presence), ["__proto__:p1", "constructor:c1"]);
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
    assert.equal(({} as { metas?: unknown }).metas, undefined);
  });

  test("a state of 100,000 metas is kept; one more, in a state or through a diff, is ignored", async () => {
    const { client, server } = await connect();
    const presence = new Presence<Meta>(client, ROOM);
    let syncs = 0;
    let synced: () => void = () => {};
    presence.onSync(() => {
      syncs++;
      synced();
    });
    const nextSync = () =>
      new Promise<void>((resolve) => {
        synced = resolve;
      });
    const many = (n: number, prefix: string) =>
      Array.from({ length: n }, (_, i) => ({ socketId: `${prefix}${i}` }));
    const big = { k1: { metas: many(50_000, "a") }, k2: { metas: many(50_000, "b") } };

    let next = nextSync();
    server.emit("presence_state", ROOM, { ...big, k3: { metas: many(1, "c") } });
    server.emit("presence_state", ROOM, { k1: { metas: many(100_001, "a") } });
    server.emit("presence_state", ROOM, big);
    await next;
    assert.equal(syncs, 1, "only the state within the bound was applied");
    assert.deepEqual(
      presence.list((key, { metas }) => [key, metas.length]),
      [
        ["k1", 50_000],
        ["k2", 50_000],
      ],
    );

    next = nextSync();
    server.emit("presence_diff", ROOM, { joins: state(["k3", [m("c0")]]), leaves: {} });
    server.emit("presence_diff", ROOM, { joins: {}, leaves: { k2: { metas: many(2, "b") } } });
    await next;
    assert.equal(syncs, 2, "the diff over the bound was ignored");
    next = nextSync();
    server.emit("presence_diff", ROOM, { joins: state(["k3", [m("c0")]]), leaves: {} });
    await next;
    assert.deepEqual(
      presence.list((key, { metas }) => [key, metas.length]),
      [
        ["k1", 50_000],
        ["k2", 49_998],
        ["k3", 1],
      ],
    );
  });

  test("list() returns copies, and list(chooser) maps each key", async () => {
    const { client, server } = await connect();
    const presence = new Presence<Meta>(client, ROOM);
    const r = record(presence);
    server.emit("presence_state", ROOM, state(["u1", [m("a1", { nick: "ann" })]]));
    await r.syncs(1);
    const first = presence.list();
    (first[0]?.metas as PresenceMeta<Meta>[]).pop();
    first.pop();
    assert.deepEqual(presence.list(), [{ key: "u1", metas: [m("a1", { nick: "ann" })] }]);
    assert.deepEqual(
      presence.list((key, { metas }) => `${metas[0]?.nick} (${key})`),
      ["ann (u1)"],
    );
  });

  test("a throwing callback surfaces as an uncaught error after the whole batch is applied", async () => {
    const { client, server } = await connect();
    const presence = new Presence<Meta>(client, ROOM);
    let syncs = 0;
    const seen = await withUncaught(async () => {
      const done = new Promise<void>((resolve) => {
        presence
          .onJoin((key) => {
            throw new Error(`join ${key}`);
          })
          .onSync(() => {
            syncs++;
            resolve();
          });
      });
      server.emit("presence_state", ROOM, state(["u1", [m("a1")]], ["u2", [m("b1")]]));
      await done;
      // The rethrows are queued as microtasks before onSync's promise settles.
      await new Promise<void>((resolve) => setImmediate(resolve));
    });
    assert.deepEqual(seen, ["join u1", "join u2"]);
    assert.equal(syncs, 1);
    assert.deepEqual(view(presence), ["u1:a1", "u2:b1"]);
  });

  test("dispose() removes its listeners from the socket and empties the list; callbacks stop", async () => {
    const { client, server } = await connect();
    const before = client.listeners("presence_state").length;
    const gone = new Presence<Meta>(client, ROOM);
    const kept = new Presence<Meta>(client, ROOM);
    const rg = record(gone);
    const rk = record(kept);
    assert.equal(client.listeners("presence_state").length, before + 2);
    assert.equal(client.listeners("presence_diff").length, before + 2);
    server.emit("presence_state", ROOM, state(["u1", [m("a1")]]));
    await Promise.all([rg.syncs(1), rk.syncs(1)]);
    rg.take();
    rk.take();

    gone.dispose();
    gone.dispose();
    assert.equal(client.listeners("presence_state").length, before + 1);
    assert.equal(client.listeners("presence_diff").length, before + 1);
    assert.deepEqual(gone.list(), []);
    server.emit("presence_diff", ROOM, { joins: state(["u2", [m("b1")]]), leaves: {} });
    await rk.syncs(2);
    assert.deepEqual(rk.take(), ["join u2 [-] +[b1]", "sync"]);
    assert.deepEqual(rg.log, []);
    assert.deepEqual(gone.list(), []);

    // Disposed of from its own callback, in the middle of a batch: the rest of it is dropped.
    kept.onJoin((key) => {
      rk.log.push(`join ${key}`);
      kept.dispose();
    });
    server.emit("presence_state", ROOM, state(["u3", [m("c1")]], ["u4", [m("d1")]]));
    server.emit("presence_diff", ROOM, { joins: state(["u5", [m("e1")]]), leaves: {} });
    await onceEvent(client, "presence_diff");
    assert.deepEqual(rk.take(), ["join u3"]);
    assert.deepEqual(kept.list(), []);
    assert.equal(client.listeners("presence_state").length, before);
  });
});

describe("client Presence with the official socket.io-client", () => {
  let f: Fixture;
  const sockets: ReturnType<typeof officialIo>[] = [];

  before(async () => {
    f = await startServer();
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });
  after(() => stopServer(f));

  test("keeps the same list from the same events, and dispose() removes its listeners", async () => {
    const serverSide = onceEvent<[ServerSocket]>(f.io, "connection");
    const client = officialIo(f.url, {
      forceNew: true,
      transports: ["websocket"],
      reconnection: false,
    });
    sockets.push(client);
    const [[server]] = await Promise.all([serverSide, onceEvent(client, "connect")]);
    const presence = new Presence<Meta>(client, ROOM);
    const r = record(presence);

    server.emit("presence_state", ROOM, state(["u1", [m("a1", { status: "away" })]]));
    server.emit("presence_diff", ROOM, {
      joins: state(["u2", [m("b1")]], ["u1", [m("a1", { status: "here" }), m("a2")]]),
      leaves: state(["u1", [m("a1", { status: "away" })]]),
    });
    server.emit("presence_diff", ROOM, { joins: {}, leaves: state(["u2", [m("b1")]]) });
    server.emit("presence_state", "elsewhere", {});
    server.emit("presence_diff", ROOM, { joins: null, leaves: {} });
    server.emit("presence_diff", ROOM, { joins: state(["u3", [m("c1")]]), leaves: {} });
    await r.syncs(4);
    assert.deepEqual(r.take(), [
      "join u1 [-] +[a1/away]",
      "sync",
      "join u2 [-] +[b1]",
      "join u1 [a1/away] +[a1/here,a2]",
      "leave u1 [a1/here,a2] -[a1/away]",
      "sync",
      "leave u2 [-] -[b1]",
      "sync",
      "join u3 [-] +[c1]",
      "sync",
    ]);
    assert.deepEqual(view(presence), ["u1:a1,a2", "u3:c1"]);

    presence.dispose();
    assert.equal(client.listeners("presence_state").length, 0);
    assert.equal(client.listeners("presence_diff").length, 0);
  });
});

describe("client Presence with connection state recovery on", () => {
  let f: Fixture;
  const clients: Socket[] = [];

  before(async () => {
    f = await startServer({ connectionStateRecovery: {} });
  });
  afterEach(() => closeClients(clients));
  after(() => stopServer(f));

  test("ignores the offset argument the server appends to room broadcasts", async () => {
    const client = ioc(f.url, { forceNew: true, transports: ["websocket"], reconnection: false });
    clients.push(client);
    const joined = new Promise<void>((resolve) =>
      f.io.once("connection", (s) => {
        void Promise.resolve(s.join(ROOM)).then(() => resolve());
      }),
    );
    await Promise.all([joined, onceEvent(client, "connect")]);
    const presence = new Presence<Meta>(client, ROOM);
    const r = record(presence);
    const args: unknown[][] = [];
    client.on("presence_diff", (...a: unknown[]) => args.push(a));
    f.io.to(ROOM).emit("presence_state", ROOM, state(["u1", [m("a1")]]));
    f.io.to(ROOM).emit("presence_diff", ROOM, { joins: state(["u2", [m("b1")]]), leaves: {} });
    await r.syncs(2);
    assert.equal(args[0]?.length, 3, "room, diff and the offset");
    assert.deepEqual(view(presence), ["u1:a1", "u2:b1"]);
  });
});

describe("client Presence against Tether's server presence", () => {
  let f: Fixture;
  const clients: Socket[] = [];

  before(async () => {
    f = await startServer({ presence: { diffInterval: 20 } });
    f.io.on("connection", (s) => {
      s.on("track", async (key: string, meta: Meta, ack: () => void) => {
        await s.track(ROOM, key, { ...meta });
        ack();
      });
      s.on("update", async (meta: Meta, ack: () => void) => {
        await s.updatePresence(ROOM, { ...meta });
        ack();
      });
      s.on("untrack", async (ack: () => void) => {
        await s.untrack(ROOM);
        ack();
      });
    });
  });
  afterEach(() => closeClients(clients));
  after(() => stopServer(f));

  async function connect(): Promise<Socket> {
    const client = ioc(f.url, { forceNew: true, transports: ["websocket"], reconnection: false });
    clients.push(client);
    await onceEvent(client, "connect");
    return client;
  }

  test("follows socket.track, updatePresence, untrack and disconnect of real sockets", async () => {
    const [laptop, phone, other] = await Promise.all([connect(), connect(), connect()]);
    const presence = new Presence<Meta>(laptop, ROOM);
    const r = record(presence);
    const metas = () =>
      presence.list((key, { metas }) =>
        [
          key,
          ...metas.map(
            (x) =>
              `${x.socketId === laptop.id ? "laptop" : x.socketId === phone.id ? "phone" : "other"}/${x.status}`,
          ),
        ].join(" "),
      );
    const until = async (want: string[]) => {
      await r.until(() => JSON.stringify(metas()) === JSON.stringify(want));
      assert.deepEqual(metas(), want);
    };

    await laptop.emitWithAck("track", "ann", { status: "here" });
    await until(["ann laptop/here"]);
    await phone.emitWithAck("track", "ann", { status: "here" });
    await other.emitWithAck("track", "bob", { status: "away" });
    await until(["ann laptop/here phone/here", "bob other/away"]);

    await phone.emitWithAck("update", { status: "busy" });
    await until(["ann laptop/here phone/busy", "bob other/away"]);
    r.take();
    const phoneId = phone.id;
    phone.disconnect();
    await until(["ann laptop/here", "bob other/away"]);
    assert.deepEqual(
      r.log.filter((l) => l !== "sync"),
      [`leave ann [${laptop.id}/here] -[${phoneId}/busy]`],
      "still online on the laptop",
    );
    await other.emitWithAck("untrack");
    await until(["ann laptop/here"]);
    await laptop.emitWithAck("untrack");
    await until([]);
  });
});
