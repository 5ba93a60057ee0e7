/**
 * One Engine.IO connection, multiplexing the namespaces a client joined over it. Decodes
 * incoming messages into packets and routes them; encodes outgoing packets into messages.
 *
 *   engine "message" ──decoder──▶ CONNECT ──▶ server.of(nsp)._add ──▶ Socket
 *                                  EVENT/ACK/DISCONNECT ──▶ nsps.get(nsp)._onpacket
 *   bad packet / CONNECT twice / packet for an unjoined namespace ──▶ close the connection
 */
import type { IncomingMessage } from "node:http";
import type { BroadcastFlags, PreparedPacket, SocketId } from "../adapter/types.js";
import { type EngineSocket, type PreEncodedPacket, preEncode } from "../engine/index.js";
import type { SessionSink } from "../engine/server/socket.js";
import type { Decoder } from "../parser/socket/types.js";
import { isPlainObject } from "../parser/socket/validate.js";
import { type Packet, PacketType, type ServerDisconnectReason } from "../protocol/socket.js";
import { TetherError } from "../shared/errors.js";
import { CONNECTION_LIMITED } from "./guard.js";
import { splitLegacyNamespace } from "./legacy-v2.js";
import type { Namespace } from "./namespace.js";
import { ServerPreparedPacket } from "./prepared.js";
import type { Server } from "./server.js";
import type { Socket } from "./socket.js";

/** The "latest value" key of a packet: the namespace, then the given key or the event name. */
function latestKey(packet: Packet, latest: string | true): string | undefined {
  if (latest !== true) return `${packet.nsp}\u0000${latest}`;
  const ev = Array.isArray(packet.data) ? packet.data[0] : undefined;
  return typeof ev === "string" ? `${packet.nsp}\u0000${ev}` : undefined;
}

/** Engine packets of an array of encoded chunks, built once for every recipient of a broadcast. */
const preEncodedCache = new WeakMap<object, PreEncodedPacket[]>();

/** `writeToEngine`'s input as engine packets; `undefined` when it is not strings and bytes. */
function preEncodedOf(encoded: unknown): PreEncodedPacket[] | undefined {
  if (typeof encoded === "string") return [preEncode(encoded)];
  if (encoded instanceof Uint8Array) return [preEncode(encoded)];
  if (!Array.isArray(encoded)) return undefined;
  const cached = preEncodedCache.get(encoded);
  if (cached !== undefined) return cached;
  const wire: PreEncodedPacket[] = [];
  for (const chunk of encoded as unknown[]) {
    if (typeof chunk !== "string" && !(chunk instanceof Uint8Array)) return undefined;
    wire.push(preEncode(chunk));
  }
  preEncodedCache.set(encoded, wire);
  return wire;
}

/** Engine write options, shared so that sending allocates none. */
const COMPRESS = Object.freeze({ compress: true });
const NO_COMPRESS = Object.freeze({ compress: false });

// biome-ignore lint/suspicious/noExplicitAny: the client multiplexes sockets of any event typing
type AnySocket = Socket<any, any, any, any>;
// biome-ignore lint/suspicious/noExplicitAny: the client serves a server of any event typing
type AnyServer = Server<any, any, any, any>;

/**
 * The Socket.IO side of one Engine.IO connection. Small by design (one per connection): the
 * engine calls it as its {@link SessionSink} (no listeners or closures), and its sockets are a
 * short array (a connection joins one namespace, or a few).
 */
export class Client implements SessionSink {
  readonly conn: EngineSocket;
  readonly id: string;
  readonly server: AnyServer;
  /** Connected sockets, one per namespace (allocated on the first). */
  #sockets: AnySocket[] | undefined;
  #state: "open" | "closed" = "open";
  readonly #decoder: Decoder;
  /** Namespaces whose CONNECT is in progress (allocated on first use). */
  #connecting: Set<string> | undefined;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  /** Token buckets of `connectionRateLimit` (none without it). */
  #rate: number[] | undefined;

  constructor(server: AnyServer, conn: EngineSocket) {
    this.server = server;
    this.conn = conn;
    this.id = conn.id;
    const { maxAttachments, maxEventNameLength, maxDepth } = server._limits;
    this.#decoder = server._parser.createDecoder({ maxAttachments, maxEventNameLength, maxDepth });
    conn.setSink(this);
    // One timer per connection, only until the first namespace is joined.
    this.#connectTimer = setTimeout(() => {
      if (this.#sockets === undefined || this.#sockets.length === 0) this.#closeConn();
    }, server._connectTimeout);
    this.#connectTimer.unref?.();
    // Socket.IO v2 clients (protocol 4) are in `/` from the start: they send no CONNECT for it.
    if (conn.protocol === 3) this.#connect("/", {});
  }

  /** Sockets by socket id (a snapshot). */
  get sockets(): ReadonlyMap<SocketId, AnySocket> {
    return new Map(this.#sockets?.map((s) => [s.id, s]));
  }

  /** Sockets by namespace name (a snapshot). */
  get nsps(): ReadonlyMap<string, AnySocket> {
    return new Map(this.#sockets?.map((s) => [s.nsp.name, s]));
  }

  #socketOf(nsp: string): AnySocket | undefined {
    const list = this.#sockets;
    if (list === undefined) return undefined;
    for (const s of list) if (s.nsp.name === nsp) return s;
    return undefined;
  }

  /** @internal SessionSink: an Engine.IO message. */
  onEngineMessage(data: string | Uint8Array): void {
    this.#ondata(data);
  }

  /** @internal SessionSink: the Engine.IO connection closed. */
  onEngineClose(reason: string, description?: unknown): void {
    this.#onclose(reason, description);
  }

  /** The first HTTP request of the connection. */
  get request(): IncomingMessage {
    return this.conn.request;
  }

  #ondata(data: string | Uint8Array): void {
    // Closed by a drain, its sessions still being persisted: what comes in now is dropped.
    if (this.#state === "closed") return;
    const limiter = this.server._connLimiter;
    if (limiter !== undefined) {
      this.#rate ??= limiter.create();
      const size = typeof data === "string" ? data.length : data.byteLength;
      if (!limiter.admit(this.#rate, size)) {
        const err = new TetherError(CONNECTION_LIMITED, "connection rate limit exceeded");
        for (const socket of this.#sockets?.slice() ?? []) socket._onerror(err);
        this.#onclose("forced close", err);
        this.#closeConn();
        return;
      }
    }
    const result = this.#decoder.add(data);
    if (!result.ok) {
      this.server._probe?.decodeError(result.error);
      // As socket.io, the sockets hear the decoder's error first. The TetherError (its code names
      // the broken rule or limit) is also the disconnect description.
      for (const socket of this.#sockets?.slice() ?? []) socket._onerror(result.error);
      this.#onclose("parse error", result.error);
      this.#closeConn();
      return;
    }
    if (result.packet) this.#ondecoded(result.packet);
  }

  #ondecoded(packet: Packet): void {
    if (packet.type === PacketType.CONNECT && this.conn.protocol === 3) {
      // Protocol 4: the namespace field carries the query, which is the socket's auth.
      const { name, query } = splitLegacyNamespace(packet.nsp);
      packet = { type: PacketType.CONNECT, nsp: name, data: query };
    }
    const nsp = packet.nsp;
    if (packet.type === PacketType.CONNECT) {
      if (this.#socketOf(nsp) !== undefined) {
        // A CONNECT for a namespace already joined on this connection is a protocol violation.
        this.#closeConn();
        return;
      }
      // The official client sends CONNECT twice when `manager.socket(nsp).connect()` is called
      // with autoConnect on; the duplicate of a pending CONNECT is ignored.
      if (this.#connecting?.has(nsp)) return;
      const auth = isPlainObject(packet.data) ? packet.data : {};
      this.#connect(nsp, auth);
      return;
    }
    const socket = this.#socketOf(nsp);
    if (socket) socket._onpacket(packet);
    else if (!this.#connecting?.has(nsp)) this.#closeConn();
    // Packets for a namespace whose CONNECT is still in middlewares are dropped, as upstream.
  }

  #connect(name: string, auth: Record<string, unknown>): void {
    if (name.length > this.server._limits.maxNamespaceLength) {
      // Refused before any lookup: a parent namespace's matcher never sees the name.
      this.#sendRaw({
        type: PacketType.CONNECT_ERROR,
        nsp: name,
        data: { message: "Namespace name too long" },
      });
      return;
    }
    this.#connecting ??= new Set();
    this.#connecting.add(name);
    const done = (): void => {
      this.#connecting?.delete(name);
      if (this.#connecting?.size === 0) this.#connecting = undefined;
    };
    const existing = this.server._nsps.get(name);
    if (existing) {
      this.#add(existing, auth, done);
      return;
    }
    this.server._checkNamespace(name, auth, (nsp) => {
      if (nsp) {
        this.#add(nsp, auth, done);
        return;
      }
      done();
      this.#sendRaw({
        type: PacketType.CONNECT_ERROR,
        nsp: name,
        data: { message: "Invalid namespace" },
      });
    });
  }

  // biome-ignore lint/suspicious/noExplicitAny: namespaces of any event typing
  #add(nsp: Namespace<any, any, any, any>, auth: Record<string, unknown>, done: () => void): void {
    nsp._add(this, auth).then(
      (joined) => {
        done();
        // The `connection` listeners have run: the request has served middlewares and handlers.
        if (joined && !this.server._retainRequest) this.conn.discardRequest();
      },
      (err: unknown) => {
        done();
        console.error("tether-io: error while connecting a socket:", err);
      },
    );
  }

  /** Namespace callback: the socket is connected and may now receive packets. */
  _onSocketConnected(socket: AnySocket): void {
    if (this.#sockets === undefined) this.#sockets = [socket];
    else this.#sockets.push(socket);
    this.#connecting?.delete(socket.nsp.name);
    if (this.#connectTimer !== undefined) {
      clearTimeout(this.#connectTimer);
      this.#connectTimer = undefined;
    }
  }

  /** Socket callback: the socket left its namespace. */
  _remove(socket: AnySocket): void {
    const list = this.#sockets;
    const i = list === undefined ? -1 : list.indexOf(socket);
    if (i === -1 || list === undefined) return;
    list.splice(i, 1);
    if (list.length === 0) this.#sockets = undefined;
  }

  /** Encodes and writes one packet. */
  _packet(packet: Packet, flags: BroadcastFlags): void {
    const conn = this.conn;
    if (conn.readyState !== "open") return;
    const probe = this.server._probe;
    if (flags.volatile && (!conn.writableNow || conn.needsDrain)) {
      probe?.volatileDropped(packet.nsp);
      return;
    }
    probe?.sent(packet);
    const chunks = this.server.encoder.encode(packet);
    const key = flags.latest === undefined ? undefined : latestKey(packet, flags.latest);
    const compress = flags.compress !== false;
    const opts =
      key !== undefined && chunks.length === 1
        ? { compress, key }
        : compress
          ? COMPRESS
          : NO_COMPRESS;
    // A packet with attachments is several engine packets: on an empty queue it is let through
    // whole, like a single packet larger than the backpressure limit.
    if (chunks.length > 1 && conn.bufferedAmount === 0) {
      conn.exempt(() => {
        for (const chunk of chunks) conn.write(chunk, opts);
      });
    } else for (const chunk of chunks) conn.write(chunk, opts);
  }

  /** Writes a packet encoded once for many recipients (broadcast). */
  _writePrepared(prepared: PreparedPacket, flags: BroadcastFlags): void {
    const conn = this.conn;
    if (conn.readyState !== "open") return;
    if (!(prepared instanceof ServerPreparedPacket)) {
      this._packet(prepared.packet, flags);
      return;
    }
    const probe = this.server._probe;
    if (flags.volatile && (!conn.writableNow || conn.needsDrain)) {
      probe?.volatileDropped(prepared.packet.nsp);
      return;
    }
    probe?.sent(prepared.packet);
    const opts = flags.compress === false ? NO_COMPRESS : COMPRESS;
    const key = flags.latest === undefined ? undefined : latestKey(prepared.packet, flags.latest);
    const wire = key === undefined ? prepared.wire : prepared.keyedWire(key);
    if (wire.length > 1 && conn.bufferedAmount === 0) {
      conn.exempt(() => {
        for (const p of wire) conn.sendPreEncoded(p, opts);
      });
    } else for (const p of wire) conn.sendPreEncoded(p, opts);
  }

  // ---- socket.io compatibility -------------------------------------------------------------

  /**
   * Writes packets encoded by the server's encoder, socket.io's way: `socket.io-adapter`'s
   * broadcast encodes once (`nsp.server.encoder`) and calls this for each recipient with
   * `{ preEncoded: true, volatile, compress }`. The chunks are written as they are (they always
   * are in Tether: `preEncoded` changes nothing), through the same backpressure as Tether's own
   * broadcasts; `volatile` drops them when the transport cannot take them now. The engine
   * packets are built once per encoded array and shared by every recipient. Anything but strings
   * and bytes (a malformed packet from another node) is not written.
   */
  writeToEngine(
    encodedPackets: unknown,
    opts?: {
      readonly volatile?: boolean;
      readonly compress?: boolean;
      readonly preEncoded?: boolean;
    },
  ): void {
    const conn = this.conn;
    if (conn.readyState !== "open") return;
    if (opts?.volatile && (!conn.writableNow || conn.needsDrain)) return;
    const wire = preEncodedOf(encodedPackets);
    if (wire === undefined || wire.length === 0) return;
    const sendOpts = opts?.compress === false ? NO_COMPRESS : COMPRESS;
    if (wire.length > 1 && conn.bufferedAmount === 0) {
      conn.exempt(() => {
        for (const p of wire) conn.sendPreEncoded(p, sendOpts);
      });
    } else for (const p of wire) conn.sendPreEncoded(p, sendOpts);
  }

  /** @internal SessionSink: everything queued was written; sockets with `drain` listeners hear it. */
  onEngineDrain(): void {
    const list = this.#sockets;
    if (list === undefined) return;
    for (const s of list.length === 1 ? list : list.slice()) s._ondrain();
  }

  #sendRaw(packet: Packet): void {
    this._packet(packet, {});
  }

  /** `socket.disconnect(true)`: every namespace gets DISCONNECT, then the connection closes. */
  _disconnect(): void {
    for (const socket of this.#sockets?.slice() ?? []) socket.disconnect();
    this.#closeConn();
  }

  /** Closes the Engine.IO connection (after flushing what was written). */
  #closeConn(): void {
    if (this.conn.readyState === "open") this.conn.close();
  }

  #onclose(reason: ServerDisconnectReason | string, description?: unknown): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    if (this.#connectTimer !== undefined) clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#decoder.destroy();
    for (const socket of this.#sockets?.slice() ?? []) {
      socket._onclose(reason as ServerDisconnectReason, description);
    }
    this.#sockets = undefined;
  }

  /**
   * Server shutdown: closes every socket with `reason` (the engine then closes the session);
   * resolves once the adapter has stored the sessions persisted for recovery.
   */
  _closeAll(reason: ServerDisconnectReason): Promise<unknown> | undefined {
    const pending: Promise<void>[] = [];
    for (const socket of this.#sockets?.slice() ?? []) {
      const p = socket._onclose(reason);
      if (p !== undefined) pending.push(p);
    }
    this.#onclose(reason);
    return pending.length === 0 ? undefined : Promise.all(pending);
  }
}
