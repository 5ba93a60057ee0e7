/**
 * Long-polling transport: one GET in flight to receive, one POST in flight to send
 * (payloads joined by `\x1e`, binary as `b` + base64).
 */

import { decodePayload, encodePayload } from "../../parser/engine/index.js";
import type { EnginePacket } from "../../protocol/engine.js";
import { buildUrl, type ResolvedOptions } from "./options.js";
import type { CookieStore, HttpResponse } from "./platform.js";
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
    this.#request("POST", encodePayload(packets)).then(
      (res) => {
        this.#posting = false;
        if (this.#state === "closed") return;
        if (res.status !== 200) {
          this.handler.onError(new TransportError("xhr post error", res.status, res));
          return;
        }
        this.handler.onDrain();
        this.#checkPaused();
      },
      (err: unknown) => {
        this.#posting = false;
        this.#fail("xhr post error", err);
      },
    );
  }

  pause(onPaused: () => void): void {
    if (this.#state !== "open") return;
    this.#state = "pausing";
    this.#onPaused = onPaused;
    this.#checkPaused();
  }

  close(): void {
    if (this.#state === "closed") return;
    if (this.sid === undefined) {
      this.destroy();
      return;
    }
    // Tell the server; the pending GET is then answered, after which nothing is left open.
    const done = () => this.destroy();
    this.#request("POST", "1").then(done, done);
    this.#state = "closed";
  }

  destroy(): void {
    this.#state = "closed";
    this.handler = noopHandler;
    this.#abort.abort();
  }

  #poll(): void {
    if (this.#getting || this.#state !== "open") return;
    this.#getting = true;
    this.#request("GET").then(
      (res) => {
        this.#getting = false;
        if (this.#state === "closed") return;
        if (res.status !== 200) {
          this.handler.onError(new TransportError("xhr poll error", res.status, res));
          return;
        }
        this.#onPayload(res.body);
      },
      (err: unknown) => {
        this.#getting = false;
        this.#fail("xhr poll error", err);
      },
    );
  }

  #onPayload(body: string): void {
    const decoded = decodePayload(body);
    if (!decoded.ok) {
      this.handler.onError(new TransportError("parse error", decoded.error));
      return;
    }
    for (const packet of decoded.value) {
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

  #fail(reason: string, err: unknown): void {
    if (this.#state === "closed") return;
    this.handler.onError(new TransportError(reason, err));
  }

  #request(method: "GET" | "POST", body?: string): Promise<HttpResponse> {
    const { opts, jar } = this.ctx;
    return platform.request({
      method,
      url: buildUrl(opts, "polling", this.sid),
      body,
      signal: this.#abort.signal,
      opts,
      jar,
    });
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
