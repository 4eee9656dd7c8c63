/**
 * The one retry helper: the Coder client's idempotent requests, the webhook notifications and the
 * executor's rate-limited build POST all retry through it.
 *
 * `retry(fn, policy)` calls `fn` until it resolves, a failure is not retryable, or `maxAttempts`
 * calls were made; then the last failure is thrown as it was. Between attempts it waits
 * `policy.delayMs(err, retryNumber)`: the caller honours Retry-After there, or falls back to
 * `backoff()` (exponential with jitter). `sleep` and the jitter's `random` are injected, so tests
 * retry instantly and deterministically; an aborted `signal` ends the wait (sleep rejects, and that
 * rejection is what `retry` throws).
 *
 * p-retry was considered: its waits cannot be injected (tests would sleep for real) and it has no
 * per-failure delay for Retry-After.
 */

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RetryPolicy {
  /** Calls in all, the first included (1 = no retry). */
  maxAttempts: number;
  /** Whether this failure is worth another attempt (when attempts remain). */
  retryable: (err: unknown) => boolean;
  /** The wait before retry number `retry` (1 = the first retry) after `err`. */
  delayMs: (err: unknown, retry: number) => number;
  sleep: Sleep;
  /** Passed to `sleep`: aborting it ends the wait. */
  signal?: AbortSignal;
  /** Called before each wait (for logs and metrics). */
  onRetry?: (err: unknown, retry: number, delayMs: number) => void;
}

/** Run `fn` (given the 1-based attempt number) with retries as `policy` says. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= policy.maxAttempts || !policy.retryable(err)) throw err;
      const delay = Math.max(0, policy.delayMs(err, attempt));
      policy.onRetry?.(err, attempt, delay);
      await policy.sleep(delay, policy.signal);
    }
  }
}

/**
 * Exponential backoff with jitter: about `baseMs * 2^(retry-1)` (capped at `capMs`), spread
 * uniformly over [½, 1½] of that by `random` (0 ≤ random() < 1).
 */
export function backoff(retry: number, o: { baseMs: number; capMs: number; random: () => number }): number {
  const step = Math.min(o.baseMs * 2 ** (retry - 1), o.capMs);
  return Math.round(o.random() * step + step / 2);
}

/**
 * A Retry-After header (seconds, or an HTTP date relative to `nowMs`) or, failing that,
 * X-RateLimit-Reset (epoch seconds), as a wait in ms; undefined when neither says anything usable.
 */
export function retryAfterMs(headers: { get(name: string): string | null }, nowMs: number): number | undefined {
  const ra = headers.get("retry-after");
  if (ra) {
    const secs = Number(ra);
    if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
    const at = Date.parse(ra);
    if (!Number.isNaN(at)) return Math.max(0, at - nowMs);
  }
  const reset = headers.get("x-ratelimit-reset");
  if (reset && Number.isFinite(Number(reset))) return Math.max(0, Number(reset) * 1000 - nowMs);
  return undefined;
}

/** setTimeout as a promise; an aborted signal rejects with its reason. */
export const defaultSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
