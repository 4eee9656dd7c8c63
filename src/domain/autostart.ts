/**
 * Next workspace autostart (Coder's `coderd/schedule/autostart.go`): the next occurrence of the
 * workspace's weekly autostart schedule, and whether the template allows starting on that day.
 * The day is judged in the schedule's own zone. Pure: `at` is always an input.
 */
import { DateTime } from "luxon";
import { parseWeekly, weekdayNumber, wallClockAt, ScheduleError } from "./cron.js";

const WEEK_MS = 7 * 24 * 3_600_000;

/** The next autostart after some instant, as epoch ms, with the schedule's zone. */
export interface NextAutostartMillis {
  readonly atMs: number;
  readonly timezone: string;
  /** The template's autostart requirement allows this weekday (in the schedule's zone). */
  readonly allowed: boolean;
}

/** The next autostart after some instant, in the schedule's zone. */
export interface NextAutostart {
  readonly at: DateTime;
  /** The template's autostart requirement allows this weekday (in the schedule's zone). */
  readonly allowed: boolean;
}

/**
 * Weekday numbers (0 = Sunday) a template's autostart requirement allows. `null` means every day
 * (Coder's AGPL store always allows every day); an empty list means none.
 * Throws {@link ScheduleError} for an unknown day name.
 */
export function allowedAutostartWeekdays(templateAutostartDays: readonly string[] | null): ReadonlySet<number> {
  if (templateAutostartDays === null) return new Set([0, 1, 2, 3, 4, 5, 6]);
  return new Set(templateAutostartDays.map(weekdayNumber));
}

/**
 * Coder's `NextAutostart` on epoch milliseconds: the first occurrence of `workspaceSchedule` (a
 * `cron.Weekly` string) strictly after `atMs`, and whether its weekday is allowed.
 * Returns `null` when the schedule does not parse (Coder then reports "not allowed" with a zero time)
 * or has no occurrence.
 */
export function nextAutostartMillis(
  atMs: number,
  workspaceSchedule: string,
  allowedWeekdays: ReadonlySet<number>,
): NextAutostartMillis | null {
  let schedule;
  try {
    schedule = parseWeekly(workspaceSchedule);
  } catch (err) {
    if (err instanceof ScheduleError) return null;
    throw err;
  }
  // Coder truncates to the minute here; occurrences of five-field schedules are whole minutes already.
  const next = schedule.nextMillis(atMs);
  if (next === null) return null;
  const weekday = wallClockAt(next, schedule.timezone).weekday;
  return { atMs: next, timezone: schedule.timezone, allowed: allowedWeekdays.has(weekday) };
}

/**
 * Coder's `NextAutostart`: the next autostart strictly after `at` (in the schedule's zone) and whether
 * the template allows that weekday. `null` when the schedule is not a valid weekly schedule.
 */
export function nextAutostart(
  at: DateTime,
  workspaceSchedule: string,
  templateAutostartDays: readonly string[] | null,
): NextAutostart | null {
  const next = nextAutostartMillis(at.toMillis(), workspaceSchedule, allowedAutostartWeekdays(templateAutostartDays));
  if (next === null) return null;
  return { at: DateTime.fromMillis(next.atMs, { zone: next.timezone }), allowed: next.allowed };
}

/**
 * Coder's `NextAllowedAutostart` (what the server stores as `next_start_at`): the first autostart after
 * `at` on a day the template allows, looking less than seven days ahead. `null` when there is none
 * (Coder's `ErrNoAllowedAutostart`) or the schedule is invalid (where Coder's loop would not end).
 */
export function nextAllowedAutostart(
  at: DateTime,
  workspaceSchedule: string,
  templateAutostartDays: readonly string[] | null,
): DateTime | null {
  const allowed = allowedAutostartWeekdays(templateAutostartDays);
  const atMs = at.toMillis();
  let cursor = atMs;
  while (cursor - atMs < WEEK_MS) {
    const next = nextAutostartMillis(cursor, workspaceSchedule, allowed);
    if (next === null) return null;
    if (next.allowed) return DateTime.fromMillis(next.atMs, { zone: next.timezone });
    cursor = next.atMs;
  }
  return null;
}
