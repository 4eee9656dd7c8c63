/**
 * Port of Coder's `CalculateAutostop` (`coderd/schedule/autostop.go`): the `deadline` and
 * `max_deadline` a workspace build gets when its job completes.
 *
 * - deadline: `now + ttl`, where ttl is the workspace TTL, or the template default TTL when the template
 *   does not allow users to set their own. If the workspace has an autostart schedule and that deadline
 *   would fall after the next (allowed) autostart, it becomes `next autostart + ttl` instead.
 * - max_deadline: when the template has an autostop requirement (days of week, every N weeks) and the
 *   owner has a quiet-hours schedule, the quiet-hours occurrence on the first required day that is more
 *   than the leeway (2 h on Coder ≥ 2.18, 1 h before) away; weeks are counted from Monday 2023-01-02 00:00
 *   in the quiet-hours zone. The deadline is capped at max_deadline.
 *
 * All calendar arithmetic happens in the quiet-hours schedule's zone with Go's `time.Date` rules, and
 * quiet-hours occurrences follow robfig's DST behaviour (see ./cron.ts). Pure: `now` is an input.
 *
 * Output instants are ISO-8601 UTC strings with milliseconds, as `Date#toISOString` writes them
 * ("2024-01-01T13:00:00.000Z"); `null` stands for Coder's zero time (no deadline / no max deadline).
 */
import { DateTime } from "luxon";
import { InternalError } from "../errors.js";
import { allowedAutostartWeekdays, nextAutostartMillis } from "./autostart.js";
import { instantFromWallClock, parseDaily, wallClockAt, weekdayNumber, type Schedule } from "./cron.js";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** Leeway of Coder ≥ 2.18 (coder/coder#15445); older servers used 1 h. */
export const DEFAULT_AUTOSTOP_LEEWAY_HOURS = 2;
/** Coder's `autostopRequirementBuffer`: quiet hours are looked up from 15 min before a day starts. */
export const AUTOSTOP_REQUIREMENT_BUFFER_MS = -15 * MINUTE_MS;
/** The autostop-requirement epoch: Monday 2023-01-02 00:00, in the quiet-hours schedule's zone. */
export const AUTOSTOP_REQUIREMENT_EPOCH = { year: 2023, month: 1, day: 2 } as const;
/** Coder's error text when `now` is before the epoch. */
export const CLOCK_INCORRECT_MESSAGE =
  "coder server system clock is incorrect, cannot calculate template autostop requirement";

/** Why {@link calculateAutostop} (or a helper) refused to produce a result. */
export type AutostopFailure =
  | "invalid_input"
  | "clock_before_epoch"
  | "no_monday"
  | "no_requirement_day"
  | "no_quiet_hours_occurrence"
  | "deadline_in_past";

/** The computation failed the way Coder's would (e.g. an impossible clock), or its input was malformed. */
export class AutostopCalculationError extends InternalError {
  override readonly code = "E_AUTOSTOP_CALC";
  constructor(
    readonly reason: AutostopFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface CalculateAutostopInput {
  /** ISO instant with an explicit offset or `Z` (Coder uses the build job's completion time). */
  now: string;
  /** The template's `allow_user_autostop` (false: the workspace TTL is ignored and the template default used). */
  templateAllowUserAutostop: boolean;
  /** The template's `default_ttl_ms` (0 = none). */
  templateDefaultTtlMs: number;
  /** The workspace's `ttl_ms`; `null` = unset. A literal 0 is a set TTL of zero, as in Coder's database. */
  workspaceTtlMs: number | null;
  /** The template's autostop requirement ("monday".."sunday"; `weeks` ≤ 1 = every week); `null` or no days = none. */
  autostopRequirement: { daysOfWeek: string[]; weeks: number } | null;
  /** The owner's quiet-hours schedule, e.g. "CRON_TZ=Australia/Sydney 0 0 * * *"; `null`/"" = none (AGPL). */
  userQuietHoursSchedule: string | null;
  /** The workspace's autostart schedule (a weekly cron); `null`/"" = none. An unparsable one is ignored, as in Coder. */
  workspaceAutostartSchedule: string | null;
  /** Days the template allows autostart on; `null` = every day. */
  templateAutostartDays: string[] | null;
  /** Hours of leeway before quiet hours; default 2 (Coder ≥ 2.18), 1 for older servers. See {@link leewayHoursForVersion}. */
  leewayHours?: number;
}

export interface AutostopResult {
  /** ISO UTC instant ("2024-01-01T13:00:00.000Z"), or `null` for no deadline. */
  deadline: string | null;
  /** ISO UTC instant, or `null` for no max deadline. */
  maxDeadline: string | null;
}

/**
 * Coder's `CalculateAutostop`. Throws {@link AutostopCalculationError} where Coder returns an error
 * (e.g. reason `clock_before_epoch`: "coder server system clock is incorrect…" when the day `now + leeway`
 * falls on precedes the autostop-requirement epoch and the requirement is every N > 1 weeks) or when the
 * input is malformed (reason `invalid_input`), and `ScheduleError` for an invalid quiet-hours schedule or
 * an unknown day name in `templateAutostartDays`.
 */
export function calculateAutostop(input: CalculateAutostopInput): AutostopResult {
  const nowMs = parseInstant(input.now);
  const leewayMs = leewayToMs(input.leewayHours);
  const workspaceTtlMs = input.workspaceTtlMs === null ? null : finiteNumber(input.workspaceTtlMs, "workspaceTtlMs");
  const templateDefaultTtlMs = finiteNumber(input.templateDefaultTtlMs, "templateDefaultTtlMs");

  let deadline: number | null = null;
  let ttl = workspaceTtlMs ?? 0;
  if (workspaceTtlMs !== null) deadline = nowMs + workspaceTtlMs;
  if (!input.templateAllowUserAutostop) ttl = templateDefaultTtlMs > 0 ? templateDefaultTtlMs : 0;
  // When ttl ends up 0 but the workspace TTL was set (template forbids user TTLs and has no default),
  // Coder keeps now + workspace TTL from above: that quirk is kept.
  if (ttl > 0) {
    deadline = deadlineAcrossAutostart(nowMs, ttl, input.workspaceAutostartSchedule, input.templateAutostartDays);
  }

  let maxDeadline: number | null = null;
  const requirement = input.autostopRequirement;
  const quietHours = input.userQuietHoursSchedule;
  if (requirement !== null && requirement.daysOfWeek.length > 0 && quietHours !== null && quietHours !== "") {
    maxDeadline = requirementMaxDeadlineMs(
      nowMs,
      parseDaily(quietHours),
      requirementWeekdays(requirement.daysOfWeek),
      requirementWeeks(requirement.weeks),
      leewayMs,
    );
  }

  if (maxDeadline !== null && (deadline === null || maxDeadline < deadline)) deadline = maxDeadline;

  if ((deadline !== null && deadline < nowMs) || (maxDeadline !== null && maxDeadline < nowMs)) {
    throw new AutostopCalculationError(
      "deadline_in_past",
      `deadline calculation error, computed deadline or max deadline is in the past for workspace build: deadline=${JSON.stringify(isoOrZero(deadline))} maxDeadline=${JSON.stringify(isoOrZero(maxDeadline))} now=${JSON.stringify(toIso(nowMs))}`,
    );
  }
  return { deadline: deadline === null ? null : toIso(deadline), maxDeadline: maxDeadline === null ? null : toIso(maxDeadline) };
}

/**
 * `now + ttl`, unless that would run past the workspace's next allowed autostart: then
 * `next autostart + ttl`, keeping the workspace up through the autostart "session".
 */
function deadlineAcrossAutostart(
  nowMs: number,
  ttlMs: number,
  autostartSchedule: string | null,
  templateAutostartDays: readonly string[] | null,
): number {
  const deadline = nowMs + ttlMs;
  if (autostartSchedule === null || autostartSchedule === "") return deadline;
  const next = nextAutostartMillis(nowMs, autostartSchedule, allowedAutostartWeekdays(templateAutostartDays));
  if (next !== null && next.allowed && deadline > next.atMs) return next.atMs + ttlMs;
  return deadline;
}

/** Input of {@link autostopRequirementNextMaxDeadline}. */
export interface AutostopRequirementInput {
  /** ISO instant with an explicit offset or `Z`. */
  now: string;
  /** "monday".."sunday"; must not be empty. */
  daysOfWeek: readonly string[];
  /** Every N weeks counted from the epoch; ≤ 1 = every week. */
  weeks: number;
  /** The owner's quiet-hours schedule (a `cron.Daily` string). */
  quietHoursSchedule: string;
  /** Default 2 (Coder ≥ 2.18). */
  leewayHours?: number;
}

/**
 * The max_deadline a build completing at `now` gets from a template autostop requirement and the
 * owner's quiet hours (the autostop-requirement half of {@link calculateAutostop}), as an ISO UTC string.
 * Also the basis of a drift check: compare it with a build's stored `max_deadline`.
 */
export function autostopRequirementNextMaxDeadline(input: AutostopRequirementInput): string {
  if (input.daysOfWeek.length === 0) {
    throw new AutostopCalculationError("invalid_input", "autostop requirement has no days of week");
  }
  const maxDeadline = requirementMaxDeadlineMs(
    parseInstant(input.now),
    parseDaily(input.quietHoursSchedule),
    requirementWeekdays(input.daysOfWeek),
    requirementWeeks(input.weeks),
    leewayToMs(input.leewayHours),
  );
  return toIso(maxDeadline);
}

/**
 * The core of Coder's autostop requirement: start from the day `now + leeway` falls on (moved to the
 * Monday of the next applicable week for N-weekly requirements), skip it if that day's quiet hours are
 * less than the leeway away, then take the first required weekday and its quiet-hours occurrence.
 */
function requirementMaxDeadlineMs(
  nowMs: number,
  quietHours: Schedule,
  requiredWeekdays: ReadonlySet<number>,
  weeks: number,
  leewayMs: number,
): number {
  const zone = quietHours.timezone;
  const leewayEnd = nowMs + leewayMs;
  let startOfStopDay = midnightOf(leewayEnd, zone);

  if (weeks > 1) {
    try {
      startOfStopDay = nextApplicableMondayOfNWeeksMs(startOfStopDay, zone, weeks);
    } catch (err) {
      if (!(err instanceof AutostopCalculationError)) throw err;
      throw new AutostopCalculationError(err.reason, `determine start of stop week: ${err.message}`, { cause: err });
    }
  }

  // Today's quiet hours are too close or already past: start with tomorrow. (No occurrence at all
  // compares like Go's zero time, i.e. as "before".)
  const firstQuietHours = quietHours.nextMillis(startOfStopDay + AUTOSTOP_REQUIREMENT_BUFFER_MS);
  if (firstQuietHours === null || firstQuietHours < leewayEnd) startOfStopDay = nextMidnight(startOfStopDay, zone);

  for (let i = 0; !requiredWeekdays.has(wallClockAt(startOfStopDay, zone).weekday); i++) {
    if (i === 6) {
      throw new AutostopCalculationError(
        "no_requirement_day",
        "could not find suitable day for template autostop requirement in the next 7 days",
      );
    }
    startOfStopDay = nextMidnight(startOfStopDay, zone);
  }

  const checkTime =
    startOfStopDay < nowMs + HOUR_MS ? nowMs + HOUR_MS : startOfStopDay + AUTOSTOP_REQUIREMENT_BUFFER_MS;
  const maxDeadline = quietHours.nextMillis(checkTime);
  if (maxDeadline === null) {
    throw new AutostopCalculationError(
      "no_quiet_hours_occurrence",
      `could not find next occurrence of template autostop requirement in user quiet hours schedule, checked from time ${JSON.stringify(toIso(checkTime))}`,
    );
  }
  return maxDeadline;
}

// ---------------------------------------------------------------------------------------------
// Week helpers (WeeksSinceEpoch, GetMondayOfWeek, GetNextApplicableMondayOfNWeeks)
// ---------------------------------------------------------------------------------------------

function epochMs(zone: string): number {
  const { year, month, day } = AUTOSTOP_REQUIREMENT_EPOCH;
  return instantFromWallClock(zone, year, month, day);
}

function weeksSinceEpochMs(atMs: number, zone: string): number {
  const epoch = epochMs(zone);
  if (atMs < epoch) throw new AutostopCalculationError("clock_before_epoch", CLOCK_INCORRECT_MESSAGE);
  // Calendar days, not elapsed hours: DST must not shift the week number.
  const days = calendarDayNumber(atMs, zone) - calendarDayNumber(epoch, zone);
  return Math.floor(days / 7);
}

function mondayOfWeekMs(zone: string, week: number): number {
  if (week < 0) throw new AutostopCalculationError("no_monday", "weeks since epoch must be positive");
  const epoch = wallClockAt(epochMs(zone), zone);
  const shifted = wallClockAt(
    instantFromWallClock(zone, epoch.year, epoch.month, epoch.day + week * 7, epoch.hour, epoch.minute, epoch.second),
    zone,
  );
  const monday = instantFromWallClock(zone, shifted.year, shifted.month, shifted.day);
  const weekday = wallClockAt(monday, zone).weekday;
  if (weekday !== 1) {
    throw new AutostopCalculationError(
      "no_monday",
      `calculated incorrect Monday for week ${week} since epoch (actual weekday ${JSON.stringify(GO_WEEKDAY_NAMES[weekday])})`,
    );
  }
  return monday;
}

const GO_WEEKDAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] as const;

function nextApplicableMondayOfNWeeksMs(atMs: number, zone: string, weeks: number): number {
  let current: number;
  try {
    current = weeksSinceEpochMs(atMs, zone);
  } catch (err) {
    if (!(err instanceof AutostopCalculationError)) throw err;
    throw new AutostopCalculationError(err.reason, `get current week number: ${err.message}`, { cause: err });
  }
  const remainder = current % weeks;
  if (remainder === 0) return atMs; // unchanged, not moved to Monday
  const week = current + (weeks - remainder);
  let lastError: AutostopCalculationError | undefined;
  for (let i = 0; i < 3; i++) {
    try {
      return mondayOfWeekMs(zone, week + i);
    } catch (err) {
      if (!(err instanceof AutostopCalculationError)) throw err;
      lastError = err;
    }
  }
  throw new AutostopCalculationError(
    "no_monday",
    `get next applicable Monday of ${weeks} weeks: ${lastError?.message ?? "unknown"}`,
    { cause: lastError },
  );
}

/**
 * Coder's `WeeksSinceEpoch`: whole weeks between Monday 2023-01-02 and `at`'s calendar date in `zone`
 * (Monday 00:00 to Sunday 23:59:59 is one week). Throws {@link AutostopCalculationError}
 * (`clock_before_epoch`) before the epoch.
 */
export function weeksSinceEpoch(at: DateTime, zone: string): number {
  return weeksSinceEpochMs(validMillis(at), zone);
}

/** Coder's `GetMondayOfWeek`: Monday 00:00 of week `week` since the epoch, in `zone`. */
export function mondayOfWeek(zone: string, week: number): DateTime {
  return DateTime.fromMillis(mondayOfWeekMs(zone, week), { zone });
}

/**
 * Coder's `GetNextApplicableMondayOfNWeeks`: `at` itself when its week is a multiple of `weeks` since
 * the epoch, otherwise Monday 00:00 of the next such week (in `zone`).
 */
export function nextApplicableMondayOfNWeeks(at: DateTime, zone: string, weeks: number): DateTime {
  return DateTime.fromMillis(nextApplicableMondayOfNWeeksMs(validMillis(at), zone, requirementWeeks(weeks)), { zone });
}

// ---------------------------------------------------------------------------------------------
// Server version
// ---------------------------------------------------------------------------------------------

/**
 * Autostop-requirement leeway of a Coder server, from its build-info version ("v2.24.0+abc123"):
 * 2 h from v2.18 on (coder/coder#15445), 1 h before. Development builds ("v0.0.0-devel…") and
 * unrecognised strings are assumed to be current (2 h).
 */
export function leewayHoursForVersion(version: string): 1 | 2 {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  if (match === null) return 2;
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (major === 0 && minor === 0 && patch === 0) return 2;
  if (major !== 2) return major > 2 ? 2 : 1;
  return minor >= 18 ? 2 : 1;
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

/** Coder's truncateMidnight: 00:00 of the instant's calendar day in `zone` (Go `time.Date` rules). */
function midnightOf(ms: number, zone: string): number {
  const wall = wallClockAt(ms, zone);
  return instantFromWallClock(zone, wall.year, wall.month, wall.day);
}

/** Coder's nextDayMidnight: 00:00 of the following calendar day in `zone`. */
function nextMidnight(ms: number, zone: string): number {
  const wall = wallClockAt(ms, zone);
  return instantFromWallClock(zone, wall.year, wall.month, wall.day + 1);
}

/** Days since 1970-01-01 of the instant's calendar date in `zone`. */
function calendarDayNumber(ms: number, zone: string): number {
  const wall = wallClockAt(ms, zone);
  const date = new Date(0);
  date.setUTCFullYear(wall.year, wall.month - 1, wall.day);
  return Math.round(date.getTime() / DAY_MS);
}

function requirementWeekdays(days: readonly string[]): ReadonlySet<number> {
  try {
    return new Set(days.map(weekdayNumber));
  } catch (err) {
    throw new AutostopCalculationError("invalid_input", `autostop requirement: ${(err as Error).message}`, { cause: err });
  }
}

function requirementWeeks(weeks: number): number {
  if (!Number.isSafeInteger(weeks) || weeks < 0) {
    throw new AutostopCalculationError("invalid_input", `autostop requirement weeks must be a non-negative integer, got ${weeks}`);
  }
  return weeks;
}

function leewayToMs(hours: number | undefined): number {
  const value = hours ?? DEFAULT_AUTOSTOP_LEEWAY_HOURS;
  if (!Number.isFinite(value) || value < 0) {
    throw new AutostopCalculationError("invalid_input", `leewayHours must be a non-negative number, got ${value}`);
  }
  return value * HOUR_MS;
}

function finiteNumber(value: number, name: string): number {
  if (!Number.isFinite(value)) throw new AutostopCalculationError("invalid_input", `${name} must be a finite number, got ${value}`);
  return value;
}

const EXPLICIT_OFFSET = /(?:[zZ]|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)$/;

/** Epoch ms of an ISO instant; the offset must be explicit so the result never depends on the host zone. */
function parseInstant(iso: string): number {
  const parsed = DateTime.fromISO(iso, { setZone: true });
  if (!parsed.isValid || !EXPLICIT_OFFSET.test(iso.trim())) {
    throw new AutostopCalculationError("invalid_input", `now must be an ISO instant with an offset, got ${JSON.stringify(iso)}`);
  }
  return parsed.toMillis();
}

function validMillis(at: DateTime): number {
  if (!at.isValid) throw new AutostopCalculationError("invalid_input", `invalid time: ${at.invalidExplanation ?? "unknown"}`);
  return at.toMillis();
}

function toIso(ms: number): string {
  return new Date(ms).toISOString();
}

function isoOrZero(ms: number | null): string {
  return ms === null ? "0001-01-01T00:00:00Z" : toIso(ms);
}
