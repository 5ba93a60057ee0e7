/**
 * Long-polling transport: one GET in flight to receive, one POST in flight to send
 * (payloads joined by `\x1e`, binary as `b` + base64).
 */

import { encodePayload, parsePayload } from "../../parser/engine/index.js";
import type { EnginePacket } from "../../protocol/engine.js";
import { buildHeaders, buildUrl, type ResolvedOptions } from "./options.js";
import type { CookieStore } from "./platform.js";
import { platform } from "./platform.node.js";
import { type ClientTransport, TransportError, type TransportHandler } from "./transport.js";

type PollingState = "idle" | "open" | "pausing" | "paused" | "closed";

/** Shared context a transport needs from its engine socket. */
export interface TransportContext {
  readonly opts: ResolvedOptions;
  /** Node: the cookie jar of `withCredentials`. */
  readonly jar: CookieStore | undefined;
}

/** HTTP long-polling. */
export class PollingTransport implements ClientTransport {
  readonly name = "polling";
  sid: string | undefined;
  #state: PollingState = "idle";
  #getting = false;
  #posting = false;
  #onPaused: (() => void) | undefined;
  readonly #abort = new AbortController();

  constructor(
    readonly ctx: TransportContext,
    public handler: TransportHandler,
  ) {}

  get writable(): boolean {
    return this.#state === "open" && !this.#posting;
  }

  open(): void {
    if (this.#state !== "idle") return;
    this.#state = "open";
    this.handler.onOpen();
    this.#poll();
  }

  send(packets: readonly EnginePacket[]): void {
    this.#posting = true;
    this.#request(encodePayload(packets)).then((body) => {
      this.#posting = false;
      if (body === undefined) return;
      this.handler.onDrain();
      this.#checkPaused();
    });
  }

  pause(onPaused: () => void): void {
    if (this.#state !== "open") return;
    this.#state = "pausing";
    this.#onPaused = onPaused;
    this.#checkPaused();
  }

  close(): void {
    if (this.#state === "closed") return;
    if (this.sid !== undefined) {
      // Tell the server; the pending GET is then answered, after which nothing is left open.
      this.#request("1").then(() => this.destroy());
      this.#state = "closed";
    } else this.destroy();
  }

  destroy(): void {
    this.#state = "closed";
    this.handler = noopHandler;
    this.#abort.abort();
  }

  #poll(): void {
    if (this.#getting || this.#state !== "open") return;
    this.#getting = true;
    this.#request().then((body) => {
      this.#getting = false;
      if (body !== undefined) this.#onPayload(body);
    });
  }

  #onPayload(body: string): void {
    const packets = parsePayload(body);
    if (!packets) {
      this.handler.onError(new TransportError("parse error"));
      return;
    }
    for (const packet of packets) {
      if (this.#state === "closed") return;
      if (packet.type === "close") {
        const handler = this.handler;
        this.destroy();
        handler.onClose({ description: "transport closed by the server" });
        return;
      }
      this.handler.onPacket(packet);
    }
    if (this.#state === "open") this.#poll();
    else this.#checkPaused();
  }

  #checkPaused(): void {
    if (this.#state !== "pausing" || this.#getting || this.#posting) return;
    this.#state = "paused";
    const cb = this.#onPaused;
    this.#onPaused = undefined;
    cb?.();
  }

  /**
   * A GET (no body) or POST; resolves with the response body, or with undefined once closed or
   * after reporting `xhr poll error` / `xhr post error` (never rejects).
   */
  async #request(body?: string): Promise<string | undefined> {
    const { opts, jar } = this.ctx;
    const reason = body === undefined ? "xhr poll error" : "xhr post error";
    let error: TransportError;
    try {
      const res = await platform.request({
        method: body === undefined ? "GET" : "POST",
        url: buildUrl(opts, "polling", this.sid),
        body,
        signal: this.#abort.signal,
        headers: buildHeaders(opts, "polling"),
        opts,
        jar,
      });
      if (this.#state === "closed") return undefined;
      if (res.status === 200) return res.body;
      error = new TransportError(reason, res.status, res);
    } catch (err) {
      error = new TransportError(reason, err);
    }
    if (this.#state !== "closed") this.handler.onError(error);
    return undefined;
  }
}

/** Handler used after a transport is destroyed: reports go nowhere. */
export const noopHandler: TransportHandler = {
  onOpen() {},
  onPacket() {},
  onDrain() {},
  onError() {},
  onClose() {},
};
