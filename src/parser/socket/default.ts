/**
 * The default Socket.IO parser (protocol 5): one text message per packet,
 * `<type>[<attachments>-][<nsp>,][<ack id>][<JSON>]`, binary values replaced by placeholders
 * and sent as the following binary messages. Browser-safe.
 *
 * One implementation for server and client. What only the server needs — limits beyond the
 * attachment count, and a message naming each failure — comes in as {@link DecodeChecks} built
 * by `limitChecks` (./validate.js), so the browser bundle, which creates its decoder without
 * them (`clientParser`), does not carry that code or those strings.
 */
import type { Packet, PacketTypeValue, SocketErrorCode } from "../../protocol/socket.js";
import { TetherError } from "../../shared/errors.js";
import { type Attachment, BAD_PLACEHOLDER, reconstruct } from "./binary.js";
import { stringifyWithPlaceholders } from "./placeholders.node.js";
import type { DecodeResult, Decoder, EncodedChunk, Encoder, Parser } from "./types.js";
import { isAckId, isPayloadValid, limitChecks } from "./validate.js";

// Packet types are written as numbers here (EVENT 2, ACK 3, BINARY_EVENT 5, BINARY_ACK 6), not
// PacketType.*: this module runs in the browser bundle, where each property read costs bytes.

/** Encodes packets to the protocol 5 text form plus binary attachments. */
export class DefaultEncoder implements Encoder {
  encode(packet: Packet): EncodedChunk[] {
    const { type, nsp, id, data } = packet;
    const attachments: Attachment[] = [];
    // Only EVENT and ACK carry attachments (they then travel as BINARY_EVENT / BINARY_ACK).
    const json =
      type === 2 || type === 3 || type >= 5
        ? stringifyWithPlaceholders(data, attachments)
        : JSON.stringify(data);
    const n = attachments.length;
    const text =
      (n || type >= 5 ? `${type === 2 || type === 5 ? 5 : 6}${n}-` : type) +
      (nsp && nsp !== "/" ? `${nsp},` : "") +
      (id ?? "") +
      (json ?? "");
    // Blobs only exist in browsers, where the client transport reads them.
    return [text, ...(attachments as Uint8Array[])];
  }
}

/** Index after the run of ASCII digits that starts at `i`. */
function digitsEnd(s: string, i: number): number {
  // `c ^ 48` is below 10 only for the digits 48–57 (NaN past the end gives 48).
  while ((s.charCodeAt(i) ^ 48) < 10) i++;
  return i;
}

/** The codes a default decoder fails with, without their `SIO_ERR_` prefix. */
type DecodeFailure = SocketErrorCode extends infer C
  ? C extends `SIO_ERR_${infer R}`
    ? R
    : never
  : never;

/**
 * What a decoder enforces beyond the wire format. The client's decoder takes none (at most 10
 * attachments, every failure says "invalid packet"); the server's come from `limitChecks`.
 */
export interface DecodeChecks {
  /** Maximum binary attachments per packet. @default 10 */
  readonly maxAttachments?: number;
  /**
   * Further checks of a packet whose header and payload are valid (event name length, depth):
   * its failure, if any. `text` is the whole message, the JSON starting at `from`.
   */
  readonly inspect?: (
    type: PacketTypeValue,
    data: unknown,
    text: string,
    from: number,
  ) => TetherError | undefined;
  /** The message of a failure with this code. @default "invalid packet" */
  readonly describe?: (code: SocketErrorCode) => string;
}

/** Reassembles packets from text messages and their binary attachments; never throws. */
export class DefaultDecoder implements Decoder {
  #state: "idle" | "binary" | "destroyed" = "idle";
  #pending: Packet | undefined;
  #buffers: Uint8Array[] = [];
  readonly #checks: DecodeChecks;

  constructor(checks: DecodeChecks = {}) {
    this.#checks = checks;
  }

  add(chunk: string | Uint8Array): DecodeResult {
    try {
      return this.#add(chunk);
    } catch (err) {
      // A bad placeholder (from `reconstruct`), or input nested deep enough to exhaust the
      // stack: bad input, not a crash.
      this.#reset("idle");
      return this.#fail(err === BAD_PLACEHOLDER ? "INVALID_PLACEHOLDER" : "INVALID_PAYLOAD");
    }
  }

  /** A failure; the code is spelled without its `SIO_ERR_` prefix (fewer bytes to ship). */
  #fail(reason: DecodeFailure): DecodeResult {
    const code: SocketErrorCode = `SIO_ERR_${reason}`;
    return {
      ok: false,
      error: new TetherError(code, this.#checks.describe?.(code) ?? "invalid packet"),
    };
  }

  #add(chunk: string | Uint8Array): DecodeResult {
    const state = this.#state;
    const pending = this.#pending;
    if (state === "destroyed") return this.#fail("DECODER_DESTROYED");
    if (typeof chunk !== "string") {
      if (!pending) return this.#fail("UNEXPECTED_BINARY");
      this.#buffers.push(chunk);
      return this.#buffers.length < (pending.attachments as number)
        ? { ok: true, packet: undefined }
        : this.#complete(pending);
    }
    if (pending) {
      this.#reset("idle");
      return this.#fail("UNEXPECTED_TEXT");
    }
    // `<type>[<attachments>-][<nsp>,][<ack id>][<JSON>]` (PROTOCOL.md §3.2), in that order.
    const type = (chunk.charCodeAt(0) - 48) as PacketTypeValue;
    if (!(type >= 0 && type <= 6)) return this.#fail("UNKNOWN_PACKET_TYPE");
    const binary = type >= 5;
    let i = 1;
    let count: number | undefined;
    if (binary) {
      i = digitsEnd(chunk, 1);
      // At most 16 digits: a longer run cannot be a count.
      if (i === 1 || i > 17 || chunk[i++] !== "-") return this.#fail("INVALID_ATTACHMENTS");
      count = Number(chunk.slice(1, i - 1));
      if (count > (this.#checks.maxAttachments ?? 10)) return this.#fail("TOO_MANY_ATTACHMENTS");
    }
    let nsp = "/";
    if (chunk[i] === "/") {
      const comma = chunk.indexOf(",", i);
      const end = comma < 0 ? chunk.length : comma;
      nsp = chunk.slice(i, end);
      i = end + 1;
    }
    const from = digitsEnd(chunk, i);
    // More than 16 digits cannot be a safe integer, however many leading zeros.
    const id = from > i ? (from - i > 16 ? -1 : Number(chunk.slice(i, from))) : undefined;
    if (id === undefined ? type === 3 || type === 6 : !isAckId(id))
      return this.#fail("INVALID_ACK_ID");
    let data: unknown;
    if (from < chunk.length) {
      try {
        data = JSON.parse(chunk.slice(from));
      } catch {
        return this.#fail("INVALID_JSON");
      }
    }
    if (!isPayloadValid(type, data)) return this.#fail("INVALID_PAYLOAD");
    const refused = this.#checks.inspect?.(type, data, chunk, from);
    if (refused) return { ok: false, error: refused };
    const packet: Packet = { type, nsp, data, id, attachments: count };
    if (!binary) return { ok: true, packet };
    if (!count) return this.#complete(packet);
    this.#pending = packet;
    this.#state = "binary";
    return { ok: true, packet: undefined };
  }

  #complete(packet: Packet): DecodeResult {
    const buffers = this.#buffers;
    this.#reset("idle");
    return { ok: true, packet: { ...packet, data: reconstruct(packet.data, buffers) } };
  }

  #reset(to: "idle" | "destroyed"): void {
    this.#pending = undefined;
    this.#buffers = [];
    this.#state = to;
  }

  destroy(): void {
    this.#reset("destroyed");
  }
}

/** The default parser, as the server uses it: the decoder enforces the given limits. */
export const defaultParser: Parser = {
  createEncoder: () => new DefaultEncoder(),
  createDecoder: (opts) => new DefaultDecoder(limitChecks(opts)),
};

/**
 * The default parser as the client uses it (`Manager`'s default): the same encoder and decoder,
 * wire-identical, without the server's limit checks (so the browser bundle leaves them out).
 */
export const clientParser: Parser = {
  createEncoder: () => new DefaultEncoder(),
  createDecoder: () => new DefaultDecoder(),
};
