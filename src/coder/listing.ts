/**
 * A consistent listing of a Coder collection (workspaces, users) read with limit/offset pages while
 * the deployment keeps changing.
 *
 * Why this method. Coder's list endpoints offer only `q`, `limit` and `offset` (`after_id` is not
 * usable for workspaces), and the workspace list is sorted by the requester's favourites, then
 * running workspaces first, then owner and name (GetWorkspaces). A workspace that stops moves from
 * the running block to later in the list; one whose start build completes moves into the running
 * block, earlier. Each move shifts every row in between by one, so plain offset pages read at
 * different instants skip or repeat rows at page boundaries. No `q` partition has an order that
 * cannot shift (every filter's membership changes with state), and one unpaged request
 * (`limit=0`) makes a deployment of 50,000 workspaces send hundreds of megabytes in one response.
 * So:
 *
 * 1. Overlapping pages. Page k>0 starts `overlap` rows (10 %) before the end of page k-1 (offset
 *    k·L − overlap, limit L + overlap): the same number of requests as plain pages, and a shift of
 *    up to `overlap` rows between two page reads loses nothing. Pages are still read concurrently.
 *    A page shorter than asked must reach the count that came with it, or it was cut.
 * 2. Continuity proof. Rows whose sort position did not change ("stayed": same running/not-running
 *    bucket) keep their relative order, so if two adjacent pages share a row that stayed, no such
 *    row can fall between them. A pair without a shared row that stayed is re-read with a wider
 *    overlap; the last page must come back short (the end of the list was reached).
 * 3. Rows that moved. Only a move to an earlier position can be missed: for the unfiltered (or
 *    status-less) workspace list that is a start build completing, i.e. the workspace is running
 *    afterwards. When the rows seen fall short of the server's count, the running partition
 *    (`q status:running`, ordered by owner and name) is read the same way and merged. A status-
 *    filtered query (e.g. `status:running`) has no moves inside it: a workspace that joins the
 *    partition after the read passed its place joined after the listing started, and one that
 *    left it before is no longer in it; the stitched pages are the answer. Users are ordered by
 *    username alone, so the same holds for them.
 * 4. Still short of the count: one more full pass is merged (workspaces created meanwhile, a
 *    workspace that moved twice). Rows are de-duplicated by id, keeping the newest build.
 *
 * Only when that fails, or when the server answers in a way no listing can reconcile (a single
 * final page shorter than its count, pages that cannot be stitched), is the result a
 * SafetyAbortError (exit 7), with the reason.
 */
import { SafetyAbortError } from "../errors.js";
import { mapLimit } from "../util/concurrency.js";

/** Where one page read delivers its rows, one at a time, as they are validated. */
export interface RowSink<T> {
  /** A (re)start of the response body: rows delivered before belong to an attempt that failed. */
  begin(): void;
  row(row: T): void;
}

/** What a page read reports once its body is complete (the rows went to the sink). */
export interface PageEnd {
  /** Rows in the page. */
  rows: number;
  count: number;
}

export interface ListingOptions<T> {
  /** Rows per page (L). */
  pageSize: number;
  concurrency: number;
  /**
   * Reads one page, handing each row to `sink` as soon as it is validated: a page is never held
   * as an array, and a row already merged from an overlapping page is dropped while it is young.
   */
  read: (q: string | undefined, offset: number, limit: number, sink: RowSink<T>) => Promise<PageEnd>;
  /** The row's sort bucket: rows in the same bucket keep their relative order. */
  bucket: (row: T) => string;
  /** Newer of two versions of one row (by id). */
  newer: (a: T, b: T) => T;
  /** The query that lists the rows a move can hide (e.g. "status:running"), or null. */
  moversQuery: ((q: string | undefined) => string | undefined) | null;
  /** For messages: "GET /api/v2/workspaces". */
  label: string;
  /**
   * Pages one pass reads at most: a count the pages cannot reach (a lying server) must not become
   * millions of page reads; the first page that comes back short of the count ends the listing.
   */
  maxPages: number;
  onProgress?: (done: number, total: number) => void;
}

interface PassResult {
  /** Count reported by the page read last. */
  countEnd: number;
}

/** Rows of overlap between adjacent pages: ~10 % of a page (500 of 5,000), at most 1,000. */
export function overlapFor(pageSize: number): number {
  return Math.max(1, Math.min(1000, Math.floor(pageSize / 10), pageSize - 1));
}

export async function consistentList<T extends { id: string }>(q: string | undefined, o: ListingOptions<T>): Promise<T[]> {
  const rows = new Map<string, T>();
  const merge = (r: T) => {
    const prev = rows.get(r.id);
    // A duplicate (an overlap, a re-read) that is not newer is dropped here, while it is young.
    if (!prev) rows.set(r.id, r);
    else if (o.newer(prev, r) !== prev) rows.set(r.id, r);
  };
  const distinct = () => rows.size;
  const first = await pass(q, o, merge, distinct, true);
  // Without a partition that moves can hide rows in (a status-filtered query, the user list), the
  // stitched pages are the whole list: a row that joined the partition after the read passed its
  // place joined after the listing started.
  const moversQ = o.moversQuery?.(q);
  if (moversQ === undefined || rows.size >= first.countEnd) return [...rows.values()];
  await pass(moversQ, o, merge, distinct, false);
  if (rows.size >= first.countEnd) return [...rows.values()];
  const again = await pass(q, o, merge, distinct, false);
  if (rows.size >= again.countEnd) return [...rows.values()];
  throw new SafetyAbortError(
    `${o.label}: the listing returned ${rows.size} of ${again.countEnd} rows the server counted, even after re-reading the running workspaces and the whole list while the deployment changed; refusing to act on an incomplete listing (re-run when fewer workspaces are starting or stopping)`,
  );
}

/** One overlapped, continuity-checked read of the whole list; rows go to `merge`. */
async function pass<T extends { id: string }>(
  q: string | undefined,
  o: ListingOptions<T>,
  merge: (row: T) => void,
  distinct: () => number,
  progress: boolean,
): Promise<PassResult> {
  const L = o.pageSize;
  const ov = overlapFor(L);
  let seq = 0;
  let lastSeq = -1;
  let countEnd = 0;
  // pages[k] covers [k·L − extra, (k+1)·L) (page 0: [0, L)). Only ids and buckets are kept for
  // stitching; the rows themselves go to `merge` one by one as they arrive.
  const pageAt = async (k: number, widen = 1): Promise<Read> => {
    const extra = k === 0 ? 0 : Math.min(k * L, ov * widen);
    const offset = k * L - extra;
    const limit = L + extra;
    for (let attempt = 0; ; attempt++) {
      let buckets = new Map<string, string>();
      const p = await o.read(q, offset, limit, {
        // Only the response that completes describes the page: a retried body starts afresh.
        begin: () => (buckets = new Map()),
        row: (r) => {
          buckets.set(r.id, o.bucket(r));
          merge(r);
        },
      });
      const at = seq++;
      if (at > lastSeq) {
        lastSeq = at;
        countEnd = p.count;
      }
      const end = offset + p.rows >= p.count;
      // A page shorter than asked must reach the count it came with (one response, one query):
      // otherwise the response was cut (a proxy, a server bug). Re-read once, then give up.
      if (p.rows < limit && !end) {
        if (attempt === 0) continue;
        throw new SafetyAbortError(
          `${o.label}: the listing returned ${distinct()} of ${p.count} rows the server counted (the page at offset ${offset} came back with ${p.rows} of the ${limit} asked for, short of the count); refusing to act on a truncated listing`,
        );
      }
      return { buckets, rows: p.rows, end, count: p.count };
    }
  };
  const first = await pageAt(0);
  const total = first.count;
  if (progress) o.onProgress?.(Math.min(first.rows, total), total);
  const pages: Read[] = [first];
  let done = first.rows;
  const planned = first.end ? 1 : Math.min(o.maxPages, Math.max(1, Math.ceil(total / L)));
  const rest = await mapLimit(
    Array.from({ length: planned - 1 }, (_, i) => i + 1),
    o.concurrency,
    async (k) => {
      const p = await pageAt(k);
      done += Math.min(p.rows, L);
      if (progress) o.onProgress?.(Math.min(done, total), total);
      return p;
    },
  );
  pages.push(...rest);

  // Stitch left to right: every adjacent pair must share a row that stayed in its bucket, and the
  // last page must reach the end of the list. A pair that does not is re-read with more overlap.
  for (let k = 1; ; k++) {
    const prev = pages[k - 1]!;
    if (prev.end) break;
    if (k >= o.maxPages) {
      throw new SafetyAbortError(`${o.label}: the listing did not end within ${o.maxPages} pages (the server counted ${countEnd} rows); refusing to act on it`);
    }
    let cur = pages[k] ?? (await pageAt(k));
    for (let widen = 4; !sharesStayedRow(prev, cur); widen *= 4) {
      if (widen > 16) {
        throw new SafetyAbortError(
          `${o.label}: pages ${k} and ${k + 1} of the listing share no row even when re-read with ${Math.min(k * L, ov * 4)} rows of overlap: the list moved by more than that between two reads; refusing to act on a listing that cannot be made consistent (re-run when fewer workspaces are starting or stopping)`,
        );
      }
      cur = await pageAt(k, widen);
    }
    pages[k] = cur;
  }
  return { countEnd };
}

interface Read {
  /** id → bucket of the rows of the page. */
  buckets: Map<string, string>;
  rows: number;
  /** The page reached the end of the list (as counted in the same response). */
  end: boolean;
  count: number;
}

function sharesStayedRow(prev: Read, cur: Read): boolean {
  for (const [id, b] of cur.buckets) if (prev.buckets.get(id) === b) return true;
  return false;
}
