/**
 * `tether-io/emitter`: emit to the rooms and namespaces of a Tether cluster running the Redis
 * pub/sub adapter, from any Node process (a worker, a cron job), without running a server.
 * Publishes the adapter's own cluster messages (src/adapter/cluster-message.ts) on the Redis
 * adapter's channels (src/adapters/redis/client.ts): one wire format, one channel scheme.
 * @example
 * import { createClient } from "redis";
 * import { Emitter } from "tether-io/emitter";
 * const redis = createClient({ url: "redis://localhost:6379" });
 * await redis.connect();
 * const emitter = new Emitter(redis);
 * emitter.to("room1").emit("news", { hello: "world" });
 * emitter.of("/admin").except("muted").emit("alert", 1);
 * await emitter.flush();
 */
import { randomBytes } from "node:crypto";
import {
  type ClusterMessage,
  encodeClusterMessage,
  type WireBroadcastOptions,
} from "../adapter/cluster-message.js";
import { asBuffer, publishChannel } from "../adapters/redis/client.js";
import { RESERVED_EVENTS, SocketErrorCodes } from "../protocol/socket.js";
import { TetherError } from "../shared/errors.js";

/** The slice of a node-redis v4 client the emitter uses (connected). */
export interface EmitterRedisClient {
  sendCommand<T = unknown>(args: Array<string | Buffer>): Promise<T>;
}

/** Options of {@link Emitter}; `key` and `sharded` must match the servers' adapter. */
export interface EmitterOptions {
  /** Channel prefix. @default "socket.io" */
  key?: string;
  /** Sharded pub/sub (`SPUBLISH`). @default true when the server is Redis ≥ 7, as the adapter */
  sharded?: boolean;
  /** Called when a publish fails. @default ignore */
  onError?: (err: Error) => void;
}

/** Error codes of the emitter. */
export const EmitterErrorCodes = {
  /** Acknowledgements cannot travel back to a process without a server. */
  ACK_NOT_SUPPORTED: "EMITTER_ERR_ACK_NOT_SUPPORTED",
} as const;

interface Shared {
  readonly client: EmitterRedisClient;
  readonly key: string;
  readonly uid: string;
  readonly sharded: Promise<boolean>;
  readonly pending: Set<Promise<void>>;
  readonly onError: (err: Error) => void;
}

async function detectSharded(client: EmitterRedisClient): Promise<boolean> {
  const info = await client.sendCommand<unknown>(["INFO", "server"]);
  const text = Buffer.isBuffer(info) ? info.toString() : String(info);
  const match = /redis_version:(\d+)/.exec(text);
  return match !== null && Number(match[1]) >= 7;
}

function publish(shared: Shared, message: ClusterMessage): void {
  const p = shared.sharded
    .then(async (sharded) => {
      const channel = publishChannel(shared.key, message, sharded);
      await shared.client.sendCommand([
        sharded ? "SPUBLISH" : "PUBLISH",
        channel,
        asBuffer(encodeClusterMessage(message)),
      ]);
    })
    .catch((err: unknown) => shared.onError(err instanceof Error ? err : new Error(String(err))));
  shared.pending.add(p);
  void p.finally(() => shared.pending.delete(p));
}

/** A target selection (rooms, except, flags) in one namespace. */
export class BroadcastOperator {
  readonly #shared: Shared;
  readonly #nsp: string;
  readonly #rooms: ReadonlySet<string>;
  readonly #except: ReadonlySet<string>;
  readonly #flags: { volatile?: boolean; compress?: boolean };

  /** @internal */
  constructor(
    shared: Shared,
    nsp: string,
    rooms: ReadonlySet<string> = new Set(),
    except: ReadonlySet<string> = new Set(),
    flags: { volatile?: boolean; compress?: boolean } = {},
  ) {
    this.#shared = shared;
    this.#nsp = nsp;
    this.#rooms = rooms;
    this.#except = except;
    this.#flags = flags;
  }

  #with(rooms: ReadonlySet<string>, except: ReadonlySet<string>, flags = this.#flags) {
    return new BroadcastOperator(this.#shared, this.#nsp, rooms, except, flags);
  }

  /** Targets the sockets in `room`. @example emitter.to("room").emit("hi"); */
  to(room: string | string[]): BroadcastOperator {
    return this.#with(new Set([...this.#rooms, ...[room].flat()]), this.#except);
  }

  /** Alias of {@link to}. */
  in(room: string | string[]): BroadcastOperator {
    return this.to(room);
  }

  /** Excludes the sockets in `room`. */
  except(room: string | string[]): BroadcastOperator {
    return this.#with(this.#rooms, new Set([...this.#except, ...[room].flat()]));
  }

  /** Drops the packet for clients that cannot receive it right now. */
  get volatile(): BroadcastOperator {
    return this.#with(this.#rooms, this.#except, { ...this.#flags, volatile: true });
  }

  /** Per-message compression hint. */
  compress(compress: boolean): BroadcastOperator {
    return this.#with(this.#rooms, this.#except, { ...this.#flags, compress });
  }

  #opts(): WireBroadcastOptions {
    return { rooms: [...this.#rooms], except: [...this.#except], flags: this.#flags };
  }

  #base() {
    return { uid: this.#shared.uid, nsp: this.#nsp, opts: this.#opts() };
  }

  /**
   * Emits to the targeted sockets of every server. Acknowledgements are not supported.
   * @example emitter.to("room").emit("news", data);
   */
  emit(ev: string, ...args: unknown[]): true {
    if (RESERVED_EVENTS.has(ev)) {
      throw new TetherError(SocketErrorCodes.RESERVED_EVENT, `"${ev}" is a reserved event name`);
    }
    if (typeof args[args.length - 1] === "function") {
      throw new TetherError(
        EmitterErrorCodes.ACK_NOT_SUPPORTED,
        "acknowledgements are not supported",
      );
    }
    publish(this.#shared, {
      type: "broadcast",
      ...this.#base(),
      packet: { type: 2, data: [ev, ...args] },
    });
    return true;
  }

  /** Makes the targeted sockets join `room`. */
  socketsJoin(room: string | string[]): void {
    publish(this.#shared, { type: "sockets-join", ...this.#base(), rooms: [room].flat() });
  }

  /** Makes the targeted sockets leave `room`. */
  socketsLeave(room: string | string[]): void {
    publish(this.#shared, { type: "sockets-leave", ...this.#base(), rooms: [room].flat() });
  }

  /** Disconnects the targeted sockets (`close` also closes their connections). */
  disconnectSockets(close = false): void {
    publish(this.#shared, { type: "disconnect-sockets", ...this.#base(), close });
  }
}

/**
 * Emits into a Tether cluster through Redis. `of()` selects a namespace (default `/`).
 * @example new Emitter(redis).of("/chat").to("general").emit("message", "hi");
 */
export class Emitter extends BroadcastOperator {
  readonly #shared: Shared;
  readonly #nsp: string;

  /** `shared` is internal: namespaces from {@link of} share their parent's connection state. */
  constructor(
    redisClient: EmitterRedisClient,
    opts: EmitterOptions = {},
    nsp = "/",
    shared?: Shared,
  ) {
    const state: Shared = shared ?? {
      client: redisClient,
      key: opts.key ?? "socket.io",
      uid: `emitter-${randomBytes(6).toString("hex")}`,
      sharded:
        opts.sharded === undefined
          ? detectSharded(redisClient).catch(() => false)
          : Promise.resolve(opts.sharded),
      pending: new Set(),
      onError: opts.onError ?? (() => undefined),
    };
    super(state, nsp);
    this.#shared = state;
    this.#nsp = nsp;
  }

  /** The emitter of namespace `nsp`. @example emitter.of("/admin").emit("alert"); */
  of(nsp: string): Emitter {
    const name = nsp.startsWith("/") ? nsp : `/${nsp}`;
    return new Emitter(this.#shared.client, {}, name, this.#shared);
  }

  /** Emits `ev` to the server-side listeners of every server (`io.on(ev)`); no acks. */
  serverSideEmit(ev: string, ...args: unknown[]): true {
    if (typeof args[args.length - 1] === "function") {
      throw new TetherError(
        EmitterErrorCodes.ACK_NOT_SUPPORTED,
        "acknowledgements are not supported",
      );
    }
    publish(this.#shared, {
      type: "server-side-emit",
      uid: this.#shared.uid,
      nsp: this.#nsp,
      args: [ev, ...args],
    });
    return true;
  }

  /** Resolves once every publish issued so far has completed. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.#shared.pending]);
  }
}
