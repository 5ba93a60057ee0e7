/**
 * Interop: the official `@socket.io/admin-ui` on a Tether cluster — two Tether nodes on Tether's
 * own Redis adapter, `instrument()` on each with basic authentication and the Admin UI's
 * `RedisStore` (sessions shared by the nodes), all on a private `redis-server`. An admin socket
 * (official `socket.io-client`, namespace `/admin`, as the Admin UI page connects) on one node
 * sees and drives the sockets of both.
 */
import assert from "node:assert/strict";
import { createServer, type Server as HttpServer } from "node:http";
import { after, before, describe, it } from "node:test";
import { instrument, RedisStore } from "@socket.io/admin-ui";
import { createClient } from "redis";
import { type Socket as ClientSocket, io as ioc } from "socket.io-client";
import { createAdapter } from "../../src/adapters/redis/index.js";
import { Server } from "../../src/index.js";
import { type RedisInstance, redisMissing, startRedis } from "../adapters/redis-server.js";
import { closeServer, listen } from "../helpers/wait.js";
import {
  ADMIN_PASSWORD,
  ADMIN_PASSWORD_HASH,
  callbackRedis,
  record,
  type SerializedSocket,
  type ServerStats,
  seenEvent,
} from "./admin-ui-harness.js";
import { next } from "./server-harness.js";

interface Node {
  readonly name: string;
  readonly io: Server;
  readonly http: HttpServer;
  readonly url: string;
  close(): Promise<void>;
}

describe(
  "@socket.io/admin-ui on a two-node Tether cluster over Redis",
  { skip: redisMissing },
  () => {
    let redis: RedisInstance;
    let east: Node;
    let west: Node;
    const clients: ClientSocket[] = [];
    const storeErrors: unknown[] = [];

    async function startNode(name: string): Promise<Node> {
      const pub = createClient({ url: redis.url });
      const sub = pub.duplicate();
      const sessions = pub.duplicate();
      await Promise.all([pub.connect(), sub.connect(), sessions.connect()]);
      const http = createServer();
      const io = new Server(http, { adapter: createAdapter(pub, sub) });
      instrument(io as unknown as Parameters<typeof instrument>[0], {
        auth: { type: "basic", username: "admin", password: ADMIN_PASSWORD_HASH },
        mode: "development",
        serverId: name,
        store: new RedisStore(callbackRedis(sessions, (err) => storeErrors.push(err))),
      });
      io.on("connection", (socket) => {
        void socket.join("lobby");
        socket.on("hello", () => {
          socket.emit("hi", name);
        });
      });
      const port = await listen(http);
      return {
        name,
        io,
        http,
        url: `http://127.0.0.1:${port}`,
        async close() {
          await io.close();
          await closeServer(http);
          await Promise.all([pub.quit(), sub.quit(), sessions.quit()]);
        },
      };
    }

    function client(node: Node, nsp = "/", auth?: Record<string, unknown>): ClientSocket {
      const s = ioc(`${node.url}${nsp}`, {
        forceNew: true,
        reconnection: false,
        transports: ["websocket"],
        ...(auth ? { auth } : {}),
      });
      clients.push(s);
      return s;
    }

    before(async () => {
      redis = await startRedis();
      [east, west] = await Promise.all([startNode("east"), startNode("west")]);
    });
    after(async () => {
      for (const c of clients) c.disconnect();
      await Promise.all([east?.close(), west?.close()]);
      await redis?.dispose();
    });

    it("an admin on one node lists, watches and drives the sockets of both nodes", async () => {
      const early = client(west);
      await next(early, "connect");

      const admin = client(east, "/admin", { username: "admin", password: ADMIN_PASSWORD });
      const seen = record(admin);
      await next(admin, "connect");

      // all_sockets comes from fetchSockets() across the cluster, with the admin UI's own
      // `socket.data._admin` (transport, client id) carried over from the other node.
      const [all] = (await seenEvent(seen, "all_sockets", () => true)) as [SerializedSocket[]];
      const remote = all.find((s) => s.id === early.id);
      assert.ok(remote, "the socket on the other node is listed");
      assert.equal(remote.nsp, "/");
      assert.equal(remote.transport, "websocket");
      assert.equal(typeof remote.clientId, "string");
      assert.deepEqual(new Set(remote.rooms), new Set([early.id, "lobby"]));
      assert.equal(remote.handshake.address, "127.0.0.1");

      // Each node reports its own stats to the admin socket, through the adapter.
      await seenEvent(seen, "server_stats", (s: ServerStats) => s.serverId === "east");
      await seenEvent(seen, "server_stats", (s: ServerStats) => s.serverId === "west");

      // A socket connecting on the other node while the admin watches.
      const late = client(west);
      await next(late, "connect");
      const lateId = late.id as string;
      await seenEvent(seen, "socket_connected", (s: SerializedSocket) => s.id === lateId);
      await seenEvent(seen, "room_joined", (nsp: string, room: string, id: string) => {
        return nsp === "/" && room === "lobby" && id === lateId;
      });
      const hi = next<[string]>(late, "hi");
      late.emit("hello", "from", "west");
      assert.deepEqual(await hi, ["west"]);
      const [, , received] = await seenEvent(seen, "event_received", (_n: string, id: string) => {
        return id === lateId;
      });
      assert.deepEqual(received, ["hello", "from", "west"]);
      const [, , sent] = await seenEvent(seen, "event_sent", (_n: string, id: string) => {
        return id === lateId;
      });
      assert.deepEqual(sent, ["hi", "west"]);

      // The "join" / "leave" / "disconnect" buttons, aimed at a socket on the other node.
      const westSocket = () => west.io.of("/").sockets.get(lateId);
      admin.emit("join", "/", "vip", lateId);
      await seenEvent(seen, "room_joined", (_n: string, room: string, id: string) => {
        return room === "vip" && id === lateId;
      });
      assert.ok(westSocket()?.rooms.has("vip"));
      admin.emit("leave", "/", "vip", lateId);
      await seenEvent(seen, "room_left", (_n: string, room: string, id: string) => {
        return room === "vip" && id === lateId;
      });
      assert.equal(westSocket()?.rooms.has("vip"), false);

      const gone = next<[string]>(late, "disconnect");
      admin.emit("_disconnect", "/", false, lateId);
      assert.equal((await gone)[0], "io server disconnect");
      await seenEvent(seen, "socket_disconnected", (_n: string, id: string) => id === lateId);
      assert.equal(early.connected, true, "only the targeted socket was disconnected");
    });

    it("a session opened on one node is accepted by the other (RedisStore)", async () => {
      const first = client(east, "/admin", { username: "admin", password: ADMIN_PASSWORD });
      // The middleware emits "session" before the CONNECT; the client delivers it just after.
      const [[sessionId]] = await Promise.all([
        next<[string]>(first, "session"),
        next(first, "connect"),
      ]);
      // saveSession() does not wait for Redis: wait for the key before using it elsewhere.
      const probe = createClient({ url: redis.url });
      await probe.connect();
      for (let i = 0; i < 200 && (await probe.exists(`socket.io-admin#${sessionId}`)) !== 1; i++) {
        await new Promise<void>((r) => setImmediate(r));
      }
      await probe.quit();

      const resumed = client(west, "/admin", { sessionId });
      await next(resumed, "connect");
      const refused = client(west, "/admin", { username: "admin", password: "wrong" });
      const [err] = await next<[Error]>(refused, "connect_error");
      assert.equal(err.message, "invalid credentials");
      const forged = client(west, "/admin", { sessionId: "0123456789abcdef" });
      const [err2] = await next<[Error]>(forged, "connect_error");
      assert.equal(err2.message, "invalid credentials");
      assert.deepEqual(storeErrors, []);
    });

    it("malformed operation arguments from the admin namespace crash no node and disconnect no client", async () => {
      const fails: unknown[] = [];
      const onProcessError = (err: unknown) => fails.push(err);
      process.on("uncaughtException", onProcessError);
      process.on("unhandledRejection", onProcessError);
      const reported: unknown[] = [];
      const consoleError = console.error;
      console.error = (...args: unknown[]) => reported.push(args);
      try {
        const user = client(west);
        await next(user, "connect");
        const dropped: string[] = [];
        user.on("disconnect", (reason) => dropped.push(reason));
        const admin = client(east, "/admin", { username: "admin", password: ADMIN_PASSWORD });
        const seen = record(admin);
        await next(admin, "connect");

        const junk: unknown[] = [
          null,
          1,
          true,
          {},
          [],
          [null, 2],
          { toString: 1 },
          { __proto__: { polluted: 1 } },
          "connect",
          "disconnect",
          "__proto__",
          Buffer.from([1, 2]),
        ];
        for (const a of junk) {
          for (const b of junk) {
            admin.emit("emit", a, b, b, b);
            admin.emit("emit", "/", b, a);
            admin.emit("join", a, b, b);
            admin.emit("join", "/", a, "nobody");
            admin.emit("leave", a, b, b);
            admin.emit("_disconnect", a, b, "nobody");
          }
        }
        // A well-formed operation after the junk still works, on the other node.
        const userId = user.id as string;
        admin.emit("join", "/", "after-junk", userId);
        await seenEvent(seen, "room_joined", (_n: string, room: string, id: string) => {
          return room === "after-junk" && id === userId;
        });
        const ping = next<[string]>(user, "still-there");
        east.io.to("after-junk").emit("still-there", "yes");
        assert.deepEqual(await ping, ["yes"]);

        assert.deepEqual(fails, [], "no uncaught exception or unhandled rejection");
        assert.deepEqual(dropped, [], "the user socket was never disconnected");
        assert.equal(admin.connected, true);
        const rooms = [...(west.io.of("/").sockets.get(userId)?.rooms ?? [])];
        assert.ok(
          rooms.every((r) => typeof r === "string"),
          `rooms are strings: ${JSON.stringify(rooms)}`,
        );
        assert.ok(reported.length > 0, "the failed operations were reported, not swallowed");
      } finally {
        console.error = consoleError;
        process.off("uncaughtException", onProcessError);
        process.off("unhandledRejection", onProcessError);
      }
    });
  },
);
