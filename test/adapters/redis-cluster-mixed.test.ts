/**
 * Mixed clusters on a real Redis Cluster: an official socket.io node (the `socket.io` package
 * with `@socket.io/redis-adapter`'s sharded adapter, or `@socket.io/redis-streams-adapter`, on
 * node-redis `createCluster` clients, run in the test process) and a Tether node (its own
 * process) on one cluster and key count each other and exchange broadcasts, room broadcasts and
 * `fetchSockets` both ways.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, it } from "node:test";
import { createCluster } from "redis";
import { Server } from "socket.io";
import { eventually } from "../helpers/wait.js";
import { closeClients, connectClient, type NodeHandle, waitForServerCount } from "./harness.js";
import {
  type ClusterNodeSet,
  redisClusterMissing,
  startClusterNodes,
} from "./redis-cluster-server.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  closeClients();
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

type Flavour = "sharded" | "streams";

/** An official socket.io node on the cluster of `set`, in this process. */
async function officialNode(set: ClusterNodeSet, flavour: Flavour) {
  const pub = createCluster({ rootNodes: set.cluster.rootNodes });
  pub.on("error", () => undefined);
  await pub.connect();
  const clients = [pub];
  let adapter: unknown;
  if (flavour === "sharded") {
    const { createShardedAdapter } = await import("@socket.io/redis-adapter");
    const sub = pub.duplicate();
    sub.on("error", () => undefined);
    await sub.connect();
    clients.push(sub);
    adapter = createShardedAdapter(pub, sub, { channelPrefix: set.keyPrefix });
  } else {
    const { createAdapter } = await import("@socket.io/redis-streams-adapter");
    adapter = createAdapter(pub, {
      streamName: set.keyPrefix,
      sessionKeyPrefix: `${set.keyPrefix}:session:`,
      heartbeatInterval: 250,
      heartbeatTimeout: 1500,
    });
  }
  const http = createServer();
  const io = new Server(http, { adapter: adapter as never });
  io.on("connection", (socket) => {
    socket.data = { node: "official" };
    socket.on("join", async (room: string, cb: () => void) => {
      await socket.join(room);
      cb();
    });
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", () => r()));
  cleanups.push(async () => {
    await new Promise<void>((r) => io.close(() => r()));
    // quit, not disconnect: the official adapters leave some command promises unobserved
    // (e.g. SUNSUBSCRIBE on close), which disconnect would reject unhandled.
    await Promise.all(clients.map((c) => c.quit().catch(() => undefined)));
  });
  return { io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

for (const flavour of ["sharded", "streams"] as const) {
  const official =
    flavour === "sharded"
      ? "@socket.io/redis-adapter (sharded)"
      : "@socket.io/redis-streams-adapter";
  describe(
    `a Redis Cluster shared by Tether and ${official}`,
    { skip: redisClusterMissing },
    () => {
      it("counts both nodes, and broadcasts, room broadcasts and fetchSockets reach across", async () => {
        const set = await startClusterNodes(flavour === "sharded" ? "redis" : "redis-streams", 1);
        cleanups.push(() => set.close());
        const tether = set.nodes[0] as NodeHandle;
        const sio = await officialNode(set, flavour);

        await waitForServerCount([tether], 2);
        await eventually(
          () => sio.io.of("/").adapter.serverCount(),
          (n) => n === 2,
          "the official node counting 2 nodes",
        );
        const onTether = await connectClient(tether.url);
        const onOfficial = await connectClient(sio.url);

        await tether.call("emit", { ev: "from-tether", payload: 1 });
        sio.io.emit("from-official", 2);
        for (const c of [onTether, onOfficial]) {
          assert.deepEqual((await c.waitFor("from-tether"))[0], [1]);
          assert.deepEqual((await c.waitFor("from-official"))[0], [2]);
        }

        await onTether.call("join", "mixed");
        await onOfficial.call("join", "mixed");
        // The official sharded adapter subscribes a new room's channel without waiting for Redis:
        // broadcast until its client has one.
        await eventually(
          async () => {
            await tether.call("emit", { rooms: ["mixed"], ev: "room" });
            await new Promise((r) => setTimeout(r, 50));
            return onOfficial.received("room").length;
          },
          (n) => n > 0,
          "a room broadcast from Tether on the official node",
        );
        sio.io.to("mixed").emit("room-back", 3);
        assert.deepEqual((await onTether.waitFor("room-back"))[0], [3]);

        const ids = [onTether.socket.id, onOfficial.socket.id].sort();
        const fromTether = await tether.call<{ sockets: Array<{ id: string }> }>("fetchSockets");
        assert.deepEqual(fromTether.sockets.map((s) => s.id).sort(), ids);
        const fromOfficial = await sio.io.fetchSockets();
        assert.deepEqual(fromOfficial.map((s) => s.id).sort(), ids);
      });
    },
  );
}
