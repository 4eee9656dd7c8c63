/**
 * The one concurrency helper: run an async function over a list with at most `limit` calls in
 * flight (p-map does the scheduling). Used for paged listings, per-owner reads and the executor's
 * per-workspace actions.
 */
import pMap, { pMapSkip } from "p-map";

export interface MapLimitOptions {
  /**
   * Once aborted, no new item starts; the calls in flight finish and their results are kept, the
   * items never started are left out (`undefined` at their index). The promise resolves: the
   * caller decides what an unstarted item means (the executor records it as interrupted).
   */
  signal?: AbortSignal;
}

/**
 * Run `fn` over `items` with at most `limit` (at least 1) in flight; results keep the input order.
 * After the first failure no new item starts, and that failure is thrown.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  opts: MapLimitOptions = {},
): Promise<R[]> {
  const concurrency = Math.max(1, Math.floor(limit) || 1);
  const signal = opts.signal;
  if (!signal) return pMap(items, fn, { concurrency });
  const out = new Array<R>(items.length);
  await pMap(
    items,
    async (item, i) => {
      if (signal.aborted) return pMapSkip;
      out[i] = await fn(item, i);
      return pMapSkip;
    },
    { concurrency },
  );
  return out;
}
