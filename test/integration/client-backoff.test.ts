/**
 * The reconnection backoff schedule, asserted with fake timers against a closed port (real
 * connection refusals). Kept in its own file: mocking setTimeout/clearTimeout would strand the
 * real close timers of other suites' sockets.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, mock, test } from "node:test";
import { Manager } from "../../src/client/index.js";

describe("reconnection backoff", () => {
  afterEach(() => {
    mock.timers.reset();
    mock.restoreAll();
  });

  async function closedPort(): Promise<number> {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    const port = (srv.address() as AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    return port;
  }

  test("waits base·2ⁿ capped at reconnectionDelayMax between attempts, then gives up", async () => {
    mock.method(Math, "random", () => 0.5); // no jitter
    mock.timers.enable({ apis: ["setTimeout"] });
    const port = await closedPort();
    const manager = new Manager(`http://127.0.0.1:${port}`, {
      reconnectionDelay: 100,
      reconnectionDelayMax: 400,
      reconnectionAttempts: 4,
      transports: ["polling"],
    });
    const attempts: number[] = [];
    let failed = false;
    let errors = 0;
    manager.on("reconnect_attempt", (n) => attempts.push(n));
    manager.on("error", () => errors++);
    manager.on("reconnect_failed", () => {
      failed = true;
    });
    const expected = [100, 200, 400, 400];
    for (const [i, delay] of expected.entries()) {
      await waitForReal(() => errors === i + 1);
      mock.timers.tick(delay - 1);
      assert.equal(attempts.length, i, `attempt ${i + 1} must not start before ${delay} ms`);
      mock.timers.tick(1);
      assert.deepEqual(
        attempts,
        expected.slice(0, i + 1).map((_, k) => k + 1),
      );
    }
    await waitForReal(() => failed);
    manager.disconnect();
  });
});

/** waitFor on real time while setTimeout is mocked (setImmediate is not). */
async function waitForReal(cond: () => boolean): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error("timed out");
    await new Promise<void>((r) => setImmediate(r));
  }
}
