import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { waitFor } from "../helpers/wait.js";
import { handshake, openWs, poll, post, raw, startEngine } from "./engine-raw.js";

describe("engine under garbage input (time-boxed fuzzing)", () => {
  it("answers random POST bodies and queries without crashing or harming another session", async (t) => {
    const h = await startEngine(t, { maxHttpBufferSize: 2000 });
    const bystander = await handshake(h);
    const bodies = fc.oneof(
      fc.string({ unit: "binary", maxLength: 300 }),
      fc
        .array(
          fc.constantFrom("0", "1", "2", "3", "4", "5", "6", "7", "b", "bA==", "b!", "\x1e", "x"),
        )
        .map((parts) => parts.join("")),
      fc.string({ maxLength: 40 }).map((s) => `4${s}\x1e9${s}`),
    );
    await fc.assert(
      fc.asyncProperty(bodies, fc.string({ maxLength: 30 }), async (body, query) => {
        const { open } = await handshake(h);
        const res = await post(h, open.sid, body);
        assert.ok([200, 400, 413].includes(res.status), `status ${res.status}`);
        const q = await raw(h.port, "GET", `/engine.io/?${encodeURI(query)}`);
        assert.ok([200, 400, 403].includes(q.status));
      }),
      { numRuns: 60, interruptAfterTimeLimit: 5000 },
    );
    h.engine.clients.get(bystander.open.sid)?.send("still fine");
    assert.equal((await poll(h, bystander.open.sid)).text, "4still fine");
  });

  it("survives random WebSocket frames, closing only the offending sessions", async (t) => {
    const h = await startEngine(t, { maxHttpBufferSize: 2000 });
    const bystander = await handshake(h);
    const frames = fc.oneof(
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.uint8Array({ maxLength: 300 }),
      fc.constantFrom("2", "2probe", "5", "6", "0", "", "4", "3"),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(frames, { minLength: 1, maxLength: 5 }), async (list) => {
        const ws = openWs(t, h);
        await ws.next();
        for (const f of list) ws.send(typeof f === "string" ? f : Buffer.from(f));
        ws.close();
      }),
      { numRuns: 40, interruptAfterTimeLimit: 5000 },
    );
    await waitFor(() => h.engine.clientsCount === 1, 10_000, "fuzzed sessions to close");
    h.engine.clients.get(bystander.open.sid)?.send("still fine");
    assert.equal((await poll(h, bystander.open.sid)).text, "4still fine");
  });
});
