/**
 * Shared pieces of the hardening tier: a Tether server on port 0 with an echo handler, raw
 * polling / WebSocket sessions that speak Engine.IO by hand, a "bystander" session that keeps
 * exchanging acknowledged messages while a test attacks the same server, and the fuzz time
 * budget (`FUZZ_SECONDS`, see scripts/fuzz.mjs).
 */
import assert from "node:assert/strict";
import { createServer, type Server as HttpServer, request } from "node:http";
import type { TestContext } from "node:test";
import WebSocket from "ws";
import { defaultParser } from "../../src/parser/socket/default.js";
import type { Parser } from "../../src/parser/socket/types.js";
import { type Packet, PacketType } from "../../src/protocol/socket.js";
import { Server, type ServerOptions } from "../../src/server/index.js";
import { closeServer, listen, waitFor } from "../helpers/wait.js";
import { watchUncaught } from "./raw-http.js";

// ── fuzz budget ──────────────────────────────────────────────────────────────────────────────

/** Seconds of fuzzing for the whole tier: ~30 in `npm test`, more with `npm run fuzz`. */
export const FUZZ_SECONDS = (() => {
  const v = Number(process.env.FUZZ_SECONDS);
  return Number.isFinite(v) && v > 0 ? v : 30;
})();

/** Milliseconds of fuzzing granted to one property: `share` of the tier's budget. */
export function fuzzBudget(share: number): number {
  return Math.max(200, Math.round(FUZZ_SECONDS * 1000 * share));
}

/** Options for fc.assert: run until the time budget is spent (an interrupt is not a failure). */
export function fuzzRuns(ms: number): { numRuns: number; interruptAfterTimeLimit: number } {
  return { numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: ms };
}

/** Per-test timeout leaving room for setup and teardown around a fuzz budget. */
export function testTimeout(ms: number): { timeout: number } {
  return { timeout: ms + 60_000 };
}

// ── server ───────────────────────────────────────────────────────────────────────────────────

export interface IoHarness {
  io: Server;
  http: HttpServer;
  port: number;
  /** Server-side disconnect reasons, in order. */
  reasons: string[];
  /** Arguments of every `echo` event received (what handlers were given; not the bystander's). */
  received: unknown[][];
}

/**
 * Starts a Tether server with an `echo` handler (acks its arguments) and a catch-all listener;
 * disposed when the test ends.
 */
export async function startIo(t: TestContext, opts: ServerOptions = {}): Promise<IoHarness> {
  const http = createServer();
  const io = new Server(http, { serveClient: false, ...opts });
  const reasons: string[] = [];
  const received: unknown[][] = [];
  io.on("connection", (socket) => {
    socket.on("echo", (...args: unknown[]) => {
      const ack = args.at(-1);
      const data = typeof ack === "function" ? args.slice(0, -1) : args;
      received.push(data);
      if (typeof ack === "function") ack(...data);
    });
    // Touch every argument the way an application would, so odd values surface here.
    socket.onAny((...args: unknown[]) => {
      for (const a of args) if (typeof a !== "function") JSON.stringify(a ?? null);
    });
    socket.on("bystander", (payload: unknown, ack: unknown) => {
      if (typeof ack === "function") ack(payload);
    });
    socket.on("disconnect", (reason: string) => reasons.push(reason));
  });
  const port = await listen(http);
  t.after(async () => {
    await io.close();
    await closeServer(http);
  });
  return { io, http, port, reasons, received };
}

// ── raw HTTP ─────────────────────────────────────────────────────────────────────────────────

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One raw HTTP request (no agent, so no connection reuse between fuzz cases). */
export function http(
  port: number,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString(),
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

const EIO = "/socket.io/?EIO=4";

/** A raw polling session: handshake done, packets exchanged by hand. */
export class PollingPeer {
  readonly port: number;
  readonly sid: string;

  private constructor(port: number, sid: string) {
    this.port = port;
    this.sid = sid;
  }

  /** Performs the polling handshake. */
  static async open(port: number): Promise<PollingPeer> {
    const res = await http(port, "GET", `${EIO}&transport=polling`);
    assert.equal(res.status, 200, res.text);
    assert.ok(res.text.startsWith("0{"), res.text);
    const sid = (JSON.parse(res.text.slice(1)) as { sid: string }).sid;
    return new PollingPeer(port, sid);
  }

  /** POSTs a raw payload body. */
  post(body: string | Buffer, headers: Record<string, string> = {}): Promise<HttpReply> {
    return http(this.port, "POST", `${EIO}&transport=polling&sid=${this.sid}`, body, {
      "Content-Type": "text/plain;charset=UTF-8",
      ...headers,
    });
  }

  /**
   * Ends the session: POSTs `1`, then GETs until the server answers 400 or delivers `1` (a
   * session the server is already closing hands over what it still holds first).
   */
  async end(): Promise<void> {
    const res = await this.post("1");
    assert.ok([200, 400].includes(res.status), `close POST: ${res.status}`);
    for (let i = 0; ; i++) {
      assert.ok(i < 5, "session never finished closing");
      const got = await this.get();
      if (got.status === 400) return;
      assert.equal(got.status, 200);
      if (got.text.split("\x1e").includes("1")) return;
    }
  }

  /** One GET (held by the server until it has something to send). */
  get(): Promise<HttpReply> {
    return http(this.port, "GET", `${EIO}&transport=polling&sid=${this.sid}`);
  }
}

/** A raw WebSocket session (Engine.IO over ws, pings answered automatically). */
export class WsPeer {
  readonly ws: WebSocket;
  readonly closed: Promise<{ code: number; reason: string }>;
  /** True once the WebSocket is open; false if it closed (or was refused) first. */
  readonly ready: Promise<boolean>;
  #queue: (string | Buffer)[] = [];
  #waiters: ((m: string | Buffer | undefined) => void)[] = [];
  #isClosed = false;

  constructor(port: number, query = "") {
    this.ws = new WebSocket(`ws://127.0.0.1:${port}${EIO}&transport=websocket${query}`);
    this.ws.on("error", () => {});
    this.ready = new Promise((resolve) => {
      this.ws.once("open", () => resolve(true));
      this.ws.once("close", () => resolve(false));
    });
    this.ws.on("message", (data: Buffer, isBinary: boolean) => {
      const m = isBinary ? data : data.toString();
      if (m === "2") {
        this.ws.send("3");
        return;
      }
      const w = this.#waiters.shift();
      if (w) w(m);
      else this.#queue.push(m);
    });
    this.closed = new Promise((resolve) => {
      this.ws.once("close", (code: number, reason: Buffer) => {
        this.#isClosed = true;
        for (const w of this.#waiters.splice(0)) w(undefined);
        resolve({ code, reason: reason.toString() });
      });
    });
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Opens a session and consumes the Engine.IO open packet. */
  static async open(port: number): Promise<WsPeer> {
    const peer = new WsPeer(port);
    const first = await peer.next();
    assert.ok(typeof first === "string" && first.startsWith("0{"), String(first));
    return peer;
  }

  send(data: string | Buffer | Uint8Array): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(data);
  }

  /** Next message; undefined when the socket closed first. */
  next(timeoutMs = 10_000): Promise<string | Buffer | undefined> {
    const q = this.#queue.shift();
    if (q !== undefined) return Promise.resolve(q);
    if (this.#isClosed) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.#waiters.indexOf(done);
        if (i !== -1) this.#waiters.splice(i, 1);
        reject(new Error(`no message within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (m: string | Buffer | undefined): void => {
        clearTimeout(timer);
        resolve(m);
      };
      this.#waiters.push(done);
    });
  }

  terminate(): void {
    this.ws.terminate();
  }
}

// ── bystander ────────────────────────────────────────────────────────────────────────────────

export interface Bystander {
  /** Stops the loop; resolves with the number of acknowledged round trips. */
  stop(): Promise<number>;
}

/**
 * A healthy client on its own WebSocket session that keeps sending `bystander` events with an ack
 * and checks every answer, until stopped. It fails (rejects `stop`) if any answer is missing,
 * wrong, or its connection closes.
 */
export async function startBystander(port: number, parser: Parser): Promise<Bystander> {
  const peer = await WsPeer.open(port);
  const encoder = parser.createEncoder();
  const decoder = parser.createDecoder();
  const send = (packet: Packet): void => {
    // Text chunks travel as Engine.IO `message` packets (`4` + text); binary frames are messages.
    for (const chunk of encoder.encode(packet))
      peer.send(typeof chunk === "string" ? `4${chunk}` : chunk);
  };
  const receive = async (): Promise<Packet> => {
    for (;;) {
      const m = await peer.next(15_000);
      if (m === undefined) throw new Error("bystander connection closed");
      const raw = typeof m === "string" ? m : new Uint8Array(m);
      if (typeof raw === "string") {
        if (!raw.startsWith("4")) continue;
        const r = decoder.add(raw.slice(1));
        if (!r.ok) throw r.error;
        if (r.packet) return r.packet;
      } else {
        const r = decoder.add(raw);
        if (!r.ok) throw r.error;
        if (r.packet) return r.packet;
      }
    }
  };
  send({ type: PacketType.CONNECT, nsp: "/" });
  const connected = await receive();
  assert.equal(connected.type, PacketType.CONNECT);
  let running = true;
  let count = 0;
  const loop = (async () => {
    while (running) {
      const id = count;
      const payload = { n: id, s: `hello ${id}`, list: [id, true, null] };
      send({ type: PacketType.EVENT, nsp: "/", id, data: ["bystander", payload] });
      const reply = await receive();
      assert.equal(reply.type, PacketType.ACK);
      assert.equal(reply.id, id);
      assert.deepEqual(reply.data, [payload]);
      count++;
      // Leave the CPU to the attack between round trips, without a fixed sleep.
      await new Promise<void>((r) => setImmediate(r));
    }
  })();
  // `stop()` reports the loop's failure; until then it must not count as unhandled.
  loop.catch(() => {});
  return {
    async stop() {
      running = false;
      await loop;
      assert.ok(!peer.isClosed, "bystander connection stayed open");
      peer.terminate();
      return count;
    },
  };
}

/** Waits until the engine has exactly `n` sessions. */
export function waitForSessions(h: IoHarness, n: number, what: string): Promise<void> {
  return waitFor(() => h.io.engine?.clientsCount === n, 15_000, what);
}

// ── scene ────────────────────────────────────────────────────────────────────────────────────

export interface Scene {
  h: IoHarness;
  bystander: Bystander;
  uncaught: Error[];
  /** Asserts nothing crashed and the bystander is still served; then stops it. */
  finish(): Promise<void>;
}

/** A server plus a bystander, with exceptions reaching the event loop recorded. */
export async function scene(t: TestContext, opts: ServerOptions = {}): Promise<Scene> {
  const watch = watchUncaught();
  t.after(() => watch.stop());
  const h = await startIo(t, opts);
  const bystander = await startBystander(h.port, opts.parser ?? defaultParser);
  let stopped = false;
  t.after(async () => {
    if (!stopped) await bystander.stop().catch(() => {});
  });
  return {
    h,
    bystander,
    uncaught: watch.errors,
    async finish() {
      stopped = true;
      const exchanged = await bystander.stop();
      assert.ok(exchanged > 0, "the bystander kept exchanging messages");
      assert.deepEqual(watch.errors, [], "no exception reached the event loop");
    },
  };
}

/** Sends `40` and waits for the CONNECT reply. */
export async function connected(port: number): Promise<WsPeer> {
  const peer = await WsPeer.open(port);
  peer.send("40");
  assert.match(String(await peer.next()), /^40\{"sid":"/);
  return peer;
}
