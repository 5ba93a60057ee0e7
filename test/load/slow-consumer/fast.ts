/**
 * The fast clients of the slow-consumer scenario: Tether clients over WebSocket that read
 * everything, recording the latency of every `tick(phase, sentAt)` per phase.
 */
import { performance } from "node:perf_hooks";
import { io, type Socket } from "../../../src/client/index.js";
import type { Role } from "./protocol.js";

/** Sample count and percentiles in ms (nearest rank), rounded to 0.01 ms. */
export interface LatencySummary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

function summarize(values: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  const at = (p: number): number => {
    if (sorted.length === 0) return Number.NaN;
    const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return Math.round((sorted[rank] as number) * 100) / 100;
  };
  return { n: sorted.length, p50: at(50), p95: at(95), p99: at(99), max: at(100) };
}

/** Latency samples of one phase (ms), and ticks received per client. */
export class PhaseSamples {
  #values: number[] = [];
  readonly perClient = new Map<number, number>();
  /** Per tick (keyed by its send time): the latency of the first client to get it. */
  readonly firstDelivery = new Map<number, number>();

  add(client: number, sentAt: number, ms: number): void {
    this.#values.push(ms);
    this.perClient.set(client, (this.perClient.get(client) ?? 0) + 1);
    const first = this.firstDelivery.get(sentAt);
    if (first === undefined || ms < first) this.firstDelivery.set(sentAt, ms);
  }

  /** All samples of `parts` as one set (ticks of different phases never share a send time). */
  static merge(parts: readonly PhaseSamples[]): PhaseSamples {
    const all = new PhaseSamples();
    for (const p of parts) {
      for (const v of p.#values) all.#values.push(v);
      for (const [at, ms] of p.firstDelivery) all.firstDelivery.set(at, ms);
    }
    return all;
  }

  get count(): number {
    return this.#values.length;
  }

  /** Percentiles of every sample (each client, each tick). */
  summary(): LatencySummary {
    return summarize(this.#values);
  }

  /** Percentiles of the first delivery of each tick (the server's share of the latency). */
  firstDeliverySummary(): LatencySummary {
    return summarize([...this.firstDelivery.values()]);
  }
}

/** A set of connected Tether clients recording tick latency. */
export class Fleet {
  readonly sockets: Socket[] = [];
  readonly phases = new Map<number, PhaseSamples>();
  /** Large payloads received by `bulk` clients (count and bytes). */
  chunks = 0;
  chunkBytes = 0;
  /** Client-side disconnect reasons, with counts. */
  readonly disconnects = new Map<string, number>();

  /**
   * Connects `count` clients with `role`, `batch` at a time; each waits for `connect` up to
   * `timeoutMs`.
   */
  async connect(url: string, count: number, role: Role, batch = 50, timeoutMs = 20_000) {
    for (let i = 0; i < count; i += batch) {
      const n = Math.min(batch, count - i);
      await Promise.all(Array.from({ length: n }, () => this.#one(url, role, timeoutMs)));
    }
  }

  #one(url: string, role: Role, timeoutMs: number): Promise<void> {
    const index = this.sockets.length;
    const socket = io(url, {
      forceNew: true,
      reconnection: false,
      transports: ["websocket"],
      auth: { role },
    });
    this.sockets.push(socket);
    socket.on("tick", (phase: number, sentAt: number) => {
      const ms = performance.timeOrigin + performance.now() - sentAt;
      let samples = this.phases.get(phase);
      if (samples === undefined) {
        samples = new PhaseSamples();
        this.phases.set(phase, samples);
      }
      samples.add(index, sentAt, ms);
    });
    socket.on("chunk", (_seq: number, data: Uint8Array) => {
      this.chunks++;
      this.chunkBytes += data.byteLength;
    });
    socket.on("disconnect", (reason: string) => {
      this.disconnects.set(reason, (this.disconnects.get(reason) ?? 0) + 1);
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${role} client ${index}: no connect`)),
        timeoutMs,
      );
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once("connect_error", (err: Error) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  get connectedCount(): number {
    let n = 0;
    for (const s of this.sockets) if (s.connected) n++;
    return n;
  }

  close(): void {
    for (const s of this.sockets) s.disconnect();
  }
}
