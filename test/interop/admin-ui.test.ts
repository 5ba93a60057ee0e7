/**
 * Interop: the official `@socket.io/admin-ui` `instrument(io)` on a Tether server, driven by the
 * official `socket.io-client` the way the Admin UI page drives it (namespace `/admin`).
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { instrument } from "@socket.io/admin-ui";
import type { Socket } from "../../src/index.js";
import { waitFor } from "../helpers/wait.js";
import { record, type SerializedSocket, type ServerStats, seenEvent } from "./admin-ui-harness.js";
import { type Fixture, MODES, next, startServer } from "./server-harness.js";

for (const mode of MODES) {
  describe(`@socket.io/admin-ui instrument(io) on Tether over ${mode}`, () => {
    let f: Fixture | undefined;
    afterEach(async () => {
      await f?.close();
      f = undefined;
    });

    it("shows the config, the sockets with transport and rooms, stats and received events, and disconnects a socket", async () => {
      f = await startServer({}, mode);
      const { io, client } = f;
      // The Admin UI is typed against socket.io's Server class (private members make it nominal).
      instrument(io as unknown as Parameters<typeof instrument>[0], {
        auth: false,
        mode: "development",
      });
      io.on("connection", (s: Socket) => {
        void s.join("lobby");
        s.on("hello", () => {
          s.emit("hi", "there");
        });
      });

      const user = client("/", { query: { who: "user" } });
      await next(user, "connect");
      if (mode === "upgrade")
        await waitFor(() => user.io.engine.transport.name === "websocket", 10_000, "upgrade");

      const admin = client("/admin");
      const seen = record(admin);
      const [config] = await next<[{ supportedFeatures: string[] }]>(admin, "config");
      assert.ok(config.supportedFeatures.includes("EMIT"), "features advertised");
      assert.ok(config.supportedFeatures.includes("MDISCONNECT"));
      assert.ok(config.supportedFeatures.includes("ALL_EVENTS"));

      await waitFor(() => seen.has("all_sockets"), 10_000, "all_sockets");
      const [all] = seen.get("all_sockets")?.[0] as [SerializedSocket[]];
      const userView = all.find((s) => s.id === user.id);
      assert.ok(userView, "the user socket is listed");
      assert.equal(userView.nsp, "/");
      assert.equal(userView.transport, mode === "polling" ? "polling" : "websocket");
      assert.deepEqual(new Set(userView.rooms), new Set([user.id, "lobby"]));
      assert.equal(userView.handshake.query.who, "user");
      // What serialize() copies from socket.handshake, and the engine client's id.
      const hs = userView.handshake as unknown as Record<string, unknown>;
      assert.equal(hs.address, "127.0.0.1");
      assert.equal(typeof hs.time, "string");
      assert.equal(typeof hs.issued, "number");
      assert.equal(hs.secure, false);
      assert.equal(hs.xdomain, false);
      assert.match(String(hs.url), /^\/socket\.io\/\?/);
      assert.equal(typeof userView.clientId, "string");

      // A new socket while the admin watches: socket_connected, then event_received.
      const second = client("/", { query: { who: "second" } });
      await next(second, "connect");
      second.emit("hello", "world", 42);
      await waitFor(
        () =>
          (seen.get("event_received") ?? []).some(
            ([nsp, id, args]) => nsp === "/" && id === second.id && Array.isArray(args),
          ),
        10_000,
        "event_received",
      );
      const received = (seen.get("event_received") ?? []).find(([, id]) => id === second.id);
      assert.deepEqual(received?.[2], ["hello", "world", 42]);
      const [, , sent] = await seenEvent(seen, "event_sent", (_n: string, id: string) => {
        return id === second.id;
      });
      assert.deepEqual(sent, ["hi", "there"]);
      assert.ok(
        (seen.get("socket_connected") ?? []).some(
          ([s]) => (s as SerializedSocket).id === second.id,
        ),
      );
      assert.ok(
        (seen.get("room_joined") ?? []).some(([nsp, room]) => nsp === "/" && room === "lobby"),
      );

      // server_stats: sent at once and every 2 s; wait for one that counts both clients' traffic.
      await waitFor(
        () =>
          (seen.get("server_stats") ?? []).some(([s]) => {
            const st = s as ServerStats;
            return (
              st.clientsCount === 3 &&
              st.aggregatedEvents.some((e) => e.type === "packetsIn" && e.count > 0) &&
              st.aggregatedEvents.some((e) => e.type === "bytesOut" && e.count > 0)
            );
          }),
        10_000,
        "server_stats with traffic",
      );
      const stats = (seen.get("server_stats") ?? []).at(-1)?.[0] as ServerStats;
      const root = stats.namespaces.find((n) => n.name === "/");
      assert.equal(root?.socketsCount, 2);
      assert.ok(stats.namespaces.some((n) => n.name === "/admin"));
      if (mode === "polling") assert.ok(stats.pollingClientsCount >= 2);

      // "Join" / "Leave" on a socket's page: `join` / `leave` with the socket id as the filter.
      const secondId = second.id as string;
      admin.emit("join", "/", "vip", secondId);
      await seenEvent(seen, "room_joined", (_n: string, room: string, id: string) => {
        return room === "vip" && id === secondId;
      });
      assert.ok(io.of("/").sockets.get(secondId)?.rooms.has("vip"));
      admin.emit("leave", "/", "vip", secondId);
      await seenEvent(seen, "room_left", (_n: string, room: string, id: string) => {
        return room === "vip" && id === secondId;
      });
      assert.equal(io.of("/").sockets.get(secondId)?.rooms.has("vip"), false);

      // "Disconnect" button: `_disconnect` with the socket id as the filter.
      const userId = user.id;
      const gone = next<[string]>(user, "disconnect");
      admin.emit("_disconnect", "/", false, userId);
      const [reason] = await gone;
      assert.equal(reason, "io server disconnect");
      await waitFor(
        () => (seen.get("socket_disconnected") ?? []).some(([, id]) => id === userId),
        10_000,
        "socket_disconnected",
      );
    });

    it("watches namespaces created after instrument() and follows transport upgrades", async () => {
      f = await startServer({}, mode);
      const { io, client } = f;
      instrument(io as unknown as Parameters<typeof instrument>[0], {
        auth: false,
        mode: "development",
      });
      const admin = client("/admin");
      const seen = record(admin);
      await next(admin, "connect");

      // "new_namespace": the admin UI registers its listeners on namespaces created later.
      io.of("/late").on("connection", (s: Socket) => {
        void s.join("late-room");
      });
      const late = client("/late");
      await next(late, "connect");
      const lateId = late.id as string;
      await seenEvent(seen, "socket_connected", (s: SerializedSocket) => {
        return s.id === lateId && s.nsp === "/late";
      });
      await seenEvent(seen, "room_joined", (nsp: string, room: string) => {
        return nsp === "/late" && room === "late-room";
      });
      await seenEvent(seen, "server_stats", (s: ServerStats) => {
        return s.namespaces.some((n) => n.name === "/late" && n.socketsCount === 1);
      });

      if (mode === "upgrade") {
        // socket.conn's "upgrade" event: socket_updated with the new transport, and the
        // polling client count (engine "connection" + rawSocket "upgrade") back to 0.
        await seenEvent(seen, "socket_updated", (s: Partial<SerializedSocket>) => {
          return s.id === lateId && s.transport === "websocket";
        });
        await seenEvent(seen, "server_stats", (s: ServerStats) => {
          return s.clientsCount === 2 && s.pollingClientsCount === 0;
        });
      }

      // rawSocket "close" with its reason: rawDisconnection in the aggregated events.
      late.io.engine.close();
      await seenEvent(seen, "socket_disconnected", (nsp: string, id: string, reason: string) => {
        return nsp === "/late" && id === lateId && reason === "transport close";
      });
      await seenEvent(seen, "server_stats", (s: ServerStats) => {
        return s.aggregatedEvents.some(
          (e) => e.type === "rawDisconnection" && e.subType === "transport close",
        );
      });
    });

    it("an emit operation with a non-string event name reaches no client and drops none", async () => {
      f = await startServer({}, mode);
      const { io, client } = f;
      instrument(io as unknown as Parameters<typeof instrument>[0], {
        auth: false,
        mode: "development",
      });
      const user = client("/");
      await next(user, "connect");
      const dropped: string[] = [];
      user.on("disconnect", (reason) => dropped.push(reason));
      const got: unknown[][] = [];
      user.onAny((...args: unknown[]) => got.push(args));
      const admin = client("/admin");
      await next(admin, "connect");
      const reported: unknown[] = [];
      const consoleError = console.error;
      console.error = (...args: unknown[]) => reported.push(args);
      try {
        for (const ev of [null, true, {}, [], ["x"], { toString: "x" }]) {
          admin.emit("emit", "/", null, ev, "payload");
          admin.emit("emit", "/", "", ev);
        }
        admin.emit("emit", "/", null, "fine", "payload");
        const [fine] = await next<[string]>(user, "fine");
        assert.equal(fine, "payload");
        assert.equal(reported.length, 12, "each malformed operation was reported");
      } finally {
        console.error = consoleError;
      }
      assert.deepEqual(got, [["fine", "payload"]]);
      assert.deepEqual(dropped, []);
    });
  });
}
