/**
 * Integration: as on socket.io, event listeners run on the tick after the packet is decoded, and an
 * event that is followed by the client's DISCONNECT in the same payload never reaches them.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Socket } from "../../src/index.js";
import { type Fixture, next, startServer } from "../interop/server-harness.js";

describe("events received after disconnection", () => {
  let f: Fixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  it("drops an event that arrives in the same payload as the client's disconnect", async () => {
    f = await startServer({}, "polling");
    const seen: string[] = [];
    const conn = next<[Socket]>(f.io, "connection");
    const c = f.client("/");
    await next(c, "connect");
    const [s] = await conn;
    s.on("test", () => seen.push("test"));
    const gone = next<[string]>(s, "disconnect");
    // Polling: both packets leave in one POST body, decoded in one go by the server.
    c.emit("test", Buffer.alloc(10));
    c.disconnect();
    const [reason] = await gone;
    assert.equal(reason, "client namespace disconnect");
    await new Promise<void>((r) => setImmediate(r));
    assert.deepEqual(seen, []);
  });

  it("still delivers an event whose listener is added in the same tick as the connection", async () => {
    f = await startServer({}, "websocket");
    const got = new Promise<unknown[]>((resolve) => {
      f?.io.on("connection", (s: Socket) => s.on("early", (...a: unknown[]) => resolve(a)));
    });
    const c = f.client("/");
    c.emit("early", 1, "two");
    assert.deepEqual(await got, [1, "two"]);
  });
});
