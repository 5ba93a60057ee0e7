/**
 * `tether-io/emitter`: emit to the rooms and namespaces of a cluster running a Redis pub/sub
 * adapter (Tether's or socket.io's), from any Node process (a worker, a cron job), without
 * running a server. Publishes what `@socket.io/redis-emitter` publishes: socket.io's classic
 * Redis protocol (src/adapters/redis/classic-protocol.ts) under the sender id `emitter`; with
 * `sharded: true`, socket.io's sharded protocol for `createShardedAdapter` clusters.
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
import type { ClusterMessage, WireBroadcastOptions } from "../adapter/cluster-message.js";
import { classicChannels, encodeClassic } from "../adapters/redis/classic-protocol.js";
import {
  encodeSharded,
  type SubscriptionMode,
  shardedChannel,
} from "../adapters/redis/sharded-adapter.js";
import { RESERVED_EVENTS, SocketErrorCodes } from "../protocol/socket.js";
import { TetherError } from "../shared/errors.js";

/** The slice of a node-redis v4 client the emitter uses (connected). */
export interface EmitterRedisClient {
  sendCommand<T = unknown>(args: Array<string | Buffer>): Promise<T>;
}

/** Options of {@link Emitter}; `key`, `sharded` and `subscriptionMode` must match the servers'. */
export interface EmitterOptions {
  /** Channel prefix (`key` / `channelPrefix` of the adapter). @default "socket.io" */
  key?: string;
  /**
   * Speak socket.io's sharded protocol (`SPUBLISH`), for clusters on `createShardedAdapter`.
   * @default false: the classic protocol of `createAdapter`, as `@socket.io/redis-emitter`
   */
  sharded?: boolean;
  /** The sharded adapters' `subscriptionMode`. @default "dynamic" */
  subscriptionMode?: SubscriptionMode;
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
  readonly sharded: false | SubscriptionMode;
  readonly pending: Set<Promise<void>>;
  readonly onError: (err: Error) => void;
}

/** The sender id of emitters: socket.io's nodes never count it as a server. */
const EMITTER_UID = "emitter";

function publish(shared: Shared, message: ClusterMessage): void {
  let command: Array<string | Buffer>;
  if (shared.sharded === false) {
    const out = encodeClassic(classicChannels(shared.key, message.nsp), message);
    command = ["PUBLISH", out.channel, out.bytes];
  } else {
    const main = `${shared.key}#${message.nsp}#`;
    const channel = shardedChannel(main, message, shared.sharded);
    command = ["SPUBLISH", channel, encodeSharded(message)];
  }
  const p = shared.client
    .sendCommand(command)
    .then(() => undefined)
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
      uid: EMITTER_UID,
      sharded: opts.sharded ? (opts.subscriptionMode ?? "dynamic") : false,
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
