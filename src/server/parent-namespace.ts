/**
 * Dynamic namespaces: `io.of(/^\/room-\d+$/)` or `io.of((name, auth, next) => next(null, ok))`
 * creates a parent whose children are created on their first CONNECT. Middlewares and
 * connection listeners registered on the parent apply to its children; a broadcast on the
 * parent reaches every child.
 */
import { InMemoryAdapter } from "../adapter/in-memory.js";
import type {
  BroadcastAckHandler,
  BroadcastOptions,
  Room,
  SocketDetails,
} from "../adapter/types.js";
import type { Packet } from "../protocol/socket.js";
import { Namespace } from "./namespace.js";
import type { Server } from "./server.js";
import type { DefaultEventsMap, EventsMap } from "./typed-events.js";

/** Decides whether a namespace name is served by a parent namespace. */
export type ParentNspNameMatchFn = (
  name: string,
  // biome-ignore lint/suspicious/noExplicitAny: auth payload is untyped, as upstream
  auth: { [key: string]: any },
  fn: (err: Error | null, success: boolean) => void,
) => void;

// biome-ignore lint/suspicious/noExplicitAny: a parent's children share its typing
type AnyNamespace = Namespace<any, any, any, any>;

/** Adapter of a parent namespace: every operation fans out to the children's adapters. */
class ParentAdapter extends InMemoryAdapter {
  readonly #children: () => Iterable<AnyNamespace>;

  constructor(nsp: AnyNamespace, children: () => Iterable<AnyNamespace>) {
    super(nsp);
    this.#children = children;
  }

  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    for (const child of this.#children())
      child.adapter.broadcast({ ...packet, nsp: child.name }, opts);
  }

  override broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCount: (count: number) => void,
    ack: BroadcastAckHandler,
  ): void {
    let total = 0;
    for (const child of this.#children()) {
      child.adapter.broadcastWithAck(
        { ...packet, nsp: child.name },
        opts,
        (n) => {
          total += n;
        },
        ack,
      );
    }
    clientCount(total);
  }

  override async fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    const lists = await Promise.all([...this.#children()].map((c) => c.adapter.fetchSockets(opts)));
    return lists.flat();
  }

  override addSockets(opts: BroadcastOptions, rooms: readonly Room[]): void {
    for (const child of this.#children()) child.adapter.addSockets(opts, rooms);
  }

  override delSockets(opts: BroadcastOptions, rooms: readonly Room[]): void {
    for (const child of this.#children()) child.adapter.delSockets(opts, rooms);
  }

  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    for (const child of this.#children()) child.adapter.disconnectSockets(opts, close);
  }
}

let parentCount = 0;

/** A namespace standing for every name its matcher accepts. */
export class ParentNamespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // biome-ignore lint/suspicious/noExplicitAny: upstream's default for untyped socket.data
  SocketData = any,
> extends Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  readonly children = new Set<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();

  constructor(server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) {
    super(server, `/_${parentCount++}`);
  }

  override _initAdapter(): void {
    this.adapter = new ParentAdapter(this, () => this.children);
  }

  /** Creates the child namespace `name`, inheriting middlewares and connection listeners. */
  createChild(name: string): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    const server = this.server;
    const child = new Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>(
      server,
      name,
    );
    child._fns = this._fns.slice();
    // The parent's contract and limits apply to every child (one guard: per-key limits count
    // a key's events across the children).
    child._guard = this._guard;
    for (const l of this.listeners("connect")) child.on("connect", l);
    for (const l of this.listeners("connection")) child.on("connection", l);
    this.children.add(child);
    if (server._opts.cleanupEmptyChildNamespaces) {
      // Also after a refused CONNECT: otherwise every name an unauthenticated client tries stays.
      child._onEmpty = () => {
        child._onEmpty = undefined;
        child._presence?.close();
        void child.adapter.close();
        if (server._nsps.get(child.name) === child) server._nsps.delete(child.name);
        this.children.delete(child);
      };
    }
    server._nsps.set(name, child);
    server.sockets._announce(child);
    return child;
  }
}
