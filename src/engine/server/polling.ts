/**
 * The long-polling transport of one session.
 *
 * - GET: held until the session has packets, then answered with one `\x1e`-joined payload.
 *   At most one GET may be pending; a second one is an error that closes the session.
 * - POST: a payload of packets from the client, answered `200 ok` once decoded.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { deflate, gzip } from "node:zlib";
import { EngineServerErrors, engineError } from "./errors.js";
import type { OutboundPacket } from "./outbound.js";
import type { ServerTransport, TransportOwner } from "./transport.js";
import { POLLING_V4, type PollingWire } from "./wire.js";

/** Upstream forces a polling close this long after it was asked for when no GET comes. */
const CLOSE_TIMEOUT = 30_000;

/** Answer to the GET a pending close waited for (noop, then close). */

type PollingState = "idle" | "polling" | "closing" | "closed";

/** Picks `gzip` or `deflate` from an `Accept-Encoding` header (highest q; gzip wins ties). */
export function pickEncoding(header: string | undefined): "gzip" | "deflate" | undefined {
  if (!header) return undefined;
  let best: "gzip" | "deflate" | undefined;
  let bestQ = 0;
  for (const part of header.split(",")) {
    const [rawName = "", ...params] = part.trim().split(";");
    const name = rawName.trim().toLowerCase();
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    if (!(q > 0)) continue;
    const candidates: ("gzip" | "deflate")[] =
      name === "*" ? ["gzip", "deflate"] : name === "gzip" || name === "deflate" ? [name] : [];
    for (const c of candidates) {
      if (q > bestQ || (q === bestQ && c === "gzip" && best !== "gzip")) {
        best = c;
        bestQ = q;
      }
    }
  }
  return best;
}

function endEmpty(res: ServerResponse, status: number): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { "Content-Length": "0", Connection: "close" });
  res.end();
}

/** Long-polling transport. */
export class PollingTransport implements ServerTransport {
  readonly name = "polling" as const;
  #owner: TransportOwner;
  #state: PollingState = "idle";
  #req: IncomingMessage | undefined;
  #res: ServerResponse | undefined;
  #post: IncomingMessage | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  /** The last response written, until it is flushed (counted in `bufferedAmount`). */
  #inflight: ServerResponse | undefined;
  /** `pollingRateLimit` token bucket: tokens left, and when they were last counted (0: full). */
  #tokens = 0;
  #tokensAt = 0;
  readonly #wire: PollingWire;

  /** @param wire the session's protocol revision's payload format (Engine.IO v4 by default) */
  constructor(owner: TransportOwner, wire: PollingWire = POLLING_V4) {
    this.#owner = owner;
    this.#wire = wire;
  }

  /**
   * Takes one token of a bucket refilled at `rate` per second and holding at most `rate`;
   * false when the session's requests are over the rate (polling sessions only: a WebSocket
   * session has no polling requests to count).
   */
  takeToken(rate: number): boolean {
    const now = Date.now();
    if (this.#tokensAt === 0) this.#tokens = rate;
    else this.#tokens = Math.min(rate, this.#tokens + ((now - this.#tokensAt) * rate) / 1000);
    this.#tokensAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  get writable(): boolean {
    return this.#state === "polling";
  }

  /** Bytes of the last response not yet handed to the OS (a client reading it slowly). */
  get bufferedAmount(): number {
    const res = this.#inflight;
    if (res === undefined) return 0;
    if (res.writableFinished || res.destroyed) {
      this.#inflight = undefined;
      return 0;
    }
    return res.writableLength;
  }

  /** Polling spans many requests: no connection belongs to the session. */
  get socket(): undefined {
    return undefined;
  }

  #transition(next: PollingState): void {
    if (this.#state === "closing" && this.#closeTimer !== undefined) {
      clearTimeout(this.#closeTimer);
      this.#closeTimer = undefined;
    }
    this.#state = next;
  }

  /** Handles one polling request of this session (method already known to be GET/POST/other). */
  onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (req.method === "GET") this.#onPoll(req, res);
    else if (req.method === "POST") this.#onData(req, res);
    else endEmpty(res, 500);
  }

  #onPoll(req: IncomingMessage, res: ServerResponse): void {
    // A new GET: the client is done with the previous response.
    this.#inflight = undefined;
    switch (this.#state) {
      case "closed":
        endEmpty(res, 400);
        return;
      case "polling":
        // Overlapping GET: the session closes (the pending GET gets `1`), this one gets 400.
        this.#owner.onTransportError(
          this,
          engineError(EngineServerErrors.POLL_OVERLAP, "overlap from client"),
        );
        endEmpty(res, 400);
        return;
      case "closing":
        // As upstream: the close waited for this GET, which is answered with a noop and the close.
        this.#transition("closed");
        this.#write(req, res, this.#wire.closeAfterNoop, false);
        this.#owner.onTransportClose(this);
        return;
      case "idle":
        break;
    }
    this.#req = req;
    this.#res = res;
    this.#transition("polling");
    res.once("close", () => {
      if (this.#res === res && !res.writableEnded) {
        this.#res = undefined;
        this.#req = undefined;
        if (this.#state !== "closed") {
          this.#transition("closed");
          this.#owner.onTransportError(
            this,
            engineError(EngineServerErrors.POLL_ABORTED, "poll connection closed prematurely"),
          );
        }
      }
    });
    this.#owner.onTransportReady(this);
  }

  #onData(req: IncomingMessage, res: ServerResponse): void {
    if (this.#state === "closed") {
      endEmpty(res, 400);
      return;
    }
    if (this.#post !== undefined) {
      endEmpty(res, 400);
      this.#owner.onTransportError(
        this,
        engineError(EngineServerErrors.POST_OVERLAP, "data request overlap from client"),
      );
      return;
    }
    const binary = req.headers["content-type"] === "application/octet-stream";
    if (binary && !this.#wire.binaryBodies) {
      endEmpty(res, 400);
      this.#owner.onTransportError(
        this,
        engineError(EngineServerErrors.INVALID_CONTENT, "invalid content"),
      );
      return;
    }
    const max = this.#owner.maxPayload;
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > max) {
      this.#tooLarge(res);
      return;
    }
    this.#post = req;
    const chunks: Buffer[] = [];
    let length = 0;
    const cleanup = (): void => {
      req.off("data", onChunk);
      req.off("end", onEnd);
      res.off("close", onAbort);
      if (this.#post === req) this.#post = undefined;
    };
    const onChunk = (chunk: Buffer): void => {
      length += chunk.length;
      if (length > max) {
        cleanup();
        this.#tooLarge(res);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length);
      this.#onPayload(body, binary);
      this.#write(req, res, "ok", false, "text/html");
    };
    const onAbort = (): void => {
      if (res.writableEnded) return;
      cleanup();
      this.#owner.onTransportError(
        this,
        engineError(EngineServerErrors.POST_ABORTED, "data request connection closed prematurely"),
      );
    };
    req.on("data", onChunk);
    req.once("end", onEnd);
    res.once("close", onAbort);
  }

  #tooLarge(res: ServerResponse): void {
    endEmpty(res, 413);
    this.#owner.onTransportError(
      this,
      engineError(EngineServerErrors.PAYLOAD_TOO_LARGE, "payload too large"),
    );
  }

  #isClosed(): boolean {
    return this.#state === "closed";
  }

  #onPayload(body: Buffer, binary: boolean): void {
    if (this.#state === "closed") return;
    const decoded = this.#wire.decode(body, binary);
    if (!decoded.ok) {
      this.#owner.onTransportParseError(this, decoded.error);
      return;
    }
    for (const packet of decoded.value) {
      // A listener may have closed the session (or a `close` packet did).
      if (this.#isClosed()) return;
      this.#owner.onTransportPacket(this, packet);
    }
  }

  send(packets: readonly OutboundPacket[], compress: boolean): void {
    const req = this.#req;
    const res = this.#res;
    if (this.#state !== "polling" || req === undefined || res === undefined) return;
    const payload = this.#wire.encode(packets);
    this.#req = undefined;
    this.#res = undefined;
    this.#transition("idle");
    this.#write(req, res, payload, compress);
    // Kept (no listeners) until it is flushed or the next GET comes, whichever is checked first.
    this.#inflight = res;
    this.#owner.onTransportDrain(this);
  }

  #write(
    req: IncomingMessage,
    res: ServerResponse,
    body: string | Uint8Array,
    compress: boolean,
    contentType = "text/plain; charset=UTF-8",
  ): void {
    if (res.writableEnded || res.destroyed) return;
    const buf =
      typeof body === "string"
        ? Buffer.from(body, "utf8")
        : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const headers: Record<string, string | string[]> = {
      "Content-Type": typeof body === "string" ? contentType : "application/octet-stream",
      "Content-Length": String(buf.length),
      "Cache-Control": "no-store",
    };
    // The session is over: the client's next handshake should open a new connection, which a
    // TCP load balancer may send to another node (graceful drain).
    if (body === this.#wire.close || body === this.#wire.closeAfterNoop)
      headers.Connection = "close";
    this.#owner.decorateHeaders(req, headers);
    const threshold = this.#owner.compressionThreshold;
    const encoding =
      compress && threshold !== false && buf.length >= threshold
        ? pickEncoding(req.headers["accept-encoding"])
        : undefined;
    if (encoding === undefined) {
      res.writeHead(200, headers);
      res.end(buf);
      return;
    }
    const done = (err: Error | null, out: Buffer): void => {
      if (res.writableEnded || res.destroyed) return;
      if (err) {
        endEmpty(res, 500);
        return;
      }
      headers["Content-Encoding"] = encoding;
      headers["Content-Length"] = String(out.length);
      res.writeHead(200, headers);
      res.end(out);
    };
    if (encoding === "gzip") gzip(buf, done);
    else deflate(buf, done);
  }

  close(): void {
    if (this.#state === "closing" || this.#state === "closed") return;
    const { req, res } = { req: this.#req, res: this.#res };
    if (this.#state === "polling" && req !== undefined && res !== undefined) {
      this.#req = undefined;
      this.#res = undefined;
      this.#transition("closed");
      this.#write(req, res, this.#wire.close, false);
      this.#owner.onTransportClose(this);
      return;
    }
    this.#transition("closing");
    this.#closeTimer = setTimeout(() => {
      this.#closeTimer = undefined;
      if (this.#state !== "closing") return;
      this.#transition("closed");
      this.#owner.onTransportClose(this);
    }, CLOSE_TIMEOUT);
    this.#closeTimer.unref();
  }

  discard(closing: boolean): void {
    const { req, res } = { req: this.#req, res: this.#res };
    this.#req = undefined;
    this.#res = undefined;
    this.#inflight = undefined;
    this.#transition("closed");
    if (req !== undefined && res !== undefined)
      this.#write(req, res, closing ? this.#wire.close : this.#wire.noop, false);
  }
}
