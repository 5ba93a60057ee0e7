/**
 * Interop: the official `@socket.io/admin-ui` `instrument(io)` on a Tether server, driven by the
 * official `socket.io-client` the way the Admin UI page drives it (namespace `/admin`).
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { instrument } from "@socket.io/admin-ui";
import type { Socket as ClientSocket } from "socket.io-client";
import type { Socket } from "../../src/index.js";
import { waitFor } from "../helpers/wait.js";
import { type Fixture, MODES, next, startServer } from "./server-harness.js";

interface SerializedSocket {
  id: string;
  nsp: string;
  transport?: string;
  rooms: string[];
  handshake: { query: Record<string, unknown> };
}
interface ServerStats {
  clientsCount: number;
  pollingClientsCount: number;
  namespaces: { name: string; socketsCount: number }[];
  aggregatedEvents: { type: string; subType?: string; count: number }[];
}

/** Collects every event the admin socket receives, by name. */
function record(admin: ClientSocket): Map<string, unknown[][]> {
  const seen = new Map<string, unknown[][]>();
  admin.onAny((ev: string, ...args: unknown[]) => {
    const list = seen.get(ev) ?? [];
    list.push(args);
    seen.set(ev, list);
  });
  return seen;
}

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
        s.on("hello", () => {});
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
  });
}
