/**
 * The Socket.IO layer's input limits over real sockets: `maxEventNameLength`, `maxDepth`,
 * `maxAttachments` (the connection is closed, sockets disconnect with `parse error` described by
 * a TetherError naming the limit) and `maxNamespaceLength` (CONNECT_ERROR, the connection stays
 * open). Each limit is refused with its stated error, the boundary value is accepted, and a
 * bystander session on the same server keeps exchanging acknowledged messages.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { type Socket as ClientSocket, io as ioc, type ManagerOptions } from "socket.io-client";
import msgpackClientParser from "socket.io-msgpack-parser";
import { msgpackParser } from "../../src/parser/socket/msgpack.js";
import { SocketErrorCodes } from "../../src/protocol/socket.js";
import { Server, type ServerOptions, type Socket } from "../../src/server/index.js";
import { TetherError } from "../../src/shared/errors.js";
import { onceEvent } from "../helpers/wait.js";
import { connected, type IoHarness, type Scene, scene, WsPeer } from "./harness.js";

/** `[{"k":[…1…]}]`: an argument of nesting depth `d` (a scalar is 0). */
function nested(d: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < d; i++) v = i % 2 === 0 ? [v] : { k: v };
  return v;
}

interface Closed {
  reason: string;
  description: unknown;
}

/** Server-side sockets by id, each with a promise of its `disconnect` arguments. */
function trackSockets(h: IoHarness): Map<string, { socket: Socket; closed: Promise<Closed> }> {
  const sockets = new Map<string, { socket: Socket; closed: Promise<Closed> }>();
  h.io.on("connection", (socket) => {
    const closed = new Promise<Closed>((resolve) =>
      socket.on("disconnect", (reason, description) => resolve({ reason, description })),
    );
    sockets.set(socket.id, { socket, closed });
  });
  return sockets;
}

/** An official client, connected; disconnected when the test ends. */
async function officialClient(
  t: TestContext,
  s: Scene,
  opts: Partial<ManagerOptions> = {},
  nsp = "/",
): Promise<ClientSocket> {
  const c = ioc(`http://127.0.0.1:${s.h.port}${nsp}`, {
    forceNew: true,
    reconnection: false,
    transports: ["websocket"],
    ...opts,
  });
  t.after(() => {
    c.disconnect();
  });
  await onceEvent(c, "connect");
  return c;
}

/** Asserts the server closed the client's connection with `parse error` naming `code`. */
async function assertRefused(
  c: ClientSocket,
  tracked: ReturnType<typeof trackSockets>,
  code: string,
  message: string,
): Promise<void> {
  const entry = tracked.get(c.id ?? "");
  assert.ok(entry, "server-side socket");
  const clientSide = onceEvent<[string]>(c, "disconnect");
  const { reason, description } = await entry.closed;
  assert.equal(reason, "parse error");
  assert.ok(description instanceof TetherError, "a TetherError describes the refusal");
  assert.equal(description.code, code);
  assert.equal(description.message, message);
  const [clientReason] = await clientSide;
  assert.equal(clientReason, "transport close");
}

describe("maxEventNameLength", () => {
  for (const transport of ["websocket", "polling"] as const) {
    it(`delivers a 256-character event name and refuses 257 over ${transport} (SIO_ERR_EVENT_NAME_TOO_LONG)`, async (t) => {
      const s = await scene(t);
      const tracked = trackSockets(s.h);
      const ok = "n".repeat(256);
      s.h.io.on("connection", (socket) => socket.on(ok, (ack: (v: string) => void) => ack("got")));
      const c = await officialClient(t, s, { transports: [transport] });
      assert.equal(await c.timeout(5000).emitWithAck(ok), "got");
      c.emit("n".repeat(257));
      await assertRefused(
        c,
        tracked,
        SocketErrorCodes.EVENT_NAME_TOO_LONG,
        "event name longer than 256 characters",
      );
      await s.finish();
    });
  }

  it("honours a custom limit, Infinity included", async (t) => {
    // The bystander's event, "bystander", is exactly 9 characters long.
    const s = await scene(t, { maxEventNameLength: 9 });
    const tracked = trackSockets(s.h);
    const c = await officialClient(t, s);
    c.emit("abcdefghij");
    await assertRefused(
      c,
      tracked,
      SocketErrorCodes.EVENT_NAME_TOO_LONG,
      "event name longer than 9 characters",
    );
    await s.finish();

    const u = await scene(t, { maxEventNameLength: Number.POSITIVE_INFINITY });
    const long = "e".repeat(100_000);
    u.h.io.on("connection", (socket) => socket.on(long, (ack: (v: number) => void) => ack(1)));
    const d = await officialClient(t, u);
    assert.equal(await d.timeout(5000).emitWithAck(long), 1);
    await u.finish();
  });
});

describe("maxDepth", () => {
  it("echoes an argument 100 levels deep and refuses 101 (SIO_ERR_PAYLOAD_TOO_DEEP)", async (t) => {
    const s = await scene(t);
    const tracked = trackSockets(s.h);
    const c = await officialClient(t, s);
    assert.deepEqual(await c.timeout(5000).emitWithAck("echo", nested(100)), nested(100));
    c.emit("echo", nested(101));
    await assertRefused(
      c,
      tracked,
      SocketErrorCodes.PAYLOAD_TOO_DEEP,
      "arguments nested deeper than 100 levels",
    );
    await s.finish();
  });

  it("applies to acknowledgements, binary events and CONNECT auth (custom limit 3)", async (t) => {
    const s = await scene(t, { maxDepth: 3 });
    const tracked = trackSockets(s.h);

    // An ACK from the client whose argument is too deep.
    const a = await officialClient(t, s);
    const entry = tracked.get(a.id ?? "");
    assert.ok(entry);
    a.on("ask", (ack: (v: unknown) => void) => ack(nested(4)));
    entry.socket.emit("ask", () => {});
    await assertRefused(
      a,
      tracked,
      SocketErrorCodes.PAYLOAD_TOO_DEEP,
      "arguments nested deeper than 3 levels",
    );

    // A binary event: the placeholder counts as the level it replaces.
    const b = await officialClient(t, s);
    const buf = Buffer.from([1, 2, 3]);
    const echoed = (await b.timeout(5000).emitWithAck("echo", [[buf]])) as Buffer[][];
    assert.deepEqual(Buffer.from(echoed[0]?.[0] ?? []), buf);
    b.emit("echo", [[[buf]]]);
    await assertRefused(
      b,
      tracked,
      SocketErrorCodes.PAYLOAD_TOO_DEEP,
      "arguments nested deeper than 3 levels",
    );

    // CONNECT auth: the whole connection is refused before any namespace is joined.
    const c = ioc(`http://127.0.0.1:${s.h.port}`, {
      forceNew: true,
      reconnection: false,
      transports: ["websocket"],
      auth: { token: nested(3) },
    });
    t.after(() => {
      c.disconnect();
    });
    await onceEvent(c.io, "close");
    assert.equal(c.connected, false);
    await s.finish();
  });

  it("does not limit depth with maxDepth: Infinity", async (t) => {
    const s = await scene(t, { maxDepth: Number.POSITIVE_INFINITY });
    const c = await officialClient(t, s);
    assert.deepEqual(await c.timeout(5000).emitWithAck("echo", nested(500)), nested(500));
    await s.finish();
  });
});

describe("maxAttachments", () => {
  it("echoes 10 binary attachments and refuses 11 (SIO_ERR_TOO_MANY_ATTACHMENTS)", async (t) => {
    const s = await scene(t);
    const tracked = trackSockets(s.h);
    const c = await officialClient(t, s);
    const bufs = (n: number) => Array.from({ length: n }, (_, i) => Buffer.from([i]));
    const got = (await c.timeout(5000).emitWithAck("echo", ...bufs(10))) as Buffer;
    assert.deepEqual(Buffer.from(got), Buffer.from([0]));
    c.emit("echo", ...bufs(11));
    await assertRefused(
      c,
      tracked,
      SocketErrorCodes.TOO_MANY_ATTACHMENTS,
      "more than 10 binary attachments",
    );
    await s.finish();
  });

  it("honours a custom maxAttachments", async (t) => {
    const s = await scene(t, { maxAttachments: 1 });
    const tracked = trackSockets(s.h);
    const c = await officialClient(t, s);
    c.emit("echo", Buffer.from([1]), Buffer.from([2]));
    await assertRefused(
      c,
      tracked,
      SocketErrorCodes.TOO_MANY_ATTACHMENTS,
      "more than 1 binary attachments",
    );
    await s.finish();
  });
});

describe("maxNamespaceLength", () => {
  it("answers CONNECT_ERROR 'Namespace name too long' and keeps the connection open", async (t) => {
    const s = await scene(t);
    let matcherCalls = 0;
    s.h.io.of((name, _auth, next) => {
      matcherCalls++;
      next(null, /^\/a+$/.test(name));
    });
    const peer = await WsPeer.open(s.h.port);
    t.after(() => peer.terminate());
    const tooLong = `/${"a".repeat(256)}`;
    peer.send(`40${tooLong},`);
    assert.equal(await peer.next(), `44${tooLong},{"message":"Namespace name too long"}`);
    assert.equal(matcherCalls, 0, "the parent namespace's matcher never saw the name");
    // Exactly 256 characters (with the "/") is accepted, on the same connection.
    const longest = `/${"a".repeat(255)}`;
    peer.send(`40${longest},`);
    assert.match(String(await peer.next()), new RegExp(`^40${longest},\\{"sid":"`));
    peer.send("40");
    assert.match(String(await peer.next()), /^40\{"sid":"/);
    assert.equal(peer.isClosed, false);
    await s.finish();
  });

  it("gives the official client a connect_error, and honours a custom limit", async (t) => {
    const s = await scene(t, { maxNamespaceLength: 8 });
    s.h.io.of(/^\/\w+$/);
    const ok = await officialClient(t, s, {}, "/abcdefg");
    assert.equal(ok.connected, true);
    const c = ioc(`http://127.0.0.1:${s.h.port}/abcdefgh`, {
      forceNew: true,
      reconnection: false,
      transports: ["websocket"],
    });
    t.after(() => {
      c.disconnect();
    });
    const [err] = await onceEvent<[Error]>(c, "connect_error");
    assert.equal(err.message, "Namespace name too long");
    await s.finish();
  });
});

describe("limits with the msgpack parser", () => {
  it("refuses a long event name and a deep argument from the official msgpack client", async (t) => {
    const s = await scene(t, { parser: msgpackParser });
    const tracked = trackSockets(s.h);
    const opts = { parser: msgpackClientParser } as Partial<ManagerOptions>;
    const a = await officialClient(t, s, opts);
    assert.deepEqual(await a.timeout(5000).emitWithAck("echo", nested(100)), nested(100));
    a.emit("x".repeat(257));
    await assertRefused(
      a,
      tracked,
      SocketErrorCodes.EVENT_NAME_TOO_LONG,
      "event name longer than 256 characters",
    );
    const b = await officialClient(t, s, opts);
    b.emit("echo", nested(101));
    await assertRefused(
      b,
      tracked,
      SocketErrorCodes.PAYLOAD_TOO_DEEP,
      "arguments nested deeper than 100 levels",
    );
    await s.finish();
  });
});

describe("limit options", () => {
  it("throws SIO_ERR_INVALID_ARGUMENT for a negative or non-numeric limit", () => {
    for (const opts of [
      { maxDepth: -1 },
      { maxEventNameLength: Number.NaN },
      { maxAttachments: "3" },
    ]) {
      assert.throws(
        () => new Server(opts as unknown as ServerOptions),
        (err: unknown) =>
          err instanceof TetherError && err.code === SocketErrorCodes.INVALID_ARGUMENT,
      );
    }
  });

  it("a raw client past a limit only closes its own connection", async (t) => {
    const s = await scene(t);
    const other = await connected(s.h.port);
    t.after(() => other.terminate());
    const attacker = await connected(s.h.port);
    attacker.send(`42["ev",${"[".repeat(200_000)}${"]".repeat(200_000)}]`);
    await attacker.closed;
    other.send('42["echo","still here"]');
    other.send('421["echo","acked"]');
    assert.equal(await other.next(), '431["acked"]');
    await s.finish();
  });
});
