/**
 * Quiet-hours windows: `[start, end)` wall-clock times in one IANA zone, on the
 * configured days; a window belongs to the day it starts and spans midnight when start > end.
 * Pure: every function takes `now` and returns instants (luxon DateTime in UTC).
 *
 * Daylight saving: a wall-clock time that falls in a gap (spring forward) moves forward to the
 * first valid instant, i.e. the transition itself (01:30 on 2026-03-29 in Europe/London is
 * 02:00 BST = 01:00Z); a wall-clock time that occurs twice (fall back) means its first
 * occurrence. Luxon alone is not consistent here (it shifts gaps by their length and picks
 * either occurrence depending on the zone), so the resolution is done explicitly.
 */
import { DateTime, IANAZone } from "luxon";

export type Weekday = "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun";
/** luxon weekday numbers (1 = Monday) → names. */
export const WEEKDAYS: readonly Weekday[] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/** The quiet-hours policy, resolved from `quiet_hours.*` (and `--timezone`). */
export interface QuietPolicy {
  enabled: boolean;
  /** "HH:MM" */
  start: string;
  /** "HH:MM" */
  end: string;
  zone: string;
  graceSeconds: number;
  /** Days a window may start on; null = every day. */
  days: readonly Weekday[] | null;
}

/** One concrete window. */
export interface QuietWindow {
  /** First instant inside the window (UTC). */
  start: DateTime;
  /** First instant after the window (UTC). */
  end: DateTime;
  /** The local calendar date the window starts on ("2026-01-05") and its weekday. */
  date: string;
  day: Weekday;
}

export interface QuietHoursConfigLike {
  enabled: boolean;
  start_time: string;
  end_time: string;
  timezone: string;
  grace_period_hours: number;
  days?: readonly Weekday[] | null;
}

/** Builds the policy from the config section; `zoneOverride` is `--timezone`. */
export function policyFromConfig(q: QuietHoursConfigLike, zoneOverride?: string): QuietPolicy {
  return {
    enabled: q.enabled,
    start: q.start_time,
    end: q.end_time,
    zone: zoneOverride ?? q.timezone,
    graceSeconds: Math.round(q.grace_period_hours * 3600),
    days: q.days ?? null,
  };
}

export function isValidZone(zone: string | undefined | null): zone is string {
  return !!zone && IANAZone.isValidZone(zone);
}

function hm(text: string): { hour: number; minute: number } {
  const [h, m] = text.split(":");
  return { hour: Number(h), minute: Number(m) };
}

const offsetAt = (ms: number, zone: string): number => DateTime.fromMillis(ms, { zone }).offset;

/**
 * The instant a local wall-clock time denotes in `zone`: the first occurrence when it is
 * ambiguous, the end of the gap (first valid instant) when it does not exist.
 */
export function localInstant(date: { year: number; month: number; day: number }, time: { hour: number; minute: number }, zone: string): DateTime {
  const wall = Date.UTC(date.year, date.month - 1, date.day, time.hour, time.minute);
  const DAY = 86_400_000;
  const before = offsetAt(wall - DAY, zone);
  const after = offsetAt(wall + DAY, zone);
  const valid: number[] = [];
  for (const o of new Set([before, after])) {
    const t = wall - o * 60_000;
    if (offsetAt(t, zone) === o) valid.push(t);
  }
  if (valid.length > 0) return DateTime.fromMillis(Math.min(...valid), { zone: "utc" });
  // A gap: with the old offset the time lies after the transition, with the new one before it.
  let lo = wall - after * 60_000; // offset here is `before`
  let hi = wall - before * 60_000; // offset here is `after`
  if (lo > hi) [lo, hi] = [hi, lo];
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (offsetAt(mid, zone) === before) lo = mid;
    else hi = mid;
  }
  return DateTime.fromMillis(hi, { zone: "utc" });
}

/** Calendar date `n` days after the local date of `dt` in `zone`. */
function localDate(dt: DateTime, zone: string, plusDays: number): DateTime {
  return dt.setZone(zone).startOf("day").plus({ days: plusDays });
}

/** The window that starts on the local calendar date of `day` (any instant that day), or null when that weekday is not a quiet day. */
export function windowStartingOn(policy: QuietPolicy, day: DateTime): QuietWindow | null {
  const d = day.setZone(policy.zone);
  const weekday = WEEKDAYS[d.weekday - 1]!;
  if (policy.days && !policy.days.includes(weekday)) return null;
  const s = hm(policy.start);
  const e = hm(policy.end);
  const ymd = { year: d.year, month: d.month, day: d.day };
  const start = localInstant(ymd, s, policy.zone);
  const spansMidnight = s.hour * 60 + s.minute >= e.hour * 60 + e.minute;
  const endDay = spansMidnight ? d.plus({ days: 1 }) : d;
  let end = localInstant({ year: endDay.year, month: endDay.month, day: endDay.day }, e, policy.zone);
  if (end < start) end = start; // a same-day window swallowed by a DST gap: empty
  return { start, end, date: d.toISODate()!, day: weekday };
}

/** Windows starting on local days from `fromDays` to `toDays` relative to `now`'s local date, in order. */
function windowsAround(policy: QuietPolicy, now: DateTime, fromDays: number, toDays: number): QuietWindow[] {
  const out: QuietWindow[] = [];
  for (let i = fromDays; i <= toDays; i++) {
    const w = windowStartingOn(policy, localDate(now, policy.zone, i));
    if (w) out.push(w);
  }
  return out;
}

/** Whether `now` lies in `w` (`start <= now < end`). */
export function inWindow(w: QuietWindow, now: DateTime): boolean {
  return w.start.toMillis() <= now.toMillis() && now.toMillis() < w.end.toMillis();
}

/** The window `now` is inside, or null (always null when the policy is disabled). */
export function currentWindow(policy: QuietPolicy, now: DateTime): QuietWindow | null {
  if (!policy.enabled) return null;
  return windowsAround(policy, now, -2, 0).find((w) => inWindow(w, now)) ?? null;
}

/** The latest window that started at or before `now` (the current one, or the last one that ended). */
export function mostRecentWindow(policy: QuietPolicy, now: DateTime): QuietWindow | null {
  if (!policy.enabled) return null;
  const ws = windowsAround(policy, now, -8, 0).filter((w) => w.start.toMillis() <= now.toMillis());
  return ws.at(-1) ?? null;
}

/** The first window that starts after `now`. */
export function nextWindow(policy: QuietPolicy, now: DateTime): QuietWindow | null {
  if (!policy.enabled) return null;
  return windowsAround(policy, now, 0, 8).find((w) => w.start.toMillis() > now.toMillis()) ?? null;
}

/** When the window's grace period ends (window start + grace). */
export function graceEnd(policy: QuietPolicy, w: QuietWindow): DateTime {
  return w.start.plus({ seconds: policy.graceSeconds });
}

/**
 * When a workspace becomes due for its quiet-hours stop: `max(window start, started_at) + grace`.
 * A workspace (re)started during the window gets the full grace again.
 */
export function dueAt(policy: QuietPolicy, w: QuietWindow, startedAt: DateTime | null): DateTime {
  const base = startedAt && startedAt.toMillis() > w.start.toMillis() ? startedAt : w.start;
  return base.plus({ seconds: policy.graceSeconds });
}

/** "18:00–08:00 Europe/London, every day" / "…, mon–fri". */
export function describePolicy(policy: QuietPolicy): string {
  const days = policy.days ? policy.days.join(", ") : "every day";
  return `${policy.start}-${policy.end} ${policy.zone}, ${days}`;
}
