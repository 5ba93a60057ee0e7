/**
 * Integration: rate limits. Token buckets per socket, per event name and per key refuse the
 * events over them (ack error with `retryAfterMs`, or `tether:error`), repeated abuse disconnects,
 * and the engine-level `connectionRateLimit` closes flooding connections — seen from the official
 * `socket.io-client` and from Tether's client.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import {
  defineContract,
  isRefusal,
  type Refusal,
  RefusalCodes,
  Server,
  type Socket,
} from "../../src/index.js";
import { bothClientsFixture, CLIENTS } from "../helpers/both-clients.js";
import { onceEvent, waitFor } from "../helpers/wait.js";

const { start, connect, cleanups } = bothClientsFixture();

/** Handlers answering "ok" to `say` and `ping`, counting what reached them. */
function echo(count: { n: number }) {
  return (socket: Socket) => {
    socket.on("say", (_t: unknown, ack: (v: string) => void) => {
      count.n++;
      ack("ok");
    });
    socket.on("ping", (ack: (v: string) => void) => ack("pong"));
  };
}

function limited(value: unknown, event: string): Refusal {
  assert.ok(isRefusal(value), `expected a refusal, got ${JSON.stringify(value)}`);
  assert.equal(value.code, RefusalCodes.RATE_LIMITED);
  assert.equal(value.event, event);
  assert.ok(typeof value.retryAfterMs === "number" && value.retryAfterMs > 0);
  return value;
}

for (const [clientName, make] of CLIENTS) {
  describe(`rate limits (${clientName})`, () => {
    it("refuses a socket's events beyond its burst, with retryAfterMs, before any handler", async () => {
      const count = { n: 0 };
      const url = await start((io) => {
        io.limit({ socket: { perSecond: 1, burst: 3 } }).on("connection", echo(count));
      });
      const c = await connect(make, url);
      for (let i = 0; i < 3; i++) assert.equal(await c.emitWithAck("say", "x"), "ok");
      const r = limited(await c.emitWithAck("say", "x"), "say");
      assert.ok((r.retryAfterMs ?? 0) <= 1000);
      limited(await c.emitWithAck("ping"), "ping");
      assert.equal(count.n, 3);
    });

    it("limits one event name without touching the others", async () => {
      const count = { n: 0 };
      const url = await start((io) => {
        io.limit({ events: { say: { perSecond: 1, burst: 2 } } }).on("connection", echo(count));
      });
      const c = await connect(make, url);
      await c.emitWithAck("say", "x");
      await c.emitWithAck("say", "x");
      limited(await c.emitWithAck("say", "x"), "say");
      for (let i = 0; i < 10; i++) assert.equal(await c.emitWithAck("ping"), "pong");
    });

    it("lets an event through again once retryAfterMs has passed", async () => {
      const count = { n: 0 };
      const url = await start((io) => {
        io.limit({ socket: { perSecond: 20, burst: 1 } }).on("connection", echo(count));
      });
      const c = await connect(make, url);
      await c.emitWithAck("say", "x");
      const r = limited(await c.emitWithAck("say", "x"), "say");
      assert.ok((r.retryAfterMs ?? 0) <= 50);
      // The documented wait is the thing under test.
      await new Promise((res) => setTimeout(res, r.retryAfterMs));
      assert.equal(await c.emitWithAck("say", "x"), "ok");
    });

    it("shares a key's bucket across that key's sockets, and reconnecting does not refill it", async () => {
      let io: Server | undefined;
      const count = { n: 0 };
      const url = await start((s) => {
        io = s;
        s.limit({
          key: { of: (socket) => String(socket.handshake.auth.user), perSecond: 0.01, burst: 3 },
        }).on("connection", echo(count));
      });
      const a1 = await connect(make, url, { user: "a" });
      const a2 = await connect(make, url, { user: "a" });
      const b = await connect(make, url, { user: "b" });
      await a1.emitWithAck("say", "x");
      await a2.emitWithAck("say", "x");
      await a1.emitWithAck("say", "x");
      limited(await a2.emitWithAck("say", "x"), "say");
      assert.equal(await b.emitWithAck("say", "x"), "ok");
      assert.equal(io?.sockets._guard?.keyCount, 2);
      a1.disconnect();
      a2.disconnect();
      const again = await connect(make, url, { user: "a" });
      limited(await again.emitWithAck("say", "x"), "say");
    });

    it("disconnects a socket that keeps going over its limit, saying why first", async () => {
      let serverSide: [string, unknown] | undefined;
      const url = await start((io) => {
        io.limit({
          socket: { perSecond: 0.01, burst: 1 },
          disconnectAfter: { refusals: 5, perMs: 60_000 },
        }).on("connection", (s) => {
          s.on("disconnect", (reason, description) => {
            serverSide = [reason, description];
          });
        });
      });
      const c = await connect(make, url);
      const errors: Refusal[] = [];
      c.on("tether:error", ((r: Refusal) => errors.push(r)) as (...a: never[]) => void);
      const gone = onceEvent<[string]>(c, "disconnect");
      for (let i = 0; i < 20; i++) c.emit("flood", i);
      assert.equal((await gone)[0], "io server disconnect");
      assert.equal(errors.length, 7);
      assert.equal(errors[0]?.code, RefusalCodes.RATE_LIMITED);
      assert.equal(errors.at(-1)?.code, RefusalCodes.TOO_MANY_REFUSALS);
      await waitFor(() => serverSide !== undefined);
      assert.equal(serverSide?.[0], "server namespace disconnect");
      assert.equal((serverSide?.[1] as { code: string }).code, RefusalCodes.TOO_MANY_REFUSALS);
    });

    it("checks limits before the contract: an event over the limit never reaches the schema", async () => {
      let validated = 0;
      const counting = {
        "~standard": {
          version: 1 as const,
          vendor: "test",
          validate: (value: unknown) => {
            validated++;
            return { value: value as unknown[] };
          },
        },
      };
      const url = await start((io) => {
        io.of("/c")
          .contract(
            defineContract({ clientToServer: { say: { args: counting, ack: z.string() } } }),
          )
          .limit({ socket: { perSecond: 0.01, burst: 2 } })
          .on("connection", (s) =>
            s.on("say", (...a: unknown[]) => (a.at(-1) as (v: string) => void)("ok")),
          );
      });
      const c = await connect(make, `${url}/c`);
      await c.emitWithAck("say");
      await c.emitWithAck("say");
      limited(await c.emitWithAck("say"), "say");
      assert.equal(validated, 2);
    });

    it("closes a connection flooding Engine.IO messages (connectionRateLimit)", async () => {
      let serverSide: [string, unknown] | undefined;
      const url = await start(
        (io) =>
          io.on("connection", (s) =>
            s.on("disconnect", (reason, description) => {
              serverSide = [reason, description];
            }),
          ),
        { connectionRateLimit: { packets: { perSecond: 1, burst: 5 } } },
      );
      const c = await connect(make, url);
      const gone = onceEvent<[string]>(c, "disconnect");
      for (let i = 0; i < 10; i++) c.emit("flood", i);
      await gone;
      await waitFor(() => serverSide !== undefined);
      assert.equal(serverSide?.[0], "forced close");
      assert.equal((serverSide?.[1] as { code: string }).code, "RATE_ERR_CONNECTION");
    });

    it("closes a connection sending more bytes than its byte bucket holds", async () => {
      let reason: string | undefined;
      const url = await start(
        (io) =>
          io.on("connection", (s) =>
            s.on("disconnect", (r) => {
              reason = r;
            }),
          ),
        { connectionRateLimit: { bytes: { perSecond: 100, burst: 1000 } } },
      );
      const c = await connect(make, url);
      const gone = onceEvent(c, "disconnect");
      c.emit("big", "x".repeat(2000));
      await gone;
      await waitFor(() => reason !== undefined);
      assert.equal(reason, "forced close");
    });
  });
}

describe("rate limits: options", () => {
  it("throws at once on a bucket that could never refill or hold one event", async () => {
    const io = new Server();
    cleanups.push(() => io.close());
    for (const bad of [{ perSecond: 0 }, { perSecond: -1 }, { perSecond: 5, burst: 0.5 }]) {
      assert.throws(() => io.limit({ events: { say: bad } }), { code: "SIO_ERR_INVALID_ARGUMENT" });
    }
    assert.throws(() => new Server({ connectionRateLimit: { bytes: { perSecond: Number.NaN } } }), {
      code: "SIO_ERR_INVALID_ARGUMENT",
    });
  });
});

describe("rate limits: cost", () => {
  it("allocates no guard state on sockets of a namespace without contract or limits", async () => {
    let socket: Socket | undefined;
    const url = await start((io) =>
      io.on("connection", (s) => {
        socket = s;
        s.on("ping", (ack: (v: string) => void) => ack("pong"));
      }),
    );
    const c = await connect(CLIENTS[0]?.[1] ?? (() => assert.fail()), url);
    assert.equal(await c.emitWithAck("ping"), "pong");
    assert.equal(socket?._guardState, undefined);
    assert.equal(socket?.nsp._guard, undefined);
  });
});
