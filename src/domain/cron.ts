/**
 * Coder's schedule format (`coderd/schedule/cron`): an optional `CRON_TZ=<IANA zone>` prefix followed by
 * exactly five cron fields (minute hour day-of-month month day-of-week) in robfig/cron v3 syntax.
 *
 * Occurrences are computed the way robfig's `SpecSchedule.Next` does, in the schedule's zone, including
 * its behaviour around DST changes: an hour skipped by a spring-forward transition has no occurrence
 * that day, and an hour repeated by a fall-back transition fires once per absolute hour (twice).
 * Wall-clock instants are resolved like Go's `time.Date` (see {@link instantFromWallClock}).
 *
 * Pure: no I/O, no current time. Instants are epoch milliseconds or luxon `DateTime`s.
 *
 * Why hand-written rather than a cron library: the answers must be the ones Coder itself computes.
 * Coder accepts a subset of robfig/cron v3 (exactly five fields, no seconds) behind an optional
 * `CRON_TZ=` prefix, and its quiet-hours and autostart deadlines come from robfig's `Next` in that
 * zone, with robfig's DST behaviour (a skipped hour has no occurrence, a repeated one fires twice)
 * and Go's `time.Date` normalisation of wall-clock times.
 * General-purpose JavaScript cron parsers differ on exactly these points (DST gaps and overlaps,
 * day-of-month/day-of-week OR rules, accepted syntax), and a difference would mean a stop at a time
 * Coder would not choose. The unit tests port Coder's own cron tests and check DST transitions in
 * several zones.
 */
import { DateTime, IANAZone } from "luxon";
import { UsageError } from "../errors.js";

/** A schedule string could not be parsed or does not have the required shape. */
export class ScheduleError extends UsageError {
  override readonly code = "E_SCHEDULE";
}

const SECOND_MS = 1_000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;

// ---------------------------------------------------------------------------------------------
// Wall clock <-> instant, with Go's time.Date semantics
// ---------------------------------------------------------------------------------------------

/** Calendar fields of an instant as seen in a zone. `weekday` is Go's: 0 = Sunday … 6 = Saturday. */
export interface WallClock {
  readonly year: number;
  readonly month: number; // 1-12
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly weekday: number;
}

const zoneCache = new Map<string, IANAZone>();

function ianaZone(zone: string): IANAZone {
  let cached = zoneCache.get(zone);
  if (cached === undefined) {
    cached = IANAZone.create(zone);
    zoneCache.set(zone, cached);
  }
  return cached;
}

/** The zone's UTC offset (milliseconds, east positive) in effect at the instant `ms`. */
export function zoneOffsetMs(zone: string, ms: number): number {
  if (zone === "UTC") return 0;
  const minutes = ianaZone(zone).offset(ms);
  if (!Number.isFinite(minutes)) throw new ScheduleError(`unknown time zone ${zone}`);
  return Math.round(minutes * MINUTE_MS);
}

/** The wall clock of instant `ms` in `zone`. */
export function wallClockAt(ms: number, zone: string): WallClock {
  const shifted = new Date(ms + zoneOffsetMs(zone, ms));
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    second: shifted.getUTCSeconds(),
    weekday: shifted.getUTCDay(),
  };
}

/** Wall-clock fields read as if they were UTC; overflowing fields roll over (month 13, day 32…). */
function wallFieldsAsUtcMs(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // unlike Date.UTC, does not remap years 0-99
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
}

/**
 * The instant of a wall-clock time in `zone`, resolved exactly like Go's
 * `time.Date(year, month, day, hour, minute, second, 0, loc)`:
 * overflowing fields are normalised first; then, with `U` the wall time read as UTC, the offset used is
 * the one in effect at the instant `U - offset(U)`.
 *
 * Consequences (zone-dependent, unlike luxon's default): Sydney 2023-10-01 02:30 (gap) → 03:30 +11;
 * Chicago 2024-03-10 02:30 (gap) → 01:30 −06; Sydney 2024-04-07 02:30 (overlap) → the later instant;
 * Chicago 2024-11-03 01:30 (overlap) → the earlier instant.
 */
export function instantFromWallClock(
  zone: string,
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
): number {
  const asUtc = wallFieldsAsUtcMs(year, month, day, hour, minute, second);
  const offset = zoneOffsetMs(zone, asUtc - zoneOffsetMs(zone, asUtc));
  return asUtc - offset;
}

/** Floor division of an instant to a multiple of `unitMs` (Go's `Time.Truncate` for whole seconds/minutes). */
function truncateMs(ms: number, unitMs: number): number {
  return ms - (((ms % unitMs) + unitMs) % unitMs);
}

// ---------------------------------------------------------------------------------------------
// Weekday names
// ---------------------------------------------------------------------------------------------

const WEEKDAY_SHORT = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const WEEKDAY_FULL = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"] as const;

/**
 * Go weekday number (0 = Sunday … 6 = Saturday) of a day name as Coder's API writes them
 * ("monday" … "sunday"); three-letter abbreviations and any letter case are accepted too.
 * Throws {@link ScheduleError} for anything else.
 */
export function weekdayNumber(name: string): number {
  const lower = name.trim().toLowerCase();
  const index = WEEKDAY_FULL.findIndex((full) => full === lower || full.slice(0, 3) === lower);
  if (index < 0) throw new ScheduleError(`unknown day of week ${JSON.stringify(name)}`);
  return index;
}

/** Short English name ("Sun" … "Sat") of a Go weekday number. */
export function weekdayShortName(weekday: number): string {
  const name = WEEKDAY_SHORT[weekday];
  if (name === undefined) throw new RangeError(`weekday out of range: ${weekday}`);
  return name;
}

// ---------------------------------------------------------------------------------------------
// Field parsing (robfig/cron v3 parser, Minute | Hour | Dom | Month | Dow)
// ---------------------------------------------------------------------------------------------

interface FieldBounds {
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
}

const MINUTE_BOUNDS: FieldBounds = { min: 0, max: 59 };
const HOUR_BOUNDS: FieldBounds = { min: 0, max: 23 };
const DOM_BOUNDS: FieldBounds = { min: 1, max: 31 };
const MONTH_BOUNDS: FieldBounds = {
  min: 1,
  max: 12,
  names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 },
};
const DOW_BOUNDS: FieldBounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

/** One parsed cron field: the matching values, and robfig's "star bit" (field written as `*`/`?` without a step > 1). */
interface CronField {
  readonly values: ReadonlySet<number>;
  readonly star: boolean;
}

interface CronSpec {
  readonly minute: CronField;
  readonly hour: CronField;
  readonly dayOfMonth: CronField;
  readonly month: CronField;
  readonly dayOfWeek: CronField;
}

/** Go's strconv.Atoi plus robfig's non-negative check. */
function parseNonNegativeInt(expr: string): number {
  if (!/^[+-]?\d+$/.test(expr)) {
    throw new Error(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`);
  }
  const value = Number(expr);
  if (!Number.isSafeInteger(value)) {
    throw new Error(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: value out of range`);
  }
  if (value < 0) throw new Error(`negative number (${value}) not allowed: ${expr}`);
  return value;
}

function parseIntOrName(expr: string, bounds: FieldBounds): number {
  const named = bounds.names?.[expr.toLowerCase()];
  return named ?? parseNonNegativeInt(expr);
}

/** One comma-separated part of a field: `*`, `?`, `N`, `N-M`, with an optional `/step`. */
function parseRange(expr: string, bounds: FieldBounds): { values: number[]; star: boolean } {
  const rangeAndStep = expr.split("/");
  const lowAndHigh = (rangeAndStep[0] ?? "").split("-");
  const low = lowAndHigh[0] ?? "";
  let start: number;
  let end: number;
  let star = false;
  if (low === "*" || low === "?") {
    start = bounds.min;
    end = bounds.max;
    star = true;
  } else {
    start = parseIntOrName(low, bounds);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1] ?? "", bounds);
    else throw new Error(`too many hyphens: ${expr}`);
  }

  let step = 1;
  if (rangeAndStep.length === 2) {
    step = parseNonNegativeInt(rangeAndStep[1] ?? "");
    if (lowAndHigh.length === 1) end = bounds.max; // "N/step" means "N-max/step"
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) {
    throw new Error(`too many slashes: ${expr}`);
  }

  if (start < bounds.min) throw new Error(`beginning of range (${start}) below minimum (${bounds.min}): ${expr}`);
  if (end > bounds.max) throw new Error(`end of range (${end}) above maximum (${bounds.max}): ${expr}`);
  if (start > end) throw new Error(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new Error(`step of range should be a positive number: ${expr}`);

  const values: number[] = [];
  for (let v = start; v <= end; v += step) values.push(v);
  return { values, star };
}

function parseField(text: string, bounds: FieldBounds): CronField {
  const values = new Set<number>();
  let star = false;
  // strings.FieldsFunc semantics: empty parts between commas are dropped.
  for (const part of text.split(",").filter((p) => p !== "")) {
    const range = parseRange(part, bounds);
    range.values.forEach((v) => values.add(v));
    star ||= range.star;
  }
  return { values, star };
}

/** Go's strings.Fields. */
function splitFields(text: string): string[] {
  return text.split(/\s+/).filter((f) => f !== "");
}

const LOCAL_ZONE = Symbol("time.Local");

/** Go's time.LoadLocation, as far as a schedule needs it. */
function loadLocation(name: string): string | typeof LOCAL_ZONE {
  if (name === "" || name === "UTC") return "UTC";
  if (name === "Local") return LOCAL_ZONE;
  if (name.includes("..") || name.startsWith("/") || name.startsWith("\\")) {
    throw new Error(`provided bad location ${name}: time: invalid location name`);
  }
  if (!IANAZone.isValidZone(name)) throw new Error(`provided bad location ${name}: unknown time zone ${name}`);
  return name;
}

// ---------------------------------------------------------------------------------------------
// Schedule
// ---------------------------------------------------------------------------------------------

/** Coder's five fields, as written (normalised whitespace). */
export interface ScheduleFields {
  readonly minute: string;
  readonly hour: string;
  readonly dayOfMonth: string;
  readonly month: string;
  readonly dayOfWeek: string;
}

/** Reference points of Coder's `Schedule.Min()`. */
const MIN_T0_MS = Date.UTC(1970, 0, 1, 1, 1, 1);
const MIN_TMAX_MS = MIN_T0_MS + 168 * HOUR_MS;

/** A parsed Coder schedule. Create with {@link parseSchedule}, {@link parseWeekly} or {@link parseDaily}. */
export class Schedule {
  /** The string as given to the parser. */
  readonly raw: string;
  /** IANA zone of the schedule ("UTC" when there was no `CRON_TZ=` prefix). */
  readonly timezone: string;
  /** The five fields without the `CRON_TZ=` prefix, single-space separated (Coder's `Cron()`). */
  readonly cron: string;
  readonly fields: ScheduleFields;
  readonly #spec: CronSpec;

  /** @internal use the parse functions. */
  constructor(raw: string, timezone: string, fields: ScheduleFields, spec: CronSpec) {
    this.raw = raw;
    this.timezone = timezone;
    this.fields = fields;
    this.cron = [fields.minute, fields.hour, fields.dayOfMonth, fields.month, fields.dayOfWeek].join(" ");
    this.#spec = spec;
  }

  /** `CRON_TZ=<zone> <cron>` (Coder's `String()`). */
  toString(): string {
    return `CRON_TZ=${this.timezone} ${this.cron}`;
  }

  /**
   * The first occurrence strictly after the instant `afterMs` (epoch ms), or `null` when there is none
   * within five years (robfig returns Go's zero time then; only impossible dates such as `0 0 30 2 *` do that).
   */
  nextMillis(afterMs: number): number | null {
    return nextOccurrence(this.#spec, this.timezone, afterMs);
  }

  /**
   * The first occurrence strictly after `after`, in `after`'s zone (like robfig's `Next`).
   * Throws {@link ScheduleError} if `after` is invalid or there is no occurrence within five years.
   */
  next(after: DateTime): DateTime {
    if (!after.isValid) throw new ScheduleError(`invalid time: ${after.invalidExplanation ?? "unknown"}`);
    const next = this.nextMillis(after.toMillis());
    if (next === null) throw new ScheduleError(`schedule ${JSON.stringify(this.toString())} has no occurrence within 5 years`);
    return DateTime.fromMillis(next, { zone: after.zone });
  }

  /** True when the minute containing `at` is an occurrence (`* 9-18 * * 1-5` covers 09:00:00–18:59:59 Mon–Fri). */
  isWithinRange(at: DateTime): boolean {
    const minuteStart = truncateMs(at.toMillis(), MINUTE_MS);
    return this.nextMillis(minuteStart - SECOND_MS) === minuteStart;
  }

  /** The smallest gap between consecutive occurrences over one week, in ms (Coder's `Min()`). */
  minIntervalMs(): number {
    let smallest = MIN_TMAX_MS - MIN_T0_MS;
    let previous = this.nextMillis(MIN_T0_MS);
    if (previous === null) return smallest;
    let current = this.nextMillis(previous);
    while (current !== null) {
      smallest = Math.min(smallest, current - previous);
      previous = current;
      current = this.nextMillis(current);
      if (current === null || current > MIN_TMAX_MS) break;
    }
    return smallest;
  }

  /** Hour and minute when both fields are plain numbers (`9`, `09`, `30`), else `null`. */
  #plainTime(): { hour: number; minute: number } | null {
    const { hour, minute } = this.fields;
    if (!/^\d{1,2}$/.test(hour) || !/^\d{1,2}$/.test(minute)) return null;
    const h = Number(hour);
    const m = Number(minute);
    return h <= 23 && m <= 59 ? { hour: h, minute: m } : null;
  }

  /** "HH:MM" when minute and hour are single values (a single daily time), else `null`. */
  timeOfDay(): string | null {
    const time = this.#plainTime();
    if (time === null) return null;
    return `${String(time.hour).padStart(2, "0")}:${String(time.minute).padStart(2, "0")}`;
  }

  /** Coder's `Time()`: Go kitchen format ("9:30AM") for a single time, else `cron(<minute> <hour>)`. */
  time(): string {
    const time = this.#plainTime();
    if (time === null) return `cron(${this.fields.minute} ${this.fields.hour})`;
    const hour12 = time.hour % 12 === 0 ? 12 : time.hour % 12;
    return `${hour12}:${String(time.minute).padStart(2, "0")}${time.hour < 12 ? "AM" : "PM"}`;
  }

  /**
   * Coder's `DaysOfWeek()`: "daily" for `*`, otherwise the day-of-week field with the first occurrence of
   * each digit 0–6 replaced by its name ("1-5" → "Mon-Fri", "1,3,6" → "Mon,Wed,Sat").
   */
  daysOfWeek(): string {
    let dow = this.fields.dayOfWeek;
    if (dow === "*") return "daily";
    WEEKDAY_SHORT.forEach((name, weekday) => {
      dow = dow.replace(String(weekday), name);
    });
    return dow;
  }

  /** Weekday numbers (0 = Sunday … 6 = Saturday) the day-of-week field matches, ascending. */
  weekdays(): number[] {
    return [...this.#spec.dayOfWeek.values].sort((a, b) => a - b);
  }

  /** Coder's `Humanize()`: "9:30AM Mon-Fri (US/Central)". */
  humanize(): string {
    return `${this.time()} ${this.daysOfWeek()} (${this.timezone})`;
  }

  /** A short description such as "08:30 Mon–Fri Europe/London" or "00:00 daily UTC". */
  describe(): string {
    const time = this.timeOfDay() ?? `cron(${this.fields.minute} ${this.fields.hour})`;
    const { dayOfMonth, month, dayOfWeek } = this.fields;
    const days =
      dayOfMonth === "*" && month === "*" ? describeWeekdays(this.weekdays()) : `cron(${dayOfMonth} ${month} ${dayOfWeek})`;
    return `${time} ${days} ${this.timezone}`;
  }
}

/** "daily", "Mon–Fri", "Mon,Wed,Sat", "Sat,Sun": weeks start on Monday; runs of three or more become ranges. */
function describeWeekdays(weekdays: readonly number[]): string {
  if (weekdays.length === 7) return "daily";
  if (weekdays.length === 0) return "never";
  const mondayFirst = [1, 2, 3, 4, 5, 6, 0].filter((d) => weekdays.includes(d));
  const position = (d: number): number => (d + 6) % 7;
  const runs: number[][] = [];
  for (const day of mondayFirst) {
    const run = runs[runs.length - 1];
    const last = run?.[run.length - 1];
    if (run !== undefined && last !== undefined && position(day) === position(last) + 1) run.push(day);
    else runs.push([day]);
  }
  return runs
    .flatMap((run) => {
      const first = run[0];
      const last = run[run.length - 1];
      if (run.length >= 3 && first !== undefined && last !== undefined) {
        return [`${weekdayShortName(first)}–${weekdayShortName(last)}`];
      }
      return run.map(weekdayShortName);
    })
    .join(",");
}

// ---------------------------------------------------------------------------------------------
// Next occurrence (robfig/cron v3 SpecSchedule.Next)
// ---------------------------------------------------------------------------------------------

function dayMatches(spec: CronSpec, wall: WallClock): boolean {
  const domMatch = spec.dayOfMonth.values.has(wall.day);
  const dowMatch = spec.dayOfWeek.values.has(wall.weekday);
  // If either field is a star, both must match; otherwise either may.
  if (spec.dayOfMonth.star || spec.dayOfWeek.star) return domMatch && dowMatch;
  return domMatch || dowMatch;
}

/**
 * Walks forward field by field (month, day, hour, minute, second) like robfig: days are stepped with
 * calendar arithmetic and re-anchored to midnight, hours and minutes by absolute time, so DST gaps are
 * skipped and repeated hours visited twice. Whenever a field rolls over, the search restarts at the
 * month check. Gives up after five years.
 */
function nextOccurrence(spec: CronSpec, zone: string, afterMs: number): number | null {
  let t = truncateMs(afterMs, SECOND_MS) + SECOND_MS; // strictly after, whole seconds
  let wall = wallClockAt(t, zone);
  let reset = false; // robfig's "added": the first change of a field zeroes the smaller ones
  const yearLimit = wall.year + 5;
  const moveTo = (ms: number): void => {
    t = ms;
    wall = wallClockAt(t, zone);
  };

  search: for (;;) {
    if (wall.year > yearLimit) return null;

    while (!spec.month.values.has(wall.month)) {
      if (!reset) {
        reset = true;
        moveTo(instantFromWallClock(zone, wall.year, wall.month, 1));
      }
      moveTo(instantFromWallClock(zone, wall.year, wall.month + 1, wall.day, wall.hour, wall.minute, wall.second));
      if (wall.month === 1) continue search;
    }

    while (!dayMatches(spec, wall)) {
      if (!reset) {
        reset = true;
        moveTo(instantFromWallClock(zone, wall.year, wall.month, wall.day));
      }
      moveTo(instantFromWallClock(zone, wall.year, wall.month, wall.day + 1, wall.hour, wall.minute, wall.second));
      // Midnight may have moved because of DST: go forward to it from late evening, back from early morning.
      if (wall.hour !== 0) moveTo(t + (wall.hour > 12 ? 24 - wall.hour : -wall.hour) * HOUR_MS);
      if (wall.day === 1) continue search;
    }

    while (!spec.hour.values.has(wall.hour)) {
      if (!reset) {
        reset = true;
        moveTo(instantFromWallClock(zone, wall.year, wall.month, wall.day, wall.hour));
      }
      moveTo(t + HOUR_MS);
      if (wall.hour === 0) continue search;
    }

    while (!spec.minute.values.has(wall.minute)) {
      if (!reset) {
        reset = true;
        moveTo(truncateMs(t, MINUTE_MS));
      }
      moveTo(t + MINUTE_MS);
      if (wall.minute === 0) continue search;
    }

    // Coder's five-field format always has second = 0.
    while (wall.second !== 0) {
      if (!reset) {
        reset = true;
        moveTo(truncateMs(t, SECOND_MS));
      }
      moveTo(t + SECOND_MS);
      if (wall.second === 0) continue search;
    }

    return t;
  }
}

// ---------------------------------------------------------------------------------------------
// Parsers
// ---------------------------------------------------------------------------------------------

/**
 * Parses any five-field schedule with an optional `CRON_TZ=` prefix (Coder's internal `parse`).
 * Without a prefix the zone is UTC. Errors are {@link ScheduleError}s with Coder's/robfig's messages:
 * `parse schedule: expected exactly 5 fields, found 3: [30 9 1-5]`,
 * `parse schedule: provided bad location X: unknown time zone X`,
 * `parse schedule: end of range (7) above maximum (6): 7`,
 * `schedules scoped to time.Local are not supported`.
 */
export function parseSchedule(raw: string): Schedule {
  const prefixed = raw.startsWith("CRON_TZ=") ? raw : `CRON_TZ=UTC ${raw}`;
  let zone: string | typeof LOCAL_ZONE;
  let fields: ScheduleFields;
  let spec: CronSpec;
  try {
    const space = prefixed.indexOf(" ");
    const zoneName = space < 0 ? prefixed.slice("CRON_TZ=".length) : prefixed.slice("CRON_TZ=".length, space);
    zone = loadLocation(zoneName);
    const rest = space < 0 ? "" : prefixed.slice(space).trim();
    if (rest.startsWith("@")) throw new Error(`parser does not accept descriptors: ${rest}`);
    const parts = splitFields(rest);
    const [minute, hour, dayOfMonth, month, dayOfWeek] = parts;
    if (
      parts.length !== 5 ||
      minute === undefined ||
      hour === undefined ||
      dayOfMonth === undefined ||
      month === undefined ||
      dayOfWeek === undefined
    ) {
      throw new Error(`expected exactly 5 fields, found ${parts.length}: [${parts.join(" ")}]`);
    }
    fields = { minute, hour, dayOfMonth, month, dayOfWeek };
    spec = {
      minute: parseField(minute, MINUTE_BOUNDS),
      hour: parseField(hour, HOUR_BOUNDS),
      dayOfMonth: parseField(dayOfMonth, DOM_BOUNDS),
      month: parseField(month, MONTH_BOUNDS),
      dayOfWeek: parseField(dayOfWeek, DOW_BOUNDS),
    };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new ScheduleError(`parse schedule: ${message}`, { cause: err });
  }
  if (zone === LOCAL_ZONE) throw new ScheduleError("schedules scoped to time.Local are not supported");
  return new Schedule(raw, zone, fields, spec);
}

const FIELD_COUNT_MESSAGE = "expected schedule to consist of 5 fields with an optional CRON_TZ=<timezone> prefix";

/** Coder's field-shape check: at least five fields; a sixth (first) one is taken to be the prefix. */
function shapeFields(raw: string, kind: "weekly" | "daily"): string[] {
  const parts = splitFields(raw);
  if (parts.length < 5) throw new ScheduleError(`validate ${kind} schedule: ${FIELD_COUNT_MESSAGE}`);
  return parts.length === 6 ? parts.slice(1) : parts;
}

/**
 * Coder's `cron.Weekly` (workspace autostart): day-of-month and month must be `*`.
 * Error: `validate weekly schedule: expected day-of-month and month to be *`.
 */
export function parseWeekly(raw: string): Schedule {
  const parts = shapeFields(raw, "weekly");
  if (parts[2] !== "*" || parts[3] !== "*") {
    throw new ScheduleError("validate weekly schedule: expected day-of-month and month to be *");
  }
  return parseSchedule(raw);
}

/**
 * Coder's `cron.Daily` (quiet hours): day-of-month, month and day-of-week must be `*`.
 * Error: `validate daily schedule: expected day-of-month, month and day-of-week to be *`.
 */
export function parseDaily(raw: string): Schedule {
  const parts = shapeFields(raw, "daily");
  if (parts[2] !== "*" || parts[3] !== "*" || parts[4] !== "*") {
    throw new ScheduleError("validate daily schedule: expected day-of-month, month and day-of-week to be *");
  }
  return parseSchedule(raw);
}

/**
 * A user quiet-hours schedule as Coder's enterprise store accepts it: {@link parseDaily} plus a single
 * minute and hour (no lists, ranges or steps).
 */
export function parseQuietHours(raw: string): Schedule {
  const schedule = parseDaily(raw);
  if (schedule.timeOfDay() === null) {
    throw new ScheduleError(`daily schedule ${JSON.stringify(raw)} has more than one time: ${schedule.time()}`);
  }
  return schedule;
}

/** Short human description of a schedule string, e.g. "08:30 Mon–Fri Europe/London". Throws {@link ScheduleError}. */
export function describeSchedule(raw: string): string {
  return parseSchedule(raw).describe();
}
