import { describe, expect, it } from "vitest";
import { Cadence, MAX_TIMER_MS } from "../../src/exec/cadence.js";

/** A monotonic clock the test moves, and a sleep that advances it (recording each timer armed). */
function fakeTime(start = 5_000) {
  let t = start;
  const timers: number[] = [];
  return {
    now: () => t,
    advance: (ms: number) => void (t += ms),
    timers,
    sleep: async (ms: number) => {
      timers.push(ms);
      t += ms;
    },
  };
}

describe("Cadence (ttl-monitor --monitor scheduling on a monotonic clock)", () => {
  it("cycle k is due at start + k × interval, whatever each cycle took", async () => {
    const c = fakeTime();
    const cad = new Cadence(60_000, c.now);
    c.advance(1_500); // cycle 1 took 1.5 s
    expect(cad.advance()).toBe(58_500);
    expect(await cad.waitForSlot(c.sleep)).toBe(true);
    expect(c.now()).toBe(5_000 + 60_000);
    c.advance(10_000);
    expect(cad.advance()).toBe(50_000);
    await cad.waitForSlot(c.sleep);
    expect(c.now()).toBe(5_000 + 120_000);
    expect(c.timers).toEqual([58_500, 50_000]);
  });

  it("an overrunning cycle skips the slots it missed instead of running them back to back", () => {
    const c = fakeTime(0);
    const cad = new Cadence(60_000, c.now);
    c.advance(150_000); // 2.5 intervals
    expect(cad.advance()).toBe(30_000); // slot 3 at 180 s
    c.advance(30_000);
    expect(cad.advance()).toBe(60_000);
  });

  it("a wall-clock step does not move the schedule: only the injected monotonic clock is read", async () => {
    const c = fakeTime(1_000);
    const realNow = Date.now;
    const cad = new Cadence(900_000, c.now);
    try {
      // The wall clock jumps back a day (and would otherwise silence the loop for that long).
      Date.now = () => realNow() - 86_400_000;
      c.advance(2_000);
      expect(cad.advance()).toBe(898_000);
      await cad.waitForSlot(c.sleep);
      expect(c.timers).toEqual([898_000]);
    } finally {
      Date.now = realNow;
    }
  });

  it("an interval longer than one timer can hold is slept in timer-sized steps, never overflowing into 1 ms cycles", async () => {
    const c = fakeTime(0);
    const week = 7 * 24 * 3_600_000;
    const big = 3 * MAX_TIMER_MS + 10; // beyond any configurable interval: the steps still hold
    const cad = new Cadence(big, c.now);
    cad.advance();
    await cad.waitForSlot(c.sleep);
    expect(c.timers).toEqual([MAX_TIMER_MS, MAX_TIMER_MS, MAX_TIMER_MS, 10]);
    expect(c.timers.every((ms) => ms <= MAX_TIMER_MS)).toBe(true);
    const weekly = new Cadence(week, c.now);
    c.timers.length = 0;
    weekly.advance();
    await weekly.waitForSlot(c.sleep);
    expect(c.timers).toEqual([week]);
  });

  it("a timer that fires early is followed by another until the slot is due; an interrupted sleep ends the wait", async () => {
    const c = fakeTime(0);
    const cad = new Cadence(10_000, c.now);
    cad.advance();
    const early: number[] = [];
    await cad.waitForSlot(async (ms) => {
      early.push(ms);
      c.advance(Math.min(ms, 4_000));
    });
    expect(early).toEqual([10_000, 6_000, 2_000]);
    cad.advance();
    expect(await cad.waitForSlot(() => Promise.reject(new Error("interrupted by SIGTERM")))).toBe(false);
  });

  it("refuses an interval that is not a finite number of ms >= 1", () => {
    const c = fakeTime();
    expect(() => new Cadence(0, c.now)).toThrow(RangeError);
    expect(() => new Cadence(Infinity, c.now)).toThrow(RangeError);
  });
});
