/**
 * The client's default parser: the protocol 5 text format with binary placeholders, as
 * `defaultParser`, in fewer bytes for the browser bundle (issue 4 §3). Not a second copy of the
 * shared codec: the header is read by one regular expression, placeholders are made by a
 * `JSON.stringify` replacer in the same pass as the JSON, and every check reuses the shared
 * validation (`isPayloadValid`, `isAckId`, `isBinary`, `reconstruct`). A differential test
 * (`test/unit/client-codec.test.ts`) holds both to the same output and the same verdicts.
 */
import {
  type DecodeResult,
  type Decoder,
  type Encoder,
  isAckId,
  isBinary,
  isPayloadValid,
  type Parser,
  reconstruct,
} from "../parser/socket/index.js";
import {
  DEFAULT_MAX_ATTACHMENTS,
  type Packet,
  PacketType,
  type PacketTypeValue,
  type SocketErrorCode,
} from "../protocol/socket.js";
import { TetherError } from "../shared/errors.js";

/** `<type>[<attachments>-][<nsp>,][<ack id>][<JSON>]`; runs of digits longer than 16 fail. */
const HEADER = /^([0-6])(?:(\d{1,16})-)?(?:(\/[^,]*),?)?(\d{0,16})([\s\S]*)$/;

/** A rejected chunk; the code (from the shared catalog) says why. */
const fail = (code: SocketErrorCode): DecodeResult => ({
  ok: false,
  error: new TetherError(code, "invalid packet"),
});

/** Encodes a packet as one text message plus its binary attachments (placeholder order). */
function encode(packet: Packet): (string | Uint8Array)[] {
  const { type, nsp, id, data } = packet;
  const chunks: (string | Uint8Array)[] = [""];
  // Only EVENT and ACK carry attachments (they then become BINARY_EVENT / BINARY_ACK).
  const withBinary = type === PacketType.EVENT || type === PacketType.ACK;
  const json = JSON.stringify(data, function (this: Record<string, unknown>, key, value) {
    // `this[key]` is the value before `toJSON()` (a Buffer must not become {type, data}).
    const raw = this[key];
    if (!withBinary || !isBinary(raw)) return value;
    chunks.push(
      raw instanceof ArrayBuffer
        ? new Uint8Array(raw)
        : ArrayBuffer.isView(raw)
          ? new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)
          : (raw as unknown as Uint8Array),
    );
    return { _placeholder: true, num: chunks.length - 2 };
  });
  const n = chunks.length - 1;
  chunks[0] =
    (n
      ? `${type === PacketType.EVENT ? PacketType.BINARY_EVENT : PacketType.BINARY_ACK}${n}-`
      : type) +
    (nsp && nsp !== "/" ? `${nsp},` : "") +
    (id ?? "") +
    (json ?? "");
  return chunks;
}

/** Reassembles packets; one per connection, never throws. */
class ClientDecoder implements Decoder {
  #state: "idle" | "binary" | "destroyed" = "idle";
  #pending: Packet | undefined;
  #buffers: Uint8Array[] = [];

  add(chunk: string | Uint8Array): DecodeResult {
    const state = this.#state;
    const p = this.#pending;
    if (state === "destroyed") return fail("SIO_ERR_DECODER_DESTROYED");
    if (typeof chunk !== "string") {
      if (state !== "binary" || !p) return fail("SIO_ERR_UNEXPECTED_BINARY");
      this.#buffers.push(chunk);
      return this.#buffers.length < (p.attachments ?? 0)
        ? { ok: true, packet: undefined }
        : this.#complete(p);
    }
    if (state === "binary") {
      this.#reset("idle");
      return fail("SIO_ERR_UNEXPECTED_TEXT");
    }
    const m = HEADER.exec(chunk);
    if (!m) return fail("SIO_ERR_UNKNOWN_PACKET_TYPE");
    const type = Number(m[1]) as PacketTypeValue;
    const count = m[2] === undefined ? undefined : Number(m[2]);
    const id = m[4] ? Number(m[4]) : undefined;
    let data: unknown;
    try {
      if (m[5]) data = JSON.parse(m[5]);
    } catch {
      return fail("SIO_ERR_INVALID_JSON");
    }
    const binary = type === PacketType.BINARY_EVENT || type === PacketType.BINARY_ACK;
    const ack = type === PacketType.ACK || type === PacketType.BINARY_ACK;
    if (
      binary !== (count !== undefined) ||
      (count ?? 0) > DEFAULT_MAX_ATTACHMENTS ||
      (id === undefined ? ack : !isAckId(id)) ||
      !isPayloadValid(type, data)
    )
      return fail("SIO_ERR_INVALID_PAYLOAD");
    const packet: Packet = { type, nsp: m[3] ?? "/", data, id, attachments: count };
    if (!binary) return { ok: true, packet };
    if (!count) return this.#complete(packet);
    this.#pending = packet;
    this.#state = "binary";
    return { ok: true, packet: undefined };
  }

  #complete(p: Packet): DecodeResult {
    const buffers = this.#buffers;
    this.#reset("idle");
    try {
      return { ok: true, packet: { ...p, data: reconstruct(p.data, buffers) } };
    } catch (err) {
      // A bad placeholder (TetherError) or input nested deep enough to exhaust the stack.
      return err instanceof TetherError
        ? { ok: false, error: err }
        : fail("SIO_ERR_INVALID_PAYLOAD");
    }
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

/** The client's default parser (wire-identical to `defaultParser`). */
export const clientParser: Parser = {
  createEncoder: (): Encoder => ({ encode }),
  createDecoder: () => new ClientDecoder(),
};
