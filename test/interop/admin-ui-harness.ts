/**
 * Shared pieces of the `@socket.io/admin-ui` interop tests: what the Admin UI page receives, and
 * a recorder for the admin socket (official `socket.io-client`, namespace `/admin`).
 */
import type { Socket as ClientSocket } from "socket.io-client";
import { waitFor } from "../helpers/wait.js";

/** A socket as `instrument()` serializes it (the fields these tests read). */
export interface SerializedSocket {
  id: string;
  clientId?: string;
  nsp: string;
  transport?: string;
  rooms: string[];
  data: Record<string, unknown>;
  handshake: { address?: string; query: Record<string, unknown>; headers: Record<string, unknown> };
}

/** One `server_stats` message (one per node every 2 s). */
export interface ServerStats {
  serverId: string;
  clientsCount: number;
  pollingClientsCount: number;
  namespaces: { name: string; socketsCount: number }[];
  aggregatedEvents: { type: string; subType?: string; count: number }[];
}

/**
 * bcrypt hash (cost 4, enough for a test) of {@link ADMIN_PASSWORD}, as `instrument()`'s basic
 * authentication requires.
 */
export const ADMIN_PASSWORD = "s3cret-admin";
export const ADMIN_PASSWORD_HASH = "$2a$04$95UA24HTxUaeB6P3Yy4BvuDxaX1ctCUiKdtC8kvp2U0TUYNahw8yy";

/** Every event the admin socket receives, by name, in arrival order. */
export type Seen = Map<string, unknown[][]>;

/** Records every event the admin socket receives. */
export function record(admin: ClientSocket): Seen {
  const seen: Seen = new Map();
  admin.onAny((ev: string, ...args: unknown[]) => {
    const list = seen.get(ev) ?? [];
    list.push(args);
    seen.set(ev, list);
  });
  return seen;
}

/** Resolves with the first recorded `ev` whose arguments satisfy `match` (past or future). */
export async function seenEvent(
  seen: Seen,
  ev: string,
  match: (...args: never[]) => boolean,
  what = ev,
): Promise<unknown[]> {
  let found: unknown[] | undefined;
  await waitFor(
    () => {
      found = (seen.get(ev) ?? []).find((args) => (match as (...a: unknown[]) => boolean)(...args));
      return found !== undefined;
    },
    10_000,
    what,
  );
  return found as unknown[];
}

/** The node-redis v4 calls {@link callbackRedis} needs. */
interface PromiseRedis {
  exists(key: string): Promise<number>;
  multi(): {
    set(key: string, value: string): unknown;
    expire(key: string, seconds: number): unknown;
    exec(): Promise<unknown>;
  };
}

/**
 * The callback API of node-redis v3 / ioredis that the Admin UI's `RedisStore` calls
 * (`exists(key, cb)`, `multi().set(key, true).expire(key, s).exec()`), over a node-redis v4
 * client. v4's own `legacyMode` rejects the boolean `true` that `RedisStore` stores.
 */
export function callbackRedis(client: PromiseRedis, onError: (err: unknown) => void) {
  return {
    exists(key: string, cb: (err: unknown, n?: number) => void): void {
      client.exists(key).then(
        (n) => cb(null, n),
        (err: unknown) => cb(err),
      );
    },
    multi() {
      const m = client.multi();
      const chain = {
        set(key: string, value: unknown) {
          m.set(key, String(value));
          return chain;
        },
        expire(key: string, seconds: number) {
          m.expire(key, seconds);
          return chain;
        },
        exec(): void {
          m.exec().catch(onError);
        },
      };
      return chain;
    },
  };
}
