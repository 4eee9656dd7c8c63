/**
 * Coder's TestCalculateAutoStop (coderd/schedule/autostop_test.go), every case, exact to the second,
 * plus the leeway/version behaviour and the quirks of CalculateAutostop.
 */
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import {
  AutostopCalculationError,
  autostopRequirementNextMaxDeadline,
  calculateAutostop,
  leewayHoursForVersion,
  mondayOfWeek,
  nextApplicableMondayOfNWeeks,
  weeksSinceEpoch,
  type CalculateAutostopInput,
} from "../../src/domain/autostop-calc.js";
import { ScheduleError } from "../../src/domain/cron.js";

const HOUR = 3_600_000;
const QH_SYD = "CRON_TZ=Australia/Sydney 0 0 * * *";
const SATURDAY = ["saturday"];
const SUNDAY = ["sunday"];
const EVERY_DAY = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/** Wall time in a zone → ISO UTC (for readable expectations). */
function at(zone: string, y: number, mo: number, d: number, h = 0, mi = 0, s = 0): string {
  const dt = DateTime.fromObject({ year: y, month: mo, day: d, hour: h, minute: mi, second: s }, { zone });
  return dt.toUTC().toISO() ?? "invalid";
}

function iso(value: string): string {
  return new Date(value).toISOString();
}

function plus(now: string, ms: number): string {
  return new Date(Date.parse(now) + ms).toISOString();
}

const base: CalculateAutostopInput = {
  now: "2024-05-15T12:34:56.789Z",
  templateAllowUserAutostop: true,
  templateDefaultTtlMs: 0,
  workspaceTtlMs: null,
  autostopRequirement: null,
  userQuietHoursSchedule: null,
  workspaceAutostartSchedule: null,
  templateAutostartDays: null,
};

interface CoderCase {
  name: string;
  input: Partial<CalculateAutostopInput> & { now: string };
  /** Defaults to expectedMaxDeadline, as in Coder's harness. */
  expectedDeadline?: string | null;
  expectedMaxDeadline?: string | null;
  errContains?: string;
}

// The first six Coder cases use the wall clock; any instant works, so a fixed one with milliseconds is used.
const NOW = "2024-05-15T12:34:56.789Z";
const chicagoPastDateNight = at("America/Chicago", 2024, 2, 14, 21, 45); // Wed 21:45 CST

const coderCases: CoderCase[] = [
  { name: "OK", input: { now: NOW }, expectedDeadline: null, expectedMaxDeadline: null },
  { name: "Delete", input: { now: NOW }, expectedDeadline: null, expectedMaxDeadline: null },
  {
    name: "WorkspaceTTL",
    input: { now: NOW, workspaceTtlMs: HOUR },
    expectedDeadline: plus(NOW, HOUR),
    expectedMaxDeadline: null,
  },
  {
    name: "TemplateDefaultTTLIgnored",
    input: { now: NOW, templateDefaultTtlMs: HOUR },
    expectedDeadline: null,
    expectedMaxDeadline: null,
  },
  {
    name: "WorkspaceTTLOverridesTemplateDefaultTTL",
    input: { now: NOW, templateDefaultTtlMs: 2 * HOUR, workspaceTtlMs: HOUR },
    expectedDeadline: plus(NOW, HOUR),
    expectedMaxDeadline: null,
  },
  {
    name: "TemplateBlockWorkspaceTTL",
    input: { now: NOW, templateAllowUserAutostop: false, templateDefaultTtlMs: 3 * HOUR, workspaceTtlMs: 4 * HOUR },
    expectedDeadline: plus(NOW, 3 * HOUR),
    expectedMaxDeadline: null,
  },
  {
    name: "TemplateAutostopRequirement",
    input: {
      now: "2023-02-08T00:00:00Z", // Wednesday midnight UTC
      userQuietHoursSchedule: QH_SYD,
      autostopRequirement: { daysOfWeek: SATURDAY, weeks: 0 },
    },
    expectedMaxDeadline: at("Australia/Sydney", 2023, 2, 11), // 2023-02-10T13:00Z
  },
  {
    name: "TemplateAutostopRequirement1HourSkip",
    input: {
      now: plus(at("Australia/Sydney", 2023, 2, 11), -59 * 60_000),
      userQuietHoursSchedule: QH_SYD,
      autostopRequirement: { daysOfWeek: SATURDAY, weeks: 1 },
    },
    expectedMaxDeadline: at("Australia/Sydney", 2023, 2, 18),
  },
  {
    name: "TemplateAutostopRequirementDaily",
    input: {
      now: at("Australia/Sydney", 2023, 2, 10, 22), // Friday 22:00 Sydney
      userQuietHoursSchedule: QH_SYD,
      autostopRequirement: { daysOfWeek: EVERY_DAY, weeks: 0 },
    },
    expectedMaxDeadline: at("Australia/Sydney", 2023, 2, 11),
  },
  {
    name: "TemplateAutostopRequirementFortnightly/Skip",
    input: {
      now: "2023-02-08T00:00:00Z",
      userQuietHoursSchedule: QH_SYD,
      autostopRequirement: { daysOfWeek: SATURDAY, weeks: 2 },
    },
    expectedMaxDeadline: at("Australia/Sydney", 2023, 2, 18),
  },
  {
    name: "TemplateAutostopRequirementFortnightly/NoSkip",
    input: {
      now: "2023-02-15T00:00:00Z",
      userQuietHoursSchedule: QH_SYD,
      autostopRequirement: { daysOfWeek: SATURDAY, weeks: 2 },
    },
    expectedMaxDeadline: at("Australia/Sydney", 2023, 2, 18),
  },
  {
    name: "TemplateAutostopRequirementTriweekly/Skip",
    input: {
      now: "2023-02-08T00:00:00Z",
      userQuietHoursSchedule: QH_SYD,
      autostopRequirement: { daysOfWeek: SATURDAY, weeks: 3 },
    },
    expectedMaxDeadline: at("Australia/Sydney", 2023, 2, 18),
  },
  {
    name: "TemplateAutostopRequirementTriweekly/NoSkip",
    input: {
      now: "2023-02-15T00:00:00Z",
      userQuietHoursSchedule: QH_SYD,
      autostopRequirement: { daysOfWeek: SATURDAY, weeks: 3 },
    },
    expectedMaxDeadline: at("Australia/Sydney", 2023, 2, 18),
  },
  {
    name: "TemplateAutostopRequirementOverridesWorkspaceTTL",
    input: {
      now: "2023-02-10T11:00:00Z", // Friday 22:00 Sydney, given in UTC
      userQuietHoursSchedule: QH_SYD,
      autostopRequirement: { daysOfWeek: SATURDAY, weeks: 0 },
      workspaceTtlMs: 3 * HOUR,
    },
    expectedMaxDeadline: at("Australia/Sydney", 2023, 2, 11),
  },
  {
    name: "TemplateAutostopRequirementOverridesTemplateDefaultTTL",
    input: {
      now: "2023-02-10T11:00:00Z",
      templateDefaultTtlMs: 3 * HOUR,
      userQuietHoursSchedule: QH_SYD,
      autostopRequirement: { daysOfWeek: SATURDAY, weeks: 0 },
    },
    expectedMaxDeadline: at("Australia/Sydney", 2023, 2, 11),
  },
  {
    name: "TimeBeforeEpoch",
    input: {
      now: at("Australia/Sydney", 2023, 1, 1, 21, 59, 59),
      userQuietHoursSchedule: QH_SYD,
      autostopRequirement: { daysOfWeek: SATURDAY, weeks: 2 },
    },
    errContains: "coder server system clock is incorrect",
  },
  {
    name: "DaylightSavings/OK",
    input: {
      now: at("Australia/Sydney", 2023, 10, 4), // Wednesday during DST
      userQuietHoursSchedule: QH_SYD,
      autostopRequirement: { daysOfWeek: SATURDAY, weeks: 1 },
    },
    expectedMaxDeadline: at("Australia/Sydney", 2023, 10, 7),
  },
  {
    name: "DaylightSavings/SwitchMidWeek/In",
    input: {
      now: at("Australia/Sydney", 2023, 10, 1), // before DST starts at 02:00
      userQuietHoursSchedule: QH_SYD,
      autostopRequirement: { daysOfWeek: SATURDAY, weeks: 1 },
    },
    expectedMaxDeadline: at("Australia/Sydney", 2023, 10, 7),
  },
  {
    name: "DaylightSavings/SwitchMidWeek/Out",
    input: {
      now: at("Australia/Sydney", 2024, 4, 7), // before DST ends at 03:00
      userQuietHoursSchedule: QH_SYD,
      autostopRequirement: { daysOfWeek: SATURDAY, weeks: 1 },
    },
    expectedMaxDeadline: at("Australia/Sydney", 2024, 4, 13),
  },
  {
    name: "DaylightSavings/QuietHoursFallsOnDstSwitch/In",
    input: {
      now: plus(at("Australia/Sydney", 2023, 10, 1), -24 * HOUR),
      userQuietHoursSchedule: "CRON_TZ=Australia/Sydney 30 2 * * *", // 02:30 never happens on 2023-10-01
      autostopRequirement: { daysOfWeek: SUNDAY, weeks: 1 },
    },
    expectedMaxDeadline: at("Australia/Sydney", 2023, 10, 2, 2, 30),
  },
  {
    name: "DaylightSavings/QuietHoursFallsOnDstSwitch/Out",
    input: {
      now: plus(at("Australia/Sydney", 2024, 4, 7), -24 * HOUR),
      userQuietHoursSchedule: "CRON_TZ=Australia/Sydney 30 3 * * *",
      autostopRequirement: { daysOfWeek: SUNDAY, weeks: 1 },
    },
    // 03:30 happens once, after the switch back to +10.
    expectedMaxDeadline: "2024-04-06T17:30:00.000Z",
  },
  {
    name: "AutostopCrossAutostartBorder",
    input: {
      now: chicagoPastDateNight,
      templateAllowUserAutostop: false,
      templateDefaultTtlMs: 12 * HOUR,
      workspaceTtlMs: 12 * HOUR,
      workspaceAutostartSchedule: "CRON_TZ=America/Chicago 0 9 * * *",
      templateAutostartDays: EVERY_DAY,
    },
    expectedDeadline: at("America/Chicago", 2024, 2, 15, 21),
    expectedMaxDeadline: null,
  },
  {
    name: "AutostopCrossMissAutostartBorder",
    input: {
      now: at("America/Chicago", 2024, 2, 14, 20, 30),
      templateAllowUserAutostop: false,
      templateDefaultTtlMs: 12 * HOUR,
      workspaceTtlMs: 12 * HOUR,
      workspaceAutostartSchedule: "CRON_TZ=America/Chicago 0 9 * * *",
      templateAutostartDays: EVERY_DAY,
    },
    expectedDeadline: at("America/Chicago", 2024, 2, 15, 8, 30),
    expectedMaxDeadline: null,
  },
  {
    name: "AutostopCrossAutostartBorderMaxEarlyDeadline",
    input: {
      now: chicagoPastDateNight,
      templateAllowUserAutostop: false,
      templateDefaultTtlMs: 12 * HOUR,
      workspaceTtlMs: 12 * HOUR,
      workspaceAutostartSchedule: "CRON_TZ=America/Chicago 0 9 * * *",
      templateAutostartDays: EVERY_DAY,
      autostopRequirement: { daysOfWeek: EVERY_DAY, weeks: 0 },
      userQuietHoursSchedule: "CRON_TZ=America/Chicago 0 6 * * *",
    },
    expectedDeadline: at("America/Chicago", 2024, 2, 15, 6),
    expectedMaxDeadline: at("America/Chicago", 2024, 2, 15, 6),
  },
  {
    name: "AutostopCrossAutostartBorderMaxDeadline",
    input: {
      now: chicagoPastDateNight,
      templateAllowUserAutostop: false,
      templateDefaultTtlMs: 12 * HOUR,
      workspaceTtlMs: 12 * HOUR,
      workspaceAutostartSchedule: "CRON_TZ=America/Chicago 0 9 * * *",
      templateAutostartDays: EVERY_DAY,
      autostopRequirement: { daysOfWeek: EVERY_DAY, weeks: 0 },
      userQuietHoursSchedule: "CRON_TZ=America/Chicago 0 11 * * *",
    },
    expectedDeadline: at("America/Chicago", 2024, 2, 15, 11),
    expectedMaxDeadline: at("America/Chicago", 2024, 2, 15, 11),
  },
];

describe("calculateAutostop: Coder's TestCalculateAutoStop", () => {
  it("ports all 25 cases", () => {
    expect(coderCases).toHaveLength(25);
  });

  it.each(coderCases)("$name", ({ input, expectedDeadline, expectedMaxDeadline, errContains }) => {
    const run = (): ReturnType<typeof calculateAutostop> => calculateAutostop({ ...base, ...input });
    if (errContains !== undefined) {
      expect(run).toThrow(AutostopCalculationError);
      expect(run).toThrow(errContains);
      return;
    }
    const result = run();
    const wantMax = expectedMaxDeadline === undefined || expectedMaxDeadline === null ? null : iso(expectedMaxDeadline);
    const wantDeadline = expectedDeadline === undefined ? wantMax : expectedDeadline === null ? null : iso(expectedDeadline);
    expect(result).toEqual({ deadline: wantDeadline, maxDeadline: wantMax });
    if (result.maxDeadline !== null && result.deadline !== null) {
      expect(Date.parse(result.maxDeadline)).toBeGreaterThanOrEqual(Date.parse(result.deadline));
    }
  });

  it("has the literal UTC values the reference table lists", () => {
    const expectations: Record<string, string | null> = {
      TemplateAutostopRequirement: "2023-02-10T13:00:00.000Z",
      TemplateAutostopRequirement1HourSkip: "2023-02-17T13:00:00.000Z",
      TemplateAutostopRequirementDaily: "2023-02-10T13:00:00.000Z",
      "TemplateAutostopRequirementFortnightly/Skip": "2023-02-17T13:00:00.000Z",
      "DaylightSavings/OK": "2023-10-06T13:00:00.000Z",
      "DaylightSavings/SwitchMidWeek/In": "2023-10-06T13:00:00.000Z",
      "DaylightSavings/SwitchMidWeek/Out": "2024-04-12T14:00:00.000Z",
      "DaylightSavings/QuietHoursFallsOnDstSwitch/In": "2023-10-01T15:30:00.000Z",
      "DaylightSavings/QuietHoursFallsOnDstSwitch/Out": "2024-04-06T17:30:00.000Z",
      AutostopCrossAutostartBorder: "2024-02-16T03:00:00.000Z",
      AutostopCrossMissAutostartBorder: "2024-02-15T14:30:00.000Z",
      AutostopCrossAutostartBorderMaxEarlyDeadline: "2024-02-15T12:00:00.000Z",
      AutostopCrossAutostartBorderMaxDeadline: "2024-02-15T17:00:00.000Z",
    };
    for (const [name, deadline] of Object.entries(expectations)) {
      const c = coderCases.find((x) => x.name === name);
      expect(c, name).toBeDefined();
      expect(calculateAutostop({ ...base, ...c?.input }).deadline, name).toBe(deadline);
    }
  });
});

describe("calculateAutostop: leeway", () => {
  const saturdaySydney = at("Australia/Sydney", 2023, 2, 11);
  const requirement = { userQuietHoursSchedule: QH_SYD, autostopRequirement: { daysOfWeek: SATURDAY, weeks: 1 } };

  it.each([
    // minutes before Saturday 00:00 Sydney, leeway hours, expected max deadline (Saturday of which week)
    { before: 121, leewayHours: 2, expected: "2023-02-10T13:00:00.000Z" },
    { before: 120, leewayHours: 2, expected: "2023-02-10T13:00:00.000Z" },
    { before: 119, leewayHours: 2, expected: "2023-02-17T13:00:00.000Z" },
    { before: 90, leewayHours: 2, expected: "2023-02-17T13:00:00.000Z" },
    { before: 90, leewayHours: 1, expected: "2023-02-10T13:00:00.000Z" },
    { before: 60, leewayHours: 1, expected: "2023-02-10T13:00:00.000Z" },
    { before: 59, leewayHours: 1, expected: "2023-02-17T13:00:00.000Z" },
  ])("$before min before quiet hours with $leewayHours h leeway → $expected", ({ before, leewayHours, expected }) => {
    const result = calculateAutostop({ ...base, ...requirement, now: plus(saturdaySydney, -before * 60_000), leewayHours });
    expect(result.maxDeadline).toBe(expected);
  });

  it.each([
    // Quiet hours exactly one leeway away are kept; the "within an hour of now" check is a fixed hour.
    { now: "2024-03-01T23:00:00Z", expected: "2024-03-02T01:00:00.000Z" },
    { now: "2024-03-01T23:30:00Z", expected: "2024-03-02T01:30:00.000Z", quietHours: "30 1" },
    { now: "2024-03-01T23:00:01Z", expected: "2024-03-03T01:00:00.000Z" },
  ])("boundary: now $now → $expected", ({ now, expected, quietHours }) => {
    const result = calculateAutostop({
      ...base,
      now,
      userQuietHoursSchedule: `CRON_TZ=UTC ${quietHours ?? "0 1"} * * *`,
      autostopRequirement: { daysOfWeek: EVERY_DAY, weeks: 1 },
    });
    expect(result.maxDeadline).toBe(expected);
  });

  it("defaults to the 2 h leeway", () => {
    const now = plus(saturdaySydney, -90 * 60_000);
    expect(calculateAutostop({ ...base, ...requirement, now }).maxDeadline).toBe("2023-02-17T13:00:00.000Z");
  });

  it("TimeBeforeEpoch: the latest erroring instant is 22:59:59 with 1 h and 21:59:59 with 2 h", () => {
    const fortnightly = { userQuietHoursSchedule: QH_SYD, autostopRequirement: { daysOfWeek: SATURDAY, weeks: 2 } };
    const oldLatest = at("Australia/Sydney", 2023, 1, 1, 22, 59, 59);
    expect(() => calculateAutostop({ ...base, ...fortnightly, now: oldLatest, leewayHours: 1 })).toThrow(
      "determine start of stop week: get current week number: coder server system clock is incorrect",
    );
    expect(() =>
      calculateAutostop({ ...base, ...fortnightly, now: at("Australia/Sydney", 2023, 1, 1, 23), leewayHours: 1 }),
    ).not.toThrow();
    expect(() => calculateAutostop({ ...base, ...fortnightly, now: at("Australia/Sydney", 2023, 1, 1, 22) })).not.toThrow();
  });

  it("reports the impossible clock with reason clock_before_epoch", () => {
    try {
      calculateAutostop({
        ...base,
        now: "2020-06-01T00:00:00Z",
        userQuietHoursSchedule: QH_SYD,
        autostopRequirement: { daysOfWeek: SATURDAY, weeks: 2 },
      });
      expect.unreachable("should have thrown");
    } catch (err) {
      expect(err).toBeInstanceOf(AutostopCalculationError);
      expect((err as AutostopCalculationError).reason).toBe("clock_before_epoch");
    }
  });

  it("does not need the epoch for weekly requirements", () => {
    const result = calculateAutostop({
      ...base,
      now: "2020-06-01T00:00:00Z", // a Monday
      userQuietHoursSchedule: "CRON_TZ=UTC 0 0 * * *",
      autostopRequirement: { daysOfWeek: SATURDAY, weeks: 1 },
    });
    expect(result.maxDeadline).toBe("2020-06-06T00:00:00.000Z");
  });
});

describe("calculateAutostop: other behaviour of Coder's code", () => {
  it("keeps now + workspace TTL when the template forbids user TTLs and has no default (Coder quirk)", () => {
    const result = calculateAutostop({ ...base, templateAllowUserAutostop: false, workspaceTtlMs: 4 * HOUR });
    expect(result).toEqual({ deadline: plus(base.now, 4 * HOUR), maxDeadline: null });
  });

  it("applies the template default TTL when user TTLs are forbidden and the workspace has none", () => {
    const result = calculateAutostop({ ...base, templateAllowUserAutostop: false, templateDefaultTtlMs: 8 * HOUR });
    expect(result.deadline).toBe(plus(base.now, 8 * HOUR));
  });

  it("does not extend across an autostart on a day the template forbids", () => {
    const input = {
      ...base,
      now: chicagoPastDateNight, // Wednesday night; next autostart Thursday 09:00
      workspaceTtlMs: 12 * HOUR,
      workspaceAutostartSchedule: "CRON_TZ=America/Chicago 0 9 * * *",
    };
    expect(calculateAutostop({ ...input, templateAutostartDays: ["monday"] }).deadline).toBe(plus(chicagoPastDateNight, 12 * HOUR));
    expect(calculateAutostop({ ...input, templateAutostartDays: ["thursday"] }).deadline).toBe("2024-02-16T03:00:00.000Z");
    expect(calculateAutostop({ ...input, templateAutostartDays: null }).deadline).toBe("2024-02-16T03:00:00.000Z");
  });

  it("ignores an unparsable autostart schedule, as Coder does", () => {
    const result = calculateAutostop({ ...base, workspaceTtlMs: HOUR, workspaceAutostartSchedule: "not a schedule" });
    expect(result.deadline).toBe(plus(base.now, HOUR));
  });

  it("sets no max deadline without quiet hours (AGPL) or without requirement days", () => {
    const noQuietHours = calculateAutostop({ ...base, autostopRequirement: { daysOfWeek: SATURDAY, weeks: 1 } });
    expect(noQuietHours).toEqual({ deadline: null, maxDeadline: null });
    const emptyQuietHours = calculateAutostop({
      ...base,
      userQuietHoursSchedule: "",
      autostopRequirement: { daysOfWeek: SATURDAY, weeks: 1 },
    });
    expect(emptyQuietHours).toEqual({ deadline: null, maxDeadline: null });
    const noDays = calculateAutostop({ ...base, userQuietHoursSchedule: QH_SYD, autostopRequirement: { daysOfWeek: [], weeks: 1 } });
    expect(noDays).toEqual({ deadline: null, maxDeadline: null });
  });

  it("fails like Coder when the computed deadline is in the past", () => {
    expect(() => calculateAutostop({ ...base, workspaceTtlMs: -HOUR })).toThrow(
      /deadline calculation error, computed deadline or max deadline is in the past/,
    );
  });

  it("rejects malformed input", () => {
    expect(() => calculateAutostop({ ...base, now: "2024-05-15T12:00:00" })).toThrow(AutostopCalculationError);
    expect(() => calculateAutostop({ ...base, now: "yesterday" })).toThrow(AutostopCalculationError);
    expect(() =>
      calculateAutostop({ ...base, userQuietHoursSchedule: QH_SYD, autostopRequirement: { daysOfWeek: ["funday"], weeks: 1 } }),
    ).toThrow(/unknown day of week/);
    expect(() =>
      calculateAutostop({ ...base, userQuietHoursSchedule: QH_SYD, autostopRequirement: { daysOfWeek: SATURDAY, weeks: 1.5 } }),
    ).toThrow(/weeks/);
    expect(() =>
      calculateAutostop({
        ...base,
        userQuietHoursSchedule: "CRON_TZ=UTC 0 0 * * 1",
        autostopRequirement: { daysOfWeek: SATURDAY, weeks: 1 },
      }),
    ).toThrow(ScheduleError);
  });

  it("accepts now with a non-UTC offset", () => {
    const result = calculateAutostop({ ...base, now: "2024-05-15T14:34:56.789+02:00", workspaceTtlMs: HOUR });
    expect(result.deadline).toBe("2024-05-15T13:34:56.789Z");
  });
});

describe("autostopRequirementNextMaxDeadline", () => {
  it("matches calculateAutostop's max deadline", () => {
    for (const c of coderCases) {
      const req = c.input.autostopRequirement;
      const qh = c.input.userQuietHoursSchedule;
      if (req === undefined || req === null || qh === undefined || qh === null || c.errContains !== undefined) continue;
      const got = autostopRequirementNextMaxDeadline({ now: c.input.now, daysOfWeek: req.daysOfWeek, weeks: req.weeks, quietHoursSchedule: qh });
      expect(got, c.name).toBe(calculateAutostop({ ...base, ...c.input }).maxDeadline);
    }
  });

  it("refuses a requirement without days", () => {
    expect(() =>
      autostopRequirementNextMaxDeadline({ now: "2024-01-01T00:00:00Z", daysOfWeek: [], weeks: 1, quietHoursSchedule: QH_SYD }),
    ).toThrow(AutostopCalculationError);
  });
});

describe("leewayHoursForVersion", () => {
  it.each([
    ["v2.24.0+abc123", 2],
    ["v2.18.0", 2],
    ["2.18.5+deadbeef", 2],
    ["v2.17.3+a1b2c3", 1],
    ["v2.9.0", 1],
    ["v3.0.0", 2],
    ["v0.0.0-devel+1234abcd", 2],
    ["garbage", 2],
  ] as const)("%s → %i h", (version, hours) => {
    expect(leewayHoursForVersion(version)).toBe(hours);
  });
});

describe("week helpers (Coder's TestFindWeek)", () => {
  const zones = [
    "UTC",
    "America/Los_Angeles",
    "America/New_York",
    "Europe/Dublin",
    "Europe/London",
    "Europe/Paris",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Australia/Brisbane",
  ];
  // Coder starts from time.Now(); a fixed Thursday keeps this test pure.
  const start = "2024-06-13T15:04:05Z";

  // Coder checks all 5,200 weeks; here every week of the first ten years and then every 13th week, to
  // keep the suite fast (luxon arithmetic dominates the cost).
  const weekOffsets = Array.from({ length: 52 * 100 - 1 }, (_, k) => k + 1).filter((i) => i <= 520 || i % 13 === 0);

  it.each(zones)("%s: Monday 00:00 and Sunday 23:59:59 share a week number for 100 years", (zone) => {
    const now = DateTime.fromISO(start, { zone });
    const currentWeek = weeksSinceEpoch(now, zone);
    const currentMonday = mondayOfWeek(zone, currentWeek);
    expect(currentMonday.weekday).toBe(1);
    expect(currentMonday.toISO()).toBe(now.startOf("week").toISO());

    for (const i of weekOffsets) {
      const monday = currentMonday.plus({ days: 7 * i }).startOf("day");
      expect(monday.weekday).toBe(1);
      const week = weeksSinceEpoch(monday, zone);
      if (week !== currentWeek + i) expect(week, `week ${i} monday`).toBe(currentWeek + i);
      const gotMonday = mondayOfWeek(zone, week);
      if (gotMonday.toMillis() !== monday.toMillis()) expect(gotMonday.toISO(), `week ${i}`).toBe(monday.toISO());
      const sunday = monday.plus({ days: 6 }).set({ hour: 23, minute: 59, second: 59 });
      expect(sunday.weekday).toBe(7);
      const sundayWeek = weeksSinceEpoch(sunday, zone);
      if (sundayWeek !== currentWeek + i) expect(sundayWeek, `week ${i} sunday`).toBe(currentWeek + i);
    }
  });

  it("counts from Monday 2023-01-02 in the given zone", () => {
    expect(weeksSinceEpoch(DateTime.fromISO("2023-01-02T00:00:00", { zone: "Australia/Sydney" }), "Australia/Sydney")).toBe(0);
    expect(weeksSinceEpoch(DateTime.fromISO("2023-01-08T23:59:59", { zone: "Australia/Sydney" }), "Australia/Sydney")).toBe(0);
    expect(weeksSinceEpoch(DateTime.fromISO("2023-01-09T00:00:00", { zone: "Australia/Sydney" }), "Australia/Sydney")).toBe(1);
    // 2023-01-01T14:00Z is already Monday 01:00 in Sydney but still Sunday in UTC.
    const instant = DateTime.fromISO("2023-01-01T14:00:00Z");
    expect(weeksSinceEpoch(instant, "Australia/Sydney")).toBe(0);
    expect(() => weeksSinceEpoch(instant, "UTC")).toThrow(AutostopCalculationError);
  });

  it("nextApplicableMondayOfNWeeks keeps a time in an applicable week and moves others to Monday", () => {
    const zone = "Australia/Sydney";
    // 2023-02-08 is in week 5: not a multiple of 2 or 3.
    const wednesday = DateTime.fromISO("2023-02-08T11:00:00", { zone });
    expect(nextApplicableMondayOfNWeeks(wednesday, zone, 2).toISO()).toBe("2023-02-13T00:00:00.000+11:00");
    expect(nextApplicableMondayOfNWeeks(wednesday, zone, 3).toISO()).toBe("2023-02-13T00:00:00.000+11:00");
    const nextWednesday = wednesday.plus({ days: 7 });
    expect(nextApplicableMondayOfNWeeks(nextWednesday, zone, 2).toMillis()).toBe(nextWednesday.toMillis());
    expect(nextApplicableMondayOfNWeeks(wednesday, zone, 4).toISO()).toBe("2023-02-27T00:00:00.000+11:00");
  });
});
