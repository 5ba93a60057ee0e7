/**
 * One default Socket.IO codec for server and client (src/parser/socket): the client's parser and
 * the server's are the same encoder and decoder, the browser bundle carries that code (without
 * the server's limit checks and messages), and the one step that differs by platform — writing
 * the JSON with binary placeholders (docs/adr/0003-one-codec-per-wire-format.md) — writes the
 * same text and attachments on both. socket.io-parser is the oracle for the wire.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { Encoder as OfficialEncoder } from "socket.io-parser";
import { managerDefaults } from "../../src/client/manager.js";
import type { Attachment } from "../../src/parser/socket/binary.js";
import {
  clientParser,
  type DecodeResult,
  DefaultDecoder,
  DefaultEncoder,
  defaultParser,
} from "../../src/parser/socket/index.js";
import { stringifyWithPlaceholders as browserStringify } from "../../src/parser/socket/placeholders.js";
import { stringifyWithPlaceholders as nodeStringify } from "../../src/parser/socket/placeholders.node.js";
import { type Packet, SocketErrorCodes } from "../../src/protocol/socket.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
type Chunk = string | Uint8Array;
const bin = (...b: number[]) => new Uint8Array(b);
/** Chunks as comparable values: text, or the bytes of any binary (views of any element size). */
const wire = (chunks: readonly unknown[]) =>
  chunks.map((c) =>
    typeof c === "string"
      ? c
      : c instanceof ArrayBuffer
        ? [...new Uint8Array(c)]
        : ArrayBuffer.isView(c)
          ? [...new Uint8Array(c.buffer, c.byteOffset, c.byteLength)]
          : c,
  );

/** The browser bundle's encoder: DefaultEncoder with the replacer step instead of the walk. */
function browserEncode(packet: Packet): Chunk[] {
  const { type, nsp, id, data } = packet;
  const attachments: Attachment[] = [];
  const json =
    type === 2 || type === 3 || type >= 5
      ? browserStringify(data, attachments)
      : JSON.stringify(data);
  const n = attachments.length;
  const head = n || type >= 5 ? `${type === 2 || type === 5 ? 5 : 6}${n}-` : `${type}`;
  return [
    head + (nsp !== "/" ? `${nsp},` : "") + (id ?? "") + (json ?? ""),
    ...(attachments as Uint8Array[]),
  ];
}

describe("one default codec: the same code on both sides", () => {
  it("gives the client's Manager and the server the same encoder and decoder classes", () => {
    assert.equal(managerDefaults.parser, clientParser);
    for (const parser of [clientParser, defaultParser]) {
      assert.ok(parser.createEncoder() instanceof DefaultEncoder);
      assert.ok(parser.createDecoder() instanceof DefaultDecoder);
    }
    assert.ok(defaultParser.createDecoder({ maxDepth: 3 }) instanceof DefaultDecoder);
  });

  describe("the browser bundle", () => {
    before(async () => {
      const step = "../../scripts/build-steps/client-bundles.mjs";
      const { default: build } = (await import(step)) as {
        default: (root: string) => Promise<void>;
      };
      await build(root);
    });

    it("is built from the shared codec modules, with the browser placeholder step", () => {
      const map = JSON.parse(
        readFileSync(join(root, "dist/bundles/socket.io.min.js.map"), "utf8"),
      ) as { sources: string[] };
      const has = (file: string) => map.sources.some((s) => s.endsWith(file));
      for (const file of [
        "src/parser/socket/default.ts",
        "src/parser/socket/binary.ts",
        "src/parser/socket/placeholders.ts",
        "src/parser/engine/index.ts",
        "src/shared/base64.ts",
      ]) {
        assert.ok(has(file), `bundled: ${file}`);
      }
      for (const file of ["placeholders.node.ts", "src/client/codec.ts", "client/codec.ts"]) {
        assert.ok(!has(file), `not bundled: ${file}`);
      }
    });

    it("leaves out the server's limit checks, messages and coded engine errors", () => {
      const code = readFileSync(join(root, "dist/bundles/socket.io.min.js"), "utf8");
      for (const serverOnly of [
        "Illegal attachments",
        "event name longer",
        "nested deeper",
        "SIO_ERR_EVENT_NAME_TOO_LONG",
        "EIO_ERR_EMPTY_PACKET",
        "invalid base64 data",
      ]) {
        assert.ok(!code.includes(serverOnly), serverOnly);
      }
    });
  });
});

describe("one default codec: encoding", () => {
  const packets: Packet[] = [
    { type: 0, nsp: "/" },
    { type: 0, nsp: "/admin", data: { token: "x", pid: "p", offset: "o" } },
    { type: 1, nsp: "/admin" },
    { type: 2, nsp: "/", data: ["hello", 1, { a: [true, null] }] },
    { type: 2, nsp: "/chat", data: ["ev"], id: 12 },
    { type: 3, nsp: "/", data: [], id: 0 },
    { type: 2, nsp: "/", data: ["bin", bin(1, 2), { deep: [new ArrayBuffer(2)] }], id: 3 },
    { type: 3, nsp: "/x", data: [new Uint16Array([1, 2]).subarray(1)], id: 4 },
    { type: 2, nsp: "/", data: ["buf", Buffer.from([7, 8]), new Date(0), [NaN, -0]] },
    { type: 0, nsp: "/", data: { auth: bin(1) } },
    { type: 4, nsp: "/", data: { message: "no" } },
  ];

  it("writes what socket.io-parser writes, on Node and in the browser bundle", () => {
    const official = new OfficialEncoder();
    const ours = new DefaultEncoder();
    for (const p of packets) {
      const expected = wire(official.encode(p as never) as unknown[]);
      assert.deepEqual(wire(ours.encode(p)), expected, JSON.stringify(p));
      assert.deepEqual(wire(browserEncode(p)), expected, `browser: ${JSON.stringify(p)}`);
    }
  });

  it("follows toJSON() as JSON.stringify does, and leaves the input untouched", () => {
    const withToJSON = { toJSON: () => ({ inner: bin(9) }) };
    const own = JSON.parse('{"__proto__":{"b":1},"x":0}') as Record<string, unknown>;
    own.x = bin(3);
    const data = ["ev", withToJSON, { keep: 1, b: bin(5) }, own];
    const before = JSON.stringify(data);
    const expected = [
      '53-["ev",{"inner":{"_placeholder":true,"num":0}},{"keep":1,"b":{"_placeholder":true,"num":1}},{"__proto__":{"b":1},"x":{"_placeholder":true,"num":2}}]',
      [9],
      [5],
      [3],
    ];
    const p: Packet = { type: 2, nsp: "/", data };
    assert.deepEqual(wire(new DefaultEncoder().encode(p)), expected);
    assert.deepEqual(wire(browserEncode(p)), expected);
    assert.equal(JSON.stringify(data), before, "input not mutated");
    assert.equal(Object.getPrototypeOf(own), Object.prototype);
    assert.equal(({} as Record<string, unknown>).b, undefined);
  });

  it("property: the Node walk and the browser replacer write the same JSON and attachments", () => {
    const leaf = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.uint8Array({ maxLength: 4 }),
      fc.constant(new ArrayBuffer(2)),
      fc.constant(new Date(5)),
      fc.constant(Number.NaN),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        leaf,
        fc.array(tie("node"), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 4 }), tie("node"), { maxKeys: 4 }),
        tie("node").map((v) => ({ toJSON: () => v })),
      ),
    })).node;
    fc.assert(
      fc.property(value, (data) => {
        const a: Attachment[] = [];
        const b: Attachment[] = [];
        assert.equal(nodeStringify(data, a), browserStringify(data, b));
        assert.deepEqual(
          a.map((x) => [...(x as Uint8Array)]),
          b.map((x) => [...(x as Uint8Array)]),
        );
      }),
      { numRuns: 1000, interruptAfterTimeLimit: 4000 },
    );
  });
});

/** Feeds the chunks to a fresh decoder of each parser; returns the last results. */
function decodeBoth(chunks: Chunk[]): [DecodeResult, DecodeResult] {
  const run = (d: ReturnType<typeof clientParser.createDecoder>) => {
    let r: DecodeResult = { ok: true, packet: undefined };
    for (const c of chunks) r = d.add(c);
    return r;
  };
  return [run(clientParser.createDecoder()), run(defaultParser.createDecoder())];
}

describe("one default codec: decoding on both sides", () => {
  const S = SocketErrorCodes;
  const cases: [Chunk[], string][] = [
    [[""], S.UNKNOWN_PACKET_TYPE],
    [["7"], S.UNKNOWN_PACKET_TYPE],
    [["5woooot"], S.INVALID_ATTACHMENTS],
    [['5["ev"]'], S.INVALID_ATTACHMENTS],
    [[`5${"1".repeat(17)}-["ev"]`], S.INVALID_ATTACHMENTS],
    [['511-["ev"]'], S.TOO_MANY_ATTACHMENTS],
    [["3"], S.INVALID_ACK_ID],
    [[`2${"9".repeat(17)}["ev"]`], S.INVALID_ACK_ID],
    [[`2${"0".repeat(16)}1["ev"]`], S.INVALID_ACK_ID],
    [['2["ev"'], S.INVALID_JSON],
    [['21-["ev"]'], S.INVALID_JSON],
    [['2["connect"]'], S.INVALID_PAYLOAD],
    [["2{}"], S.INVALID_PAYLOAD],
    [['2/a["ev"]'], S.INVALID_PAYLOAD],
    [['51-["ev",{"_placeholder":true,"num":1}]', bin(1)], S.INVALID_PLACEHOLDER],
    [['51-["ev",{"_placeholder":true}]', bin(1)], S.INVALID_PLACEHOLDER],
    [['51-["ev",{"_placeholder":true,"num":0}]', '2["ev"]'], S.UNEXPECTED_TEXT],
    [[bin(1)], S.UNEXPECTED_BINARY],
  ];

  it("refuses malformed input with the same code on the client and the server", () => {
    for (const [chunks, code] of cases) {
      const [client, server] = decodeBoth(chunks);
      const label = JSON.stringify(wire(chunks));
      assert.equal(client.ok ? "accepted" : client.error.code, code, `client: ${label}`);
      assert.equal(server.ok ? "accepted" : server.error.code, code, `server: ${label}`);
      // Only the server spells out the cause; the browser bundle ships one short message.
      assert.equal(client.ok ? "" : client.error.message, "invalid packet");
      assert.notEqual(server.ok ? "" : server.error.message, "invalid packet", label);
    }
  });

  it("puts an attachment under a `__proto__` key as an own property, never a prototype", () => {
    const chunks: Chunk[] = ['51-["ev",{"__proto__":{"_placeholder":true,"num":0}}]', bin(7)];
    for (const r of decodeBoth(chunks)) {
      assert.ok(r.ok && r.packet, "decoded");
      const arg = (r.packet.data as unknown[])[1] as object;
      assert.equal(Object.getPrototypeOf(arg), Object.prototype);
      assert.deepEqual(Object.getOwnPropertyDescriptor(arg, "__proto__")?.value, bin(7));
      assert.equal(({} as Record<string, unknown>)[0], undefined);
    }
  });

  it("keeps socket.io-parser's message for a bad attachment count on the server", () => {
    const [, server] = decodeBoth(["5woooot"]);
    assert.equal(server.ok ? "" : server.error.message, "Illegal attachments");
  });

  it("reads input nested deep enough to exhaust the stack as a failure, without a throw", () => {
    const deep = `${"[".repeat(200_000)}${"]".repeat(200_000)}`;
    for (const chunks of [
      [`2["ev",${deep}]`],
      [`51-["ev",${deep},{"_placeholder":true,"num":0}]`, bin(1)],
    ] as Chunk[][]) {
      const [client, server] = decodeBoth(chunks);
      assert.equal(client.ok, server.ok);
    }
  });

  it("fails every chunk after destroy()", () => {
    for (const parser of [clientParser, defaultParser]) {
      const d = parser.createDecoder();
      d.destroy();
      const r = d.add('2["ev"]');
      assert.equal(r.ok ? "" : r.error.code, SocketErrorCodes.DECODER_DESTROYED);
    }
  });

  it("property: every packet either encoder writes reads back on both sides", () => {
    const json = fc.jsonValue({ maxDepth: 3 });
    const binary = fc.uint8Array({ maxLength: 8 });
    const arg = fc.oneof(json, binary, fc.array(fc.oneof(json, binary), { maxLength: 3 }));
    const packet = fc.record({
      type: fc.constantFrom(2 as const, 3 as const),
      nsp: fc.constantFrom("/", "/chat", "/a-b"),
      id: fc.option(fc.nat(), { nil: undefined }),
      args: fc.array(arg, { maxLength: 4 }),
    });
    fc.assert(
      fc.property(packet, ({ type, nsp, id, args }) => {
        const p: Packet =
          type === 2
            ? { type, nsp, data: ["ev", ...args], id }
            : { type, nsp, data: args, id: id ?? 0 };
        const chunks = new DefaultEncoder().encode(p);
        assert.deepEqual(wire(browserEncode(p)), wire(chunks));
        for (const r of decodeBoth(chunks)) {
          assert.ok(r.ok && r.packet, r.ok ? "incomplete" : r.error.message);
          assert.deepEqual(r.packet.data, p.data);
          assert.equal(r.packet.id, p.id);
          assert.equal(r.packet.nsp, p.nsp);
        }
      }),
      { numRuns: 300, interruptAfterTimeLimit: 4000 },
    );
  });

  it("property: client and server give the same verdict and code on text built from protocol fragments", () => {
    const fragment = fc.constantFrom(
      ..."0123456789".split(""),
      "-",
      "/",
      "/nsp",
      ",",
      "[",
      "]",
      '"ev"',
      "{}",
      '{"_placeholder":true,"num":0}',
      "null",
    );
    const text = fc.array(fragment, { maxLength: 8 }).map((parts) => parts.join(""));
    fc.assert(
      fc.property(
        fc.array(fc.oneof(text, fc.constant(bin(1))), { minLength: 1, maxLength: 3 }),
        (chunks) => {
          const [client, server] = decodeBoth(chunks);
          assert.equal(client.ok, server.ok);
          if (!client.ok && !server.ok) assert.equal(client.error.code, server.error.code);
          if (client.ok && server.ok) assert.deepEqual(client.packet, server.packet);
        },
      ),
      { numRuns: 2000, interruptAfterTimeLimit: 4000 },
    );
  });
});
