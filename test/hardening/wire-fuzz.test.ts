/**
 * Time-boxed fuzzing of a real Tether server over real sockets: random payloads over HTTP
 * long-polling, random text/binary messages over WebSocket, and random bytes written straight
 * onto an upgraded TCP connection (invalid frames included). Throughout, a healthy "bystander"
 * session on the same server keeps exchanging acknowledged messages; at the end every fuzzed
 * session is gone and the bystander never missed an answer.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { connect, type Socket as NetSocket } from "node:net";
import { describe, it, type TestContext } from "node:test";
import { encode as msgpackEncode } from "@msgpack/msgpack";
import fc from "fast-check";
import { defaultParser } from "../../src/parser/socket/default.js";
import { msgpackParser } from "../../src/parser/socket/msgpack.js";
import type { Parser } from "../../src/parser/socket/types.js";
import { anyBytes, anyString, payloadLike, socketPacket, socketTextLike } from "./arbitraries.js";
import {
  fuzzBudget,
  fuzzRuns,
  type IoHarness,
  PollingPeer,
  startBystander,
  startIo,
  testTimeout,
  WsPeer,
  waitForSessions,
} from "./harness.js";

/** Small limits so that oversize paths are reached too. */
const LIMITS = { maxHttpBufferSize: 4096 } as const;

/** Runs `attack` as a time-boxed async property while a bystander keeps talking. */
async function underAttack<T>(
  t: TestContext,
  h: IoHarness,
  parser: Parser,
  share: number,
  arb: fc.Arbitrary<T>,
  attack: (value: T) => Promise<void>,
): Promise<void> {
  const bystander = await startBystander(h.port, parser);
  let runs = 0;
  const ms = fuzzBudget(share);
  try {
    await fc.assert(
      fc.asyncProperty(arb, async (value) => {
        runs++;
        await attack(value);
      }),
      fuzzRuns(ms),
    );
  } catch (err) {
    await bystander.stop().catch(() => {});
    throw err;
  }
  const exchanged = await bystander.stop();
  t.diagnostic(`${runs} attacks in ${ms} ms; bystander completed ${exchanged} acked round trips`);
  assert.ok(runs > 0 && exchanged > 0);
  await waitForSessions(h, 0, "every fuzzed session to be closed");
}

/** Socket.IO-looking Engine.IO messages (`4` + packet text) for the default parser. */
const defaultMessage = fc.oneof(
  socketTextLike.map((s) => `4${s}`),
  socketPacket(false).map((p) => {
    const [head, ...rest] = defaultParser.createEncoder().encode(p);
    return [
      `4${String(head)}`,
      ...rest.map((b) => `b${Buffer.from(b as Uint8Array).toString("base64")}`),
    ].join("\x1e");
  }),
);

const pollingBody = fc.oneof(
  payloadLike,
  fc.array(defaultMessage, { minLength: 1, maxLength: 4 }).map((m) => m.join("\x1e")),
  anyString(300),
  anyBytes(300).map((b) => Buffer.from(b)),
  fc.constant("4".repeat(LIMITS.maxHttpBufferSize + 1)),
);

const wsFrame = fc.oneof(
  defaultMessage.map((s) => s.split("\x1e")[0] as string),
  anyString(200),
  fc.constantFrom("2", "2probe", "3", "5", "6", "1", "0", "", "4", "40", "41", "b"),
  anyBytes(200),
  fc.constant("4".repeat(LIMITS.maxHttpBufferSize + 1)),
);

describe("a Tether server under random input over real sockets", () => {
  it(
    "answers random polling payloads with 200/400/413, closing only the offending sessions",
    testTimeout(fuzzBudget(0.12)),
    async (t) => {
      const h = await startIo(t, LIMITS);
      const cases = fc.record({
        connectFirst: fc.boolean(),
        bodies: fc.array(pollingBody, { minLength: 1, maxLength: 3 }),
      });
      await underAttack(t, h, defaultParser, 0.12, cases, async ({ connectFirst, bodies }) => {
        const peer = await PollingPeer.open(h.port);
        if (connectFirst) assert.equal((await peer.post("40")).status, 200);
        for (const body of bodies) {
          const res = await peer.post(body);
          assert.ok([200, 400, 413].includes(res.status), `status ${res.status}`);
        }
        // Ends the session if the fuzz input did not.
        await peer.end();
      });
    },
  );

  it(
    "survives random WebSocket messages (default parser), closing only the offending sessions",
    testTimeout(fuzzBudget(0.1)),
    async (t) => {
      const h = await startIo(t, LIMITS);
      const cases = fc.record({
        connectFirst: fc.boolean(),
        frames: fc.array(wsFrame, { minLength: 1, maxLength: 5 }),
      });
      await underAttack(t, h, defaultParser, 0.1, cases, async ({ connectFirst, frames }) => {
        const peer = await WsPeer.open(h.port);
        if (connectFirst) {
          peer.send("40");
          assert.match(String(await peer.next()), /^40\{"sid":/);
        }
        for (const f of frames) peer.send(typeof f === "string" ? f : Buffer.from(f));
        peer.ws.close();
        await peer.closed;
      });
    },
  );

  it(
    "survives random WebSocket messages (msgpack parser), closing only the offending sessions",
    testTimeout(fuzzBudget(0.08)),
    async (t) => {
      const h = await startIo(t, { ...LIMITS, parser: msgpackParser });
      const msgpackFrame = fc.oneof(
        socketPacket(true).map((p) => msgpackParser.createEncoder().encode(p)[0] as Uint8Array),
        fc.anything({ maxDepth: 3 }).map((v) => {
          try {
            return msgpackEncode(v);
          } catch {
            return new Uint8Array([0xc1]);
          }
        }),
        fc
          .record(
            {
              type: fc.integer({ min: -1, max: 6 }),
              nsp: fc.oneof(fc.constant("/"), anyString(8)),
              data: fc.anything({ maxDepth: 2 }),
              id: fc.oneof(fc.nat(), fc.double(), fc.string()),
            },
            { requiredKeys: ["type", "nsp"] },
          )
          .map((m) => msgpackEncode(m, { ignoreUndefined: true })),
        anyBytes(100),
        anyString(50).map((s) => `4${s}`),
      );
      const cases = fc.array(msgpackFrame, { minLength: 1, maxLength: 5 });
      await underAttack(t, h, msgpackParser, 0.08, cases, async (frames) => {
        const peer = await WsPeer.open(h.port);
        for (const f of frames) peer.send(typeof f === "string" ? f : Buffer.from(f));
        peer.ws.close();
        await peer.closed;
      });
    },
  );

  it(
    "survives random frames on upgrade probes, closing only the probed sessions",
    testTimeout(fuzzBudget(0.08)),
    async (t) => {
      const h = await startIo(t, LIMITS);
      const cases = fc.record({
        probeFirst: fc.boolean(),
        frames: fc.array(wsFrame, { maxLength: 4 }),
        finishUpgrade: fc.boolean(),
      });
      await underAttack(
        t,
        h,
        defaultParser,
        0.08,
        cases,
        async ({ probeFirst, frames, finishUpgrade }) => {
          const polling = await PollingPeer.open(h.port);
          const probe = new WsPeer(h.port, `&sid=${polling.sid}`);
          if (await probe.ready) {
            if (probeFirst) {
              probe.send("2probe");
              assert.equal(await probe.next(), "3probe");
            }
            for (const f of frames) probe.send(typeof f === "string" ? f : Buffer.from(f));
            if (finishUpgrade) probe.send("5");
            probe.ws.close();
            await probe.closed;
          }
          // Upgraded sessions died with their socket; the others are still polling: end them.
          await polling.end();
        },
      );
    },
  );

  it(
    "survives random bytes and malformed frames written onto an upgraded TCP connection",
    testTimeout(fuzzBudget(0.1)),
    async (t) => {
      const h = await startIo(t, LIMITS);
      const frame = fc
        .record({
          fin: fc.boolean(),
          rsv: fc.integer({ min: 0, max: 7 }),
          opcode: fc.integer({ min: 0, max: 15 }),
          masked: fc.boolean(),
          payload: anyBytes(300),
          lengthForm: fc.constantFrom("exact", "lie-short", "lie-long", "64bit"),
        })
        .map(encodeFrame);
      const cases = fc.record({
        chunks: fc.array(fc.oneof(frame, anyBytes(64)), { minLength: 1, maxLength: 4 }),
        ending: fc.constantFrom("end", "destroy", "reset"),
      });
      await underAttack(t, h, defaultParser, 0.1, cases, async ({ chunks, ending }) => {
        const socket = await rawUpgrade(h.port);
        const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
        for (const c of chunks) socket.write(c);
        if (ending === "end") socket.end();
        else if (ending === "destroy") socket.destroy();
        else socket.resetAndDestroy();
        await closed;
      });
    },
  );
});

/** Builds one WebSocket frame from fuzzed header fields (possibly lying about its length). */
function encodeFrame(f: {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Uint8Array;
  lengthForm: "exact" | "lie-short" | "lie-long" | "64bit";
}): Buffer {
  const len =
    f.lengthForm === "lie-short"
      ? Math.max(0, f.payload.length - 3)
      : f.lengthForm === "lie-long"
        ? f.payload.length + 10
        : f.payload.length;
  const header: number[] = [(f.fin ? 0x80 : 0) | (f.rsv << 4) | f.opcode];
  const mask = f.masked ? 0x80 : 0;
  if (f.lengthForm === "64bit") {
    header.push(
      mask | 127,
      0,
      0,
      0,
      0,
      (len >>> 24) & 255,
      (len >>> 16) & 255,
      (len >>> 8) & 255,
      len & 255,
    );
  } else if (len < 126) header.push(mask | len);
  else header.push(mask | 126, (len >>> 8) & 255, len & 255);
  const key = f.masked ? randomBytes(4) : Buffer.alloc(0);
  const body = Buffer.from(f.payload);
  if (f.masked)
    for (let i = 0; i < body.length; i++) body[i] = (body[i] as number) ^ (key[i % 4] as number);
  return Buffer.concat([Buffer.from(header), key, body]);
}

/** Performs a WebSocket handshake by hand; resolves with the raw socket after the 101. */
function rawUpgrade(port: number): Promise<NetSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    socket.on("error", () => {});
    let head = "";
    const onData = (d: Buffer): void => {
      head += d.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      // Keep reading (and discarding) so the server's writes never stall.
      socket.on("data", () => {});
      if (head.startsWith("HTTP/1.1 101")) resolve(socket);
      else reject(new Error(`upgrade refused: ${head.split("\r\n")[0]}`));
    };
    socket.on("data", onData);
    socket.once("connect", () => {
      socket.write(
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n" +
          "Host: 127.0.0.1\r\n" +
          "Connection: Upgrade\r\n" +
          "Upgrade: websocket\r\n" +
          "Sec-WebSocket-Version: 13\r\n" +
          `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\n\r\n`,
      );
    });
  });
}
