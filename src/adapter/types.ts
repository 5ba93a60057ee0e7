/**
 * The Adapter interface: how a namespace's sockets, rooms and broadcasts are stored and routed.
 * The in-memory adapter implements it for one process; a cluster adapter (Redis, node:cluster)
 * implements the same interface and forwards the cross-node parts. The adapter never sees the
 * engine: it asks its host (the namespace) to encode a packet once and hands that prepared
 * packet to every recipient.
 */
import type { Packet } from "../protocol/socket.js";
import type { Emitter } from "../shared/emitter.js";

/** A socket id (20-char base64id). */
export type SocketId = string;
/** A room name. Every socket is in the room named after its own id. */
export type Room = string;
/** A private session id (connection state recovery). */
export type PrivateSessionId = string;

/** Per-broadcast modifiers set by `volatile`, `compress`, `local` and `timeout`. */
export interface BroadcastFlags {
  /**
   * Drop the packet for recipients whose transport is not writable right now or whose outgoing
   * buffer is above the backpressure high-water mark.
   */
  readonly volatile?: boolean;
  /**
   * "Latest value" key (`true`: the event name): a recipient whose outgoing buffer is above the
   * high-water mark keeps only the newest queued packet of that key. Ignored for binary packets.
   */
  readonly latest?: string | true;
  /** Per-message compression hint passed to the engine. @default true */
  readonly compress?: boolean;
  /** Only this node (cluster adapters skip publishing). */
  readonly local?: boolean;
  /** Milliseconds to wait for acknowledgements (`timeout(ms)`). */
  readonly timeout?: number;
  /** Wait for one response only (used by cluster adapters for `serverSideEmit`). */
  readonly expectSingleResponse?: boolean;
}

/** Who receives a broadcast: sockets in any of `rooms` (everyone when empty), minus `except`. */
export interface BroadcastOptions {
  readonly rooms: ReadonlySet<Room>;
  readonly except?: ReadonlySet<Room>;
  readonly flags?: BroadcastFlags;
}

/** A packet encoded once by the host, delivered as is to many sockets. */
export interface PreparedPacket {
  readonly packet: Packet;
}

/** The serializable view of a socket returned by `fetchSockets` (local or from another node). */
export interface SocketDetails {
  readonly id: SocketId;
  readonly handshake: unknown;
  readonly rooms: ReadonlySet<Room>;
  readonly data: unknown;
}

/** What the adapter needs from a server-side socket. */
export interface AdapterSocket {
  readonly id: SocketId;
  readonly handshake: unknown;
  readonly data: unknown;
  /** Writes an already encoded packet to this socket's connection. */
  deliver(prepared: PreparedPacket, flags: BroadcastFlags): void;
  /** Registers `fn` for the acknowledgement with id `ackId` coming back from this socket. */
  expectAck(ackId: number, fn: (...args: unknown[]) => void): void;
  /** Drops the acknowledgement `ackId` if still expected (its broadcast timed out). */
  forgetAck(ackId: number): void;
  disconnect(close?: boolean): unknown;
}

/** What the adapter needs from its namespace. */
export interface AdapterHost {
  readonly name: string;
  readonly sockets: ReadonlyMap<SocketId, AdapterSocket>;
  /** Encodes `packet` for this namespace, once. */
  prepare(packet: Packet): PreparedPacket;
  /** Allocates an acknowledgement id in the namespace's id space. */
  nextAckId(): number;
  /** Delivers a `serverSideEmit` that came from another node to local listeners. */
  onServerSideEmit(args: unknown[], ack?: (...responses: unknown[]) => void): void;
}

/** A session saved at disconnect for connection state recovery. */
export interface Session {
  readonly sid: SocketId;
  readonly pid: PrivateSessionId;
  readonly rooms: readonly Room[];
  readonly data: unknown;
}

/** A restored session and the EVENT payloads it missed (each ending with its offset). */
export interface RestoredSession extends Session {
  readonly missedPackets: unknown[][];
}

/** Events an adapter emits about rooms. */
export type AdapterEvents = {
  "create-room": (room: Room) => void;
  "delete-room": (room: Room) => void;
  "join-room": (room: Room, id: SocketId) => void;
  "leave-room": (room: Room, id: SocketId) => void;
  /** Another node left the cluster (cluster adapters: goodbye or heartbeat timeout). */
  "node-gone": (uid: string) => void;
  error: (err: Error) => void;
};

/** Callback collecting acknowledgements of a broadcast with ack. */
export type BroadcastAckHandler = (...args: unknown[]) => void;

/**
 * The storage and routing of one namespace. All methods that may cross nodes return promises;
 * local room bookkeeping is synchronous.
 */
export interface Adapter extends Emitter<AdapterEvents> {
  readonly nsp: AdapterHost;
  /** room → socket ids. */
  readonly rooms: ReadonlyMap<Room, ReadonlySet<SocketId>>;
  /** socket id → rooms. */
  readonly sids: ReadonlyMap<SocketId, ReadonlySet<Room>>;

  init(): Promise<void> | void;
  close(): Promise<void> | void;
  /** Number of nodes in the cluster (1 for a single process). */
  serverCount(): Promise<number>;

  addAll(id: SocketId, rooms: Iterable<Room>): Promise<void> | void;
  del(id: SocketId, room: Room): Promise<void> | void;
  delAll(id: SocketId): void;
  /** The rooms `id` is in, if the socket is known. */
  socketRooms(id: SocketId): ReadonlySet<Room> | undefined;
  /** The ids of sockets in any of `rooms` (all sockets when empty). */
  sockets(rooms: ReadonlySet<Room>): Promise<Set<SocketId>>;

  /** Encodes `packet` once and writes it to every matching socket. */
  broadcast(packet: Packet, opts: BroadcastOptions): void;
  /**
   * Like broadcast, with an ack id: `clientCount` is told how many sockets were written to (per
   * node), `ack` is called once per acknowledgement received.
   */
  broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCount: (count: number) => void,
    ack: BroadcastAckHandler,
  ): void;

  fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]>;
  addSockets(opts: BroadcastOptions, rooms: readonly Room[]): void;
  delSockets(opts: BroadcastOptions, rooms: readonly Room[]): void;
  disconnectSockets(opts: BroadcastOptions, close: boolean): void;

  /** Sends `args` to the other nodes; `ack` gets one response per node (none on one node). */
  serverSideEmit(
    args: readonly unknown[],
    ack?: (err: Error | null, responses: unknown[]) => void,
    timeout?: number,
  ): void;

  /** Saves a disconnected socket's session (no-op unless the adapter supports recovery). */
  persistSession(session: Session): Promise<void> | void;
  /** Finds a session and the packets missed since `offset`, if it can be restored. */
  restoreSession(pid: PrivateSessionId, offset: string): Promise<RestoredSession | undefined>;
}

/** An adapter class (`new Adapter(nsp)`) or factory function (`(nsp) => adapter`). */
export type AdapterConstructor =
  | (new (
      nsp: AdapterHost,
    ) => Adapter)
  | ((nsp: AdapterHost) => Adapter);
