/**
 * Exponential backoff with jitter for reconnection: attempt n waits
 * `min(max, base · 2ⁿ)` randomised by ±`jitter` (a fraction), never above `max`.
 */
export class Backoff {
  /** Attempts made since the last reset. */
  attempts = 0;

  constructor(
    public base: number,
    public max: number,
    public jitter: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Delay before the next attempt, in ms; counts the attempt. */
  duration(): number {
    const exp = Math.min(this.max, this.base * 2 ** this.attempts++);
    const spread = exp * this.jitter * (this.random() * 2 - 1);
    return Math.max(0, Math.min(this.max, Math.floor(exp + spread)));
  }

  reset(): void {
    this.attempts = 0;
  }
}
