/**
 * Integration: socket.io behaviours applications rely on — `socket.local`, `socket.request`
 * keeping what connection middlewares put on it (the express-session / passport pattern) and its
 * `_query`, and `io.close(cb)` reporting the HTTP server's close error.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import { afterEach, describe, it } from "node:test";
import {
  type BroadcastOptions,
  InMemoryAdapter,
  type Packet,
  Server,
  type Socket,
} from "../../src/index.js";
import {
  type Fixture,
  MODES,
  next,
  startServer,
  transportOptions,
} from "../interop/server-harness.js";

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

describe("socket.local", () => {
  it("broadcasts from a socket to the other sockets of this node only, sender excluded", async () => {
    const flags: BroadcastOptions["flags"][] = [];
    class RecordingAdapter extends InMemoryAdapter {
      override broadcast(packet: Packet, opts: BroadcastOptions): void {
        flags.push(opts.flags);
        super.broadcast(packet, opts);
      }
    }
    f = await startServer({ adapter: RecordingAdapter });
    const sockets: Socket[] = [];
    f.io.on("connection", (s) => sockets.push(s));
    const [a, b, c] = [f.client("/"), f.client("/"), f.client("/")];
    await Promise.all([a, b, c].map((s) => next(s, "connect")));
    const sender = sockets.find((s) => s.id === a.id);
    assert.ok(sender);
    let senderGot = false;
    a.on("news", () => {
      senderGot = true;
    });
    const received = Promise.all([next(b, "news"), next(c, "news")]);
    sender.local.emit("news", 1);
    assert.deepEqual(await received, [[1], [1]]);
    // The sender's own copy would have arrived before this round trip completes.
    const pong = new Promise<void>((resolve) => a.emit("ping", resolve));
    sender.once("ping", (ack: () => void) => ack());
    await pong;
    assert.equal(senderGot, false, "the sender is excluded");
    assert.equal(flags.at(-1)?.local, true, "the adapter is told to stay on this node");
  });
});

/** A stand-in for express-session: reads the cookie, loads the session asynchronously. */
function sessionMiddleware(store: Map<string, { views: number; passport?: { user: string } }>) {
  return (req: IncomingMessage, _res: unknown, next: (err?: Error) => void): void => {
    const sid = /(?:^|;\s*)connect\.sid=([^;]+)/.exec(req.headers.cookie ?? "")?.[1];
    setImmediate(() => {
      const r = req as IncomingMessage & { session?: unknown; sessionID?: string };
      r.sessionID = sid ?? "new";
      r.session = (sid === undefined ? undefined : store.get(sid)) ?? { views: 0 };
      next();
    });
  };
}

/** A stand-in for passport's `session()`: deserialises `req.user` from the session. */
function passportSession(req: IncomingMessage, _res: unknown, next: (err?: Error) => void): void {
  const r = req as IncomingMessage & { session?: { passport?: { user: string } }; user?: string };
  const user = r.session?.passport?.user;
  if (user !== undefined) r.user = `user:${user}`;
  next();
}

type SessionRequest = IncomingMessage & {
  session?: { views: number };
  user?: string;
  _query?: Record<string, unknown>;
};

describe("socket.request with connection middlewares", () => {
  for (const mode of MODES) {
    it(`keeps req.session and req.user that middlewares set, for later handlers (${mode})`, async () => {
      const store = new Map([["s1", { views: 3, passport: { user: "ada" } }]]);
      f = await startServer({}, mode);
      const io = f.io;
      const session = sessionMiddleware(store);
      io.use((socket, next) => session(socket.request, {}, next));
      io.use((socket, next) => passportSession(socket.request, {}, next));
      io.on("connection", (socket) => {
        socket.on("whoami", (ack: (u: unknown, v: unknown, q: unknown) => void) => {
          const req = socket.request as SessionRequest;
          ack(req.user, req.session?.views, req._query?.room);
        });
      });
      const c = f.client("/", {
        ...transportOptions(mode),
        extraHeaders: { cookie: "connect.sid=s1" },
        query: { room: "r1" },
      });
      await next(c, "connect");
      const reply = await new Promise<unknown[]>((resolve) =>
        c.emit("whoami", (...args: unknown[]) => resolve(args)),
      );
      assert.deepEqual(reply, ["user:ada", 3, "r1"]);
    });
  }

  it("keeps the request for a namespace joined later without middleware", async () => {
    f = await startServer();
    const session = sessionMiddleware(new Map([["s2", { views: 9 }]]));
    f.io.use((socket, next) => session(socket.request, {}, next));
    const chat = next<[Socket]>(f.io.of("/chat"), "connection");
    const main = f.client("/", { extraHeaders: { cookie: "connect.sid=s2" } });
    await next(main, "connect");
    // Same connection (same manager): "/chat" has no middleware reading socket.request.
    const other = main.io.socket("/chat");
    other.connect();
    const [socket] = await chat;
    assert.equal((socket.request as SessionRequest).session?.views, 9);
  });

  it("exposes the parsed query as socket.request._query", async () => {
    f = await startServer();
    const connected = next<[Socket]>(f.io, "connection");
    f.client("/", { query: { a: "1", b: "two" } });
    const [socket] = await connected;
    const q = (socket.request as SessionRequest)._query;
    assert.equal(q?.a, "1");
    assert.equal(q?.b, "two");
    assert.equal(q?.EIO, "4");
  });
});

describe("io.close() and the HTTP server's close error", () => {
  it("passes ERR_SERVER_NOT_RUNNING to the callback when the HTTP server was not listening", async () => {
    const io = new Server(createServer());
    const err = await new Promise<Error | undefined>((resolve) => {
      void io.close(resolve);
    });
    assert.equal((err as (Error & { code?: string }) | undefined)?.code, "ERR_SERVER_NOT_RUNNING");
  });

  it("resolves the promise form even when the HTTP server was not listening", async () => {
    const io = new Server(createServer());
    await io.close();
  });

  it("calls the callback without an error after closing a listening server", async () => {
    const http = createServer();
    const io = new Server(http);
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const err = await new Promise<Error | undefined>((resolve) => {
      void io.close(resolve);
    });
    assert.equal(err, undefined);
    assert.equal(http.listening, false);
  });
});
