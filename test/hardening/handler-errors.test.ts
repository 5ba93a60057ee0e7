/**
 * Audit: application code that fails never hurts anyone else. Each test installs one failing
 * handler (throwing synchronously, or returning a rejected promise) on a server with a bystander
 * session, triggers it with the official client, and checks that the failure is reported where
 * the docs say (the socket's `error` listeners, else `console.error`; Namespace-level listeners
 * log with `console.error`; middleware refusals become CONNECT_ERROR), that no exception or
 * unhandled rejection reaches the process, that the failing socket itself and the bystander keep
 * exchanging acknowledged messages, and that the server still closes.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { describe, it, type TestContext } from "node:test";
import { type Socket as ClientSocket, io as ioc } from "socket.io-client";
import { Server, type Socket } from "../../src/server/index.js";
import { onceEvent, waitFor } from "../helpers/wait.js";
import { type Scene, scene } from "./harness.js";

/** Records `console.error` calls (silenced) for the rest of the test. */
function captureConsoleError(t: TestContext): unknown[][] {
  const calls: unknown[][] = [];
  t.mock.method(console, "error", (...args: unknown[]) => {
    calls.push(args);
  });
  return calls;
}

/** Records unhandled rejections for the rest of the test. */
function watchRejections(t: TestContext): unknown[] {
  const reasons: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    reasons.push(reason);
  };
  process.on("unhandledRejection", onRejection);
  t.after(() => {
    process.off("unhandledRejection", onRejection);
  });
  return reasons;
}

interface Audit {
  s: Scene;
  logged: unknown[][];
  rejections: unknown[];
  /** Opens an official client on `nsp`; resolves once connected. */
  client(nsp?: string): Promise<ClientSocket>;
  /** Opens an official client expected to be refused; resolves with the connect_error. */
  refused(nsp?: string): Promise<Error>;
  /** The server-side socket of a connected client. */
  serverSocket(c: ClientSocket): Socket;
  /** The client still gets its `echo` acknowledged. */
  stillServed(c: ClientSocket): Promise<void>;
  /** Waits until `console.error` was given `err`. */
  loggedError(err: unknown): Promise<void>;
  /** No exception or rejection reached the process; the bystander was served. */
  finish(): Promise<void>;
}

async function audit(t: TestContext): Promise<Audit> {
  const logged = captureConsoleError(t);
  const rejections = watchRejections(t);
  const s = await scene(t);
  const sockets = new Map<string, Socket>();
  s.h.io.on("connection", (socket) => {
    sockets.set(socket.id, socket);
  });
  const open = (nsp: string): ClientSocket => {
    const c = ioc(`http://127.0.0.1:${s.h.port}${nsp}`, {
      forceNew: true,
      reconnection: false,
      transports: ["websocket"],
    });
    t.after(() => {
      c.disconnect();
    });
    return c;
  };
  return {
    s,
    logged,
    rejections,
    async client(nsp = "/") {
      const c = open(nsp);
      await onceEvent(c, "connect");
      return c;
    },
    async refused(nsp = "/") {
      const [err] = await onceEvent<[Error]>(open(nsp), "connect_error");
      return err;
    },
    serverSocket(c) {
      const socket = sockets.get(c.id ?? "");
      assert.ok(socket, "server-side socket");
      return socket;
    },
    async stillServed(c) {
      assert.deepEqual(await c.timeout(5000).emitWithAck("echo", "ok", 1), "ok");
    },
    loggedError(err) {
      return waitFor(
        () => logged.some((args) => args.includes(err)),
        5000,
        `console.error(${String(err)})`,
      );
    },
    async finish() {
      await s.finish();
      assert.deepEqual(rejections, [], "no unhandled rejection");
    },
  };
}

const errorOf = (socket: Socket): Promise<[Error]> => onceEvent<[Error]>(socket, "error");

describe("a failing `connection` handler", () => {
  it("is logged when it throws, and later listeners and the socket still work", async (t) => {
    const a = await audit(t);
    const boom = new Error("connection handler threw");
    let later = 0;
    a.s.h.io.on("connection", () => {
      throw boom;
    });
    a.s.h.io.on("connection", () => {
      later++;
    });
    const c = await a.client();
    await a.loggedError(boom);
    assert.equal(later, 1, "the next connection listener ran");
    await a.stillServed(c);
    await a.finish();
  });

  it("is logged when it rejects", async (t) => {
    const a = await audit(t);
    const boom = new Error("connection handler rejected");
    a.s.h.io.on("connection", async () => {
      await Promise.resolve();
      throw boom;
    });
    const c = await a.client();
    await a.loggedError(boom);
    await a.stillServed(c);
    await a.finish();
  });
});

describe("a failing event handler", () => {
  it("goes to the socket's `error` listeners when it throws (non-Error values wrapped)", async (t) => {
    const a = await audit(t);
    a.s.h.io.on("connection", (socket) => {
      socket.on("fail", (what: string) => {
        if (what === "error") throw new Error("handler threw");
        throw what;
      });
    });
    const c = await a.client();
    const socket = a.serverSocket(c);
    let reported = errorOf(socket);
    c.emit("fail", "error");
    assert.equal((await reported)[0].message, "handler threw");
    reported = errorOf(socket);
    c.emit("fail", "a string");
    const [wrapped] = await reported;
    assert.ok(wrapped instanceof Error);
    assert.equal(wrapped.message, "a string");
    await a.stillServed(c);
    assert.equal(a.logged.length, 0, "nothing logged when an error listener exists");
    await a.finish();
  });

  it("goes to the socket's `error` listeners when it rejects, and is logged without one", async (t) => {
    const a = await audit(t);
    const boom = new Error("handler rejected");
    a.s.h.io.on("connection", (socket) => {
      socket.on("fail", async () => {
        await Promise.resolve();
        throw boom;
      });
    });
    const c = await a.client();
    const socket = a.serverSocket(c);
    const reported = errorOf(socket);
    c.emit("fail");
    assert.equal((await reported)[0], boom);
    socket.removeAllListeners("error");
    c.emit("fail");
    await a.loggedError(boom);
    await a.stillServed(c);
    await a.finish();
  });

  it("is logged when the `error` listener itself throws", async (t) => {
    const a = await audit(t);
    const second = new Error("error listener threw");
    a.s.h.io.on("connection", (socket) => {
      socket.on("fail", () => {
        throw new Error("handler threw");
      });
      socket.on("error", () => {
        throw second;
      });
    });
    const c = await a.client();
    c.emit("fail");
    await a.loggedError(second);
    await a.stillServed(c);
    await a.finish();
  });
});

describe("failing acknowledgement callbacks", () => {
  it("reports a callback that throws on the client's answer, and one that throws on timeout", async (t) => {
    const a = await audit(t);
    const c = await a.client();
    c.on("ask", (ack: (v: string) => void) => ack("answer"));
    const socket = a.serverSocket(c);
    let reported = errorOf(socket);
    socket.emit("ask", () => {
      throw new Error("ack callback threw");
    });
    assert.equal((await reported)[0].message, "ack callback threw");
    reported = errorOf(socket);
    socket.timeout(20).emit("unanswered", async () => {
      throw new Error("timeout callback rejected");
    });
    assert.equal((await reported)[0].message, "timeout callback rejected");
    await a.stillServed(c);
    await a.finish();
  });
});

describe("failing middlewares", () => {
  it("turns an `io.use` middleware that throws synchronously into CONNECT_ERROR", async (t) => {
    const a = await audit(t);
    a.s.h.io.use(() => {
      throw new Error("middleware threw");
    });
    assert.equal((await a.refused()).message, "middleware threw");
    await a.finish();
  });

  it("turns an async `io.use` middleware that rejects into CONNECT_ERROR", async (t) => {
    const a = await audit(t);
    a.s.h.io.use(async () => {
      await Promise.resolve();
      throw new Error("async middleware rejected");
    });
    assert.equal((await a.refused()).message, "async middleware rejected");
    await a.finish();
  });

  it("ignores a second `next` call, and a throw after `next`", async (t) => {
    const a = await audit(t);
    a.s.h.io.use((_socket, next) => {
      next();
      next(new Error("too late"));
      throw new Error("after next");
    });
    const c = await a.client();
    await a.stillServed(c);
    await a.finish();
  });

  it("reports a `socket.use` middleware that throws, rejects or calls next(err), and skips the event", async (t) => {
    const a = await audit(t);
    const handled: string[] = [];
    a.s.h.io.on("connection", (socket) => {
      socket.use(([ev], next) => {
        if (ev === "sync") throw new Error("packet middleware threw");
        if (ev === "refused") {
          next(new Error("packet middleware refused"));
          return;
        }
        next();
      });
      socket.use(async ([ev], next) => {
        if (ev === "async") throw new Error("packet middleware rejected");
        next();
      });
      for (const ev of ["sync", "refused", "async"]) socket.on(ev, () => handled.push(ev));
    });
    const c = await a.client();
    const socket = a.serverSocket(c);
    for (const [ev, message] of [
      ["sync", "packet middleware threw"],
      ["refused", "packet middleware refused"],
      ["async", "packet middleware rejected"],
    ] as const) {
      const reported = errorOf(socket);
      c.emit(ev);
      assert.equal((await reported)[0].message, message);
    }
    await a.stillServed(c);
    assert.deepEqual(handled, [], "no refused event reached its handler");
    await a.finish();
  });
});

describe("failing catch-all listeners", () => {
  it("reports a throwing `onAny` and still runs the event's handler", async (t) => {
    const a = await audit(t);
    a.s.h.io.on("connection", (socket) => {
      socket.onAny(() => {
        throw new Error("onAny threw");
      });
    });
    const c = await a.client();
    const reported = errorOf(a.serverSocket(c));
    await a.stillServed(c);
    assert.equal((await reported)[0].message, "onAny threw");
    await a.finish();
  });

  it("reports a rejecting `onAnyOutgoing` and still sends the packet", async (t) => {
    const a = await audit(t);
    a.s.h.io.on("connection", (socket) => {
      socket.onAnyOutgoing(async () => {
        throw new Error("onAnyOutgoing rejected");
      });
    });
    const c = await a.client();
    const socket = a.serverSocket(c);
    const reported = errorOf(socket);
    const got = onceEvent<[string]>(c, "news");
    socket.emit("news", "fresh");
    assert.deepEqual(await got, ["fresh"]);
    assert.equal((await reported)[0].message, "onAnyOutgoing rejected");
    await a.finish();
  });
});

describe("failing disconnect handlers", () => {
  it("reports throwing `disconnecting` and `disconnect` handlers; the socket still leaves its rooms", async (t) => {
    const a = await audit(t);
    a.s.h.io.on("connection", (socket) => {
      socket.join("room");
      socket.on("disconnecting", () => {
        throw new Error("disconnecting threw");
      });
      socket.on("disconnect", async () => {
        throw new Error("disconnect rejected");
      });
    });
    const c = await a.client();
    const socket = a.serverSocket(c);
    const messages: string[] = [];
    socket.on("error", (err) => messages.push(err.message));
    c.disconnect();
    await waitFor(() => messages.length === 2, 5000, "both failures reported");
    assert.deepEqual(messages.sort(), ["disconnect rejected", "disconnecting threw"]);
    assert.equal(a.s.h.io.of("/").adapter.rooms.has("room"), false);
    assert.equal(socket.connected, false);
    await a.finish();
  });

  it("lets io.close() finish when disconnect handlers throw", async (t) => {
    const a = await audit(t);
    const boom = new Error("disconnect threw during close");
    a.s.h.io.on("connection", (socket) => {
      socket.on("disconnect", () => {
        throw boom;
      });
    });
    await a.client();
    await a.finish();
    await a.s.h.io.close();
    await a.loggedError(boom);
  });
});

describe("failing namespace hooks", () => {
  it("treats a parent-namespace matcher that throws or rejects as no match", async (t) => {
    const a = await audit(t);
    a.s.h.io.of(() => {
      throw new Error("matcher threw");
    });
    a.s.h.io.of(async () => {
      throw new Error("matcher rejected");
    });
    assert.equal((await a.refused("/dyn")).message, "Invalid namespace");
    await a.finish();
  });

  it("logs a throwing `new_namespace` listener and still serves the new namespace", async (t) => {
    const a = await audit(t);
    const boom = new Error("new_namespace threw");
    a.s.h.io.on("new_namespace", () => {
      throw boom;
    });
    a.s.h.io.of(/^\/dyn-\d+$/).on("connection", (socket) => {
      socket.on("echo", (v: unknown, _n: unknown, ack: (v: unknown) => void) => ack(v));
    });
    const c = await a.client("/dyn-1");
    await a.loggedError(boom);
    await a.stillServed(c);
    await a.finish();
  });
});

describe("failing listeners on engine and adapter events", () => {
  it("logs throwing io.engine `connection`, `headers` and `initial_headers` listeners; connections still open", async (t) => {
    const a = await audit(t);
    const errors = ["connection", "headers", "initial_headers"].map((ev) => {
      const boom = new Error(`engine ${ev} listener threw`);
      a.s.h.io.engine.on(ev as "connection", () => {
        throw boom;
      });
      return boom;
    });
    // Polling sends `initial_headers` and `headers`; websocket goes through the same paths on its 101.
    const polling = ioc(`http://127.0.0.1:${a.s.h.port}`, {
      forceNew: true,
      reconnection: false,
      transports: ["polling"],
    });
    t.after(() => {
      polling.disconnect();
    });
    await onceEvent(polling, "connect");
    const c = await a.client();
    for (const boom of errors) await a.loggedError(boom);
    await a.stillServed(c);
    assert.deepEqual(await polling.timeout(5000).emitWithAck("echo", "p", 1), "p");
    await a.finish();
  });

  it("logs throwing socket.conn `packet` and `close` listeners; the session carries on and closes cleanly", async (t) => {
    const a = await audit(t);
    const onPacket = new Error("conn packet listener threw");
    const onClose = new Error("conn close listener threw");
    a.s.h.io.on("connection", (socket) => {
      socket.conn.on("packet", () => {
        throw onPacket;
      });
      socket.conn.on("close", () => {
        throw onClose;
      });
    });
    const c = await a.client();
    await a.stillServed(c);
    await a.loggedError(onPacket);
    const gone = onceEvent(a.serverSocket(c), "disconnect");
    c.disconnect();
    await gone;
    await a.loggedError(onClose);
    await a.finish();
  });

  it("logs a throwing adapter `join-room` listener; the socket still connects and leaves no trace when it goes", async (t) => {
    const a = await audit(t);
    const boom = new Error("join-room listener threw");
    const adapter = a.s.h.io.of("/").adapter;
    adapter.on("join-room", (room: string) => {
      if (room === "trap") throw boom;
    });
    a.s.h.io.on("connection", (socket) => {
      void socket.join("trap");
    });
    const c = await a.client();
    await a.loggedError(boom);
    const socket = a.serverSocket(c);
    assert.ok(socket.rooms.has("trap"));
    await a.stillServed(c);
    const gone = onceEvent(socket, "disconnect");
    c.disconnect();
    await gone;
    assert.equal(adapter.rooms.get("trap"), undefined);
    assert.equal(adapter.sids.get(socket.id), undefined);
    await a.finish();
  });

  it("refuses an invalid cookie option when the server is attached, not on the first handshake", () => {
    for (const cookie of [{ name: "bad name" }, { name: "io", path: "/\r\nX-Evil: 1" }]) {
      const http = createServer();
      assert.throws(() => new Server(http, { cookie }), TypeError);
    }
  });
});
