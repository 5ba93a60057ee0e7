/**
 * A raw Socket.IO client that can stop reading: how a slow consumer looks to the server.
 *
 * - polling: handshakes, CONNECTs, then simply issues no GET while stalled (everything the server
 *   sends stays in the session's buffer at once);
 * - websocket: a `ws` client whose TCP socket is paused while stalled (the kernel's send and
 *   receive buffers on loopback take several MB before the server's own buffer grows).
 *
 * It decodes what it receives with Tether's default parser and records every EVENT in arrival
 * order; `resume()` starts reading again. Pings are answered while reading.
 */
import { request } from "node:http";
import type { Socket as NetSocket } from "node:net";
import WebSocket from "ws";
import { decodePacket, decodePayload } from "../../../src/parser/engine/index.js";
import { defaultParser } from "../../../src/parser/socket/default.js";
import type { Decoder } from "../../../src/parser/socket/types.js";
import type { EnginePacket } from "../../../src/protocol/engine.js";
import { type Packet, PacketType } from "../../../src/protocol/socket.js";

const EIO = "/socket.io/?EIO=4";

/** One received EVENT: its name and arguments (binary as Uint8Array). */
export interface ReceivedEvent {
  readonly event: string;
  readonly args: readonly unknown[];
}

interface Reply {
  status: number;
  text: string;
}

function http(port: number, method: string, path: string, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { "Content-Type": "text/plain;charset=UTF-8" };
    const req = request({ host: "127.0.0.1", port, method, path, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

type Transport = "polling" | "websocket";

/** A raw client on one transport; see the module comment. */
export class StalledClient {
  readonly transport: Transport;
  /** Every EVENT received, in order. */
  readonly events: ReceivedEvent[] = [];
  /** Bytes of Engine.IO packets received (text length or binary length). */
  received = 0;
  /** Resolves when the connection is gone (ws close; polling `1` or 400). */
  readonly closed: Promise<void>;
  #port: number;
  #engineSid = "";
  #ws: WebSocket | undefined;
  #decoder: Decoder = defaultParser.createDecoder();
  #onClosed: () => void = () => {};
  #isClosed = false;
  #reading = true;
  /** The running GET loop (polling, while reading). */
  #pollLoopDone: Promise<void> | undefined;
  #waiters: { cond: () => boolean; resolve: () => void }[] = [];

  private constructor(port: number, transport: Transport) {
    this.#port = port;
    this.transport = transport;
    this.closed = new Promise((resolve) => {
      this.#onClosed = resolve;
    });
  }

  /**
   * Connects to namespace `/` with `auth`, waits for the CONNECT reply, and stalls at once
   * unless `stall` is false.
   */
  static async open(
    port: number,
    transport: Transport,
    auth: Record<string, unknown>,
    stall = true,
  ): Promise<StalledClient> {
    const c = new StalledClient(port, transport);
    const connect = `40${JSON.stringify(auth)}`;
    if (transport === "polling") {
      const hs = await http(port, "GET", `${EIO}&transport=polling`);
      if (hs.status !== 200 || !hs.text.startsWith("0{"))
        throw new Error(`handshake failed: ${hs.status} ${hs.text}`);
      c.#engineSid = (JSON.parse(hs.text.slice(1)) as { sid: string }).sid;
      await c.#post(connect);
      // One GET at a time until the CONNECT reply arrived.
      while (!c.#isClosed && !c.#connected()) await c.#poll();
    } else {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${EIO}&transport=websocket`);
      c.#ws = ws;
      ws.on("error", () => {});
      ws.on("close", () => c.#close());
      ws.on("message", (data: Buffer, isBinary: boolean) => {
        c.received += data.length;
        const raw = isBinary ? new Uint8Array(data) : data.toString();
        if (raw === "0" || (typeof raw === "string" && raw.startsWith("0{"))) {
          ws.send(connect);
          return;
        }
        const decoded = decodePacket(raw);
        if (decoded.ok) c.#onPacket(decoded.value);
      });
      await c.until(() => c.#connected(), 10_000, "CONNECT reply");
    }
    if (stall) await c.stall();
    else c.resume();
    return c;
  }

  #sid: string | undefined;

  #connected(): boolean {
    return this.#sid !== undefined;
  }

  /** Socket.IO session id given by the CONNECT reply. */
  get sid(): string {
    if (this.#sid === undefined) throw new Error("not connected");
    return this.#sid;
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /**
   * Stops reading (see the module comment). Over polling, a GET may be in flight: the returned
   * promise resolves once it has come back (the server must send something to release it).
   */
  stall(): Promise<void> {
    this.#reading = false;
    this.#rawSocket()?.pause();
    return this.#pollLoopDone ?? Promise.resolve();
  }

  /** Reads again: resumes the TCP socket, or restarts the GET loop. */
  resume(): void {
    this.#reading = true;
    if (this.#ws !== undefined) this.#rawSocket()?.resume();
    else this.#pollLoop();
  }

  /** Resolves when `cond()` holds after a received packet; rejects after `timeoutMs`. */
  until(cond: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        cond,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** Drops the connection without a close handshake. */
  destroy(): void {
    this.#reading = false;
    this.#ws?.terminate();
    this.#close();
  }

  #rawSocket(): NetSocket | undefined {
    // `ws` keeps its TCP socket private; pausing it is how a client stops reading.
    return (this.#ws as unknown as { _socket?: NetSocket } | undefined)?._socket;
  }

  #close(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#onClosed();
    this.#check();
  }

  #check(): void {
    const ready = this.#waiters.filter((w) => w.cond());
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  #send(text: string): void {
    if (this.#ws !== undefined) {
      if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(text);
    } else void this.#post(text).catch(() => {});
  }

  async #post(body: string): Promise<void> {
    await http(this.#port, "POST", `${EIO}&transport=polling&sid=${this.#engineSid}`, body);
  }

  /** One GET; its packets are handled before it resolves. */
  async #poll(): Promise<void> {
    const res = await http(this.#port, "GET", `${EIO}&transport=polling&sid=${this.#engineSid}`);
    this.received += res.text.length;
    if (res.status !== 200) {
      this.#close();
      return;
    }
    const decoded = decodePayload(res.text);
    if (!decoded.ok) {
      this.#close();
      return;
    }
    for (const p of decoded.value) this.#onPacket(p);
  }

  #pollLoop(): void {
    if (this.#pollLoopDone !== undefined) return;
    this.#pollLoopDone = (async () => {
      try {
        while (this.#reading && !this.#isClosed) await this.#poll();
      } catch {
        this.#close();
      } finally {
        this.#pollLoopDone = undefined;
      }
    })();
  }

  #onPacket(p: EnginePacket): void {
    switch (p.type) {
      case "ping":
        this.#send("3");
        return;
      case "close":
        this.#close();
        return;
      case "message": {
        const r = this.#decoder.add(p.data ?? "");
        if (r.ok && r.packet !== undefined) this.#onSocketPacket(r.packet);
        this.#check();
        return;
      }
      default:
        return;
    }
  }

  #onSocketPacket(packet: Packet): void {
    if (packet.type === PacketType.CONNECT) {
      const data = packet.data as { sid?: unknown } | undefined;
      if (typeof data?.sid === "string") this.#sid = data.sid;
      return;
    }
    if (packet.type === PacketType.DISCONNECT) {
      this.#close();
      return;
    }
    if (packet.type === PacketType.EVENT || packet.type === PacketType.BINARY_EVENT) {
      const [event, ...args] = packet.data as unknown[];
      this.events.push({ event: String(event), args });
    }
  }
}
