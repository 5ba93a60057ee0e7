/**
 * Integration: connection state recovery (PROTOCOL.md §3.6) with the official client.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Socket as ClientSocket } from "socket.io-client";
import type { ServerOptions, Socket } from "../../src/index.js";
import { waitFor } from "../helpers/wait.js";
import { type Fixture, next, startServer } from "../interop/server-harness.js";

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

const reconnecting = { reconnection: true, reconnectionDelay: 20, reconnectionDelayMax: 50 };

/** Connects a reconnecting client; returns it with the server socket of its first session. */
async function connect(
  opts: ServerOptions,
): Promise<{ c: ClientSocket; first: Socket; fx: Fixture }> {
  f = await startServer(opts);
  const conn = next<[Socket]>(f.io, "connection");
  const c = f.client("/", reconnecting);
  await next(c, "connect");
  const [first] = await conn;
  return { c, first, fx: f };
}

/** Drops the client's transport and waits until the server saw the socket go. */
async function dropTransport(c: ClientSocket, s: Socket): Promise<void> {
  c.io.engine.close();
  await waitFor(() => s.disconnected, 5000, "server-side disconnect");
}

describe("connection state recovery", () => {
  it("restores id, rooms and data, replays missed events in order and skips middlewares", async () => {
    const { c, first, fx } = await connect({ connectionStateRecovery: {} });
    let middlewareRuns = 0;
    fx.io.use((_s, nextFn) => {
      middlewareRuns++;
      nextFn();
    });
    first.join("room");
    first.data = { v: 1 };
    const got: number[] = [];
    c.on("m", (n: number) => got.push(n));
    fx.io.emit("m", 0);
    await waitFor(() => got.length === 1, 5000, "first message");
    await dropTransport(c, first);
    fx.io.to("room").emit("m", 1);
    fx.io.emit("m", 2);
    fx.io.to("elsewhere").emit("m", 99);
    const conn = next<[Socket]>(fx.io, "connection");
    const [second] = await conn;
    await waitFor(() => got.length === 3, 5000, "missed messages");
    assert.deepEqual(got, [0, 1, 2]);
    assert.equal(second.recovered, true);
    assert.equal(second.id, first.id);
    assert.ok(second.rooms.has("room"));
    assert.deepEqual(second.data, { v: 1 });
    assert.equal(middlewareRuns, 0);
    assert.equal(c.recovered, true);
  });

  it("runs middlewares on recovery when skipMiddlewares is false", async () => {
    const { c, first, fx } = await connect({ connectionStateRecovery: { skipMiddlewares: false } });
    let runs = 0;
    fx.io.use((_s, nextFn) => {
      runs++;
      nextFn();
    });
    fx.io.emit("m", 0);
    await next(c, "m");
    await dropTransport(c, first);
    const [second] = await next<[Socket]>(fx.io, "connection");
    assert.equal(second.recovered, true);
    assert.equal(runs, 1);
  });

  it("does not persist a session closed on purpose: a new socket gets a new id", async () => {
    const { c, first, fx } = await connect({ connectionStateRecovery: {} });
    fx.io.emit("m", 0);
    await next(c, "m");
    const conn = next<[Socket]>(fx.io, "connection");
    first.disconnect();
    await next(c, "disconnect");
    c.connect();
    const [second] = await conn;
    assert.equal(second.recovered, false);
    assert.notEqual(second.id, first.id);
  });

  it("gives a fresh session once maxDisconnectionDuration has passed", async () => {
    const { c, first, fx } = await connect({
      connectionStateRecovery: { maxDisconnectionDuration: 1 },
    });
    fx.io.emit("m", 0);
    await next(c, "m");
    c.io.reconnectionDelay(300);
    c.io.reconnectionDelayMax(300);
    await dropTransport(c, first);
    const [second] = await next<[Socket]>(fx.io, "connection");
    assert.equal(second.recovered, false);
    assert.notEqual(second.id, first.id);
  });

  it("does not add offsets or pids without the option", async () => {
    f = await startServer();
    const conn = next<[Socket]>(f.io, "connection");
    const c = f.client();
    await next(c, "connect");
    const [s] = await conn;
    assert.equal(s.pid, undefined);
    const got = next<unknown[]>(c, "m");
    s.emit("m", "only");
    assert.deepEqual(await got, ["only"]);
  });
});
