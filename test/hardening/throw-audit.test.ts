/**
 * Regressions from the audit of `throw`s reachable from socket input (see docs/security.md):
 * each replays the input that reached a throwing call and checks that nothing reaches the event
 * loop.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setupStickyPrimary } from "../../src/adapters/cluster/index.js";
import { rawExchange, watchUncaught } from "./raw-http.js";

describe("sticky-session primary (node:cluster)", () => {
  it("survives a request line whose sid is a malformed %-escape", async (t) => {
    const watch = watchUncaught();
    t.after(() => watch.stop());
    // No workers: once routed, the connection is dropped; the sid is read before that.
    const sticky = setupStickyPrimary({ port: 0, host: "127.0.0.1" });
    t.after(() => sticky.close());
    const port = await sticky.listening;
    for (const sid of ["%E0%A4%A", "%", "%zz", "%C0%80"]) {
      const res = await rawExchange(
        port,
        `GET /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: x\r\n\r\n`,
      );
      assert.equal(res.statusLine, "", "the connection is closed without an answer");
    }
    assert.deepEqual(watch.errors, [], "no exception reached the event loop");
  });
});
