/**
 * Tether's Socket.IO client against real servers (the official `socket.io`, and Tether's own
 * when available), over polling only, websocket only, and polling upgraded to websocket.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import type { Socket as ServerSocket } from "socket.io";
import {
  io,
  type ManagerOptions,
  type Socket,
  type SocketOptions,
} from "../../src/client/index.js";
import { onceEvent, waitFor } from "../helpers/wait.js";
import { serverKinds, type TestServer } from "./client-servers.js";

const modes: Record<string, Partial<ManagerOptions>> = {
  polling: { transports: ["polling"] },
  websocket: { transports: ["websocket"] },
  upgrade: {},
};

const kinds = await serverKinds();

for (const kind of kinds) {
  for (const [mode, transportOpts] of Object.entries(modes)) {
    describe(`client against ${kind.name} over ${mode}`, () => {
      let server: TestServer;
      const clients: Socket[] = [];
      const connect = (nsp = "/", opts: Partial<ManagerOptions> & SocketOptions = {}) => {
        const s = io(server.url + nsp, { forceNew: true, ...transportOpts, ...opts });
        clients.push(s);
        return s;
      };
      const connected = async (s: Socket) => {
        if (!s.connected) await onceEvent(s, "connect");
        if (mode === "upgrade")
          await waitFor(() => s.io.engine?.transport?.name === "websocket", 10_000, "upgrade");
        return s;
      };

      before(async () => {
        server = await kind.start({
          connectionStateRecovery: { maxDisconnectionDuration: 10_000 },
        });
      });
      afterEach(async () => {
        const closing = clients.splice(0);
        for (const c of closing) {
          c.io.reconnection(false);
          c.disconnect();
          c.io.engine?.close();
        }
        // A polling close is a POST: let it reach the server before the next step stops it.
        await waitFor(
          () => closing.every((c) => c.io.engine?.readyState === "closed"),
          10_000,
          "clients closed",
        );
        server.io.removeAllListeners("connection");
        server.io.of("/admin").removeAllListeners("connection");
      });
      after(() => server.stop());

      test("connects to several namespaces over one shared connection", async () => {
        server.io.of("/admin").on("connection", () => {});
        const main = io(server.url, { forceNew: true, ...transportOpts });
        clients.push(main);
        const admin = main.io.socket("/admin");
        clients.push(admin);
        await Promise.all([connected(main), connected(admin)]);
        assert.equal(main.io, admin.io);
        assert.notEqual(main.id, admin.id);
        assert.equal(typeof main.id, "string");
        assert.equal(main.io.engine?.transport?.name, mode === "polling" ? "polling" : "websocket");
      });

      test("sends the auth object in CONNECT and the server sees it", async () => {
        const seen = new Promise<unknown>((r) =>
          server.io.once("connection", (s) => r(s.handshake.auth)),
        );
        await connected(connect("/", { auth: { token: "abc" } }));
        assert.deepEqual(await seen, { token: "abc" });
      });

      test("delivers acknowledgements both ways, with binary anywhere in the arguments", async () => {
        let serverSocket: ServerSocket | undefined;
        server.io.once("connection", (s) => {
          serverSocket = s;
          s.on("sum", (a: number, b: number, cb: (r: unknown) => void) =>
            cb({ sum: a + b, bytes: Buffer.from([a, b]) }),
          );
          s.on("echo-bin", (data: Buffer, cb: (...r: unknown[]) => void) => cb(data.length, data));
        });
        const s = await connected(connect());
        const reply = (await s.emitWithAck("sum", 2, 3)) as { sum: number; bytes: Uint8Array };
        assert.equal(reply.sum, 5);
        assert.deepEqual([...reply.bytes], [2, 3]);
        const [len, back] = await new Promise<[number, Uint8Array]>((r) =>
          s.emit("echo-bin", new Uint8Array([7, 8, 9]), (n: number, b: Uint8Array) => r([n, b])),
        );
        assert.equal(len, 3);
        assert.deepEqual([...back], [7, 8, 9]);
        s.on("question", (q: string, cb: (a: string) => void) => cb(`${q}!`));
        assert.ok(serverSocket);
        const answer = await serverSocket.timeout(5000).emitWithAck("question", "why");
        assert.equal(answer, "why!");
      });

      test("receives room broadcasts only in the rooms the server joined it to", async () => {
        server.io.on("connection", (s) => {
          s.on("join", (room: string, cb: () => void) => {
            void s.join(room);
            cb();
          });
        });
        const a = await connected(connect());
        const b = await connected(connect());
        await a.emitWithAck("join", "red");
        const gotA = onceEvent<[string]>(a, "news");
        let bGot = false;
        b.on("news", () => {
          bGot = true;
        });
        server.io.to("red").emit("news", "for red");
        // Connection state recovery appends an offset argument; the payload comes first.
        assert.equal((await gotA)[0], "for red");
        server.io.emit("news", "for all");
        await onceEvent(b, "news");
        assert.equal(bGot, true);
        const [bArg] = (await new Promise<unknown[]>((r) => {
          b.once("news", (...x: unknown[]) => r(x));
          server.io.emit("news", "again");
        })) as [string];
        assert.equal(bArg, "again");
      });

      test("reports middleware refusals as connect_error with err.data and stays inactive", async () => {
        server.io.of("/secure").use((_s, next) => {
          next(Object.assign(new Error("not authorized"), { data: { reason: "bad token" } }));
        });
        const s = connect("/secure");
        const [err] = await onceEvent<[Error & { data?: unknown }]>(s, "connect_error");
        assert.equal(err.message, "not authorized");
        assert.deepEqual(err.data, { reason: "bad token" });
        assert.equal(s.active, false);
        assert.equal(s.connected, false);
      });

      test("gets 'io server disconnect' when the server disconnects it, and does not reconnect", async () => {
        server.io.once("connection", (s) => s.on("kick", () => s.disconnect()));
        const s = await connected(connect());
        s.emit("kick");
        const [reason] = await onceEvent<[string]>(s, "disconnect");
        assert.equal(reason, "io server disconnect");
        assert.equal(s.active, false);
      });

      test("gets 'io client disconnect' on disconnect() and the server sees a client disconnect", async () => {
        const serverReason = new Promise<string>((r) =>
          server.io.once("connection", (s) => s.on("disconnect", (reason) => r(reason))),
        );
        const s = await connected(connect());
        const mine = onceEvent<[string]>(s, "disconnect");
        s.disconnect();
        assert.equal((await mine)[0], "io client disconnect");
        assert.equal(await serverReason, "client namespace disconnect");
      });

      test("restores its session after a transport close (connection state recovery)", async () => {
        server.io.on("connection", (s) => {
          void s.join("room");
        });
        const s = await connected(
          connect("/", { reconnectionDelay: 50, reconnectionDelayMax: 100 }),
        );
        const firstId = s.id;
        assert.equal(s.recovered, false);
        const hello = onceEvent<unknown[]>(s, "hello");
        server.io.emit("hello", 1);
        await hello;
        const serverSocket = server.io.sockets.sockets.get(s.id ?? "");
        assert.ok(serverSocket);
        const gone = onceEvent<[string]>(s, "disconnect");
        serverSocket.conn.close();
        assert.equal((await gone)[0], "transport close");
        server.io.to("room").emit("missed", 2);
        const missed = onceEvent<unknown[]>(s, "missed", 15_000);
        await onceEvent(s, "connect", 15_000);
        assert.equal(s.recovered, true);
        assert.equal(s.id, firstId);
        assert.equal((await missed)[0], 2);
      });

      test("calls onAny / onAnyOutgoing listeners and times out unanswered acks", async () => {
        server.io.once("connection", (s) => s.emit("greet", "hi"));
        const s = connect();
        const incoming: unknown[] = [];
        const outgoing: unknown[] = [];
        s.onAny((...a) => incoming.push(a));
        s.onAnyOutgoing((...a) => outgoing.push(a));
        await onceEvent(s, "greet");
        assert.deepEqual((incoming[0] as unknown[]).slice(0, 2), ["greet", "hi"]);
        await assert.rejects(s.timeout(100).emitWithAck("nobody-answers", 1), /timed out/);
        assert.deepEqual(outgoing[0], ["nobody-answers", 1]);
      });
    });
  }
}
