/**
 * Integration: event contracts. Every failure path of a namespace's contract — invalid arguments
 * (with and without an ack), an unknown event in strict mode, an async schema rejecting, a schema
 * throwing, an invalid ack value, the disconnect policy, outgoing validation — seen from the
 * official `socket.io-client` and from Tether's client.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import {
  defineContract,
  isRefusal,
  type Refusal,
  RefusalCodes,
  type Socket,
} from "../../src/index.js";
import { bothClientsFixture, CLIENTS, type Connect } from "../helpers/both-clients.js";
import { onceEvent, waitFor } from "../helpers/wait.js";

const chat = defineContract({
  clientToServer: {
    say: { args: z.tuple([z.string().trim().min(1).max(20)]), ack: z.object({ id: z.number() }) },
    join: { args: z.tuple([z.string().regex(/^[a-z]+$/)]) },
    slow: {
      args: z.tuple([
        z.string().refine(async (s) => {
          await new Promise((r) => setImmediate(r));
          return s !== "bad";
        }, "not allowed"),
      ]),
    },
  },
  serverToClient: {
    said: { args: z.tuple([z.string()]) },
    ask: { args: z.tuple([]), ack: z.number().int() },
  },
});

const { start, connect } = bothClientsFixture();
const official = (CLIENTS[0] as [string, Connect])[1];

function assertRefusal(value: unknown, code: string, event: string): Refusal {
  assert.ok(isRefusal(value), `expected a refusal, got ${JSON.stringify(value)}`);
  assert.equal(value.code, code);
  assert.equal(value.event, event);
  assert.equal((value as { stack?: unknown }).stack, undefined);
  return value;
}

for (const [clientName, make] of CLIENTS) {
  describe(`event contracts (${clientName})`, () => {
    it("hands handlers the schema's output and lets valid events through with their ack", async () => {
      const seen: unknown[] = [];
      const url = await start((io) => {
        io.of("/chat")
          .contract(chat)
          .on("connection", (socket) => {
            socket.on("say", (text, ack) => {
              seen.push(text);
              ack({ id: 1 });
            });
          });
      });
      const c = await connect(make, `${url}/chat`);
      assert.deepEqual(await c.emitWithAck("say", "  hi  "), { id: 1 });
      assert.deepEqual(seen, ["hi"]);
    });

    it("answers an invalid event's ack with the refusal, before any onAny, middleware or handler", async () => {
      const reached: string[] = [];
      const url = await start((io) => {
        io.of("/chat")
          .contract(chat)
          .on("connection", (socket) => {
            socket.onAny(() => reached.push("onAny"));
            socket.use((_e, next) => {
              reached.push("use");
              next();
            });
            socket.on("say", () => reached.push("handler"));
          });
      });
      const c = await connect(make, `${url}/chat`);
      const r = assertRefusal(
        await c.emitWithAck("say", "x".repeat(50)),
        RefusalCodes.INVALID_ARGS,
        "say",
      );
      assert.equal(r.issues.length, 1);
      assert.deepEqual(r.issues[0]?.path, [0]);
      assert.match(r.issues[0]?.message ?? "", /20/);
      assertRefusal(await c.emitWithAck("say", 1, 2), RefusalCodes.INVALID_ARGS, "say");
      assert.deepEqual(reached, []);
    });

    it("sends the refusal of an event without ack as a tether:error event", async () => {
      let handled = false;
      const url = await start((io) => {
        io.of("/chat")
          .contract(chat)
          .on("connection", (s) =>
            s.on("join", () => {
              handled = true;
            }),
          );
      });
      const c = await connect(make, `${url}/chat`);
      const err = onceEvent<[Refusal]>(c, "tether:error");
      c.emit("join", "Not Valid!");
      const [r] = await err;
      assertRefusal(r, RefusalCodes.INVALID_ARGS, "join");
      assert.deepEqual(r.issues[0]?.path, [0]);
      assert.equal(handled, false);
    });

    it("refuses events the contract does not list in strict mode, and lets them through otherwise", async () => {
      const url = await start((io) => {
        io.of("/strict")
          .contract(chat, { strict: true })
          .on("connection", (s) => {
            (s as unknown as Socket).on("other", (ack: (v: string) => void) => ack("reached"));
          });
        io.of("/loose")
          .contract(chat)
          .on("connection", (s) => {
            (s as unknown as Socket).on("other", (ack: (v: string) => void) => ack("reached"));
          });
      });
      const strict = await connect(make, `${url}/strict`);
      assertRefusal(await strict.emitWithAck("other"), RefusalCodes.UNKNOWN_EVENT, "other");
      const loose = await connect(make, `${url}/loose`);
      assert.equal(await loose.emitWithAck("other"), "reached");
    });

    it("waits for async schemas, refuses what they reject, and keeps the arrival order", async () => {
      const order: string[] = [];
      const url = await start((io) => {
        io.of("/chat")
          .contract(chat)
          .on("connection", (s) => {
            s.on("slow", (v) => order.push(`slow:${v}`));
            s.on("join", (v) => order.push(`join:${v}`));
          });
      });
      const c = await connect(make, `${url}/chat`);
      const err = onceEvent<[Refusal]>(c, "tether:error");
      c.emit("slow", "a");
      c.emit("join", "b");
      c.emit("slow", "bad");
      c.emit("join", "c");
      const [r] = await err;
      assertRefusal(r, RefusalCodes.INVALID_ARGS, "slow");
      assert.equal(r.issues[0]?.message, "not allowed");
      await waitFor(() => order.length === 3);
      assert.deepEqual(order, ["slow:a", "join:b", "join:c"]);
    });

    it("refuses an event whose schema throws, reporting the cause on the server only", async () => {
      const throwing = {
        "~standard": {
          version: 1 as const,
          vendor: "test",
          validate(): never {
            throw new Error("secret detail");
          },
        },
      };
      const causes: unknown[] = [];
      const url = await start((io) => {
        io.of("/t").contract(defineContract({ clientToServer: { boom: { args: throwing } } }), {
          onRefused: (_r, _s, cause) => causes.push(cause),
        });
      });
      const c = await connect(make, `${url}/t`);
      const r = assertRefusal(
        await c.emitWithAck("boom", 1),
        RefusalCodes.VALIDATOR_FAILED,
        "boom",
      );
      assert.doesNotMatch(JSON.stringify(r), /secret/);
      assert.equal((causes[0] as Error).message, "secret detail");
    });

    it("disconnects a socket after too many refusals, saying why first", async () => {
      let serverSide: [string, unknown] | undefined;
      const url = await start((io) => {
        io.of("/chat")
          .contract(chat, { disconnectAfter: { refusals: 3, perMs: 60_000 } })
          .on("connection", (s) =>
            s.on("disconnect", (reason, description) => {
              serverSide = [reason, description];
            }),
          );
      });
      const c = await connect(make, `${url}/chat`);
      const errors: Refusal[] = [];
      c.on("tether:error", ((r: Refusal) => errors.push(r)) as (...a: never[]) => void);
      const gone = onceEvent<[string]>(c, "disconnect");
      for (let i = 0; i < 4; i++) c.emit("join", "BAD");
      const [reason] = await gone;
      assert.equal(reason, "io server disconnect");
      assert.equal(errors.at(-1)?.code, RefusalCodes.TOO_MANY_REFUSALS);
      assert.equal(errors.length, 5);
      await waitFor(() => serverSide !== undefined);
      assert.equal(serverSide?.[0], "server namespace disconnect");
      assert.equal((serverSide?.[1] as { code: string }).code, RefusalCodes.TOO_MANY_REFUSALS);
    });

    it("validates the client's ack value: the callback gets the refusal, or an error after timeout()", async () => {
      let socket: Socket | undefined;
      const url = await start((io) => {
        io.of("/chat")
          .contract(chat)
          .on("connection", (s) => {
            socket = s as unknown as Socket;
          });
      });
      const c = await connect(make, `${url}/chat`);
      await waitFor(() => socket !== undefined);
      let answer: unknown = 1.5;
      c.on("ask", ((ack: (v: unknown) => void) => ack(answer)) as (...a: never[]) => void);
      const s = socket as Socket;
      assertRefusal(await s.emitWithAck("ask"), RefusalCodes.INVALID_ACK, "ask");
      await assert.rejects(s.timeout(5000).emitWithAck("ask"), {
        code: RefusalCodes.INVALID_ACK,
      });
      answer = 7;
      assert.equal(await s.timeout(5000).emitWithAck("ask"), 7);
    });
  });
}

describe("event contracts: outgoing validation", () => {
  it("throws on an emit a sync schema rejects, and on a handler's invalid ack value", async () => {
    const errors: Error[] = [];
    let socket: Socket | undefined;
    const url = await start((io) => {
      io.of("/chat")
        .contract(chat, { validateOutgoing: true })
        .on("connection", (s) => {
          socket = s as unknown as Socket;
          s.on("error", (e) => errors.push(e));
          s.on("say", (_t, ack) => ack({ id: "nope" } as unknown as { id: number }));
        });
    });
    const c = await connect(official, `${url}/chat`);
    await waitFor(() => socket !== undefined);
    assert.throws(() => (socket as Socket).emit("said", 42), {
      code: RefusalCodes.INVALID_ARGS,
    });
    c.emit("say", "hello", () => {});
    await waitFor(() => errors.length === 1);
    assert.equal((errors[0] as Error & { code: string }).code, RefusalCodes.INVALID_ACK);
    // Broadcasts are checked too.
    assert.throws(() => (socket as Socket).nsp.emit("said", 42), {
      code: RefusalCodes.INVALID_ARGS,
    });
  });

  it("sends what it is given when validateOutgoing is off", async () => {
    let socket: Socket | undefined;
    const url = await start((io) => {
      io.of("/chat")
        .contract(chat, { validateOutgoing: false })
        .on("connection", (s) => {
          socket = s as unknown as Socket;
        });
    });
    const c = await connect(official, `${url}/chat`);
    await waitFor(() => socket !== undefined);
    const got = onceEvent<[unknown]>(c, "said");
    (socket as Socket).emit("said", 42);
    assert.deepEqual(await got, [42]);
  });
});

describe("event contracts: dynamic namespaces", () => {
  it("applies a parent namespace's contract to the children it creates", async () => {
    const url = await start((io) => {
      io.of(/^\/room-\d+$/).contract(chat);
    });
    const c = await connect(official, `${url}/room-7`);
    assertRefusal(await c.emitWithAck("say", 42), RefusalCodes.INVALID_ARGS, "say");
  });
});

describe("event contracts: async backlog", () => {
  it("refuses events beyond maxPending while an async schema is in flight, then resumes", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow = {
      "~standard": {
        version: 1 as const,
        vendor: "test",
        validate: async (value: unknown) => {
          await gate;
          return { value: value as unknown[] };
        },
      },
    };
    const seen: number[] = [];
    const url = await start((io) => {
      io.of("/slow")
        .contract(defineContract({ clientToServer: { go: { args: slow } } }), { maxPending: 2 })
        .on("connection", (s) => s.on("go", (...a: unknown[]) => seen.push(a[0] as number)));
    });
    const c = await connect(official, `${url}/slow`);
    const errors: Refusal[] = [];
    c.on("tether:error", ((r: Refusal) => errors.push(r)) as (...a: never[]) => void);
    for (let i = 0; i < 4; i++) c.emit("go", i);
    await waitFor(() => errors.length === 2);
    assert.deepEqual(
      errors.map((e) => e.code),
      [RefusalCodes.TOO_MANY_PENDING, RefusalCodes.TOO_MANY_PENDING],
    );
    release();
    await waitFor(() => seen.length === 2);
    assert.deepEqual(seen, [0, 1]);
  });
});
