/**
 * Integration: the Node `EventEmitter` methods that code written for socket.io calls on the
 * server objects — `Server` (forwarded to the main namespace, as socket.io does), `Namespace`,
 * `Socket`, `io.engine`, `socket.conn` and the adapters: `prependListener`,
 * `prependOnceListener`, `setMaxListeners`/`getMaxListeners`, `eventNames`, `rawListeners`,
 * `listenerCount`.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Socket } from "../../src/index.js";
import { type Fixture, next, startServer } from "../interop/server-harness.js";

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

/** What a Node-style emitter offers beyond on/once/off (the methods under test). */
interface NodeStyle {
  prependListener(ev: string, fn: (...a: never[]) => void): unknown;
  prependOnceListener(ev: string, fn: (...a: never[]) => void): unknown;
  on(ev: string, fn: (...a: never[]) => void): unknown;
  once(ev: string, fn: (...a: never[]) => void): unknown;
  setMaxListeners(n: number): unknown;
  getMaxListeners(): number;
  eventNames(): (string | symbol)[];
  listeners(ev: string): unknown[];
  rawListeners(ev: string): unknown[];
  listenerCount(ev: string, fn?: (...a: never[]) => void): number;
}

/** Checks the Node emitter contract on one object, with an event it never emits itself. */
function checkEmitterMethods(target: NodeStyle, label: string, fire: (ev: string) => void): void {
  const ev = "tether-compat-probe";
  const order: string[] = [];
  const a = () => order.push("a");
  const b = () => order.push("b");
  const c = () => order.push("c");
  assert.equal(target.getMaxListeners(), 10, `${label}: Node's default limit`);
  assert.equal(target.setMaxListeners(0), target, `${label}: setMaxListeners chains`);
  assert.equal(target.getMaxListeners(), 0, label);
  target.on(ev, a);
  assert.equal(target.prependListener(ev, b), target, `${label}: prependListener chains`);
  target.prependOnceListener(ev, c);
  assert.ok(target.eventNames().includes(ev), `${label}: eventNames`);
  assert.equal(target.listenerCount(ev), 3, label);
  assert.equal(target.listenerCount(ev, c), 1, `${label}: listenerCount of one listener`);
  assert.deepEqual(target.listeners(ev), [c, b, a], `${label}: listeners unwraps once`);
  const raw = target.rawListeners(ev);
  assert.equal(raw.length, 3, label);
  assert.notEqual(raw[0], c, `${label}: rawListeners keeps the once wrapper`);
  assert.equal((raw[0] as { listener?: unknown }).listener, c, label);
  fire(ev);
  fire(ev);
  assert.deepEqual(order, ["c", "b", "a", "b", "a"], `${label}: prepended first, once only once`);
  assert.equal(target.listenerCount(ev), 2, label);
}

describe("Node EventEmitter methods on server objects", () => {
  it("io.setMaxListeners(0) works and every EventEmitter method of io acts on the main namespace", async () => {
    f = await startServer();
    const io = f.io;
    assert.equal(io.setMaxListeners(0), io);
    assert.equal(io.getMaxListeners(), 0);
    assert.equal(io.sockets.getMaxListeners(), 0, "forwarded to the main namespace, as socket.io");
    const order: string[] = [];
    const seen = new Promise<void>((resolve) => {
      io.on("connection", () => {
        order.push("on");
        resolve();
      });
    });
    io.prependListener("connection", (socket) => order.push(`prepend:${typeof socket.id}`));
    io.prependOnceListener("connection", () => order.push("prependOnce"));
    assert.deepEqual(io.eventNames(), ["connection"]);
    assert.equal(io.listenerCount("connection"), 3);
    assert.equal(io.rawListeners("connection").length, 3);
    f.client("/");
    await seen;
    assert.deepEqual(order, ["prependOnce", "prepend:string", "on"]);
    assert.equal(io.listenerCount("connection"), 2);
  });

  it("Namespace, Socket, io.engine, socket.conn and the adapter offer the Node emitter methods", async () => {
    f = await startServer();
    const io = f.io;
    const connected = next<[Socket]>(io, "connection");
    f.client("/");
    const [socket] = await connected;
    type Fire = (ev: string) => void;
    const emitOn =
      (t: unknown): Fire =>
      (ev) =>
        (t as { emitReserved(ev: string): void }).emitReserved(ev);
    checkEmitterMethods(io.of("/") as unknown as NodeStyle, "namespace", emitOn(io.of("/")));
    checkEmitterMethods(socket as unknown as NodeStyle, "socket", emitOn(socket));
    checkEmitterMethods(io.engine as unknown as NodeStyle, "engine", emitOn(io.engine));
    checkEmitterMethods(socket.conn as unknown as NodeStyle, "conn", emitOn(socket.conn));
    checkEmitterMethods(
      io.of("/").adapter as unknown as NodeStyle,
      "adapter",
      emitOn(io.of("/").adapter),
    );
  });

  it("socket listeners keep their typing through prependListener", async () => {
    f = await startServer();
    const connected = next<[Socket]>(f.io, "connection");
    const c = f.client("/");
    const [socket] = await connected;
    const got = new Promise<string>((resolve) => {
      socket.prependListener("disconnect", (reason) => resolve(reason));
      // @ts-expect-error the reason of `disconnect` is a string, not a number
      socket.prependListener("disconnect", (reason: number) => reason);
    });
    c.disconnect();
    assert.match(await got, /client namespace disconnect|transport close/);
  });
});
