/**
 * When a policy's subjects work and when they are quiet. Pure: every function takes the instants it
 * needs; the holiday calendars are data (see types.ts).
 *
 * - `working_hours` calendars: working periods per weekday in the policy's zone; a period belongs
 *   to the day it starts and one whose end is at or before its start runs into the next day
 *   ("22:00-06:00"). Everything else is quiet. Wall-clock times are resolved as quiet-hours windows
 *   are (src/domain/quiet-window.ts `localInstant`): a time in a DST gap moves forward to the first
 *   valid instant, a repeated time means its first occurrence.
 * - `owner_quiet_hours` calendars: quiet from the owner's Coder quiet-hours start for
 *   `durationHours` of elapsed time, every day, in the owner's zone (resolved as `prune` resolves
 *   the owner's window, src/domain/user-quiet-hours.ts); everything else is working time.
 * - `quiet_window` (the implicit default policy): the `quiet_hours` windows, unchanged.
 * - Holidays are quiet for the whole local day in the calendar's zone (the owner's zone for
 *   owner calendars), whatever the working hours say.
 *
 * Quiet intervals are maximal: a quiet evening, a holiday and the weekend after it form one
 * interval, so a grace period runs once from its start. Intervals are looked up at most
 * `REACH_DAYS` days beyond the asked range; an interval that goes on further is reported clipped
 * there (`startClipped`/`endClipped`). The longest grace is 7 days, so grace decisions never
 * depend on the clipped part.
 */
import { DateTime } from "luxon";
import { localInstant, WEEKDAYS, windowStartingOn } from "../quiet-window.js";
import { atWallClock } from "../user-quiet-hours.js";
import { exclusionExpiry } from "../categorize.js";
import type { HolidayDay, OwnerSchedule, Policy } from "./types.js";

export const REACH_DAYS = 8;
const DAY_MS = 86_400_000;

/** A quiet stretch of time: `[start, end)`, instants in UTC. */
export interface QuietInterval {
  start: DateTime;
  end: DateTime;
  /** The interval began before the looked-up range (more than REACH_DAYS before the question). */
  startClipped: boolean;
  /** The interval goes on after the looked-up range. */
  endClipped: boolean;
  /** Holidays inside the interval. */
  holidays: HolidayDay[];
}

type Span = [number, number];

/** The zone a policy's calendar days are counted in. */
export function policyZone(policy: Policy, owner?: OwnerSchedule | null): string {
  switch (policy.calendar.kind) {
    case "working_hours":
      return policy.calendar.zone;
    case "quiet_window":
      return policy.calendar.window.zone;
    case "owner_quiet_hours":
      if (!owner) throw new Error(`policy ${policy.name}: an owner_quiet_hours calendar needs the owner's quiet-hours schedule`);
      return owner.timezone;
  }
}

function mergeSpans(spans: Span[]): Span[] {
  const sorted = spans.filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
  const out: Span[] = [];
  for (const [s, e] of sorted) {
    const last = out.at(-1);
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** `[lo, hi)` minus the (merged) spans. */
function complement(spans: Span[], lo: number, hi: number): Span[] {
  const out: Span[] = [];
  let cursor = lo;
  for (const [s, e] of mergeSpans(spans)) {
    if (e <= lo || s >= hi) continue;
    if (s > cursor) out.push([cursor, Math.min(s, hi)]);
    cursor = Math.max(cursor, e);
  }
  if (cursor < hi) out.push([cursor, hi]);
  return out;
}

function subtract(spans: Span[], cut: Span[]): Span[] {
  let cur = mergeSpans(spans);
  for (const [cs, ce] of mergeSpans(cut)) {
    const next: Span[] = [];
    for (const [s, e] of cur) {
      if (ce <= s || cs >= e) next.push([s, e]);
      else {
        if (cs > s) next.push([s, cs]);
        if (ce < e) next.push([ce, e]);
      }
    }
    cur = next;
  }
  return cur;
}

const ymd = (d: DateTime) => ({ year: d.year, month: d.month, day: d.day });

/** Local calendar days (start of day in `zone`) covering `[lo, hi)`, one day of margin before. */
function localDays(lo: number, hi: number, zone: string): DateTime[] {
  const first = DateTime.fromMillis(lo, { zone }).startOf("day").minus({ days: 1 });
  const last = DateTime.fromMillis(hi, { zone }).startOf("day");
  const out: DateTime[] = [];
  for (let d = first; d.toMillis() <= last.toMillis(); d = d.plus({ days: 1 })) out.push(d);
  return out;
}

/** The instants of a local calendar date in `zone`: `[00:00, next day's 00:00)`. */
function daySpan(date: string, zone: string): Span {
  const d = DateTime.fromISO(date, { zone });
  const next = d.plus({ days: 1 });
  return [localInstant(ymd(d), { hour: 0, minute: 0 }, zone).toMillis(), localInstant(ymd(next), { hour: 0, minute: 0 }, zone).toMillis()];
}

/** Every date from `from` to `to` inclusive (YYYY-MM-DD). */
export function datesFromTo(from: string, to: string): string[] {
  const out: string[] = [];
  let d = DateTime.fromISO(from, { zone: "utc" });
  const end = DateTime.fromISO(to, { zone: "utc" });
  while (d.toMillis() <= end.toMillis()) {
    out.push(d.toISODate()!);
    d = d.plus({ days: 1 });
  }
  return out;
}

/** The policy's holidays between two local dates (inclusive), by date; a date named twice keeps every source. */
export function holidaysBetween(policy: Policy, from: string, to: string, zone: string): Map<string, HolidayDay[]> {
  const out = new Map<string, HolidayDay[]>();
  const add = (h: HolidayDay) => {
    if (h.date < from || h.date > to) return;
    const list = out.get(h.date) ?? [];
    list.push(h);
    out.set(h.date, list);
  };
  for (const date of policy.holidays.dates) add({ date, source: "holidays.dates" });
  for (const r of policy.holidays.ranges) {
    const lo = r.from > from ? r.from : from;
    const hi = r.to < to ? r.to : to;
    if (lo <= hi) for (const date of datesFromTo(lo, hi)) add({ date, source: `holidays.ranges ${r.from}..${r.to}` });
  }
  for (const cal of policy.holidays.calendars) for (const h of cal.daysBetween(from, to, zone)) add(h);
  return out;
}

/**
 * Per-policy memo of what each local day contributes (working periods or quiet windows) and of the
 * holidays of each year: the calendar is asked about the same days over and over (every workspace,
 * every hour of a simulation), and resolving wall-clock times across zones is the costly part.
 */
const dayMemo = new WeakMap<Policy, Map<string, Span[]>>();
const holidayMemo = new WeakMap<Policy, Map<string, Map<string, HolidayDay[]>>>();

function memo<K extends object, V>(m: WeakMap<K, Map<string, V>>, k: K): Map<string, V> {
  let inner = m.get(k);
  if (!inner) m.set(k, (inner = new Map()));
  return inner;
}

/** The policy's holidays on the local dates `from..to` in `zone`, computed a calendar year at a time. */
function holidaysOn(policy: Policy, from: string, to: string, zone: string): Map<string, HolidayDay[]> {
  const cache = memo(holidayMemo, policy);
  const out = new Map<string, HolidayDay[]>();
  for (let y = Number(from.slice(0, 4)); y <= Number(to.slice(0, 4)); y++) {
    const key = `${zone}|${y}`;
    let year = cache.get(key);
    if (!year) cache.set(key, (year = holidaysBetween(policy, `${y}-01-01`, `${y}-12-31`, zone)));
    for (const [d, list] of year) if (d >= from && d <= to) out.set(d, list);
  }
  return out;
}

/** What local day `d` contributes: working periods (working_hours) or quiet windows (the others). */
function spansOfDay(policy: Policy, d: DateTime, zone: string, owner: OwnerSchedule | null | undefined): Span[] {
  const cal = policy.calendar;
  const key = cal.kind === "owner_quiet_hours" ? `${d.toISODate()}|${owner!.hour}:${owner!.minute}|${zone}` : d.toISODate()!;
  const cache = memo(dayMemo, policy);
  const hit = cache.get(key);
  if (hit) return hit;
  let spans: Span[] = [];
  switch (cal.kind) {
    case "working_hours":
      spans = cal.days[WEEKDAYS[d.weekday - 1]!].map((p): Span => {
        const start = localInstant(ymd(d), { hour: Math.floor(p.startMinute / 60), minute: p.startMinute % 60 }, zone).toMillis();
        const endDay = p.endMinute <= p.startMinute || p.endMinute === 1440 ? d.plus({ days: 1 }) : d;
        const endMinute = p.endMinute % 1440;
        return [start, localInstant(ymd(endDay), { hour: Math.floor(endMinute / 60), minute: endMinute % 60 }, zone).toMillis()];
      });
      break;
    case "owner_quiet_hours": {
      const start = atWallClock(d, owner!.hour, owner!.minute, zone).toMillis();
      spans = [[start, start + Math.round(cal.durationHours * 3_600_000)]];
      break;
    }
    case "quiet_window": {
      const w = cal.window.enabled ? windowStartingOn(cal.window, d) : null;
      spans = w ? [[w.start.toMillis(), w.end.toMillis()]] : [];
      break;
    }
  }
  if (cache.size > 20_000) cache.clear();
  cache.set(key, spans);
  return spans;
}

/** The quiet spans of the policy over `[lo, hi)` (ms), holidays included, merged. */
function quietSpans(policy: Policy, lo: number, hi: number, owner: OwnerSchedule | null | undefined): { spans: Span[]; holidays: Map<string, HolidayDay[]>; zone: string } {
  const zone = policyZone(policy, owner);
  const days = localDays(lo, hi, zone);
  const holidays = holidaysOn(policy, days[0]!.toISODate()!, days.at(-1)!.plus({ days: 1 }).toISODate()!, zone);
  const holidaySpans = [...holidays.keys()].map((d) => daySpan(d, zone));
  const daySpans = days.flatMap((d) => spansOfDay(policy, d, zone, owner));
  let spans: Span[];
  if (policy.calendar.kind === "working_hours") spans = complement(subtract(daySpans, holidaySpans), lo, hi);
  else if (policy.calendar.kind === "quiet_window" && !policy.calendar.window.enabled) spans = [];
  else spans = mergeSpans([...daySpans, ...holidaySpans]);
  return { spans: spans.map(([s, e]): Span => [Math.max(s, lo), Math.min(e, hi)]).filter(([s, e]) => e > s), holidays, zone };
}

/**
 * The quiet intervals that overlap `[from, to)` (an empty range asks about the instant `from`), in
 * order, each with its real start and end (looked up to REACH_DAYS beyond the range).
 * `owner` is required for owner_quiet_hours calendars.
 */
export function quietIntervals(policy: Policy, from: DateTime, to: DateTime, owner?: OwnerSchedule | null): QuietInterval[] {
  const f = from.toMillis();
  const t = Math.max(to.toMillis(), f + 1);
  // Most intervals end within two days of the question: look that far first, further only when needed.
  for (const reach of [2, REACH_DAYS]) {
    const lo = f - reach * DAY_MS;
    const hi = t + reach * DAY_MS;
    const { spans, holidays, zone } = quietSpans(policy, lo, hi, owner);
    const hits = spans.filter(([s, e]) => s < t && e > f);
    if (reach < REACH_DAYS && hits.some(([s, e]) => s <= lo || e >= hi)) continue;
    const holidaySpans = [...holidays.entries()].map(([date, list]) => ({ span: daySpan(date, zone), list }));
    return hits.map(([s, e]) => ({
      start: DateTime.fromMillis(s, { zone: "utc" }),
      end: DateTime.fromMillis(e, { zone: "utc" }),
      startClipped: s <= lo,
      endClipped: e >= hi,
      holidays: holidaySpans.filter((h) => h.span[0] < e && h.span[1] > s).flatMap((h) => h.list),
    }));
  }
  throw new Error("unreachable");
}

/** The quiet interval `instant` lies in, or null when it is working time. */
export function quietIntervalAt(policy: Policy, instant: DateTime, owner?: OwnerSchedule | null): QuietInterval | null {
  return quietIntervals(policy, instant, instant, owner)[0] ?? null;
}

/** True when `instant` is working time under the policy (not quiet, not a holiday). */
export function isWorkingTime(policy: Policy, instant: DateTime, owner?: OwnerSchedule | null): boolean {
  return quietIntervalAt(policy, instant, owner) === null;
}

/** The latest quiet interval that started at or before `now` (the current one, or the last one that ended). */
export function mostRecentQuietInterval(policy: Policy, now: DateTime, owner?: OwnerSchedule | null): QuietInterval | null {
  return quietIntervals(policy, now.minus({ days: REACH_DAYS }), now, owner).filter((q) => q.start.toMillis() <= now.toMillis()).at(-1) ?? null;
}

/** The first quiet interval that starts after `now`. */
export function nextQuietInterval(policy: Policy, now: DateTime, owner?: OwnerSchedule | null): QuietInterval | null {
  return quietIntervals(policy, now, now.plus({ days: REACH_DAYS }), owner).find((q) => q.start.toMillis() > now.toMillis() && !q.startClipped) ?? null;
}

/**
 * When a workspace running in `interval` becomes due: `max(interval start, startedAt) + grace`, as
 * quiet hours have always done (a workspace restarted during quiet time gets the full grace again).
 */
export function graceEnds(policy: Policy, interval: Pick<QuietInterval, "start">, startedAt: DateTime | null): DateTime {
  const base = startedAt && startedAt.toMillis() > interval.start.toMillis() ? startedAt : interval.start;
  return base.plus({ seconds: policy.graceSeconds }).toUTC();
}

/** When the policy stops applying (a date-only expiry holds through that day in the policy's zone; UTC for owner calendars), or null. */
export function policyExpiry(policy: Policy): DateTime | null {
  if (!policy.expires) return null;
  const zone = policy.calendar.kind === "owner_quiet_hours" ? "UTC" : policyZone(policy);
  return exclusionExpiry(policy.expires, zone);
}

/** True when the policy has expired at `now` (an expired policy never matches). */
export function isExpired(policy: Policy, now: DateTime): boolean {
  const until = policyExpiry(policy);
  return until !== null && now.toMillis() >= until.toMillis();
}

/** The verdict of a policy's idle rule for one workspace. */
export interface IdleVerdict {
  /** False when the policy has no idle rule. */
  rule: boolean;
  /** `last_used_at` + after_hours: when the workspace counts as idle (null without a rule or a last use). */
  idleAt: DateTime | null;
  /** Idle for at least `after_hours` at `now`. */
  idle: boolean;
  /** The rule's `when` holds at `now` (working time or not, as asked). */
  applies: boolean;
  /** idle && applies: the idle rule calls for the policy's action now. */
  due: boolean;
  reason: string;
}

/**
 * The idle rule at `now`: a workspace is idle when `lastUsedAt` is `after_hours` or more before
 * `now`; the rule acts when it is idle and `when` holds at `now` (`always`, or only outside /
 * inside working time). A workspace with no recorded use (`lastUsedAt` null) is never idle: there is
 * nothing to measure from.
 */
export function idleVerdict(policy: Policy, lastUsedAt: DateTime | null, now: DateTime, owner?: OwnerSchedule | null): IdleVerdict {
  const rule = policy.idle;
  if (!rule) return { rule: false, idleAt: null, idle: false, applies: false, due: false, reason: "no idle rule" };
  const working = rule.when === "always" ? null : isWorkingTime(policy, now, owner);
  const applies = rule.when === "always" || (rule.when === "inside_working_hours" ? working === true : working === false);
  const whenText = rule.when === "always" ? "" : rule.when === "inside_working_hours" ? " inside working hours" : " outside working hours";
  if (!lastUsedAt) return { rule: true, idleAt: null, idle: false, applies, due: false, reason: "never used (no last_used_at): not idle" };
  const idleAt = lastUsedAt.plus({ milliseconds: Math.round(rule.afterHours * 3_600_000) });
  const idle = now.toMillis() >= idleAt.toMillis();
  const hoursIdle = Math.max(0, (now.toMillis() - lastUsedAt.toMillis()) / 3_600_000);
  const idleText = `last used ${formatHoursShort(hoursIdle)} ago (idle after ${rule.afterHours}h${whenText})`;
  const reason = !idle
    ? `${idleText}: not idle yet`
    : applies
      ? `${idleText}: idle`
      : `${idleText}: idle, but the rule applies only${whenText}`;
  return { rule: true, idleAt, idle, applies, due: idle && applies, reason };
}

function formatHoursShort(h: number): string {
  return h >= 10 ? `${Math.round(h)}h` : `${Math.round(h * 10) / 10}h`;
}
