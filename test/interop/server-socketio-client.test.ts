/**
 * Interop: the official `socket.io-client` against the Tether server, over WebSocket only,
 * long-polling only, and polling upgraded to WebSocket.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Socket as ClientSocket } from "socket.io-client";
import msgpackClientParser from "socket.io-msgpack-parser";
import { msgpackParser, type ServerOptions, type Socket } from "../../src/index.js";
import { waitFor } from "../helpers/wait.js";
import { type Fixture, MODES, next, startServer, type TransportMode } from "./server-harness.js";

for (const mode of MODES) {
  describe(`socket.io-client interop over ${mode}`, () => {
    let f: Fixture | undefined;
    afterEach(async () => {
      await f?.close();
      f = undefined;
    });
    const start = async (opts: ServerOptions = {}, m: TransportMode = mode) => {
      f = await startServer(opts, m);
      return f;
    };

    it("connects to the main namespace with a socket id different from the engine id", async () => {
      const { io, client } = await start();
      const serverSide = next<[Socket]>(io, "connection");
      const c = client();
      await next(c, "connect");
      const [socket] = await serverSide;
      assert.equal(c.id, socket.id);
      assert.notEqual(socket.id, socket.conn.id);
      assert.ok(socket.rooms.has(socket.id));
    });

    it("connects to a custom namespace and exposes the auth payload", async () => {
      const { io, client } = await start();
      const serverSide = next<[Socket]>(io.of("/admin"), "connection");
      const c = client("/admin", { auth: { token: "abc" }, query: { q: "1" } });
      await next(c, "connect");
      const [socket] = await serverSide;
      assert.deepEqual(socket.handshake.auth, { token: "abc" });
      assert.equal(socket.handshake.query.q, "1");
      assert.equal(socket.nsp.name, "/admin");
    });

    it("refuses a connection from middleware with the error message and data", async () => {
      const { io, client } = await start();
      io.of("/secure").use((_socket, nextFn) => {
        const err = new Error("not authorized") as Error & { data?: unknown };
        err.data = { reason: "bad token" };
        nextFn(err);
      });
      const c = client("/secure");
      const [err] = await next<[Error & { data?: unknown }]>(c, "connect_error");
      assert.equal(err.message, "not authorized");
      assert.deepEqual(err.data, { reason: "bad token" });
    });

    it("refuses an unknown namespace with 'Invalid namespace'", async () => {
      const { client } = await start();
      const [err] = await next<[Error]>(client("/nope"), "connect_error");
      assert.equal(err.message, "Invalid namespace");
    });

    it("delivers events with many arguments and acks in both directions", async () => {
      const { io, client } = await start();
      io.on("connection", (socket) => {
        socket.on("sum", (...args: unknown[]) => {
          const ack = args.pop() as (n: number) => void;
          ack((args as number[]).reduce((a, b) => a + b, 0));
        });
        socket.emit("ask", 1, "two", { three: 3 }, [4], null, true, (answer: string) => {
          socket.emit("got", answer);
        });
      });
      const c = client();
      c.on("ask", (...args: unknown[]) => {
        const ack = args.pop() as (v: string) => void;
        assert.deepEqual(args, [1, "two", { three: 3 }, [4], null, true]);
        ack("yes");
      });
      const got = next<[string]>(c, "got");
      assert.equal(await c.emitWithAck("sum", 1, 2, 3, 4, 5), 15);
      assert.deepEqual(await got, ["yes"]);
    });

    it("resolves and times out server-to-client timeout().emitWithAck", async () => {
      const { io, client } = await start();
      const c = client();
      c.on("q", (ack: (v: string) => void) => ack("pong"));
      c.on("silent", () => {});
      const [socket] = await Promise.all([
        next<[Socket]>(io, "connection"),
        next(c, "connect"),
      ]).then(([s]) => s);
      assert.equal(await socket.timeout(5000).emitWithAck("q"), "pong");
      await assert.rejects(socket.timeout(50).emitWithAck("silent"), /operation has timed out/);
    });

    it("carries binary payloads: Buffers, nested binaries and binary acks", async () => {
      const { io, client } = await start();
      io.on("connection", (socket) => {
        socket.on(
          "upload",
          (file: Buffer, meta: { parts: Buffer[] }, ack: (b: unknown) => void) => {
            ack({ size: file.length, parts: meta.parts.map((p) => p.length), echo: file });
          },
        );
        socket.emit("bin", Buffer.from([1, 2, 3]), { deep: [{ b: Buffer.from("xy") }] });
      });
      const c = client();
      const [b, nested] = await next<[ArrayBuffer | Buffer, { deep: [{ b: Buffer }] }]>(c, "bin");
      assert.deepEqual([...new Uint8Array(b)], [1, 2, 3]);
      assert.equal(Buffer.from(nested.deep[0].b).toString(), "xy");
      const reply = (await c.emitWithAck("upload", Buffer.alloc(1000, 7), {
        parts: [Buffer.alloc(2), Buffer.alloc(3)],
      })) as { size: number; parts: number[]; echo: Buffer };
      assert.equal(reply.size, 1000);
      assert.deepEqual(reply.parts, [2, 3]);
      assert.equal(Buffer.from(reply.echo).length, 1000);
    });

    it("broadcasts to rooms with except, and socket.broadcast skips the sender", async () => {
      const { io, client } = await start();
      io.on("connection", (socket) => {
        socket.on("join", (room: string, ack: () => void) => {
          socket.join(room);
          ack();
        });
        socket.on("shout", () => socket.broadcast.emit("shout", socket.id));
      });
      const [a, b, c] = [client(), client(), client()];
      await Promise.all([a, b, c].map((s) => next(s, "connect")));
      await a.emitWithAck("join", "red");
      await b.emitWithAck("join", "red");
      await b.emitWithAck("join", "vip");
      const received: string[] = [];
      for (const [name, s] of [
        ["a", a],
        ["b", b],
        ["c", c],
      ] as const) {
        s.on("news", (tag: string) => received.push(`${name}:${tag}`));
        s.on("shout", (from: string) =>
          received.push(`${name}:shout:${from === a.id ? "a" : "?"}`),
        );
      }
      io.to("red").except("vip").emit("news", "red-not-vip");
      io.except("red").emit("news", "not-red");
      a.emit("shout");
      await waitFor(() => received.length >= 4, 10_000, "broadcasts");
      assert.deepEqual(received.sort(), ["a:red-not-vip", "b:shout:a", "c:not-red", "c:shout:a"]);
    });

    it("multiplexes several namespaces over one engine connection", async () => {
      const { io, client } = await start();
      const conns: string[] = [];
      io.on("connection", (s) => conns.push(s.conn.id));
      io.of("/chat").on("connection", (s) => {
        conns.push(s.conn.id);
        s.emit("where", s.nsp.name);
      });
      const main = client("/");
      const chat = main.io.socket("/chat");
      chat.connect();
      const [where] = await next<[string]>(chat, "where");
      await waitFor(() => conns.length === 2, 10_000, "two namespace connections");
      assert.equal(where, "/chat");
      assert.equal(conns[0], conns[1]);
      chat.disconnect();
    });

    it("reports upstream's disconnect reasons on both sides", async () => {
      const { io, client } = await start();
      const reasons: string[] = [];
      io.on("connection", (socket) => {
        socket.on("disconnecting", (r: string) =>
          reasons.push(`disconnecting:${r}:${socket.rooms.size}`),
        );
        socket.on("disconnect", (r: string) => reasons.push(`server:${r}`));
        socket.on("kick", () => socket.disconnect());
      });
      const a = client();
      await next(a, "connect");
      const clientReason = next<[string]>(a, "disconnect");
      a.emit("kick");
      assert.equal((await clientReason)[0], "io server disconnect");
      const b = client();
      await next(b, "connect");
      b.disconnect();
      await waitFor(() => reasons.includes("server:client namespace disconnect"), 10_000, "reason");
      assert.ok(reasons.includes("server:server namespace disconnect"));
      assert.ok(reasons.includes("disconnecting:server namespace disconnect:1"));
      const c = client();
      await next(c, "connect");
      c.io.engine.close();
      await waitFor(() => reasons.includes("server:transport close"), 10_000, "transport close");
    });

    it("recovers the connection state after a forced transport close", async () => {
      const { io, client } = await start({
        connectionStateRecovery: { maxDisconnectionDuration: 60_000 },
      });
      let first: Socket | undefined;
      io.on("connection", (socket) => {
        if (!socket.recovered) {
          first = socket;
          socket.join("room");
          socket.data = { user: "ann" };
        } else socket.emit("restored", [...socket.rooms], socket.data);
      });
      const c: ClientSocket = client("/", {
        reconnection: true,
        reconnectionDelay: 50,
        reconnectionDelayMax: 100,
      });
      await next(c, "connect");
      const firstId = c.id;
      io.to("room").emit("msg", 1);
      await next(c, "msg");
      // Drop the transport; while the client is away, the room gets a message it must not miss.
      const gone = next(c, "disconnect");
      c.io.engine.close();
      await gone;
      await waitFor(() => first?.connected === false, 10_000, "server side disconnect");
      io.to("room").emit("msg", 2);
      const [restoredRooms, restoredData] = await next<[string[], unknown]>(c, "restored");
      assert.equal(c.recovered, true);
      assert.equal(c.id, firstId);
      assert.ok(restoredRooms.includes("room"));
      assert.deepEqual(restoredData, { user: "ann" });
      c.disconnect();
    });

    it("works with the msgpack parser on both sides", async () => {
      const { io, client } = await start({ parser: msgpackParser });
      io.on("connection", (socket) => {
        socket.on("echo", (v: unknown, ack: (v: unknown) => void) => ack(v));
        socket.emit("hi", { n: 1, b: Buffer.from([9]) });
      });
      const c = client("/", { parser: msgpackClientParser });
      const [hi] = await next<[{ n: number; b: Uint8Array }]>(c, "hi");
      assert.equal(hi.n, 1);
      assert.deepEqual([...new Uint8Array(hi.b)], [9]);
      const back = (await c.emitWithAck("echo", {
        s: "x",
        arr: [1, 2],
        bin: Buffer.from([5]),
      })) as {
        s: string;
        bin: Uint8Array;
      };
      assert.equal(back.s, "x");
      assert.deepEqual([...new Uint8Array(back.bin)], [5]);
    });
  });
}
