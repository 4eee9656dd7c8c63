/**
 * Coder's schedule format: Coder's own cron tests (coderd/schedule/cron/cron_test.go: Test_Weekly,
 * TestIsWithinRange), robfig's parse errors, and next occurrences across DST in several zones.
 */
import fc from "fast-check";
import { DateTime, IANAZone } from "luxon";
import { describe, expect, it } from "vitest";
import {
  ScheduleError,
  describeSchedule,
  instantFromWallClock,
  parseDaily,
  parseQuietHours,
  parseSchedule,
  parseWeekly,
  wallClockAt,
  weekdayNumber,
  type Schedule,
} from "../../src/domain/cron.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function utc(iso: string): DateTime {
  return DateTime.fromISO(iso, { zone: "UTC" });
}

function nextIso(schedule: Schedule | string, afterIso: string): string | null {
  const s = typeof schedule === "string" ? parseSchedule(schedule) : schedule;
  const next = s.nextMillis(Date.parse(afterIso));
  return next === null ? null : new Date(next).toISOString();
}

function errorMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ScheduleError);
    return (err as Error).message;
  }
  throw new Error("expected a ScheduleError");
}

describe("parseWeekly: Coder's Test_Weekly", () => {
  const valid = [
    {
      name: "with timezone",
      spec: "CRON_TZ=US/Central 30 9 * * 1-5",
      at: "2022-04-01T14:29:00Z",
      next: "2022-04-01T14:30:00.000Z",
      min: 24 * HOUR,
      daysOfWeek: "Mon-Fri",
      cron: "30 9 * * 1-5",
      timezone: "US/Central",
      string: "CRON_TZ=US/Central 30 9 * * 1-5",
      time: "9:30AM",
    },
    {
      name: "without timezone",
      spec: "30 9 * * 1-5",
      at: "2022-04-01T09:29:00Z",
      next: "2022-04-01T09:30:00.000Z",
      min: 24 * HOUR,
      daysOfWeek: "Mon-Fri",
      cron: "30 9 * * 1-5",
      timezone: "UTC",
      string: "CRON_TZ=UTC 30 9 * * 1-5",
      time: "9:30AM",
    },
    {
      name: "24h format",
      spec: "30 13 * * 1-5",
      at: "2022-04-01T13:29:00Z",
      next: "2022-04-01T13:30:00.000Z",
      min: 24 * HOUR,
      daysOfWeek: "Mon-Fri",
      cron: "30 13 * * 1-5",
      timezone: "UTC",
      string: "CRON_TZ=UTC 30 13 * * 1-5",
      time: "1:30PM",
    },
    {
      name: "convoluted with timezone",
      spec: "CRON_TZ=US/Central */5 12-18 * * 1,3,6",
      at: "2022-04-01T14:29:00Z", // a Friday
      next: "2022-04-02T17:00:00.000Z",
      min: 5 * MINUTE,
      daysOfWeek: "Mon,Wed,Sat",
      cron: "*/5 12-18 * * 1,3,6",
      timezone: "US/Central",
      string: "CRON_TZ=US/Central */5 12-18 * * 1,3,6",
      time: "cron(*/5 12-18)",
    },
    {
      name: "another convoluted example",
      spec: "CRON_TZ=US/Central 10,20,40-50 * * * *",
      at: "2022-04-01T14:29:00Z",
      next: "2022-04-01T14:40:00.000Z",
      min: MINUTE,
      daysOfWeek: "daily",
      cron: "10,20,40-50 * * * *",
      timezone: "US/Central",
      string: "CRON_TZ=US/Central 10,20,40-50 * * * *",
      time: "cron(10,20,40-50 *)",
    },
  ];

  it.each(valid)("$name", (c) => {
    const schedule = parseWeekly(c.spec);
    expect(nextIso(schedule, c.at)).toBe(c.next);
    expect(schedule.cron).toBe(c.cron);
    expect(schedule.timezone).toBe(c.timezone);
    expect(schedule.toString()).toBe(c.string);
    expect(schedule.minIntervalMs()).toBe(c.min);
    expect(schedule.daysOfWeek()).toBe(c.daysOfWeek);
    expect(schedule.time()).toBe(c.time);
    expect(schedule.raw).toBe(c.spec);
  });

  const FIELDS = "validate weekly schedule: expected schedule to consist of 5 fields with an optional CRON_TZ=<timezone> prefix";
  const invalid = [
    { name: "time.Local will bite you", spec: "CRON_TZ=Local 30 9 * * 1-5", error: "schedules scoped to time.Local are not supported" },
    { name: "invalid schedule", spec: "asdfasdfasdfsd", error: FIELDS },
    {
      name: "invalid location",
      spec: "CRON_TZ=Fictional/Country 30 9 * * 1-5",
      error: "parse schedule: provided bad location Fictional/Country: unknown time zone Fictional/Country",
    },
    { name: "invalid schedule with 3 fields", spec: "CRON_TZ=Fictional/Country 30 9 1-5", error: FIELDS },
    { name: "invalid schedule with 3 fields and no timezone", spec: "30 9 1-5", error: FIELDS },
    {
      name: "valid schedule with 5 fields but month and dom not set to *",
      spec: "30 9 1 1 1-5",
      error: "validate weekly schedule: expected day-of-month and month to be *",
    },
    {
      name: "valid schedule with 5 fields and timezone but month and dom not set to *",
      spec: "CRON_TZ=Europe/Dublin 30 9 1 1 1-5",
      error: "validate weekly schedule: expected day-of-month and month to be *",
    },
  ];

  it.each(invalid)("$name", ({ spec, error }) => {
    expect(errorMessage(() => parseWeekly(spec))).toBe(error);
  });
});

describe("isWithinRange: Coder's TestIsWithinRange", () => {
  const cases = [
    { name: "Right before the start of the time range", spec: "* 9-18 * * 1-5", at: "2025-06-02T08:59:59Z", within: false },
    { name: "Start of the time range", spec: "* 9-18 * * 1-5", at: "2025-06-02T09:00:00Z", within: true },
    { name: "9:01 AM", spec: "* 9-18 * * 1-5", at: "2025-06-02T09:01:00Z", within: true },
    { name: "2PM - the middle of the time range", spec: "* 9-18 * * 1-5", at: "2025-06-02T14:00:00Z", within: true },
    { name: "6PM - one hour before the end", spec: "* 9-18 * * 1-5", at: "2025-06-02T18:00:00Z", within: true },
    { name: "End of the time range", spec: "* 9-18 * * 1-5", at: "2025-06-02T18:59:59Z", within: true },
    { name: "Right after the end of the time range", spec: "* 9-18 * * 1-5", at: "2025-06-02T19:00:00Z", within: false },
    { name: "7:01PM", spec: "* 9-18 * * 1-5", at: "2025-06-02T19:01:00Z", within: false },
    { name: "2AM - significantly outside", spec: "* 9-18 * * 1-5", at: "2025-06-02T02:00:00Z", within: false },
    { name: "Outside the day range #1 (Saturday)", spec: "* 9-18 * * 1-5", at: "2025-06-07T14:00:00Z", within: false },
    { name: "Outside the day range #2 (Sunday)", spec: "* 9-18 * * 1-5", at: "2025-06-08T14:00:00Z", within: false },
    { name: "Sunday is supported with value 0", spec: "* 9-18 * * 0", at: "2025-06-08T14:00:00Z", within: true },
  ];

  it.each(cases)("$name", ({ spec, at, within }) => {
    expect(parseWeekly(spec).isWithinRange(utc(at))).toBe(within);
  });

  it("rejects day-of-week 7 as out of range", () => {
    expect(errorMessage(() => parseWeekly("* 9-18 * * 7"))).toBe("parse schedule: end of range (7) above maximum (6): 7");
  });
});

describe("parseDaily and parseQuietHours", () => {
  it("accepts quiet-hours schedules", () => {
    const s = parseDaily("CRON_TZ=Australia/Sydney 0 0 * * *");
    expect(s.timezone).toBe("Australia/Sydney");
    expect(s.timeOfDay()).toBe("00:00");
    expect(s.daysOfWeek()).toBe("daily");
    expect(parseQuietHours("CRON_TZ=Europe/London 30 8 * * *").timeOfDay()).toBe("08:30");
  });

  it.each([
    ["CRON_TZ=UTC 0 0 * * 1-5", "validate daily schedule: expected day-of-month, month and day-of-week to be *"],
    ["0 0 1 * *", "validate daily schedule: expected day-of-month, month and day-of-week to be *"],
    ["0 0 *", "validate daily schedule: expected schedule to consist of 5 fields with an optional CRON_TZ=<timezone> prefix"],
    ["CRON_TZ=Local 0 0 * * *", "schedules scoped to time.Local are not supported"],
  ])("parseDaily(%j) fails with %j", (spec, message) => {
    expect(errorMessage(() => parseDaily(spec))).toBe(message);
  });

  it("parseQuietHours requires a single minute and hour", () => {
    expect(errorMessage(() => parseQuietHours("CRON_TZ=UTC 0,30 0 * * *"))).toBe(
      'daily schedule "CRON_TZ=UTC 0,30 0 * * *" has more than one time: cron(0,30 0)',
    );
    expect(() => parseQuietHours("CRON_TZ=UTC 0 */2 * * *")).toThrow(ScheduleError);
  });
});

describe("parseSchedule: robfig syntax and errors", () => {
  it.each([
    ["30 9 * * MON-FRI", "2024-02-16T09:30:00Z", "2024-02-19T09:30:00.000Z"],
    ["30 9 * * mon,wed", "2024-02-14T09:30:00Z", "2024-02-19T09:30:00.000Z"],
    ["0 0 ? * ?", "2024-02-14T09:30:00Z", "2024-02-15T00:00:00.000Z"],
    ["0 0 1 JAN *", "2024-02-14T09:30:00Z", "2025-01-01T00:00:00.000Z"],
    ["15/20 * * * *", "2024-02-14T09:16:00Z", "2024-02-14T09:35:00.000Z"],
    ["0 22-2 * * *", "2024-02-14T09:16:00Z", null], // a reversed range is an error, see below
  ])("%s after %s", (spec, after, expected) => {
    if (expected === null) {
      expect(() => parseSchedule(spec)).toThrow(ScheduleError);
      return;
    }
    expect(nextIso(spec, after)).toBe(expected);
  });

  it("matches day-of-month OR day-of-week when neither is a star (robfig)", () => {
    // The 15th of February 2024 is a Thursday; Mondays also match.
    expect(nextIso("0 9 15 * 1", "2024-02-13T00:00:00Z")).toBe("2024-02-15T09:00:00.000Z");
    expect(nextIso("0 9 15 * 1", "2024-02-15T10:00:00Z")).toBe("2024-02-19T09:00:00.000Z");
    // With a star on one side both must match: day-of-week "*" leaves the 15th of each month.
    expect(nextIso("0 9 15 * *", "2024-02-15T10:00:00Z")).toBe("2024-03-15T09:00:00.000Z");
    // robfig's star bit: "*/1" counts as a star (AND: Mondays), "1-31" does not (OR: every day).
    expect(nextIso("0 9 */1 * 1", "2024-02-15T10:00:00Z")).toBe("2024-02-19T09:00:00.000Z");
    expect(nextIso("0 9 1-31 * 1", "2024-02-15T10:00:00Z")).toBe("2024-02-16T09:00:00.000Z");
  });

  it("returns null when there is no occurrence within five years", () => {
    expect(nextIso("0 0 30 2 *", "2024-01-01T00:00:00Z")).toBeNull();
    expect(() => parseSchedule("0 0 30 2 *").next(utc("2024-01-01T00:00:00Z"))).toThrow(ScheduleError);
  });

  it.each([
    ["30 9 * *", "parse schedule: expected exactly 5 fields, found 4: [30 9 * *]"],
    ["0 30 9 * * 1-5", "parse schedule: expected exactly 5 fields, found 6: [0 30 9 * * 1-5]"],
    ["@daily", "parse schedule: parser does not accept descriptors: @daily"],
    ["60 9 * * *", "parse schedule: end of range (60) above maximum (59): 60"],
    ["0 24 * * *", "parse schedule: end of range (24) above maximum (23): 24"],
    ["0 0 0 * *", "parse schedule: beginning of range (0) below minimum (1): 0"],
    ["0 0 * 13 *", "parse schedule: end of range (13) above maximum (12): 13"],
    ["0 0 * * 5-1", "parse schedule: beginning of range (5) beyond end of range (1): 5-1"],
    ["0 0 * * 1-2-3", "parse schedule: too many hyphens: 1-2-3"],
    ["*/5/2 0 * * *", "parse schedule: too many slashes: */5/2"],
    ["*/0 0 * * *", "parse schedule: step of range should be a positive number: */0"],
    ["x 0 * * *", 'parse schedule: failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ["0 0 * * FUN", 'parse schedule: failed to parse int from FUN: strconv.Atoi: parsing "FUN": invalid syntax'],
    ["*/-5 0 * * *", "parse schedule: negative number (-5) not allowed: -5"],
    ["CRON_TZ=Fictional/Country 30 9 * * *", "parse schedule: provided bad location Fictional/Country: unknown time zone Fictional/Country"],
    ["CRON_TZ=../etc/passwd 30 9 * * *", "parse schedule: provided bad location ../etc/passwd: time: invalid location name"],
    ["CRON_TZ=Local 30 9 * * *", "schedules scoped to time.Local are not supported"],
  ])("parseSchedule(%j) fails with %j", (spec, message) => {
    expect(errorMessage(() => parseSchedule(spec))).toBe(message);
  });

  it("normalises whitespace and defaults to UTC", () => {
    const s = parseSchedule("  30   9 * *  1-5 ");
    expect(s.timezone).toBe("UTC");
    expect(s.cron).toBe("30 9 * * 1-5");
    expect(s.fields).toEqual({ minute: "30", hour: "9", dayOfMonth: "*", month: "*", dayOfWeek: "1-5" });
    expect(parseSchedule("CRON_TZ=UTC 30 9 * * *").timezone).toBe("UTC");
  });

  it("ScheduleError is a usage error", () => {
    try {
      parseSchedule("nope");
    } catch (err) {
      expect(err).toBeInstanceOf(ScheduleError);
      expect((err as ScheduleError).code).toBe("E_SCHEDULE");
      expect((err as ScheduleError).exitCode).toBe(2);
      return;
    }
    expect.unreachable();
  });
});

describe("helpers", () => {
  it.each([
    ["CRON_TZ=Europe/London 30 8 * * 1-5", "08:30", "8:30AM", "Mon-Fri", [1, 2, 3, 4, 5], "08:30 Mon–Fri Europe/London"],
    ["0 0 * * *", "00:00", "12:00AM", "daily", [0, 1, 2, 3, 4, 5, 6], "00:00 daily UTC"],
    ["CRON_TZ=US/Central 5 12 * * 1,3,6", "12:05", "12:05PM", "Mon,Wed,Sat", [1, 3, 6], "12:05 Mon,Wed,Sat US/Central"],
    ["0 9 * * 0,6", "09:00", "9:00AM", "Sun,Sat", [0, 6], "09:00 Sat,Sun UTC"],
    ["0 9 * * 5-6,0", "09:00", "9:00AM", "Fri-Sat,Sun", [0, 5, 6], "09:00 Fri–Sun UTC"],
    ["*/5 9 * * *", null, "cron(*/5 9)", "daily", [0, 1, 2, 3, 4, 5, 6], "cron(*/5 9) daily UTC"],
    ["0 9 1 * *", "09:00", "9:00AM", "daily", [0, 1, 2, 3, 4, 5, 6], "09:00 cron(1 * *) UTC"],
  ] as const)("%s", (spec, timeOfDay, time, daysOfWeek, weekdays, description) => {
    const s = parseSchedule(spec);
    expect(s.timeOfDay()).toBe(timeOfDay);
    expect(s.time()).toBe(time);
    expect(s.daysOfWeek()).toBe(daysOfWeek);
    expect(s.weekdays()).toEqual(weekdays);
    expect(s.describe()).toBe(description);
    expect(describeSchedule(spec)).toBe(description);
  });

  it("humanize matches Coder's", () => {
    expect(parseWeekly("CRON_TZ=US/Central 30 9 * * 1-5").humanize()).toBe("9:30AM Mon-Fri (US/Central)");
  });

  it("weekdayNumber reads Coder's day names", () => {
    expect(["sunday", "Monday", "TUESDAY", "wed", "thursday", "fri", "saturday"].map(weekdayNumber)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(() => weekdayNumber("someday")).toThrow(ScheduleError);
  });

  it("next() is strictly after and keeps the caller's zone", () => {
    const s = parseSchedule("0 9 * * 1-5");
    const at = DateTime.fromISO("2024-02-16T10:00:00+01:00", { setZone: true }); // Fri 09:00Z exactly
    const next = s.next(at);
    expect(next.toISO()).toBe("2024-02-19T10:00:00.000+01:00");
    expect(s.next(at.minus({ milliseconds: 1 })).toUTC().toISO()).toBe("2024-02-16T09:00:00.000Z");
  });
});

describe("Go time.Date resolution of wall times", () => {
  type WallCase = [zone: string, wall: [number, number, number, number, number], expected: string, why: string];
  it.each<WallCase>([
    ["Australia/Sydney", [2023, 10, 1, 2, 30], "2023-09-30T16:30:00.000Z", "gap → pushed forward to 03:30 +11"],
    ["Australia/Sydney", [2024, 4, 7, 2, 30], "2024-04-06T16:30:00.000Z", "overlap → the later instant"],
    ["America/Chicago", [2024, 3, 10, 2, 30], "2024-03-10T07:30:00.000Z", "gap → pushed back to 01:30 CST"],
    ["America/Chicago", [2024, 11, 3, 1, 30], "2024-11-03T06:30:00.000Z", "overlap → the earlier instant"],
    ["Europe/London", [2024, 3, 31, 1, 30], "2024-03-31T01:30:00.000Z", "gap → 02:30 BST"],
    ["Europe/London", [2024, 10, 27, 1, 30], "2024-10-27T01:30:00.000Z", "overlap → 01:30 GMT (later)"],
    ["America/Santiago", [2023, 9, 3, 0, 0], "2023-09-03T03:00:00.000Z", "missing midnight → 23:00 the day before"],
    ["UTC", [2024, 10, 32, 0, 0], "2024-11-01T00:00:00.000Z", "day overflow"],
    ["UTC", [2024, 13, 1, 0, 0], "2025-01-01T00:00:00.000Z", "month overflow"],
  ])("%s %j → %s (%s)", (zone, [y, mo, d, h, mi], expected) => {
    expect(new Date(instantFromWallClock(zone, y, mo, d, h, mi)).toISOString()).toBe(expected);
  });

  it("wallClockAt gives Go weekdays (0 = Sunday)", () => {
    expect(wallClockAt(Date.parse("2023-09-30T14:00:00Z"), "Australia/Sydney")).toEqual({
      year: 2023,
      month: 10,
      day: 1,
      hour: 0,
      minute: 0,
      second: 0,
      weekday: 0,
    });
  });
});

describe("next occurrence across DST (robfig behaviour)", () => {
  const cases: { zone: string; spec: string; after: string; expected: string[]; why: string }[] = [
    {
      zone: "Australia/Sydney",
      spec: "30 2 * * *",
      after: "2023-09-30T14:00:00Z", // Sun 2023-10-01 00:00 +10
      expected: ["2023-10-01T15:30:00.000Z", "2023-10-02T15:30:00.000Z"],
      why: "02:30 does not exist on the spring-forward day: next day 02:30 +11",
    },
    {
      zone: "Australia/Sydney",
      spec: "30 2 * * *",
      after: "2024-04-06T13:00:00Z", // Sun 2024-04-07 00:00 +11
      expected: ["2024-04-06T15:30:00.000Z", "2024-04-06T16:30:00.000Z", "2024-04-07T16:30:00.000Z"],
      why: "the repeated 02:xx hour fires twice (+11, then +10)",
    },
    {
      zone: "Australia/Sydney",
      spec: "30 3 * * *",
      after: "2024-04-06T13:00:00Z",
      expected: ["2024-04-06T17:30:00.000Z"],
      why: "03:30 happens once, at +10",
    },
    {
      zone: "Australia/Sydney",
      spec: "0 0 * * *",
      after: "2023-09-30T14:00:00Z",
      expected: ["2023-10-01T13:00:00.000Z", "2023-10-02T13:00:00.000Z"],
      why: "the day after the switch is 23 hours long",
    },
    {
      zone: "America/Chicago",
      spec: "30 2 * * *",
      after: "2024-03-10T06:00:00Z", // 00:00 CST
      expected: ["2024-03-11T07:30:00.000Z"],
      why: "02:30 is skipped on 2024-03-10",
    },
    {
      zone: "America/Chicago",
      spec: "30 1 * * *",
      after: "2024-11-03T05:00:00Z", // 00:00 CDT
      expected: ["2024-11-03T06:30:00.000Z", "2024-11-03T07:30:00.000Z", "2024-11-04T07:30:00.000Z"],
      why: "01:30 happens twice on 2024-11-03",
    },
    {
      zone: "America/Chicago",
      spec: "0 9 * * 1-5",
      after: "2024-03-08T15:00:00Z", // Fri 09:00 CST
      expected: ["2024-03-11T14:00:00.000Z"],
      why: "Monday 09:00 is now CDT",
    },
    {
      zone: "Europe/London",
      spec: "30 1 * * *",
      after: "2024-03-31T00:00:00Z",
      expected: ["2024-04-01T00:30:00.000Z"],
      why: "01:30 is skipped on 2024-03-31",
    },
    {
      zone: "Europe/London",
      spec: "30 1 * * *",
      after: "2024-10-26T23:00:00Z",
      expected: ["2024-10-27T00:30:00.000Z", "2024-10-27T01:30:00.000Z", "2024-10-28T01:30:00.000Z"],
      why: "01:30 happens twice on 2024-10-27",
    },
    {
      zone: "Europe/London",
      spec: "0 0 * * *",
      after: "2024-03-30T12:00:00Z",
      expected: ["2024-03-31T00:00:00.000Z", "2024-03-31T23:00:00.000Z", "2024-04-01T23:00:00.000Z"],
      why: "midnight moves from GMT to BST",
    },
    {
      zone: "America/Santiago",
      spec: "0 12 * * 0",
      after: "2023-09-02T14:00:00Z", // Sat 10:00 -04; Sunday starts at 01:00 -03
      expected: ["2023-09-03T15:00:00.000Z"],
      why: "the day loop re-anchors a missing midnight",
    },
    {
      zone: "UTC",
      spec: "0 9 * * 1-5",
      after: "2024-02-16T09:00:00Z",
      expected: ["2024-02-19T09:00:00.000Z", "2024-02-20T09:00:00.000Z"],
      why: "strictly after: a Friday 09:00 start goes to Monday",
    },
  ];

  it.each(cases)("$zone $spec after $after: $why", ({ zone, spec, after, expected }) => {
    const schedule = parseSchedule(`CRON_TZ=${zone} ${spec}`);
    const got: string[] = [];
    let cursor = Date.parse(after);
    for (let i = 0; i < expected.length; i++) {
      const next = schedule.nextMillis(cursor);
      if (next === null) break;
      got.push(new Date(next).toISOString());
      cursor = next;
    }
    expect(got).toEqual(expected);
  });

  it("agrees with a minute-by-minute scan for minute/hour/weekday schedules", () => {
    const zones = ["UTC", "Europe/London", "America/Chicago", "Australia/Sydney", "Asia/Kolkata"];
    // Instants near 2024's transitions in those zones, plus random ones.
    const transitions = [
      "2024-03-10T07:00:00Z",
      "2024-11-03T06:00:00Z",
      "2024-03-31T00:00:00Z",
      "2024-10-27T00:00:00Z",
      "2024-04-06T14:00:00Z",
      "2024-10-05T15:00:00Z",
    ].map(Date.parse);
    const instant = fc.oneof(
      fc.integer({ min: Date.parse("2023-01-01T00:00:00Z"), max: Date.parse("2026-01-01T00:00:00Z") }),
      fc.tuple(fc.constantFrom(...transitions), fc.integer({ min: -30 * HOUR, max: 6 * HOUR })).map(([t, d]) => t + d),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 23 }),
        fc.subarray([0, 1, 2, 3, 4, 5, 6], { minLength: 1 }),
        instant,
        (zone, minute, hour, days, afterMs) => {
          const schedule = parseSchedule(`CRON_TZ=${zone} ${minute} ${hour} * * ${days.join(",")}`);
          expect(schedule.nextMillis(afterMs)).toBe(scanNext(zone, minute, hour, days, afterMs));
        },
      ),
      { numRuns: 40 },
    );
  });
});

/** Oracle: the first whole minute strictly after `afterMs` whose wall clock (per luxon) matches. */
function scanNext(zone: string, minute: number, hour: number, days: readonly number[], afterMs: number): number | null {
  const ianaZone = IANAZone.create(zone);
  let t = Math.floor(afterMs / MINUTE) * MINUTE + MINUTE;
  for (let i = 0; i < 8 * 24 * 60; i++, t += MINUTE) {
    const wall = new Date(t + ianaZone.offset(t) * MINUTE);
    if (wall.getUTCMinutes() === minute && wall.getUTCHours() === hour && days.includes(wall.getUTCDay())) return t;
  }
  return null;
}
