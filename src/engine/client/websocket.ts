/**
 * WebSocket transport: one Engine.IO packet per frame (text = type digit + data, binary = raw
 * message bytes). Native `WebSocket` in browsers, `ws` in Node (see `platform.node.ts`).
 */

import { encodePacket, parsePacket } from "../../parser/engine/index.js";
import type { EnginePacket } from "../../protocol/engine.js";
import { buildUrl } from "./options.js";
import type { WebSocketLike } from "./platform.js";
import { platform } from "./platform.node.js";
import { noopHandler, type TransportContext } from "./polling.js";
import { type ClientTransport, TransportError, type TransportHandler } from "./transport.js";

type WsState = "idle" | "opening" | "open" | "closed";

/** WebSocket transport. */
export class WebSocketTransport implements ClientTransport {
  readonly name = "websocket";
  sid: string | undefined;
  #state: WsState = "idle";
  #sending = false;
  #ws: WebSocketLike | undefined;

  constructor(
    readonly ctx: TransportContext,
    public handler: TransportHandler,
  ) {}

  get writable(): boolean {
    return this.#state === "open" && !this.#sending;
  }

  open(): void {
    if (this.#state !== "idle") return;
    const { opts, jar } = this.ctx;
    let ws: WebSocketLike | undefined;
    let failure: unknown = "WebSocket is not available";
    try {
      ws = platform.createWebSocket(buildUrl(opts, "websocket", this.sid), opts, jar);
    } catch (err) {
      failure = err;
    }
    if (ws === undefined) {
      this.#state = "closed";
      this.handler.onError(new TransportError("websocket error", failure));
      return;
    }
    this.#state = "opening";
    this.#ws = ws;
    ws.onopen = () => {
      this.#state = "open";
      this.handler.onOpen();
    };
    // destroy() detaches these handlers, so they never run on a closed transport.
    ws.onclose = (ev) => {
      const handler = this.handler;
      this.destroy();
      handler.onClose({ description: "websocket connection closed", context: ev });
    };
    ws.onerror = (ev) => {
      const handler = this.handler;
      this.destroy();
      handler.onError(new TransportError("websocket error", ev));
    };
    ws.onmessage = (ev) => this.#onMessage(ev.data);
  }

  #onMessage(data: unknown): void {
    // Text, a Buffer (`ws`, "nodebuffer") or an ArrayBuffer (browsers, "arraybuffer").
    const packet = parsePacket(
      typeof data === "string" || data instanceof Uint8Array
        ? data
        : new Uint8Array(data as ArrayBuffer),
    );
    if (packet) this.handler.onPacket(packet);
    else this.handler.onError(new TransportError("parse error"));
  }

  send(packets: readonly EnginePacket[]): void {
    const ws = this.#ws;
    if (ws === undefined || this.#state !== "open") return;
    this.#sending = true;
    for (const p of packets) ws.send(encodePacket(p), p.options);
    // Report the drain asynchronously, like the network would, so callers never re-enter.
    queueMicrotask(() => {
      this.#sending = false;
      if (this.#state === "open") this.handler.onDrain();
    });
  }

  pause(onPaused: () => void): void {
    onPaused();
  }

  close(): void {
    this.destroy();
  }

  destroy(): void {
    this.#state = "closed";
    this.handler = noopHandler;
    const ws = this.#ws;
    if (!ws) return;
    this.#ws = undefined;
    ws.onopen = ws.onmessage = ws.onclose = null;
    // Keep an error listener: `ws` throws on an unhandled error after close().
    ws.onerror = () => {};
    try {
      ws.close();
    } catch {
      // Closing a socket that never connected may throw in some runtimes; it is gone either way.
    }
  }
}
