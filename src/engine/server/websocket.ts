/**
 * The WebSocket transport of one session: one Engine.IO packet per frame (text = type digit +
 * data; binary = raw message bytes). Listeners are module-level functions reaching the transport
 * through the socket subclass, so a session allocates no listener closures.
 */
import type { Duplex } from "node:stream";
import { WebSocket, type RawData as WsRawData } from "ws";
import { EngineServerErrors, engineError } from "./errors.js";
import type { OutboundPacket } from "./outbound.js";
import type { ServerTransport, TransportOwner } from "./transport.js";
import { WEBSOCKET_V4, type WebSocketWire } from "./wire.js";

/** The `ws` socket class the engine's WebSocketServer creates (links a socket to its transport). */
export class EngineWebSocket extends WebSocket {
  /** Set once the socket is handed to a session. */
  transport: WebSocketTransport | undefined;
}

type WebSocketState = "open" | "closed";

/** `ws.send` options, shared so that the send path allocates none. */
const TEXT = { compress: true, binary: false } as const;
const TEXT_PLAIN = { compress: false, binary: false } as const;
const BINARY = { compress: true, binary: true } as const;
const BINARY_PLAIN = { compress: false, binary: true } as const;
/** A batch of small frames up to this size is copied into one buffer (one write, no writev). */
const MAX_BATCH_BYTES = 64 * 1024;

function toBuffer(data: WsRawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function onMessage(this: WebSocket, data: WsRawData, isBinary: boolean): void {
  (this as EngineWebSocket).transport?.onFrame(data, isBinary);
}

function onError(this: WebSocket, err: Error): void {
  (this as EngineWebSocket).transport?.onSocketError(err);
}

function onClose(this: WebSocket): void {
  (this as EngineWebSocket).transport?.onSocketClose();
}

/** WebSocket transport. */
export class WebSocketTransport implements ServerTransport {
  readonly name = "websocket" as const;
  #owner: TransportOwner;
  #ws: EngineWebSocket;
  #raw: Duplex;
  #state: WebSocketState = "open";
  #writing = false;
  readonly #wire: WebSocketWire;
  /** No extension was negotiated: frames may be written to the TCP socket directly. */
  readonly #direct: boolean;
  /** The write callback of a batch (one closure per session, not per write). */
  readonly #done = (err?: Error | null): void => this.#afterSend(err);

  /**
   * @param ws the upgraded socket
   * @param raw the underlying TCP socket (corked while a batch of frames is written)
   * @param wire the session's protocol revision's frame format (Engine.IO v4 by default)
   */
  constructor(
    owner: TransportOwner,
    ws: EngineWebSocket,
    raw: Duplex,
    wire: WebSocketWire = WEBSOCKET_V4,
  ) {
    this.#owner = owner;
    this.#wire = wire;
    this.#ws = ws;
    this.#raw = raw;
    this.#direct = ws.extensions === "";
    ws.transport = this;
    ws.on("message", onMessage);
    ws.on("error", onError);
    ws.on("close", onClose);
  }

  /** Hands the transport to another owner (the probe becomes the session's transport). */
  setOwner(owner: TransportOwner): void {
    this.#owner = owner;
  }

  get writable(): boolean {
    return this.#state === "open" && !this.#writing;
  }

  get bufferedAmount(): number {
    // Between batches (no write in flight) everything written has reached the kernel: read on
    // every queued packet, this skips `ws`'s getter chain in the common case. A control frame
    // `ws` wrote meanwhile (a pong, a few bytes) is the only thing left out.
    return this.#writing ? this.#ws.bufferedAmount : 0;
  }

  get socket(): Duplex {
    return this.#raw;
  }

  /** @internal called by the socket listener. */
  onFrame(data: WsRawData, isBinary: boolean): void {
    if (this.#state !== "open") return;
    const decoded = this.#wire.decode(toBuffer(data), isBinary);
    if (decoded.ok) this.#owner.onTransportPacket(this, decoded.value);
    else this.#owner.onTransportParseError(this, decoded.error);
  }

  /** @internal */
  onSocketError(err: Error): void {
    if (this.#state !== "open") return;
    this.#state = "closed";
    this.#owner.onTransportError(this, engineError(EngineServerErrors.WEBSOCKET, err.message, err));
  }

  /** @internal */
  onSocketClose(): void {
    if (this.#state !== "open") return;
    this.#state = "closed";
    this.#owner.onTransportClose(this);
  }

  send(packets: readonly OutboundPacket[], compress: boolean): void {
    if (!this.writable) return;
    this.#writing = true;
    // Without an extension, frames are written straight to the TCP socket: a broadcast's frame is
    // built once (cached on the packet) for all its recipients, and a batch of small frames is
    // copied into one buffer, one write. `ws` frames the rest (deflate, large payloads) and
    // anything after a close frame (its send then fails as it should).
    if (this.#direct && this.#ws.readyState === WebSocket.OPEN && this.#sendDirect(packets)) return;
    this.#sendFramed(packets, compress);
  }

  /** Writes the batch as one buffer when every frame is small; false (nothing written) if not. */
  #sendDirect(packets: readonly OutboundPacket[]): boolean {
    const wire = this.#wire;
    if (packets.length === 1) {
      const frame = wire.wsFrame(packets[0] as OutboundPacket);
      if (frame === undefined) return false;
      this.#raw.write(frame, this.#done);
      return true;
    }
    const frames: Buffer[] = [];
    let total = 0;
    for (let i = 0; i < packets.length; i++) {
      const frame = wire.wsFrame(packets[i] as OutboundPacket);
      if (frame === undefined) return false;
      frames.push(frame);
      total += frame.length;
    }
    if (total > MAX_BATCH_BYTES) return false;
    this.#raw.write(Buffer.concat(frames, total), this.#done);
    return true;
  }

  /**
   * Writes the batch frame by frame, corked so that it leaves in as few TCP writes as possible:
   * small frames straight to the socket, the rest through `ws`. Both write synchronously when
   * nothing is being deflated, so the order holds when they are mixed.
   */
  #sendFramed(packets: readonly OutboundPacket[], compress: boolean): void {
    const ws = this.#ws;
    const raw = this.#raw;
    const direct = this.#direct && ws.readyState === WebSocket.OPEN;
    const text = compress ? TEXT : TEXT_PLAIN;
    const binary = compress ? BINARY : BINARY_PLAIN;
    const done = this.#done;
    raw.cork();
    const last = packets.length - 1;
    for (let i = 0; i <= last; i++) {
      const packet = packets[i] as OutboundPacket;
      const bytes = direct ? this.#wire.wsFrame(packet) : undefined;
      if (bytes !== undefined) {
        if (i === last) raw.write(bytes, done);
        else raw.write(bytes);
        continue;
      }
      const frame = this.#wire.frame(packet);
      const o = typeof frame === "string" ? text : binary;
      if (i === last) ws.send(frame, o, done);
      else ws.send(frame, o);
    }
    raw.uncork();
  }

  #afterSend(err: Error | undefined | null): void {
    this.#writing = false;
    if (this.#state !== "open") return;
    if (err) {
      this.#state = "closed";
      this.#owner.onTransportError(
        this,
        engineError(EngineServerErrors.WRITE_FAILED, err.message, err),
      );
      return;
    }
    this.#owner.onTransportDrain(this);
  }

  close(): void {
    if (this.#state !== "open") return;
    this.#state = "closed";
    this.#ws.close();
    this.#owner.onTransportClose(this);
  }

  discard(_closing?: boolean, destroy = false): void {
    if (this.#state === "closed") {
      return;
    }
    this.#state = "closed";
    if (destroy) this.#ws.terminate();
    else this.#ws.close();
  }
}
