/**
 * Exponential backoff with jitter for reconnection: attempt n waits `min(max, base · 2ⁿ)`
 * randomised by ±`jitter` (a fraction), never above `max`. The parameters are passed on each
 * call, so changing them on a Manager applies to the next attempt.
 */
export class Backoff {
  /** Attempts made since the last reset. */
  attempts = 0;

  readonly #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  /** Delay before the next attempt, in ms; counts the attempt. */
  duration(base: number, max: number, jitter: number): number {
    const exp = Math.min(max, base * 2 ** this.attempts++);
    // `| 0` floors (as upstream's), the jitter (≤ 1) keeping the delay non-negative.
    return Math.min(max, exp + exp * jitter * (this.#random() * 2 - 1)) | 0;
  }
}
