/**
 * Coder's two stop instants of a build — `deadline` (TTL, bumped by activity) and `max_deadline`
 * (the template's autostop requirement) — and which of them comes first. Shared by every report
 * that says when a workspace stops.
 */

/** An RFC 3339 timestamp from Coder (any number of fraction digits) → epoch ms; null when unset or unparsable. */
export function parseMs(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

export type StopSource = "deadline" | "max_deadline";

/**
 * The effective stop time of a build: the earlier of deadline and max_deadline (unset values ignored).
 * Ties go to `deadline` (Coder caps the deadline at max_deadline, so equal means the TTL hit the cap).
 */
export function effectiveStop(build: { deadline: string | null; max_deadline: string | null }): {
  at: string | null;
  atMs: number | null;
  source: StopSource | null;
} {
  const d = parseMs(build.deadline);
  const m = parseMs(build.max_deadline);
  if (d === null && m === null) return { at: null, atMs: null, source: null };
  if (m === null || (d !== null && d <= m)) return { at: build.deadline, atMs: d, source: "deadline" };
  return { at: build.max_deadline, atMs: m, source: "max_deadline" };
}
