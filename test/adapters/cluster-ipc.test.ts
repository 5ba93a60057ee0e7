/** The shared adapter suite on the node:cluster IPC adapter: three workers of this process. */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { type StickyPrimary, setupStickyPrimary } from "../../src/adapters/cluster/index.js";
import { adapterSuite } from "./adapter-suite.js";
import { closeClients, connectClient, forkWorkers, type NodeSet } from "./harness.js";

adapterSuite({
  name: "node:cluster IPC",
  crossNode: true,
  recoveryAcrossNodes: false,
  start: (count, env = {}) => forkWorkers(count, env),
});

describe("sticky sessions in the primary (node:cluster)", () => {
  let set: NodeSet | undefined;
  let sticky: StickyPrimary | undefined;
  after(async () => {
    closeClients();
    await sticky?.close();
    await set?.close();
  });

  it("routes every long-polling request of a session to the worker that owns it", async () => {
    set = await forkWorkers(3, { STICKY: "1" });
    // Round-robin for new sessions: only the sid routing keeps a session on its worker.
    sticky = setupStickyPrimary({ port: 0, host: "127.0.0.1", loadBalancing: "round-robin" });
    const port = await sticky.listening;
    const clients = await Promise.all(
      [0, 1, 2].map(() =>
        connectClient(`http://127.0.0.1:${port}`, "/", { transports: ["polling"] }),
      ),
    );
    const seen = new Set<string>();
    for (const c of clients) {
      const first = await c.call<{ node: string }>("whoami");
      seen.add(first.node);
      for (let i = 0; i < 5; i++) {
        assert.equal((await c.call<{ node: string }>("whoami")).node, first.node);
      }
      assert.equal(c.socket.io.engine.transport.name, "polling");
    }
    assert.equal(seen.size, 3, "round-robin spread the sessions over the workers");
  });
});
