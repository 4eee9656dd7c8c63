/**
 * A fixed cadence on a monotonic clock (ttl-monitor --monitor): cycle k is due at
 * start + k × interval of the monotonic clock, so a wall-clock step (NTP, an admin's `date -s`)
 * neither silences the loop (a backwards step) nor makes it race (a forwards one). A cycle that
 * overruns skips the slots it missed instead of running them back to back.
 */

/** The longest single timer Node can arm (larger delays fire after 1 ms). */
export const MAX_TIMER_MS = 2_147_483_647;

export class Cadence {
  private readonly start: number;
  private slot = 0;

  constructor(
    readonly intervalMs: number,
    private readonly monotonic: () => number,
  ) {
    if (!(intervalMs >= 1) || !Number.isFinite(intervalMs)) throw new RangeError(`cadence interval must be a finite number of ms >= 1 (got ${intervalMs})`);
    this.start = monotonic();
  }

  /** Moves to the next slot whose start lies in the future; returns how many ms from now it is. */
  advance(): number {
    const now = this.monotonic();
    let s = this.slot + 1;
    if (this.start + s * this.intervalMs <= now) s = Math.floor((now - this.start) / this.intervalMs) + 1;
    this.slot = s;
    return this.remaining();
  }

  /** Ms from now until the current slot (0 once it is due). */
  remaining(): number {
    return Math.max(0, this.start + this.slot * this.intervalMs - this.monotonic());
  }

  /**
   * Sleeps until the current slot is due, in timer-sized steps and re-reading the monotonic clock
   * after each (a timer may fire early or late). Resolves false when `sleep` rejects (a signal).
   */
  async waitForSlot(sleep: (ms: number) => Promise<void>): Promise<boolean> {
    for (let ms = this.remaining(); ms > 0; ms = this.remaining()) {
      try {
        await sleep(Math.min(ms, MAX_TIMER_MS));
      } catch {
        return false;
      }
    }
    return true;
  }
}
