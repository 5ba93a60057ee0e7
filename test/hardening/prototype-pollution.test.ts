/**
 * Prototype pollution through what clients send: `__proto__` / `constructor` / `prototype` keys
 * in JSON event arguments, CONNECT auth and msgpack maps, and crafted binary placeholder objects
 * (the socket.io-parser advisory CVE-2022-2421 family: `num` as a string, float, negative, huge,
 * `__proto__`, placeholders nested under such keys). After each case `Object.prototype` is
 * untouched, handlers only ever received plain data, and bad placeholders close just the
 * offending connection with `parse error`.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { encode as msgpackEncode } from "@msgpack/msgpack";
import { msgpackParser } from "../../src/parser/socket/msgpack.js";
import { connected, type Scene, scene, WsPeer, waitForSessions } from "./harness.js";

const protoNames = Object.getOwnPropertyNames(Object.prototype).sort();
const protoDescriptors = Object.getOwnPropertyDescriptors(Object.prototype);

function assertPrototypeUntouched(): void {
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), protoNames);
  const now = Object.getOwnPropertyDescriptors(Object.prototype);
  for (const name of protoNames) {
    assert.equal(now[name]?.value, protoDescriptors[name]?.value, `Object.prototype.${name}`);
  }
  const probe: Record<string, unknown> = {};
  assert.equal(probe.polluted, undefined);
  assert.equal(Object.getPrototypeOf(probe), Object.prototype);
}

afterEach(assertPrototypeUntouched);

/** Handlers only see arrays, plain objects, primitives and Buffers. */
function assertPlain(value: unknown): void {
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== "object") {
      assert.notEqual(typeof v, "function", "a handler received a function");
      continue;
    }
    if (Buffer.isBuffer(v) || v instanceof Uint8Array || v instanceof ArrayBuffer) continue;
    const proto: unknown = Object.getPrototypeOf(v);
    if (Array.isArray(v)) assert.equal(proto, Array.prototype);
    else assert.ok(proto === Object.prototype || proto === null, "foreign prototype");
    stack.push(...Object.values(v));
  }
}

/** Sends an acked `echo` and returns what the handler received. */
async function echo(s: Scene, peer: WsPeer, args: string, id: number): Promise<unknown[]> {
  const before = s.h.received.length;
  peer.send(`42${id}["echo",${args}]`);
  const reply = await peer.next();
  assert.ok(typeof reply === "string" && reply.startsWith(`43${id}[`), String(reply));
  assert.equal(s.h.received.length, before + 1);
  const got = s.h.received.at(-1) as unknown[];
  assertPlain(got);
  return got;
}

describe("prototype pollution through JSON event arguments", () => {
  it("keeps __proto__, constructor and prototype keys as own data of plain objects", async (t) => {
    const s = await scene(t);
    const peer = await connected(s.h.port);
    const [a] = await echo(s, peer, '{"__proto__":{"polluted":"yes"},"x":1}', 1);
    assert.equal(Object.getPrototypeOf(a), Object.prototype);
    assert.ok(Object.hasOwn(a as object, "__proto__"));
    assert.equal((a as { polluted?: unknown }).polluted, undefined);
    const [b] = await echo(s, peer, '{"constructor":{"prototype":{"polluted":"yes"}}}', 2);
    assert.equal(Object.getPrototypeOf(b), Object.prototype);
    const [c] = await echo(s, peer, '[{"prototype":{"polluted":1}},{"__proto__":[]}]', 3);
    assert.ok(Array.isArray(c));
    await echo(s, peer, '{"a":{"b":{"__proto__":{"__proto__":{"polluted":1}}}}}', 4);
    // Event names that are Object.prototype members reach no handler and break nothing.
    for (const name of ["__proto__", "constructor", "hasOwnProperty", "toString", "valueOf"]) {
      peer.send(`42["${name}",{"polluted":1}]`);
    }
    await echo(s, peer, '"still answering"', 5);
    peer.terminate();
    await s.finish();
  });

  it("keeps such keys inert in CONNECT auth, recovery fields and acknowledgements", async (t) => {
    const s = await scene(t, { connectionStateRecovery: {} });
    let auth: Record<string, unknown> | undefined;
    let ackArgs: unknown[] | undefined;
    s.h.io.on("connection", (socket) => {
      auth = socket.handshake.auth;
      socket.emit("ask", (...args: unknown[]) => {
        ackArgs = args;
      });
    });
    const peer = await WsPeer.open(s.h.port);
    peer.send(
      '40{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"pid":{"__proto__":1},"offset":["x"]}',
    );
    assert.match(String(await peer.next()), /^40\{"sid":"/);
    const ask = String(await peer.next());
    const m = /^42(\d+)\["ask"\]$/.exec(ask);
    assert.ok(m, ask);
    peer.send(`43${m[1]}[{"__proto__":{"polluted":1}}]`);
    await waitForSessions(s.h, 2, "the session to stay open");
    await echo(s, peer, "1", 7);
    assert.ok(auth && Object.hasOwn(auth, "__proto__"));
    assertPlain(auth);
    assert.ok(ackArgs);
    assertPlain(ackArgs);
    peer.terminate();
    await s.finish();
  });
});

describe("prototype pollution through binary placeholders", () => {
  it("closes the connection with 'parse error' for every malformed placeholder", async (t) => {
    const s = await scene(t);
    const nums = [
      '"__proto__"',
      '"0"',
      "0.5",
      "-1",
      "1e300",
      "null",
      "true",
      "[0]",
      "{}",
      '"constructor"',
    ];
    const cases = [
      ...nums.map((n) => `451-["echo",{"_placeholder":true,"num":${n}}]`),
      '451-["echo",{"_placeholder":true}]',
      // One attachment referenced twice and another never: both are refused.
      '452-["echo",{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]',
      '451-["echo",{"__proto__":{"_placeholder":true,"num":"__proto__"}}]',
      '450-["echo",{"_placeholder":true,"num":0}]',
    ];
    for (const packet of cases) {
      const before = s.h.reasons.length;
      const received = s.h.received.length;
      const peer = await connected(s.h.port);
      peer.send(packet);
      peer.send(Buffer.from([1, 2, 3]));
      peer.send(Buffer.from([4]));
      await peer.closed;
      await waitForSessions(s.h, 1, `${packet} to close its session`);
      assert.deepEqual(s.h.reasons.slice(before), ["parse error"], packet);
      assert.equal(s.h.received.length, received, `${packet} reached a handler`);
      assertPrototypeUntouched();
    }
    await s.finish();
  });

  it("substitutes placeholders nested under __proto__ / constructor keys as own data", async (t) => {
    const s = await scene(t);
    const peer = await connected(s.h.port);
    peer.send(
      '452-1["echo",{"__proto__":{"_placeholder":true,"num":0},"constructor":{"prototype":{"_placeholder":true,"num":1}}}]',
    );
    peer.send(Buffer.from([1, 2, 3]));
    peer.send(Buffer.from([4, 5]));
    const reply = String(await peer.next());
    assert.match(reply, /^462-1\[/);
    const [arg] = s.h.received.at(-1) as [Record<string, unknown>];
    assertPlain(arg);
    assert.equal(Object.getPrototypeOf(arg), Object.prototype);
    const own = Object.getOwnPropertyDescriptor(arg, "__proto__")?.value;
    assert.ok(Buffer.isBuffer(own), "the attachment is an own property");
    assert.deepEqual([...own], [1, 2, 3]);
    const ctor = arg.constructor as { prototype: unknown };
    assert.deepEqual([...(ctor.prototype as Buffer)], [4, 5]);
    peer.terminate();
    await s.finish();
  });
});

describe("prototype pollution through msgpack maps", () => {
  it("refuses maps with a __proto__ key (parse error) and keeps constructor/prototype inert", async (t) => {
    const s = await scene(t, { parser: msgpackParser });
    const encoder = msgpackParser.createEncoder();
    const open = async (): Promise<WsPeer> => {
      const peer = await WsPeer.open(s.h.port);
      peer.send(encoder.encode({ type: 0, nsp: "/" })[0] as Uint8Array);
      assert.ok(Buffer.isBuffer(await peer.next()));
      return peer;
    };
    // A map whose own key is `__proto__`, anywhere in the packet.
    for (const json of [
      '{"type":2,"nsp":"/","data":["echo",{"__proto__":{"polluted":1}}]}',
      '{"type":2,"nsp":"/","data":["echo"],"__proto__":{"polluted":1}}',
      '{"type":0,"nsp":"/x","data":{"__proto__":{"polluted":1}}}',
    ]) {
      const before = s.h.reasons.length;
      const peer = await open();
      peer.send(msgpackEncode(JSON.parse(json)));
      await peer.closed;
      await waitForSessions(s.h, 1, "the offending session to close");
      assert.deepEqual(s.h.reasons.slice(before), ["parse error"], json);
    }
    const peer = await open();
    const data = JSON.parse('["echo",{"constructor":{"prototype":{"polluted":1}},"prototype":1}]');
    peer.send(msgpackEncode({ type: 2, nsp: "/", data, id: 3 }));
    assert.ok(Buffer.isBuffer(await peer.next()));
    const [arg] = s.h.received.at(-1) as [Record<string, unknown>];
    assertPlain(arg);
    assert.equal(Object.getPrototypeOf(arg), Object.prototype);
    peer.terminate();
    await s.finish();
  });
});
