/**
 * The cluster adapter base: the in-memory adapter for the local half, plus the cross-node half
 * over any publish/subscribe transport. A backend implements `publish(message)` (to every other
 * node of the namespace) and optionally `publishResponse(uid, message)` (to one node), and calls
 * `onMessage(message)` for each message it receives. Packets from other nodes are delivered
 * through the local in-memory path, so the host encodes them once per node.
 *
 * Liveness: every node publishes a heartbeat each `heartbeatInterval`; a node not heard from
 * within `heartbeatTimeout` is dropped, and requests stop waiting for it.
 *
 * Peers without heartbeats: a transport whose other nodes may not heartbeat (socket.io's classic
 * and sharded Redis adapters never do) implements `countPeers()` (e.g. Redis subscriber counts,
 * which also drop a crashed node at once). That count is then `serverCount() − 1` and the number
 * of answers a request waits for, from known nodes (once each) or from senders heartbeats do
 * not name; a known node declared gone before answering lowers it by one.
 *
 *   init ── heartbeat{initial} ──▶ others answer heartbeat ──▶ nodes map filled
 *   every interval: heartbeat ─▶ ; sweep nodes older than heartbeatTimeout ─▶ nodeGone(uid)
 *   close ── node-down ──▶ others drop this node at once
 */
import { randomBytes } from "node:crypto";
import type { Packet } from "../protocol/socket.js";
import { TetherError } from "../shared/errors.js";
import {
  ClusterErrorCodes,
  type ClusterMessage,
  type ClusterMessageOf,
  type WireBroadcastOptions,
  type WireFlags,
  type WireSocket,
} from "./cluster-message.js";
import { InMemoryAdapter } from "./in-memory.js";
import type {
  AdapterHost,
  BroadcastAckHandler,
  BroadcastOptions,
  Room,
  SocketDetails,
  SocketId,
} from "./types.js";

/** Timing options shared by every cluster adapter. */
export interface ClusterAdapterOptions {
  /** Milliseconds between two heartbeats of this node. @default 5000 */
  heartbeatInterval?: number;
  /** Milliseconds without any heartbeat after which another node is dropped. @default 10000 */
  heartbeatTimeout?: number;
  /** Milliseconds a cross-node request (fetchSockets, serverSideEmit) waits. @default 5000 */
  requestsTimeout?: number;
}

interface PendingRequest {
  /** Known nodes (heartbeats) when the request was sent. */
  readonly members: ReadonlySet<string>;
  /** Known nodes (heartbeats) that have not answered yet. */
  readonly awaiting: Set<string>;
  /** Answers needed: the known nodes, or the transport's count (see `countPeers`). */
  expected: number;
  /** Answers received so far. */
  answered: number;
  readonly timer: ReturnType<typeof setTimeout>;
  onResponse(message: ClusterMessage): void;
  finish(timedOut: boolean): void;
}

interface AckRequest {
  readonly members: ReadonlySet<string>;
  /** Nodes that have not reported their client count yet. */
  readonly awaiting: Set<string>;
  readonly timer: ReturnType<typeof setTimeout>;
  readonly clientCount: (count: number) => void;
  readonly ack: BroadcastAckHandler;
}

/**
 * Observability hooks of a cluster adapter (see `tether-io/metrics`); an adapter has none unless
 * one is installed, and a hook site then costs a property read.
 */
export interface ClusterAdapterProbe {
  /** A message is being published to the other nodes (or to one). */
  published(type: ClusterMessage["type"]): void;
  /** A message from another node of this namespace arrived. */
  received(type: ClusterMessage["type"]): void;
  /** A cross-node request (fetchSockets, serverSideEmit with ack) timed out. */
  requestTimedOut(): void;
  /**
   * The broker's round trip: from publishing this node's heartbeat to reading it back, in
   * seconds (transports that deliver a node's own messages to it: Redis pub/sub and Streams).
   */
  roundTrip(seconds: number): void;
}

/** How long acks of a broadcast without `timeout()` are still routed. */
const ACK_REQUEST_MAX_AGE = 60_000;

/** A fresh random id (node ids, request ids). */
export function randomId(): string {
  return randomBytes(8).toString("hex");
}

/** Converts broadcast options for the wire. */
export function toWireOptions(opts: BroadcastOptions): WireBroadcastOptions {
  const flags: WireFlags = {};
  if (opts.flags?.volatile) flags.volatile = true;
  if (opts.flags?.latest !== undefined) flags.latest = opts.flags.latest;
  if (opts.flags?.compress !== undefined) flags.compress = opts.flags.compress;
  if (opts.flags?.timeout !== undefined) flags.timeout = opts.flags.timeout;
  return { rooms: [...opts.rooms], except: opts.except ? [...opts.except] : [], flags };
}

/** Converts broadcast options from the wire. */
export function fromWireOptions(opts: WireBroadcastOptions): BroadcastOptions {
  return { rooms: new Set(opts.rooms), except: new Set(opts.except), flags: opts.flags };
}

/** Base class of the Redis, Redis Streams and `node:cluster` adapters. */
export abstract class ClusterAdapter extends InMemoryAdapter {
  /** This node's id for this namespace. */
  readonly uid = randomId();
  protected readonly heartbeatInterval: number;
  protected readonly heartbeatTimeout: number;
  protected readonly requestsTimeout: number;
  #state: "created" | "running" | "closed" = "created";
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Other live nodes: uid → last time heard from. */
  readonly #nodes = new Map<string, number>();
  readonly #requests = new Map<string, PendingRequest>();
  readonly #ackRequests = new Map<string, AckRequest>();
  /** When this node's last heartbeat was published (probe installed only), else 0. */
  #beatAt = 0;
  /** @internal observability hooks (`tether-io/metrics`). */
  _probe: ClusterAdapterProbe | undefined;

  constructor(nsp: AdapterHost, opts: ClusterAdapterOptions = {}) {
    super(nsp);
    this.heartbeatInterval = opts.heartbeatInterval ?? 5000;
    this.heartbeatTimeout = opts.heartbeatTimeout ?? 10_000;
    this.requestsTimeout = opts.requestsTimeout ?? 5000;
  }

  /** Sends `message` to every other node of this namespace. */
  protected abstract publish(message: ClusterMessage): Promise<void> | void;

  /**
   * How many other nodes the transport counts (e.g. subscribers of a Redis channel, minus this
   * one), for clusters with nodes that send no heartbeat. Not implemented: heartbeats count.
   */
  protected countPeers?(): Promise<number>;

  /** Sends a response to node `uid` only; defaults to {@link publish}. */
  protected publishResponse(_uid: string, message: ClusterMessage): Promise<void> | void {
    return this.publish(message);
  }

  /** The ids of the other live nodes. */
  get nodes(): ReadonlySet<string> {
    return new Set(this.#nodes.keys());
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  #transition(to: "running" | "closed"): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#state = to;
    if (to === "running") {
      this.#timer = setInterval(() => this.#beat(), this.heartbeatInterval);
      this.#timer.unref?.();
      return;
    }
    for (const req of [...this.#requests.values()]) req.finish(true);
    for (const [id, req] of this.#ackRequests) {
      clearTimeout(req.timer);
      this.#ackRequests.delete(id);
    }
    this.#nodes.clear();
  }

  override init(): Promise<void> | void {
    if (this.#state !== "created") return;
    this.#transition("running");
    this.send({ type: "heartbeat", uid: this.uid, nsp: this.nsp.name, initial: true });
  }

  override close(): Promise<void> | void {
    if (this.#state !== "running") return;
    this.#transition("closed");
    return this.#publishSafely({ type: "node-down", uid: this.uid, nsp: this.nsp.name });
  }

  #beat(): void {
    this.send({ type: "heartbeat", uid: this.uid, nsp: this.nsp.name, initial: false });
    const horizon = Date.now() - this.heartbeatTimeout;
    for (const [uid, seen] of this.#nodes) if (seen < horizon) this.#nodeGone(uid);
  }

  #nodeGone(uid: string): void {
    if (!this.#nodes.delete(uid)) return;
    this.emitReserved("node-gone", uid);
    for (const req of [...this.#requests.values()]) {
      if (!req.awaiting.delete(uid)) continue;
      req.expected--;
      if (req.answered >= req.expected) req.finish(false);
    }
    // With a transport count, serverCount() (which the ack collector compares reports with) has
    // already left out a node that was gone when it was asked: no report stands in for it.
    if (this.countPeers) return;
    for (const req of this.#ackRequests.values()) {
      // Count the lost node as having reached nobody, so the ack collector stops waiting for it.
      if (req.awaiting.delete(uid)) req.clientCount(0);
    }
  }

  override async serverCount(): Promise<number> {
    return 1 + (await this.#peerCount());
  }

  /** Other nodes: the transport's count if it has one, else the known nodes. */
  async #peerCount(): Promise<number> {
    if (!this.countPeers) return this.#nodes.size;
    return this.countPeers().catch(() => this.#nodes.size);
  }

  /** Whether a request may have someone to ask (without asking the transport). */
  #mayHavePeers(): boolean {
    return this.#nodes.size > 0 || this.countPeers !== undefined;
  }

  // ---- outgoing -------------------------------------------------------------------------------

  /** Publishes, reporting failures as `error` events (never throws). */
  protected send(message: ClusterMessage): void {
    if (this.#state !== "running") return;
    void this.#publishSafely(message);
  }

  async #publishSafely(message: ClusterMessage, to?: string): Promise<void> {
    const probe = this._probe;
    if (probe !== undefined) {
      probe.published(message.type);
      if (message.type === "heartbeat") this.#beatAt = performance.now();
    }
    try {
      await (to === undefined ? this.publish(message) : this.publishResponse(to, message));
    } catch (err) {
      const cause = err instanceof Error ? err.message : String(err);
      this.emitReserved(
        "error",
        new TetherError(ClusterErrorCodes.PUBLISH_FAILED, `publish failed: ${cause}`, {
          cause: err,
        }),
      );
    }
  }

  #respond(to: string, message: ClusterMessage): void {
    if (this.#state !== "running") return;
    void this.#publishSafely(message, to);
  }

  /** Whether `opts` targets only one socket of this node (no other node can match). */
  protected isLocalOnly(opts: BroadcastOptions): boolean {
    if (opts.flags?.local) return true;
    if (opts.rooms.size !== 1) return false;
    const [room] = opts.rooms;
    return room !== undefined && this.nsp.sockets.has(room);
  }

  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    if (!this.isLocalOnly(opts)) {
      this.send({
        type: "broadcast",
        uid: this.uid,
        nsp: this.nsp.name,
        packet: { type: packet.type, data: packet.data },
        opts: toWireOptions(opts),
      });
    }
    super.broadcast(packet, opts);
  }

  override broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCount: (count: number) => void,
    ack: BroadcastAckHandler,
  ): void {
    if (!opts.flags?.local && this.#mayHavePeers() && this.#state === "running") {
      const requestId = randomId();
      const members = new Set(this.#nodes.keys());
      const timer = setTimeout(
        () => this.#ackRequests.delete(requestId),
        opts.flags?.timeout ?? ACK_REQUEST_MAX_AGE,
      );
      timer.unref?.();
      this.#ackRequests.set(requestId, {
        members,
        awaiting: new Set(members),
        timer,
        clientCount,
        ack,
      });
      this.send({
        type: "broadcast",
        uid: this.uid,
        nsp: this.nsp.name,
        packet: { type: packet.type, data: packet.data },
        opts: toWireOptions(opts),
        requestId,
      });
    }
    super.broadcastWithAck(packet, opts, clientCount, ack);
  }

  override async sockets(rooms: ReadonlySet<Room>): Promise<Set<SocketId>> {
    const found = await this.fetchSockets({ rooms });
    return new Set(found.map((s) => s.id));
  }

  override async fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    const local = await super.fetchSockets(opts);
    if (opts.flags?.local || !this.#mayHavePeers() || this.#state !== "running") return local;
    const peers = await this.#peerCount();
    if (peers === 0 || this.#state !== "running") return local;
    const remote: SocketDetails[] = [];
    await new Promise<void>((resolve) => {
      const requestId = this.#request(
        peers,
        this.requestsTimeout,
        (message) => {
          if (message.type !== "fetch-sockets-response") return;
          for (const s of message.sockets) remote.push(fromWireSocket(s));
        },
        () => resolve(),
      );
      this.send({
        type: "fetch-sockets",
        uid: this.uid,
        nsp: this.nsp.name,
        opts: toWireOptions(opts),
        requestId,
      });
    });
    return local.concat(remote);
  }

  override addSockets(opts: BroadcastOptions, rooms: readonly Room[]): void {
    if (!this.isLocalOnly(opts)) {
      const base = { uid: this.uid, nsp: this.nsp.name, opts: toWireOptions(opts) };
      this.send({ type: "sockets-join", ...base, rooms: [...rooms] });
    }
    super.addSockets(opts, rooms);
  }

  override delSockets(opts: BroadcastOptions, rooms: readonly Room[]): void {
    if (!this.isLocalOnly(opts)) {
      const base = { uid: this.uid, nsp: this.nsp.name, opts: toWireOptions(opts) };
      this.send({ type: "sockets-leave", ...base, rooms: [...rooms] });
    }
    super.delSockets(opts, rooms);
  }

  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    if (!this.isLocalOnly(opts)) {
      const base = { uid: this.uid, nsp: this.nsp.name, opts: toWireOptions(opts) };
      this.send({ type: "disconnect-sockets", ...base, close });
    }
    super.disconnectSockets(opts, close);
  }

  override serverSideEmit(
    args: readonly unknown[],
    ack?: (err: Error | null, responses: unknown[]) => void,
    timeout?: number,
  ): void {
    const base = { type: "server-side-emit" as const, uid: this.uid, nsp: this.nsp.name };
    if (!ack) {
      this.send({ ...base, args: [...args] });
      return;
    }
    if (!this.#mayHavePeers() || this.#state !== "running") {
      queueMicrotask(() => ack(null, []));
      return;
    }
    if (this.countPeers === undefined) {
      this.#serverSideEmitWithAck(args, ack, timeout, this.#nodes.size);
      return;
    }
    void this.#peerCount().then((peers) => this.#serverSideEmitWithAck(args, ack, timeout, peers));
  }

  #serverSideEmitWithAck(
    args: readonly unknown[],
    ack: (err: Error | null, responses: unknown[]) => void,
    timeout: number | undefined,
    expected: number,
  ): void {
    if (expected === 0 || this.#state !== "running") {
      ack(null, []);
      return;
    }
    const base = { type: "server-side-emit" as const, uid: this.uid, nsp: this.nsp.name };
    const responses: unknown[] = [];
    const requestId = this.#request(
      expected,
      timeout ?? this.requestsTimeout,
      (message) => {
        if (message.type === "server-side-emit-response") responses.push(message.response);
      },
      (timedOut) => {
        if (!timedOut) return ack(null, responses);
        const why = `timeout reached: only ${responses.length} responses received out of ${expected}`;
        ack(new TetherError(ClusterErrorCodes.REQUEST_TIMEOUT, why), responses);
      },
    );
    this.send({ ...base, args: [...args], requestId });
  }

  /**
   * Registers a request answered by every live node; returns its id. `peers` is how many answers
   * to expect (the transport's count, else the known nodes).
   */
  #request(
    peers: number,
    timeout: number,
    onResponse: (message: ClusterMessage) => void,
    done: (timedOut: boolean) => void,
  ): string {
    const requestId = randomId();
    const timer = setTimeout(() => {
      this._probe?.requestTimedOut();
      req.finish(true);
    }, timeout);
    timer.unref?.();
    const awaiting = new Set(this.#nodes.keys());
    const req: PendingRequest = {
      members: new Set(awaiting),
      awaiting,
      expected: peers,
      answered: 0,
      timer,
      onResponse,
      finish: (timedOut) => {
        if (!this.#requests.delete(requestId)) return;
        clearTimeout(timer);
        done(timedOut);
      },
    };
    this.#requests.set(requestId, req);
    return requestId;
  }

  // ---- incoming -------------------------------------------------------------------------------

  /**
   * Handles a message from the transport. `offset` is the transport's position of the message
   * (Redis Streams entry id), passed to {@link onRemoteBroadcast}.
   */
  onMessage(message: ClusterMessage, offset?: string): void {
    if (this.#state !== "running" || message.uid === this.uid || message.nsp !== this.nsp.name) {
      if (message.uid === this.uid && message.type === "heartbeat") this.#onOwnHeartbeat();
      return;
    }
    this._probe?.received(message.type);
    const { uid } = message;
    if (this.#nodes.has(uid)) this.#nodes.set(uid, Date.now());
    switch (message.type) {
      case "heartbeat":
        this.#nodes.set(uid, Date.now());
        if (message.initial)
          this.send({ type: "heartbeat", uid: this.uid, nsp: this.nsp.name, initial: false });
        return;
      case "node-down":
        this.#nodeGone(uid);
        return;
      case "broadcast":
        this.#onBroadcast(message, offset);
        return;
      case "broadcast-client-count": {
        const req = this.#ackRequests.get(message.requestId);
        if (!req) return;
        // A known node reports once; with a transport count, a node heartbeats did not name
        // (socket.io's classic and sharded adapters) is counted by the host against serverCount().
        const stranger = this.countPeers !== undefined && !req.members.has(uid);
        if (req.awaiting.delete(uid) || stranger) req.clientCount(message.count);
        return;
      }
      case "broadcast-ack": {
        const req = this.#ackRequests.get(message.requestId);
        if (req && (req.members.has(uid) || this.countPeers)) req.ack(...message.args);
        return;
      }
      case "sockets-join":
        super.addSockets(fromWireOptions(message.opts), message.rooms);
        return;
      case "sockets-leave":
        super.delSockets(fromWireOptions(message.opts), message.rooms);
        return;
      case "disconnect-sockets":
        super.disconnectSockets(fromWireOptions(message.opts), message.close);
        return;
      case "fetch-sockets":
        void this.#onFetchSockets(message);
        return;
      case "server-side-emit":
        this.#onServerSideEmit(message);
        return;
      case "fetch-sockets-response":
      case "server-side-emit-response": {
        const req = this.#requests.get(message.requestId);
        if (!req) return;
        // A known node answers once; others count only against a transport's count.
        if (!req.awaiting.delete(uid) && (req.members.has(uid) || !this.countPeers)) return;
        req.answered++;
        req.onResponse(message);
        if (req.answered >= req.expected) req.finish(false);
        return;
      }
    }
  }

  /** This node's heartbeat came back from the broker: its round trip, when measured. */
  #onOwnHeartbeat(): void {
    const probe = this._probe;
    if (probe === undefined || this.#beatAt === 0) return;
    probe.roundTrip((performance.now() - this.#beatAt) / 1000);
    this.#beatAt = 0;
  }

  #onBroadcast(message: ClusterMessageOf<"broadcast">, offset: string | undefined): void {
    const packet: Packet = {
      type: message.packet.type,
      nsp: this.nsp.name,
      data: message.packet.data,
    };
    const opts = fromWireOptions(message.opts);
    const { requestId, uid } = message;
    if (requestId === undefined) {
      this.onRemoteBroadcast(packet, opts, offset);
      return;
    }
    // The packet gets an ack id from this node's own id space (no clash with local acks). The
    // origin stops routing acks after its timeout (or ACK_REQUEST_MAX_AGE without one): the
    // entries of local sockets that have not answered by then are dropped at the same time.
    const timeout = opts.flags?.timeout ?? ACK_REQUEST_MAX_AGE;
    const base = { uid: this.uid, nsp: this.nsp.name, requestId };
    super.broadcastWithAck(
      packet,
      { ...opts, flags: { ...opts.flags, timeout } },
      (count) => this.#respond(uid, { type: "broadcast-client-count", ...base, count }),
      (...args) => this.#respond(uid, { type: "broadcast-ack", ...base, args }),
    );
  }

  /** Delivers a broadcast from another node to the local sockets (override to add offsets). */
  protected onRemoteBroadcast(packet: Packet, opts: BroadcastOptions, _offset?: string): void {
    super.broadcast(packet, opts);
  }

  /** Delivers to this node's sockets only, without publishing. */
  protected broadcastLocally(packet: Packet, opts: BroadcastOptions): void {
    super.broadcast(packet, opts);
  }

  async #onFetchSockets(message: ClusterMessageOf<"fetch-sockets">): Promise<void> {
    const found = await super.fetchSockets(fromWireOptions(message.opts));
    const sockets: WireSocket[] = found.map((s) => ({
      id: s.id,
      handshake: s.handshake,
      rooms: [...s.rooms],
      data: s.data,
    }));
    const base = { uid: this.uid, nsp: this.nsp.name, requestId: message.requestId };
    this.#respond(message.uid, { type: "fetch-sockets-response", ...base, sockets });
  }

  #onServerSideEmit(message: ClusterMessageOf<"server-side-emit">): void {
    const { requestId, uid } = message;
    if (requestId === undefined) {
      this.nsp.onServerSideEmit([...message.args]);
      return;
    }
    let answered = false;
    this.nsp.onServerSideEmit([...message.args], (...responses) => {
      if (answered) return;
      answered = true;
      const base = { uid: this.uid, nsp: this.nsp.name, requestId };
      this.#respond(uid, { type: "server-side-emit-response", ...base, response: responses[0] });
    });
  }
}

function fromWireSocket(s: WireSocket): SocketDetails {
  return { id: s.id, handshake: s.handshake, rooms: new Set(s.rooms), data: s.data };
}
