/**
 * A TCP proxy between the soak clients and the server that injects network faults: at random
 * intervals it destroys random proxied connections, both sides at once (half with a plain
 * close, half with a TCP reset). It sees every connection alike — WebSocket connections, long
 * polls, and idle keep-alive connections of the polling clients' HTTP agent.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { listen } from "../../helpers/wait.js";

interface Pair {
  readonly inbound: Socket;
  readonly outbound: Socket;
  /** From the first request line: a WebSocket upgrade or an HTTP (polling) connection. */
  kind: "websocket" | "polling" | "unknown";
  /** Position in the live array (swap-removal keeps picking O(1)). */
  index: number;
}

/** Kill counters by connection kind. */
export interface ProxyStats {
  connections: number;
  kills: number;
  killsWebsocket: number;
  killsPolling: number;
}

/** The fault-injecting proxy. */
export class FaultProxy {
  readonly #target: number;
  readonly #server: Server;
  readonly #live: Pair[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly stats: ProxyStats = { connections: 0, kills: 0, killsWebsocket: 0, killsPolling: 0 };

  constructor(targetPort: number) {
    this.#target = targetPort;
    this.#server = createServer((inbound) => this.#accept(inbound));
  }

  /** Listens on 127.0.0.1, port 0; resolves with the port. */
  listen(): Promise<number> {
    return listen(this.#server);
  }

  /** Open proxied connections. */
  get size(): number {
    return this.#live.length;
  }

  #accept(inbound: Socket): void {
    const outbound = createConnection({ port: this.#target, host: "127.0.0.1" });
    const pair: Pair = { inbound, outbound, kind: "unknown", index: this.#live.length };
    this.#live.push(pair);
    this.stats.connections++;
    inbound.setNoDelay(true);
    outbound.setNoDelay(true);
    inbound.once("data", (chunk: Buffer) => {
      const head = chunk.subarray(0, 512).toString("latin1");
      pair.kind = /transport=websocket/.test(head) ? "websocket" : "polling";
    });
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    const drop = () => this.#drop(pair);
    // A reset or a refused connection is part of the game: both sides simply go.
    inbound.on("error", drop);
    outbound.on("error", drop);
    inbound.on("close", drop);
    outbound.on("close", drop);
  }

  #drop(pair: Pair): void {
    pair.inbound.destroy();
    pair.outbound.destroy();
    const i = pair.index;
    if (this.#live[i] !== pair) return;
    const last = this.#live.pop();
    if (last && last !== pair) {
      last.index = i;
      this.#live[i] = last;
    }
  }

  #kill(pair: Pair, counted = true): void {
    if (counted) {
      this.stats.kills++;
      if (pair.kind === "websocket") this.stats.killsWebsocket++;
      else this.stats.killsPolling++;
    }
    if (Math.random() < 0.5) {
      pair.inbound.resetAndDestroy();
      pair.outbound.resetAndDestroy();
    }
    this.#drop(pair);
  }

  /**
   * Kills about `perSecond` random connections per second, in batches at random intervals
   * (uniform 50–450 ms), until {@link stopFaults}.
   */
  startFaults(perSecond: number): void {
    this.stopFaults();
    const next = () => {
      const delay = 50 + Math.random() * 400;
      this.#timer = setTimeout(() => {
        const expected = (perSecond * delay) / 1000;
        let n = Math.floor(expected) + (Math.random() < expected % 1 ? 1 : 0);
        while (n-- > 0 && this.#live.length > 0) {
          const pair = this.#live[Math.floor(Math.random() * this.#live.length)];
          if (pair) this.#kill(pair);
        }
        next();
      }, delay);
    };
    next();
  }

  stopFaults(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Kills every open connection (not counted in {@link stats}: used to end a round). */
  killAll(): void {
    while (this.#live.length > 0) {
      const pair = this.#live[this.#live.length - 1];
      if (pair) this.#kill(pair, false);
    }
  }

  /** Stops faults, drops every connection and closes the listener. */
  async close(): Promise<void> {
    this.stopFaults();
    while (this.#live.length > 0) {
      const pair = this.#live[this.#live.length - 1];
      if (pair) this.#drop(pair);
    }
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
