/**
 * Integration: `cleanupEmptyChildNamespaces` also removes a dynamic child namespace whose
 * connection a middleware refused — with a broad pattern and an auth middleware, names tried by
 * unauthenticated clients must not stay in the namespace table.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Socket as ClientSocket } from "socket.io-client";
import { waitFor } from "../helpers/wait.js";
import { type Fixture, next, startServer } from "../interop/server-harness.js";

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

/** Sends CONNECT for `count` names over one connection; resolves once each got its refusal. */
async function refuseMany(main: ClientSocket, count: number, batch = 500): Promise<void> {
  for (let start = 0; start < count; start += batch) {
    const pending: Promise<unknown>[] = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const s = main.io.socket(`/dyn-${i}`);
      pending.push(
        next(s, "connect_error").then(() => {
          s.disconnect();
        }),
      );
      s.connect();
    }
    await Promise.all(pending);
  }
}

describe("cleanupEmptyChildNamespaces and refused connections", () => {
  it("removes 10,000 child namespaces whose only connection a middleware refused", async () => {
    f = await startServer({ cleanupEmptyChildNamespaces: true });
    const parent = f.io.of(/^\/dyn-\d+$/);
    parent.use((_socket, next) => next(new Error("not authorized")));
    const main = f.client("/");
    await next(main, "connect");
    const before = f.io._nsps.size;
    await refuseMany(main, 10_000);
    assert.equal(f.io._nsps.size, before, "the namespace table is back to its size");
    assert.equal((parent as unknown as { children: Set<unknown> }).children.size, 0);
  });

  it("keeps a child namespace while another connection to it is still in its middlewares", async () => {
    f = await startServer({ cleanupEmptyChildNamespaces: true });
    const parent = f.io.of(/^\/slow-\d+$/);
    let release: (() => void) | undefined;
    parent.use((socket, next) => {
      if (socket.handshake.auth.ok !== true) next(new Error("no"));
      else release = () => next();
    });
    const ok = f.client("/slow-1", { auth: { ok: true } });
    // Wait until the accepted connection is held in its middleware, then refuse another one.
    await waitFor(() => release !== undefined, 5_000, "the held CONNECT");
    const refused = f.client("/slow-1", { auth: { ok: false } });
    await next(refused, "connect_error");
    assert.ok(f.io._nsps.has("/slow-1"), "the child stays while a CONNECT is pending");
    assert.ok(release);
    release();
    await next(ok, "connect");
    ok.disconnect();
    await waitFor(() => !f?.io._nsps.has("/slow-1"), 5_000, "the child's removal");
  });

  it("still removes a child namespace once its last connected socket leaves", async () => {
    f = await startServer({ cleanupEmptyChildNamespaces: true });
    f.io.of(/^\/room-\d+$/);
    const c = f.client("/room-7");
    await next(c, "connect");
    assert.ok(f.io._nsps.has("/room-7"));
    c.disconnect();
    await waitFor(() => !f?.io._nsps.has("/room-7"), 5_000, "the child's removal");
  });
});
