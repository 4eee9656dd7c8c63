/**
 * Quiet-hours schedules as Coder stores them ("CRON_TZ=<zone> <min> <hour> * * *") and the
 * max_deadline a start build gets from a template autostop requirement (a compact version of
 * Coder's CalculateAutostop in coder/coder coderd/schedule/autostop.go).
 */
import { DateTime, type Zone } from "luxon";
import { cachedZone } from "./zone.js";

export interface DailySchedule {
  zone: string;
  /** The luxon zone object (cached offsets). */
  tz: Zone;
  hour: number;
  minute: number;
}

const parsed = new Map<string, DailySchedule>();

const DAILY_RE = /^(?:CRON_TZ=(\S+)\s+)?(\d{1,2})\s+(\d{1,2})\s+\*\s+\*\s+\*$/;

/** Parses a daily single-time schedule; throws with Coder-like wording when it is not one. */
export function parseDaily(raw: string): DailySchedule {
  const hit = parsed.get(raw);
  if (hit) return hit;
  const m = DAILY_RE.exec(raw.trim());
  if (!m) {
    throw new Error(
      `parse daily schedule: expected schedule to consist of 5 fields with an optional CRON_TZ=<timezone> prefix, a single minute and hour, and day-of-month, month and day-of-week set to *: ${JSON.stringify(raw)}`,
    );
  }
  const zone = m[1] ?? "UTC";
  const minute = Number(m[2]);
  const hour = Number(m[3]);
  if (minute > 59 || hour > 23) throw new Error(`parse daily schedule: time out of range: ${JSON.stringify(raw)}`);
  const tz = cachedZone(zone);
  if (!tz) throw new Error(`parse schedule: provided bad location ${zone}: unknown time zone ${zone}`);
  const out = { zone, tz, hour, minute };
  parsed.set(raw, out);
  return out;
}

export function normalizeDaily(s: DailySchedule): string {
  return `CRON_TZ=${s.zone} ${s.minute} ${s.hour} * * *`;
}

export function formatHHmm(s: DailySchedule): string {
  return `${String(s.hour).padStart(2, "0")}:${String(s.minute).padStart(2, "0")}`;
}

/** Next occurrence strictly after `after` (epoch ms). A time skipped by DST moves to the next day. */
export function nextDaily(s: DailySchedule, after: number): number {
  let day = DateTime.fromMillis(after, { zone: s.tz }).startOf("day");
  for (let i = 0; i < 3; i++) {
    const at = day.set({ hour: s.hour, minute: s.minute, second: 0, millisecond: 0 });
    if (at.hour === s.hour && at.minute === s.minute && at.toMillis() > after) return at.toMillis();
    day = day.plus({ days: 1 });
  }
  return day.set({ hour: s.hour, minute: s.minute }).toMillis();
}

const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export const WEEKDAY_NAMES: readonly string[] = WEEKDAYS;

const LEEWAY_MS = 2 * 3_600_000;
const BUFFER_MS = -15 * 60_000;

/**
 * max_deadline for a build completed at `now` whose template requires a stop on `days` every
 * `weeks` weeks, inside the owner's quiet hours `q`. Returns null when there is no requirement.
 */
export function autostopMaxDeadline(now: number, days: readonly string[], weeks: number, q: DailySchedule): number | null {
  if (days.length === 0) return null;
  const wanted = new Set(days.map((d) => d.toLowerCase()));
  const n = DateTime.fromMillis(now, { zone: q.tz });
  let sod: DateTime = DateTime.fromMillis(now + LEEWAY_MS, { zone: q.tz }).startOf("day");
  if (weeks > 1) sod = nextApplicableMonday(sod, weeks);
  if (nextDaily(q, sod.toMillis() + BUFFER_MS) < n.toMillis() + LEEWAY_MS) sod = sod.plus({ days: 1 }).startOf("day");
  for (let i = 0; i < 8; i++) {
    const name = WEEKDAYS[sod.weekday - 1];
    if (name !== undefined && wanted.has(name)) break;
    sod = sod.plus({ days: 1 }).startOf("day");
  }
  const check = sod.toMillis() < now + 3_600_000 ? now + 3_600_000 : sod.toMillis() + BUFFER_MS;
  return nextDaily(q, check);
}

function nextApplicableMonday(t: DateTime, weeks: number): DateTime {
  const epoch = DateTime.fromObject({ year: 2023, month: 1, day: 2 }, { zone: t.zone });
  const w = Math.floor(Math.round(t.startOf("day").diff(epoch, "days").days) / 7);
  const r = ((w % weeks) + weeks) % weeks;
  if (r === 0) return t;
  return epoch.plus({ days: 7 * (w + (weeks - r)) });
}

/** Validates a weekly autostart schedule loosely (5 fields, optional CRON_TZ, dom and month '*'). */
export function isWeeklySchedule(raw: string): boolean {
  return /^(?:CRON_TZ=\S+\s+)?\S+\s+\S+\s+\*\s+\*\s+\S+$/.test(raw.trim());
}
