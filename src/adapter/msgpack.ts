/**
 * The msgpack codec of the adapters' wire (Redis, Redis Streams, cluster IPC): what a broadcast
 * costs per message between nodes. `@msgpack/msgpack`'s `encode()` / `decode()` build an encoder
 * or decoder per call and decode short strings in JavaScript; this one writes into one reused
 * scratch buffer and lets Node's native UTF-8 code handle strings, for the value shapes adapters
 * send (objects, arrays, strings, numbers, booleans, null, binary, dates).
 *
 * It reads and writes what `notepack.io` (the official adapters' and emitters' encoder) does:
 *   - `undefined` map values are left out; `undefined` elsewhere is `nil`;
 *   - a `Date` is notepack's fixext 8 of type 0 (milliseconds as int64); the msgpack timestamp
 *     extension (type -1) is read too; notepack's fixext 1 of type 0 reads as `undefined`;
 *   - binary (any ArrayBuffer view or ArrayBuffer) is `bin`, read back as a Buffer view of the
 *     input (no copy);
 *   - 64-bit integers read as numbers (precision beyond 2^53 is lost, as with both libraries).
 *
 * Decoding never throws: malformed, truncated or hostile input (lengths beyond the input,
 * nesting deeper than {@link MAX_DEPTH}, non-string map keys) gives a failed result.
 */
import { ExtData } from "@msgpack/msgpack";
import { fail, ok, type Result } from "../shared/errors.js";

/** Deepest nesting of arrays and maps, encoding and decoding. */
export const MAX_DEPTH = 100;

// ── encoding ────────────────────────────────────────────────────────────────────────────────

let scratch = Buffer.allocUnsafe(4096);
let view = new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength);
let pos = 0;
/** Set while an encode runs: a re-entrant call (from a getter) gets buffers of its own. */
let busy = false;

function reserve(n: number): void {
  if (pos + n <= scratch.length) return;
  let size = scratch.length * 2;
  while (size < pos + n) size *= 2;
  const next = Buffer.allocUnsafe(size);
  scratch.copy(next, 0, 0, pos);
  scratch = next;
  view = new DataView(next.buffer, next.byteOffset, next.byteLength);
}

function writeString(s: string): void {
  const n = s.length;
  // ASCII fast path for short strings (most keys and event names): one byte per character.
  if (n < 32) {
    reserve(1 + n);
    let ascii = true;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        ascii = false;
        break;
      }
      scratch[pos + 1 + i] = c;
    }
    if (ascii) {
      scratch[pos] = 0xa0 | n;
      pos += 1 + n;
      return;
    }
  }
  const bytes = Buffer.byteLength(s, "utf8");
  if (bytes < 32) {
    reserve(1 + bytes);
    scratch[pos++] = 0xa0 | bytes;
  } else if (bytes < 0x100) {
    reserve(2 + bytes);
    scratch[pos++] = 0xd9;
    scratch[pos++] = bytes;
  } else if (bytes < 0x10000) {
    reserve(3 + bytes);
    scratch[pos++] = 0xda;
    view.setUint16(pos, bytes);
    pos += 2;
  } else {
    reserve(5 + bytes);
    scratch[pos++] = 0xdb;
    view.setUint32(pos, bytes);
    pos += 4;
  }
  pos += scratch.write(s, pos, bytes, "utf8");
}

function writeNumber(v: number): void {
  reserve(9);
  if (Number.isSafeInteger(v)) {
    if (v >= 0) {
      if (v < 0x80) scratch[pos++] = v;
      else if (v < 0x100) {
        scratch[pos++] = 0xcc;
        scratch[pos++] = v;
      } else if (v < 0x10000) {
        scratch[pos++] = 0xcd;
        view.setUint16(pos, v);
        pos += 2;
      } else if (v < 0x100000000) {
        scratch[pos++] = 0xce;
        view.setUint32(pos, v);
        pos += 4;
      } else {
        scratch[pos++] = 0xcf;
        view.setUint32(pos, Math.floor(v / 0x100000000));
        view.setUint32(pos + 4, v >>> 0);
        pos += 8;
      }
      return;
    }
    if (v >= -0x20) scratch[pos++] = v & 0xff;
    else if (v >= -0x80) {
      scratch[pos++] = 0xd0;
      view.setInt8(pos++, v);
    } else if (v >= -0x8000) {
      scratch[pos++] = 0xd1;
      view.setInt16(pos, v);
      pos += 2;
    } else if (v >= -0x80000000) {
      scratch[pos++] = 0xd2;
      view.setInt32(pos, v);
      pos += 4;
    } else {
      scratch[pos++] = 0xd3;
      view.setInt32(pos, Math.floor(v / 0x100000000));
      view.setUint32(pos + 4, v >>> 0);
      pos += 8;
    }
    return;
  }
  // -0 and every non-integer: float 64, as both libraries write them.
  scratch[pos++] = 0xcb;
  view.setFloat64(pos, v);
  pos += 8;
}

function writeBinary(bytes: Uint8Array): void {
  const n = bytes.byteLength;
  if (n < 0x100) {
    reserve(2 + n);
    scratch[pos++] = 0xc4;
    scratch[pos++] = n;
  } else if (n < 0x10000) {
    reserve(3 + n);
    scratch[pos++] = 0xc5;
    view.setUint16(pos, n);
    pos += 2;
  } else {
    reserve(5 + n);
    scratch[pos++] = 0xc6;
    view.setUint32(pos, n);
    pos += 4;
  }
  scratch.set(bytes, pos);
  pos += n;
}

function writeHeader(n: number, fix: number, b16: number): void {
  reserve(5);
  if (n < 16) scratch[pos++] = fix | n;
  else if (n < 0x10000) {
    scratch[pos++] = b16;
    view.setUint16(pos, n);
    pos += 2;
  } else {
    scratch[pos++] = b16 + 1;
    view.setUint32(pos, n);
    pos += 4;
  }
}

function writeValue(v: unknown, depth: number): void {
  switch (typeof v) {
    case "string":
      writeString(v);
      return;
    case "number":
      writeNumber(v);
      return;
    case "boolean":
      reserve(1);
      scratch[pos++] = v ? 0xc3 : 0xc2;
      return;
    case "undefined":
      reserve(1);
      scratch[pos++] = 0xc0;
      return;
    case "bigint":
      writeNumber(Number(v));
      return;
    case "object":
      break;
    default:
      throw new TypeError(`cannot encode a ${typeof v} to msgpack`);
  }
  if (v === null) {
    reserve(1);
    scratch[pos++] = 0xc0;
    return;
  }
  if (depth >= MAX_DEPTH) throw new RangeError(`msgpack: nesting deeper than ${MAX_DEPTH}`);
  if (Array.isArray(v)) {
    writeHeader(v.length, 0x90, 0xdc);
    for (const item of v) writeValue(item, depth + 1);
    return;
  }
  if (ArrayBuffer.isView(v)) {
    writeBinary(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    return;
  }
  if (v instanceof ArrayBuffer) {
    writeBinary(new Uint8Array(v));
    return;
  }
  if (v instanceof Date) {
    // notepack.io: fixext 8, type 0, milliseconds as a signed 64-bit integer.
    reserve(10);
    const ms = v.getTime();
    scratch[pos++] = 0xd7;
    scratch[pos++] = 0;
    view.setInt32(pos, Math.floor(ms / 0x100000000));
    view.setUint32(pos + 4, ms >>> 0);
    pos += 8;
    return;
  }
  if (v instanceof Map) {
    writeHeader(v.size, 0x80, 0xde);
    for (const [key, value] of v) {
      writeValue(key, depth + 1);
      writeValue(value, depth + 1);
    }
    return;
  }
  const record = v as Record<string, unknown>;
  const keys = Object.keys(record);
  let n = 0;
  for (const key of keys) if (record[key] !== undefined) n++;
  writeHeader(n, 0x80, 0xde);
  for (const key of keys) {
    const value = record[key];
    if (value === undefined) continue;
    writeString(key);
    writeValue(value, depth + 1);
  }
}

/**
 * Encodes `value` to msgpack, in a Buffer of its own. Throws (TypeError / RangeError) on what
 * msgpack cannot hold — functions, symbols, nesting deeper than {@link MAX_DEPTH} — as a
 * `JSON.stringify` of the same value would on a cycle: the caller's mistake, at the caller.
 */
export function pack(value: unknown): Buffer {
  if (busy) {
    // Re-entered from a getter of the value being encoded: encode on fresh state, then restore.
    const saved = { scratch, view, pos };
    scratch = Buffer.allocUnsafe(256);
    view = new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength);
    pos = 0;
    try {
      writeValue(value, 0);
      return Buffer.from(scratch.subarray(0, pos));
    } finally {
      ({ scratch, view, pos } = saved);
    }
  }
  busy = true;
  pos = 0;
  try {
    writeValue(value, 0);
    const out = Buffer.allocUnsafe(pos);
    scratch.copy(out, 0, 0, pos);
    return out;
  } finally {
    busy = false;
    // Do not keep a huge scratch buffer alive after one big message.
    if (scratch.length > 1 << 20) {
      scratch = Buffer.allocUnsafe(4096);
      view = new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength);
    }
  }
}

// ── decoding ────────────────────────────────────────────────────────────────────────────────

class Truncated extends Error {}
class Malformed extends Error {}

/** A cursor over one input. */
class Reader {
  readonly buf: Buffer;
  readonly view: DataView;
  at = 0;

  constructor(bytes: Uint8Array) {
    this.buf = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  need(n: number): number {
    const at = this.at;
    if (n > this.buf.length - at) throw new Truncated();
    this.at = at + n;
    return at;
  }

  u8(): number {
    return this.buf[this.need(1)] as number;
  }
  u16(): number {
    return this.view.getUint16(this.need(2));
  }
  u32(): number {
    return this.view.getUint32(this.need(4));
  }

  str(n: number): string {
    const at = this.need(n);
    const buf = this.buf;
    if (n < 16) {
      let s = "";
      for (let i = at; i < at + n; i++) {
        const c = buf[i] as number;
        if (c >= 0x80) return buf.toString("utf8", at, at + n);
        s += String.fromCharCode(c);
      }
      return s;
    }
    return buf.toString("utf8", at, at + n);
  }

  bin(n: number): Buffer {
    const at = this.need(n);
    return this.buf.subarray(at, at + n);
  }

  array(n: number, depth: number): unknown[] {
    // Every element takes at least one byte: a count beyond the input is a lie.
    if (n > this.buf.length - this.at) throw new Truncated();
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = this.value(depth + 1);
    return out;
  }

  map(n: number, depth: number): Record<string, unknown> {
    if (2 * n > this.buf.length - this.at) throw new Truncated();
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const key = this.value(depth + 1);
      const k = typeof key === "string" ? key : typeof key === "number" ? String(key) : undefined;
      if (k === undefined) throw new Malformed("map key is not a string or number");
      const value = this.value(depth + 1);
      // An own property, never the prototype setter.
      if (k === "__proto__")
        Object.defineProperty(out, k, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else out[k] = value;
    }
    return out;
  }

  ext(n: number): unknown {
    const type = this.view.getInt8(this.need(1));
    const at = this.need(n);
    if (type === 0) {
      // notepack.io: fixext 1 = undefined, fixext 8 = Date (milliseconds, int64).
      if (n === 8)
        return new Date(this.view.getInt32(at) * 0x100000000 + this.view.getUint32(at + 4));
      return undefined;
    }
    if (type === -1) {
      // The msgpack timestamp extension.
      if (n === 4) return new Date(this.view.getUint32(at) * 1000);
      if (n === 8) {
        const hi = this.view.getUint32(at);
        const lo = this.view.getUint32(at + 4);
        const sec = (hi & 0x3) * 0x100000000 + lo;
        return new Date(sec * 1000 + Math.floor((hi >>> 2) / 1e6));
      }
      if (n === 12) {
        const nsec = this.view.getUint32(at);
        const sec = this.view.getInt32(at + 4) * 0x100000000 + this.view.getUint32(at + 8);
        return new Date(sec * 1000 + Math.floor(nsec / 1e6));
      }
    }
    return new ExtData(type, this.buf.subarray(at, at + n));
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new Malformed(`nesting deeper than ${MAX_DEPTH}`);
    const b = this.u8();
    if (b < 0x80) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b < 0x90) return this.map(b & 0x0f, depth);
    if (b < 0xa0) return this.array(b & 0x0f, depth);
    if (b < 0xc0) return this.str(b & 0x1f);
    const v = this.view;
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.bin(this.u8());
      case 0xc5:
        return this.bin(this.u16());
      case 0xc6:
        return this.bin(this.u32());
      case 0xc7:
        return this.ext(this.u8());
      case 0xc8:
        return this.ext(this.u16());
      case 0xc9:
        return this.ext(this.u32());
      case 0xca:
        return v.getFloat32(this.need(4));
      case 0xcb:
        return v.getFloat64(this.need(8));
      case 0xcc:
        return this.u8();
      case 0xcd:
        return this.u16();
      case 0xce:
        return this.u32();
      case 0xcf: {
        const at = this.need(8);
        return v.getUint32(at) * 0x100000000 + v.getUint32(at + 4);
      }
      case 0xd0:
        return v.getInt8(this.need(1));
      case 0xd1:
        return v.getInt16(this.need(2));
      case 0xd2:
        return v.getInt32(this.need(4));
      case 0xd3: {
        const at = this.need(8);
        return v.getInt32(at) * 0x100000000 + v.getUint32(at + 4);
      }
      case 0xd4:
        return this.ext(1);
      case 0xd5:
        return this.ext(2);
      case 0xd6:
        return this.ext(4);
      case 0xd7:
        return this.ext(8);
      case 0xd8:
        return this.ext(16);
      case 0xd9:
        return this.str(this.u8());
      case 0xda:
        return this.str(this.u16());
      case 0xdb:
        return this.str(this.u32());
      case 0xdc:
        return this.array(this.u16(), depth);
      case 0xdd:
        return this.array(this.u32(), depth);
      case 0xde:
        return this.map(this.u16(), depth);
      case 0xdf:
        return this.map(this.u32(), depth);
      default:
        throw new Malformed(`unused type byte 0x${b.toString(16)}`);
    }
  }
}

/** Why {@link unpackValue} refused its input. */
export interface MsgpackError {
  readonly message: string;
}

/**
 * Decodes one msgpack value that fills `bytes` exactly. Binary comes back as Buffer views of
 * `bytes`. Never throws.
 */
export function unpackValue(bytes: Uint8Array): Result<unknown, MsgpackError> {
  if (bytes.byteLength === 0) return fail({ message: "empty input" });
  const reader = new Reader(bytes);
  try {
    const value = reader.value(0);
    if (reader.at !== reader.buf.length)
      return fail({ message: `${reader.buf.length - reader.at} bytes after the value` });
    return ok(value);
  } catch (err) {
    if (err instanceof Truncated) return fail({ message: "truncated input" });
    if (err instanceof Malformed) return fail({ message: err.message });
    // RangeError from a DataView read past the end counts as truncation too.
    return fail({ message: err instanceof Error ? err.message : String(err) });
  }
}
