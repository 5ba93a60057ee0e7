/**
 * A Socket.IO packet encoded once (parser) and wrapped once per Engine.IO message (engine
 * pre-encoding), then written as is to every recipient of a broadcast.
 */
import type { PreparedPacket } from "../adapter/types.js";
import { type PreEncodedPacket, preEncode } from "../engine/index.js";
import type { EncodedChunk, Encoder } from "../parser/socket/types.js";
import type { Packet } from "../protocol/socket.js";

/** The server's {@link PreparedPacket}: chunks from the parser, engine packets built lazily. */
export class ServerPreparedPacket implements PreparedPacket {
  readonly packet: Packet;
  readonly chunks: EncodedChunk[];
  #wire: PreEncodedPacket[] | undefined;
  #keyed: PreEncodedPacket[] | undefined;

  constructor(packet: Packet, encoder: Encoder) {
    this.packet = packet;
    this.chunks = encoder.encode(packet);
  }

  /** Engine message packets, built on first use and shared by every recipient. */
  get wire(): readonly PreEncodedPacket[] {
    this.#wire ??= this.chunks.map((c) => preEncode(c));
    return this.#wire;
  }

  /** The engine packet carrying a "latest value" key (single-chunk packets only; one key per broadcast). */
  keyedWire(key: string): readonly PreEncodedPacket[] {
    const chunk = this.chunks[0];
    if (this.chunks.length !== 1 || chunk === undefined) return this.wire;
    this.#keyed ??= [preEncode(chunk, key)];
    return this.#keyed;
  }
}
