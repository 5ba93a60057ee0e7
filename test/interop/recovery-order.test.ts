/**
 * Interop: connection state recovery with the official `socket.io-client`. The packets a client
 * missed while disconnected are written before the CONNECT reply, as socket.io does, so the
 * official client hands them to its listeners before its `connect` event (with `recovered` set).
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Socket } from "../../src/index.js";
import { waitFor } from "../helpers/wait.js";
import { type Fixture, next, startServer, type TransportMode } from "./server-harness.js";

const reconnecting = { reconnection: true, reconnectionDelay: 20, reconnectionDelayMax: 50 };

for (const mode of ["websocket", "polling"] as const satisfies readonly TransportMode[]) {
  describe(`connection state recovery order over ${mode}`, () => {
    let f: Fixture | undefined;
    afterEach(async () => {
      await f?.close();
      f = undefined;
    });

    it("delivers the events missed while disconnected before `connect` fires on reconnection", async () => {
      f = await startServer({ connectionStateRecovery: {} }, mode);
      const fx = f;
      const log: string[] = [];
      const firstConn = next<[Socket]>(fx.io, "connection");
      const c = fx.client("/", reconnecting);
      c.on("connect", () => log.push(`connect recovered=${c.recovered}`));
      c.on("m", (tag: string) => log.push(`m ${tag} recovered=${c.recovered}`));
      await next(c, "connect");
      const [first] = await firstConn;
      first.join("room");
      // An offset must have reached the client for its session to be recoverable.
      fx.io.emit("m", "before");
      await waitFor(() => log.length === 2, 5000, "first event");

      // The client reconnects only once the server has emitted what it misses (with automatic
      // reconnection, a busy machine could let it back in before the emits), and the second
      // `connection` is awaited from before the close, so it cannot come unheard.
      c.io.reconnection(false);
      const secondConn = next<[Socket]>(fx.io, "connection");
      c.io.engine.close();
      await waitFor(() => first.disconnected, 5000, "server-side disconnect");
      fx.io.emit("m", "missed-1");
      fx.io.to("room").emit("m", "missed-2");
      first.emit("m", "missed-3");
      c.io.reconnection(true);
      c.connect();
      const [second] = await secondConn;
      await waitFor(() => log.length === 6, 5000, "replay and reconnection");

      assert.equal(second.recovered, true);
      assert.equal(second.id, first.id);
      assert.deepEqual(log, [
        "connect recovered=false",
        "m before recovered=false",
        "m missed-1 recovered=true",
        "m missed-2 recovered=true",
        "m missed-3 recovered=true",
        "connect recovered=true",
      ]);
    });
  });
}
