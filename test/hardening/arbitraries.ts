/**
 * fast-check generators for the hardening tier: valid Engine.IO / Socket.IO packets (to check
 * round trips) and hostile input shaped like them (to check that nothing throws or crashes).
 */
import fc from "fast-check";
import type { EnginePacket, EnginePacketType } from "../../src/protocol/engine.js";
import { type Packet, PacketType, RESERVED_EVENTS } from "../../src/protocol/socket.js";

// ── Engine.IO ────────────────────────────────────────────────────────────────────────────────

const engineTypes: EnginePacketType[] = [
  "open",
  "close",
  "ping",
  "pong",
  "message",
  "upgrade",
  "noop",
];

/** Any string (including lone surrogates and control characters). */
export const anyString = (maxLength = 64): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: "binary", maxLength }),
    fc.string({ unit: "grapheme", maxLength }),
    fc.string({ maxLength }),
  );

/** With the `u` flag a surrogate pair is one code point, so only lone halves match. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Text for a Socket.IO packet. msgpack carries strings as UTF-8, which cannot hold a lone
 * surrogate (it would come back as U+FFFD), so the msgpack variant keeps strings well-formed.
 */
export const text = (maxLength: number, msgpack: boolean): fc.Arbitrary<string> =>
  msgpack ? anyString(maxLength).filter((s) => !LONE_SURROGATE.test(s)) : anyString(maxLength);

/** Bytes, as the Uint8Array views a transport hands over. */
export const anyBytes = (maxLength = 64): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength });

/**
 * A valid Engine.IO packet. `polling` packets' text may not contain the record separator
 * (the spec's own assumption); WebSocket packets may carry any text.
 */
export const enginePacket = (polling: boolean): fc.Arbitrary<EnginePacket> =>
  fc.oneof(
    fc.record({
      type: fc.constantFrom(...engineTypes),
      data: fc.option(
        anyString(80)
          .filter((s) => s.length > 0)
          .filter((s) => !polling || !s.includes("\x1e")),
        { nil: undefined },
      ),
    }),
    fc.record({ type: fc.constant("message" as const), data: anyBytes(80) }),
  );

/** Text shaped like a polling payload: plausible records and junk, joined by `\x1e`. */
export const payloadLike: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      anyString(30),
      fc
        .tuple(fc.constantFrom("0", "1", "2", "3", "4", "5", "6", "7", "b", ""), anyString(30))
        .map(([h, s]) => h + s),
      fc.base64String({ maxLength: 40 }).map((s) => `b${s}`),
    ),
    { maxLength: 6 },
  )
  .map((records) => records.join("\x1e"));

// ── Socket.IO ────────────────────────────────────────────────────────────────────────────────

/** A namespace name: `/` or `/` + text without `,` (the text format ends the name at a comma). */
export const namespace = (msgpack: boolean): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant("/") },
    {
      weight: 2,
      arbitrary: text(20, msgpack).map((s) => `/${msgpack ? s : s.replaceAll(",", "")}`),
    },
  );

export const ackId: fc.Arbitrary<number> = fc.oneof(
  fc.nat(1000),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);

/**
 * JSON-safe data. msgpack maps may not carry a `__proto__` key (its decoder refuses them), so
 * the msgpack variant leaves it out; the default parser gets it.
 */
export const jsonData = (msgpack: boolean, depth = 3): fc.Arbitrary<unknown> =>
  fc
    .jsonValue({ maxDepth: depth })
    // Normalised through JSON once: -0 is not JSON (it travels as 0).
    .map((v) => JSON.parse(JSON.stringify(v)) as unknown)
    .filter((v) => !msgpack || !hasKey(v, "__proto__"));

function hasKey(v: unknown, key: string): boolean {
  if (v === null || typeof v !== "object") return false;
  if (Object.hasOwn(v, key)) return true;
  return Object.values(v).some((x) => hasKey(x, key));
}

/** JSON-safe data with binary leaves (Uint8Array) anywhere in arrays or object values. */
export const dataWithBinary = (msgpack: boolean): fc.Arbitrary<unknown> => {
  const { tree } = fc.letrec<{ tree: unknown; leaf: unknown }>((tie) => ({
    leaf: fc.oneof(
      { weight: 3, arbitrary: jsonData(msgpack, 1) },
      { weight: 2, arbitrary: anyBytes(40) },
    ),
    tree: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      tie("leaf"),
      fc.array(tie("tree"), { maxLength: 4 }),
      fc
        .dictionary(
          text(8, msgpack).filter((k) => k !== "__proto__" && k !== "_placeholder"),
          tie("tree"),
          { maxKeys: 4 },
        )
        .map((o) => ({ ...o })),
    ),
  }));
  return tree;
};

const eventName = (msgpack: boolean): fc.Arbitrary<string | number> =>
  fc.oneof(
    text(20, msgpack).filter((s) => !RESERVED_EVENTS.has(s)),
    fc.integer(),
  );

/** A valid Socket.IO packet as an application would build it (binary anywhere in args). */
export const socketPacket = (msgpack: boolean): fc.Arbitrary<Packet> => {
  const args = fc.array(fc.oneof(jsonData(msgpack), dataWithBinary(msgpack)), { maxLength: 4 });
  const nsp = namespace(msgpack);
  const object = fc
    .dictionary(text(10, msgpack), jsonData(msgpack, 2), { maxKeys: 4, noNullPrototype: true })
    .filter((o) => !msgpack || !Object.hasOwn(o, "__proto__"));
  return fc.oneof(
    fc.record({
      type: fc.constant(PacketType.CONNECT),
      nsp,
      data: fc.option(object, { nil: undefined }),
    }),
    fc.record({ type: fc.constant(PacketType.DISCONNECT), nsp }),
    fc.record({
      type: fc.constant(PacketType.EVENT),
      nsp,
      data: fc.tuple(eventName(msgpack), args).map(([n, a]) => [n, ...a]),
      id: fc.option(ackId, { nil: undefined }),
    }),
    fc.record({ type: fc.constant(PacketType.ACK), nsp, data: args, id: ackId }),
    fc.record({
      type: fc.constant(PacketType.CONNECT_ERROR),
      nsp,
      data: fc.oneof(text(30, msgpack), object),
    }),
  );
};

/** Text shaped like a default-parser packet: a mix of valid pieces and junk. */
export const socketTextLike: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(fc.constantFrom("0", "1", "2", "3", "4", "5", "6"), anyString(2)),
    fc.oneof(
      fc.constant(""),
      fc.nat(20).map((n) => `${n}-`),
      fc.constantFrom("-", "99999999999999999999-", "1e3-", "-1-"),
    ),
    fc.oneof(
      fc.constant(""),
      namespace(false).map((n) => `${n},`),
      anyString(8),
    ),
    fc.oneof(fc.constant(""), fc.nat().map(String), fc.constantFrom("99999999999999999999", "1.5")),
    fc.oneof(
      fc.constant(""),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      anyString(30),
      fc.constantFrom(
        '["x",{"_placeholder":true,"num":0}]',
        '["x",{"_placeholder":true,"num":"__proto__"}]',
        '["x",{"_placeholder":true,"num":-1}]',
        '["x",{"_placeholder":true,"num":0.5}]',
        '["x",{"_placeholder":true,"num":1e308}]',
        '[{"toString":"x"}]',
        '["__proto__",{"__proto__":{"polluted":1}}]',
        `${"[".repeat(5000)}${"]".repeat(5000)}`,
      ),
    ),
  )
  .map((parts) => parts.join(""));
