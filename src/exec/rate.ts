/**
 * The stop rate limit `safety.max_stops_per_minute` as a token bucket whose tokens
 * come back one minute after they were taken: the bucket holds N tokens, each action takes one,
 * and a taken token returns to the bucket 60 s later. So no 60-second span ever sees more than N
 * actions (a classic refill-per-second bucket would allow up to 2N across a minute boundary),
 * and an idle bucket allows a burst of N. Clock and sleep are injected so tests run instantly.
 */

export interface BucketClock {
  /** Milliseconds, monotonic enough for rate limiting (wall clock is fine). */
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export class TokenBucket {
  /** When each taken token returns (ms), oldest first. */
  private readonly out: number[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly perMinute: number,
    private readonly clock: BucketClock,
    private readonly windowMs = 60_000,
  ) {
    if (!(perMinute >= 1)) throw new RangeError("perMinute must be >= 1");
  }

  /** Tokens available right now. */
  available(): number {
    this.expire();
    return this.perMinute - this.out.length;
  }

  /**
   * Waits for a token and takes it. Callers are served in order. Rejects (with the signal's
   * reason) when `signal` aborts while waiting; no token is taken then.
   */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.acquire(signal));
    // A failed wait must not block later callers.
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Gives back the most recently taken token (the action did not happen after all). */
  refund(): void {
    this.out.pop();
  }

  private async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error("aborted");
      this.expire();
      if (this.out.length < this.perMinute) {
        this.out.push(this.clock.now() + this.windowMs);
        return;
      }
      const wait = Math.max(1, this.out[0]! - this.clock.now());
      await this.clock.sleep(wait, signal);
    }
  }

  private expire(): void {
    const t = this.clock.now();
    while (this.out.length > 0 && this.out[0]! <= t) this.out.shift();
  }
}
