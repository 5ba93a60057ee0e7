/**
 * Outbound packets: a packet plus its lazily computed, cached encodings, so that one packet written
 * to many sessions (a broadcast) is encoded once per transport kind.
 */

import {
  byteLength,
  encodePacket,
  encodePacketText,
  type SendableData,
  toRawData,
} from "../../parser/engine/index.js";
import type { EnginePacket, EnginePacketType, RawData } from "../../protocol/engine.js";
import { encodeFrame } from "./ws-frame.js";

/** A packet queued for writing; immutable, shareable between sessions. */
export class OutboundPacket implements EnginePacket {
  readonly type: EnginePacketType;
  readonly data: RawData | undefined;
  /** "Latest value" key: a congested session keeps only the newest queued packet per key. */
  readonly key: string | undefined;
  #frame: RawData | undefined;
  #record: string | undefined;
  /** null: too large to be framed as one buffer. */
  #wsFrame: Buffer | null | undefined;
  #size = -1;

  constructor(type: EnginePacketType, data?: RawData, key?: string) {
    this.type = type;
    this.data = data;
    this.key = key;
  }

  /** WebSocket frame payload (text frame for strings, binary frame for bytes). */
  get frame(): RawData {
    if (this.#frame === undefined) this.#frame = encodePacket(this);
    return this.#frame;
  }

  /**
   * The whole WebSocket frame of {@link OutboundPacket.frame} (header included, unmasked, no
   * extension), or undefined for a payload too large to copy into one buffer.
   */
  get wsFrame(): Buffer | undefined {
    if (this.#wsFrame === undefined) this.#wsFrame = encodeFrame(this.frame) ?? null;
    return this.#wsFrame ?? undefined;
  }

  /** Long-polling record (binary as `b` + base64). */
  get record(): string {
    if (this.#record === undefined) this.#record = encodePacketText(this);
    return this.#record;
  }

  /** Bytes the packet occupies as a WebSocket frame payload. */
  get size(): number {
    if (this.#size < 0) {
      this.#size =
        typeof this.data === "string" || this.data === undefined
          ? 1 + byteLength(this.data)
          : this.data.byteLength;
    }
    return this.#size;
  }
}

/** A message packet encoded once, writable to many sessions with `sendPreEncoded`. */
export type PreEncodedPacket = OutboundPacket;

/**
 * Pre-encodes one `message` packet for writing to many sessions without re-encoding; with `key`,
 * a congested session keeps only the newest queued packet of that key (see `SendOptions.key`).
 * @example
 * const packet = preEncode('2["news",1]');
 * for (const socket of engine.clients.values()) socket.sendPreEncoded(packet);
 */
export function preEncode(data: SendableData, key?: string): PreEncodedPacket {
  return new OutboundPacket("message", toRawData(data), key);
}
