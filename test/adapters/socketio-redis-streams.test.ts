/**
 * socket.io's own Redis Streams adapter (`@socket.io/redis-streams-adapter`) running unchanged
 * inside Tether nodes, on a private redis-server: the shared adapter suite, and connection state
 * recovery across nodes (the session the adapter stores in Redis when a node shuts down is
 * restored, with the packets missed meanwhile, by another node).
 */
import { describe, it } from "node:test";
import { adapterSuite } from "./adapter-suite.js";
import { type NodeHandle, waitForServerCount } from "./harness.js";
import { closeSetsAfterEach } from "./node-sets.js";
import { expectRecoveryOnAnotherNode } from "./recovery-check.js";
import { redisMissing } from "./redis-server.js";
import { socketIoRedisBackend } from "./socketio-backends.js";

const backend = socketIoRedisBackend(
  "socket.io Redis Streams adapter in Tether",
  "sio-redis-streams",
);

adapterSuite(backend);

describe(
  "connection state recovery across nodes (socket.io Redis Streams adapter in Tether)",
  {
    skip: redisMissing,
  },
  () => {
    const track = closeSetsAfterEach();

    it("restores the session and missed packets of a client whose node shut down, on another node", async () => {
      const set = track(await backend.start(2, { RECOVERY: "1" }));
      await waitForServerCount(set.nodes, 2);
      const [survivor, closing] = set.nodes as [NodeHandle, NodeHandle];
      await expectRecoveryOnAnotherNode(closing, survivor, set.redis?.url ?? "", "close");
    });
  },
);
