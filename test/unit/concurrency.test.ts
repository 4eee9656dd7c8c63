import { describe, expect, it } from "vitest";
import { mapLimit } from "../../src/util/concurrency.js";

/** A promise resolved from outside, to hold a call in flight. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("mapLimit", () => {
  it("keeps the input order and never has more than `limit` calls in flight", async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0], 2, async (n, i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, n));
      inFlight--;
      return `${i}:${n * 10}`;
    });
    expect(out).toEqual(["0:50", "1:10", "2:40", "3:20", "4:30", "5:0"]);
    expect(peak).toBe(2);
  });

  it("treats a limit below 1 (or not a number) as 1", async () => {
    for (const limit of [0, -3, Number.NaN]) {
      let inFlight = 0;
      let peak = 0;
      await mapLimit([1, 2, 3], limit, async () => {
        peak = Math.max(peak, ++inFlight);
        await tick();
        inFlight--;
      });
      expect(peak).toBe(1);
    }
  });

  it("starts no new item after the first failure and throws that failure", async () => {
    const started: number[] = [];
    const err = await mapLimit([0, 1, 2, 3, 4], 1, async (n) => {
      started.push(n);
      if (n === 1) throw new Error("boom at 1");
      return n;
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe("boom at 1");
    await tick();
    expect(started).toEqual([0, 1]);
  });

  it("with a signal: once it aborts no new item starts, in-flight calls finish, the rest stay undefined", async () => {
    const ac = new AbortController();
    const gates = [gate(), gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const run = mapLimit(
      [0, 1, 2, 3, 4],
      2,
      async (n) => {
        started.push(n);
        await gates[n]!.promise;
        return n * 2;
      },
      { signal: ac.signal },
    );
    await tick();
    expect(started).toEqual([0, 1]);
    gates[0]!.open();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    ac.abort();
    gates[1]!.open();
    gates[2]!.open();
    const out = await run;
    expect(started).toEqual([0, 1, 2]);
    expect(out).toEqual([0, 2, 4, undefined, undefined]);
  });

  it("with a signal already aborted: nothing starts", async () => {
    const ac = new AbortController();
    ac.abort();
    let calls = 0;
    const out = await mapLimit([1, 2], 4, async () => ++calls, { signal: ac.signal });
    expect(calls).toBe(0);
    expect(out).toEqual([undefined, undefined]);
  });

  it("handles an empty list", async () => {
    expect(await mapLimit([], 3, async () => 1)).toEqual([]);
  });
});
