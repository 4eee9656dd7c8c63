import { describe, expect, it } from "vitest";
import { backoff, defaultSleep, retry, retryAfterMs, type RetryPolicy } from "../../src/util/retry.js";

class Flaky extends Error {
  constructor(
    readonly retryable: boolean,
    readonly waitMs?: number,
  ) {
    super(retryable ? "transient" : "fatal");
  }
}

function policy(over: Partial<RetryPolicy> = {}): RetryPolicy & { waits: number[]; retries: number[] } {
  const waits: number[] = [];
  const retries: number[] = [];
  return {
    maxAttempts: 4,
    retryable: (e) => e instanceof Flaky && e.retryable,
    delayMs: (e, n) => (e as Flaky).waitMs ?? n * 100,
    sleep: async (ms) => void waits.push(ms),
    onRetry: (_e, n) => void retries.push(n),
    waits,
    retries,
    ...over,
  };
}

describe("retry", () => {
  it("retries retryable failures with the delay the policy gives, then returns the value", async () => {
    const p = policy();
    const seen: number[] = [];
    const v = await retry(async (attempt) => {
      seen.push(attempt);
      if (attempt === 1) throw new Flaky(true, 7000);
      if (attempt === 2) throw new Flaky(true);
      return "ok";
    }, p);
    expect(v).toBe("ok");
    expect(seen).toEqual([1, 2, 3]);
    expect(p.waits).toEqual([7000, 200]);
    expect(p.retries).toEqual([1, 2]);
  });

  it("throws the last failure as it was after maxAttempts calls", async () => {
    const p = policy({ maxAttempts: 3 });
    let calls = 0;
    const last = new Flaky(true);
    const err = await retry(async () => {
      calls++;
      throw calls === 3 ? last : new Flaky(true);
    }, p).catch((e: unknown) => e);
    expect(err).toBe(last);
    expect(calls).toBe(3);
    expect(p.waits).toHaveLength(2);
  });

  it("does not retry a failure the policy does not classify as retryable", async () => {
    const p = policy();
    let calls = 0;
    await expect(
      retry(async () => {
        calls++;
        throw new Flaky(false);
      }, p),
    ).rejects.toThrow("fatal");
    expect(calls).toBe(1);
    expect(p.waits).toEqual([]);
  });

  it("maxAttempts 1 means no retry", async () => {
    let calls = 0;
    await expect(retry(async () => { calls++; throw new Flaky(true); }, policy({ maxAttempts: 1 }))).rejects.toThrow("transient");
    expect(calls).toBe(1);
  });

  it("an aborted signal ends the wait: the sleep's rejection is thrown and no further attempt is made", async () => {
    const ac = new AbortController();
    let calls = 0;
    const run = retry(
      async () => {
        calls++;
        throw new Flaky(true, 60_000);
      },
      { ...policy(), sleep: defaultSleep, signal: ac.signal },
    );
    setImmediate(() => ac.abort(new Error("stopped by SIGTERM")));
    await expect(run).rejects.toThrow("stopped by SIGTERM");
    expect(calls).toBe(1);
  });
});

describe("backoff", () => {
  it("doubles from the base, is capped, and spreads over [½, 1½] of the step", () => {
    const o = (random: number) => ({ baseMs: 250, capMs: 10_000, random: () => random });
    expect([1, 2, 3].map((n) => backoff(n, o(0)))).toEqual([125, 250, 500]);
    expect([1, 2, 3].map((n) => backoff(n, o(0.5)))).toEqual([250, 500, 1000]);
    expect(backoff(1, o(0.999))).toBe(375);
    expect(backoff(10, o(0.5))).toBe(10_000);
  });
});

describe("retryAfterMs", () => {
  const h = (o: Record<string, string>) => new Headers(o);
  const now = Date.parse("2026-01-05T18:35:00Z");
  it("reads seconds, an HTTP date, or X-RateLimit-Reset", () => {
    expect(retryAfterMs(h({ "retry-after": "7" }), now)).toBe(7000);
    expect(retryAfterMs(h({ "retry-after": "Mon, 05 Jan 2026 18:35:30 GMT" }), now)).toBe(30_000);
    expect(retryAfterMs(h({ "retry-after": "Mon, 05 Jan 2026 18:00:00 GMT" }), now)).toBe(0);
    expect(retryAfterMs(h({ "x-ratelimit-reset": String(now / 1000 + 12) }), now)).toBe(12_000);
    expect(retryAfterMs(h({ "retry-after": "soon" }), now)).toBeUndefined();
    expect(retryAfterMs(h({}), now)).toBeUndefined();
  });
});
