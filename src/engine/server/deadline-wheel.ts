/**
 * A shared deadline scheduler: one interval per server instead of a timer pair per session.
 *
 * Items are kept in buckets of `resolution` ms keyed by the bucket their deadline falls in; every
 * tick fires the buckets whose time has come. An item fires at or after its deadline, at most about
 * one resolution late. The owner of an item remembers the item's deadline (needed to find its bucket
 * on reschedule), so the wheel adds no per-item field.
 */

/** Something with a deadline. */
export interface DeadlineItem {
  /** Called once the deadline has passed; the item is no longer scheduled. */
  onDeadline(now: number): void;
}

export class DeadlineWheel<T extends DeadlineItem> {
  readonly resolution: number;
  #buckets = new Map<number, Set<T>>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #size = 0;
  #now: () => number;

  /**
   * @param resolution bucket width in ms
   * @param now clock (injectable for tests)
   */
  constructor(resolution: number, now: () => number = Date.now) {
    this.resolution = Math.max(1, Math.floor(resolution));
    this.#now = now;
  }

  /** Number of scheduled items. */
  get size(): number {
    return this.#size;
  }

  #bucketOf(at: number): number {
    return Math.ceil(at / this.resolution);
  }

  /** Schedules `item` at absolute time `at` (ms). The caller must not schedule it twice. */
  add(item: T, at: number): void {
    const key = this.#bucketOf(at);
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = new Set();
      this.#buckets.set(key, bucket);
    }
    if (bucket.has(item)) return;
    bucket.add(item);
    this.#size++;
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.tick(), this.resolution);
      this.#timer.unref();
    }
  }

  /** Unschedules `item`, previously added at time `at`. */
  remove(item: T, at: number): void {
    const key = this.#bucketOf(at);
    const bucket = this.#buckets.get(key);
    if (bucket?.delete(item)) {
      this.#size--;
      if (bucket.size === 0) this.#buckets.delete(key);
      if (this.#size === 0) this.stop();
    }
  }

  /** Fires every item whose bucket has ended; exposed for tests. */
  tick(): void {
    const now = this.#now();
    const current = Math.floor(now / this.resolution);
    const due: number[] = [];
    for (const key of this.#buckets.keys()) if (key <= current) due.push(key);
    for (const key of due) {
      const bucket = this.#buckets.get(key);
      if (bucket === undefined) continue;
      this.#buckets.delete(key);
      this.#size -= bucket.size;
      for (const item of bucket) item.onDeadline(now);
    }
    if (this.#size === 0) this.stop();
  }

  /** Stops the interval (items stay scheduled; `add` restarts it). */
  stop(): void {
    if (this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Drops every item and stops. */
  clear(): void {
    this.#buckets.clear();
    this.#size = 0;
    this.stop();
  }
}
