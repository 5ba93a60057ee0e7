/**
 * Backend descriptors for socket.io's own adapters (the official packages) running inside Tether
 * nodes through the compat bridge: Redis classic / sharded / Streams on a private redis-server,
 * PostgreSQL on a private cluster, `@socket.io/cluster-adapter` under node:cluster.
 */
import cluster from "node:cluster";
import { setupPrimary as setupSocketIoPrimary } from "@socket.io/cluster-adapter";
import pg from "pg";
import { type Backend, forkNodes, forkWorkers, randomPrefix } from "./harness.js";
import { forkOnPrivateServer } from "./node-sets.js";
import { pgMissing, startPostgres } from "./postgres-server.js";
import { privateRedisBackend } from "./redis-backend.js";

/** An official Redis adapter (`sio-redis`, `sio-redis-sharded`, `sio-redis-streams`) in Tether. */
export function socketIoRedisBackend(
  name: string,
  backend: "sio-redis" | "sio-redis-sharded" | "sio-redis-streams",
): Backend {
  return privateRedisBackend(name, backend, backend === "sio-redis-streams");
}

/** `@socket.io/postgres-adapter` in Tether, on a private PostgreSQL cluster. */
export function socketIoPostgresBackend(): Backend {
  return {
    name: "socket.io PostgreSQL adapter in Tether",
    crossNode: true,
    recoveryAcrossNodes: false,
    skip: pgMissing,
    async start(count, env = {}) {
      const db = await startPostgres();
      // The table for payloads over NOTIFY's limit or with binary (the package's README schema).
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      await client.query(
        "CREATE TABLE IF NOT EXISTS socket_io_attachments (id bigserial UNIQUE, created_at timestamptz DEFAULT NOW(), payload bytea)",
      );
      await client.end();
      return forkOnPrivateServer(db, () =>
        forkNodes("sio-postgres", count, { PG_URL: db.url, KEY_PREFIX: randomPrefix(), ...env }),
      );
    },
  };
}

/** `@socket.io/cluster-adapter` in Tether workers, its `setupPrimary()` in this process. */
export function socketIoClusterBackend(): Backend {
  return {
    name: "socket.io cluster adapter in Tether (node:cluster)",
    crossNode: true,
    recoveryAcrossNodes: false,
    start: (count, env = {}) =>
      forkWorkers(count, env, {
        backend: "sio-cluster",
        setup: () => {
          // The official primary side registers listeners on `cluster` and has no teardown:
          // the ones it added are removed when the node set closes.
          const before = new Set(cluster.listeners("message"));
          setupSocketIoPrimary();
          const added = cluster.listeners("message").filter((l) => !before.has(l));
          return () => {
            for (const l of added) cluster.off("message", l as (...a: unknown[]) => void);
          };
        },
      }),
  };
}
