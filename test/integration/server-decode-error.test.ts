/**
 * Integration: a Socket.IO packet the server cannot decode emits `error` (the decoder's error) on
 * every socket of the connection before the connection closes, as on socket.io.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Socket } from "../../src/index.js";
import { TetherError } from "../../src/shared/errors.js";
import { type Fixture, MODES, next, startServer } from "../interop/server-harness.js";

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

for (const mode of MODES) {
  describe(`undecodable packets (${mode})`, () => {
    it("emits the decoder's error on each socket of the connection, then disconnects them with 'parse error'", async () => {
      f = await startServer({}, mode);
      const fx = f;
      fx.io.of("/other");
      const conns = [
        next<[Socket]>(fx.io, "connection"),
        next<[Socket]>(fx.io.of("/other"), "connection"),
      ];
      const main = fx.client("/");
      await next(main, "connect");
      // autoConnect: the socket sends its CONNECT once.
      const other = main.io.socket("/other");
      await next(other, "connect");
      const sockets = (await Promise.all(conns)).map(([s]) => s);
      const events: string[] = [];
      const errors: unknown[] = [];
      const closed = sockets.map((s) => next<[string, unknown]>(s, "disconnect"));
      for (const s of sockets) {
        s.on("error", (err) => {
          events.push(`error:${s.nsp.name}`);
          errors.push(err);
        });
        s.on("disconnect", (reason) => events.push(`disconnect:${s.nsp.name}:${reason}`));
      }
      // An unknown Socket.IO packet type, written under the official client's Socket.IO layer.
      main.io.engine.send("9[]");
      const reasons = await Promise.all(closed);
      assert.deepEqual(events, [
        "error:/",
        "error:/other",
        "disconnect:/:parse error",
        "disconnect:/other:parse error",
      ]);
      assert.equal(errors.length, 2);
      assert.ok(errors[0] instanceof TetherError);
      assert.equal(errors[0], errors[1]);
      // The same error is the disconnect description.
      assert.equal(reasons[0]?.[1], errors[0]);
    });
  });
}

describe("undecodable packets: the decoder's message", () => {
  it("reports a binary packet with a bad attachment count as 'Illegal attachments', as socket.io-parser", async () => {
    f = await startServer();
    const fx = f;
    const conn = next<[Socket]>(fx.io, "connection");
    const c = fx.client();
    await next(c, "connect");
    const [s] = await conn;
    const failed = next<[Error]>(s, "error");
    c.io.engine.send("5woooot");
    const [err] = await failed;
    assert.match(err.message, /Illegal attachments/);
  });
});

describe("undecodable packets without error listeners", () => {
  it("closes the connection without throwing when no socket listens for error", async () => {
    f = await startServer();
    const fx = f;
    const conn = next<[Socket]>(fx.io, "connection");
    const c = fx.client();
    await next(c, "connect");
    const [s] = await conn;
    const closed = next<[string]>(s, "disconnect");
    c.io.engine.send("9[]");
    assert.equal((await closed)[0], "parse error");
  });
});
