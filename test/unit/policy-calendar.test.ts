import { readFileSync } from "node:fs";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { parseHolidayCalendar } from "../../src/config/ics.js";
import { currentWindow, policyFromConfig } from "../../src/domain/quiet-window.js";
import {
  graceEnds,
  idleVerdict,
  implicitPolicy,
  isExpired,
  isWorkingTime,
  mostRecentQuietInterval,
  nextQuietInterval,
  parsePeriod,
  quietIntervalAt,
  quietIntervals,
  type HolidayCalendar,
  type Policy,
  type PolicyCalendar,
} from "../../src/domain/policy/index.js";

const FIX = new URL("../fixtures/policy/", import.meta.url);
const ics = (name: string): HolidayCalendar => parseHolidayCalendar(name, readFileSync(new URL(name, FIX), "utf8"));
const utc = (iso: string) => DateTime.fromISO(iso, { zone: "utc" });
const iso = (d: DateTime | null | undefined) => d?.toUTC().toISO({ suppressMilliseconds: true }) ?? null;

const NONE = { include: [], exclude: [] };
type Days = Partial<Record<"mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun", string[]>>;
function working(zone: string, days: Days): PolicyCalendar {
  const all = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
  return { kind: "working_hours", zone, days: Object.fromEntries(all.map((d) => [d, (days[d] ?? []).map(parsePeriod)])) as never };
}
const weekdays = (range: string): Days => ({ mon: [range], tue: [range], wed: [range], thu: [range], fri: [range] });

function policy(over: Partial<Policy> & { calendar: PolicyCalendar }): Policy {
  return {
    name: "p",
    implicit: false,
    configPath: "policies[0]",
    scope: { users: NONE, groups: NONE, templates: NONE, organizations: NONE },
    level: "default",
    holidays: { dates: [], ranges: [], calendars: [] },
    graceSeconds: 3600,
    idle: null,
    action: "stop",
    expires: null,
    exclusions: null,
    ...over,
  };
}

describe("working-hours calendars across DST changes", () => {
  it("Europe/London, clocks back on Sunday 2026-10-25: the weekend is 63 hours of elapsed time", () => {
    const p = policy({ calendar: working("Europe/London", weekdays("08:00-18:00")) });
    const q = quietIntervalAt(p, utc("2026-10-24T12:00:00Z"))!;
    expect(iso(q.start)).toBe("2026-10-23T17:00:00Z"); // Fri 18:00 BST
    expect(iso(q.end)).toBe("2026-10-26T08:00:00Z"); // Mon 08:00 GMT
    expect(q.end.diff(q.start, "hours").hours).toBe(63);
    expect(isWorkingTime(p, utc("2026-10-22T07:30:00Z"))).toBe(true); // Thu 08:30 BST
    expect(isWorkingTime(p, utc("2026-10-26T07:30:00Z"))).toBe(false); // Mon 07:30 GMT
    expect(isWorkingTime(p, utc("2026-10-26T08:00:00Z"))).toBe(true); // Mon 08:00 GMT: a period starts inclusive
    expect(isWorkingTime(p, utc("2026-10-26T18:00:00Z"))).toBe(false); // …and ends exclusive
  });

  it("America/New_York, clocks back on Sunday 2026-11-01: a period across midnight and a repeated hour", () => {
    const p = policy({ calendar: working("America/New_York", { sat: ["20:00-04:00"], sun: ["01:30-02:30"] }) });
    const sat = quietIntervals(p, utc("2026-10-31T12:00:00Z"), utc("2026-11-02T12:00:00Z"));
    // Sat 20:00 EDT (00:00Z) to Sun 04:00 EST (09:00Z) is working; so is Sun 01:30 EDT (05:30Z, the first 01:30) to 02:30 EST (07:30Z), inside it.
    expect(sat.map((q) => [iso(q.start), iso(q.end)])).toEqual([
      [expect.any(String), "2026-11-01T00:00:00Z"],
      ["2026-11-01T09:00:00Z", expect.any(String)],
    ]);
    const sunOnly = policy({ calendar: working("America/New_York", { sun: ["01:30-02:30"] }) });
    const gap = quietIntervals(sunOnly, utc("2026-11-01T00:00:00Z"), utc("2026-11-01T12:00:00Z"));
    expect(iso(gap[0]!.end)).toBe("2026-11-01T05:30:00Z");
    expect(iso(gap[1]!.start)).toBe("2026-11-01T07:30:00Z"); // two hours of elapsed time for one on the clock
  });

  it("Australia/Sydney, clocks forward on Sunday 2026-10-04: the weekend is an hour shorter; a start in the gap moves to its end", () => {
    const p = policy({ calendar: working("Australia/Sydney", weekdays("09:00-17:00")) });
    const q = quietIntervalAt(p, utc("2026-10-03T12:00:00Z"))!;
    expect(iso(q.start)).toBe("2026-10-02T07:00:00Z"); // Fri 17:00 AEST (+10)
    expect(iso(q.end)).toBe("2026-10-04T22:00:00Z"); // Mon 09:00 AEDT (+11)
    expect(q.end.diff(q.start, "hours").hours).toBe(63);
    const gapStart = policy({ calendar: working("Australia/Sydney", { sun: ["02:30-10:00"] }) });
    const w = quietIntervals(gapStart, utc("2026-10-03T12:00:00Z"), utc("2026-10-04T12:00:00Z"));
    expect(iso(w[0]!.end)).toBe("2026-10-03T16:00:00Z"); // 02:30 does not exist: 03:00 AEDT
    expect(iso(w[1]!.start)).toBe("2026-10-03T23:00:00Z"); // 10:00 AEDT
  });

  it("a period ending at 24:00 runs to the next midnight, and adjacent periods join", () => {
    const p = policy({ calendar: working("UTC", { mon: ["00:00-12:00", "12:00-24:00"], tue: ["00:00-06:00"] }) });
    expect(isWorkingTime(p, utc("2026-11-30T23:59:00Z"))).toBe(true);
    const q = nextQuietInterval(p, utc("2026-11-30T10:00:00Z"))!;
    expect(iso(q.start)).toBe("2026-12-01T06:00:00Z");
  });

  it("a calendar without working hours is quiet all the time (clipped at the reach of the question)", () => {
    const p = policy({ calendar: working("UTC", {}) });
    const q = quietIntervalAt(p, utc("2026-12-03T12:00:00Z"))!;
    expect(q.startClipped).toBe(true);
    expect(q.endClipped).toBe(true);
  });
});

describe("holidays", () => {
  it("a holiday is quiet all day in the policy's zone and joins the evening before and the weekend after", () => {
    const p = policy({
      calendar: working("Europe/London", weekdays("08:00-18:00")),
      holidays: { dates: ["2026-12-24"], ranges: [], calendars: [ics("holidays.ics")] },
    });
    // Wed 23 18:00 → Thu 24 (dates) → Fri 25 (ICS) → weekend → Mon 28..Thu 31 (ICS multi-day) → Fri 1 Jan (ICS yearly) → weekend → Mon 4 Jan 08:00
    const q = quietIntervalAt(p, utc("2026-12-29T12:00:00Z"))!;
    expect(iso(q.start)).toBe("2026-12-23T18:00:00Z");
    expect(iso(q.end)).toBe("2027-01-04T08:00:00Z");
    expect(q.holidays.map((h) => h.date)).toEqual(["2026-12-24", "2026-12-25", "2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31", "2027-01-01"]);
    expect(q.holidays.find((h) => h.date === "2026-12-25")!.source).toBe("holidays.ics: Christmas Day");
    expect(isWorkingTime(p, utc("2026-12-22T12:00:00Z"))).toBe(true);
  });

  it("holidays in a zone far east start at that zone's midnight", () => {
    const allDay = "00:00-24:00";
    const p = policy({ calendar: working("Pacific/Auckland", { ...weekdays(allDay), sat: [allDay], sun: [allDay] }), holidays: { dates: ["2026-12-25"], ranges: [], calendars: [] } });
    const q = quietIntervalAt(p, utc("2026-12-25T00:00:00Z"))!;
    expect(iso(q.start)).toBe("2026-12-24T11:00:00Z"); // 00:00 NZDT (+13)
    expect(iso(q.end)).toBe("2026-12-25T11:00:00Z");
  });

  it("ranges cover each day from..to inclusive", () => {
    const p = policy({ calendar: working("UTC", { mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"] }), holidays: { dates: [], ranges: [{ from: "2026-12-01", to: "2026-12-02" }], calendars: [] } });
    expect(isWorkingTime(p, utc("2026-11-30T12:00:00Z"))).toBe(true);
    expect(isWorkingTime(p, utc("2026-12-01T12:00:00Z"))).toBe(false);
    expect(isWorkingTime(p, utc("2026-12-02T23:59:00Z"))).toBe(false);
    expect(isWorkingTime(p, utc("2026-12-09T12:00:00Z"))).toBe(true);
  });

  it("ICS: yearly rules recur, cancelled events are no holiday, timed events cover the dates they touch in the policy's zone", () => {
    const cal = ics("holidays.ics");
    expect(cal.daysBetween("2031-01-01", "2031-01-01", "UTC").map((d) => d.date)).toEqual(["2031-01-01"]);
    expect(cal.daysBetween("2026-11-24", "2026-11-24", "UTC")).toEqual([]);
    expect(cal.daysBetween("2026-11-25", "2026-11-28", "America/Los_Angeles").map((d) => d.date)).toEqual(["2026-11-26"]);
    expect(cal.daysBetween("2026-11-25", "2026-11-28", "Pacific/Auckland").map((d) => d.date)).toEqual(["2026-11-27"]);
    expect(cal.lastDate()).toBeNull(); // the yearly rule has no end
  });

  it("ICS: counted rules with EXDATE end, so the calendar's last date is known", () => {
    const cal = ics("past.ics");
    expect(cal.daysBetween("2025-01-01", "2025-12-31", "UTC").map((d) => d.date).sort()).toEqual(["2025-01-06", "2025-01-20", "2025-05-05"]); // 2025-01-13 is an EXDATE
    expect(cal.lastDate()).toBe("2025-05-05");
  });

  it("ICS: a file that is not a calendar is refused", () => {
    expect(() => parseHolidayCalendar("broken.ics", "this is not a calendar\n")).toThrow();
  });
});

describe("owner quiet hours", () => {
  const owner = { hour: 22, minute: 0, timezone: "Europe/Berlin" };
  const p = policy({ calendar: { kind: "owner_quiet_hours", durationHours: 8 } });
  it("is quiet from the owner's start for the duration, in the owner's zone", () => {
    expect(isWorkingTime(p, utc("2026-12-03T20:30:00Z"), owner)).toBe(true); // 21:30 CET
    expect(isWorkingTime(p, utc("2026-12-03T21:30:00Z"), owner)).toBe(false);
    const q = quietIntervalAt(p, utc("2026-12-03T21:30:00Z"), owner)!;
    expect(iso(q.start)).toBe("2026-12-03T21:00:00Z");
    expect(iso(q.end)).toBe("2026-12-04T05:00:00Z");
  });
  it("needs the owner's schedule", () => {
    expect(() => isWorkingTime(p, utc("2026-12-03T21:30:00Z"))).toThrow(/owner's quiet-hours schedule/);
  });
});

describe("the implicit default policy is the quiet_hours window, unchanged", () => {
  const configs = [
    { enabled: true, start_time: "18:00", end_time: "08:00", timezone: "Europe/London", grace_period_hours: 1, days: null },
    { enabled: true, start_time: "01:30", end_time: "03:00", timezone: "America/New_York", grace_period_hours: 0.5, days: ["sun", "mon"] as const },
    { enabled: true, start_time: "22:00", end_time: "06:00", timezone: "Australia/Lord_Howe", grace_period_hours: 2, days: ["fri", "sat"] as const },
  ];
  it("agrees with quiet-hours' own window at every hour of two DST weeks", () => {
    for (const c of configs) {
      const qp = implicitPolicy({ quiet_hours: { ...c, excluded_users: [], excluded_templates: [], excluded_workspaces: [] }, prune_workspaces: { default_quiet_hours_duration: 8 }, policies: [] });
      const legacy = policyFromConfig(c);
      for (const startIso of ["2026-10-22T00:30:00Z", "2026-04-01T00:30:00Z"]) {
        for (let t = utc(startIso), i = 0; i < 7 * 24; i++, t = t.plus({ minutes: 60 })) {
          const w = currentWindow(legacy, t);
          const q = quietIntervalAt(qp, t);
          expect([iso(q?.start), iso(q?.end)], `${c.timezone} ${t.toISO()}`).toEqual([iso(w?.start), iso(w?.end)]);
        }
      }
    }
  });
  it("a disabled quiet_hours section is never quiet", () => {
    const qp = implicitPolicy({ quiet_hours: { ...configs[0]!, enabled: false, excluded_users: [], excluded_templates: [], excluded_workspaces: [] }, prune_workspaces: { default_quiet_hours_duration: 8 }, policies: [] });
    expect(isWorkingTime(qp, utc("2026-12-03T23:00:00Z"))).toBe(true);
  });
});

describe("grace, idle, expiry", () => {
  const p = policy({ calendar: working("Europe/London", weekdays("08:00-18:00")), graceSeconds: 30 * 60, idle: { afterHours: 2, when: "outside_working_hours" } });
  it("grace runs from the interval start, or from a start inside the interval", () => {
    const q = mostRecentQuietInterval(p, utc("2026-12-03T19:00:00Z"))!;
    expect(iso(graceEnds(p, q, utc("2026-12-03T09:00:00Z")))).toBe("2026-12-03T18:30:00Z");
    expect(iso(graceEnds(p, q, utc("2026-12-03T20:00:00Z")))).toBe("2026-12-03T20:30:00Z");
    expect(iso(graceEnds(p, q, null))).toBe("2026-12-03T18:30:00Z");
  });
  it("idle: after N hours since last use, only when the rule's time condition holds", () => {
    const evening = utc("2026-12-03T21:00:00Z");
    expect(idleVerdict(p, utc("2026-12-03T18:30:00Z"), evening)).toMatchObject({ idle: true, applies: true, due: true });
    expect(idleVerdict(p, utc("2026-12-03T19:30:00Z"), evening)).toMatchObject({ idle: false, due: false });
    expect(iso(idleVerdict(p, utc("2026-12-03T19:30:00Z"), evening).idleAt)).toBe("2026-12-03T21:30:00Z");
    const afternoon = utc("2026-12-03T15:00:00Z");
    const v = idleVerdict(p, utc("2026-12-03T09:00:00Z"), afternoon);
    expect(v).toMatchObject({ idle: true, applies: false, due: false });
    expect(v.reason).toMatch(/only outside working hours/);
    const inside = policy({ ...p, idle: { afterHours: 2, when: "inside_working_hours" } });
    expect(idleVerdict(inside, utc("2026-12-03T09:00:00Z"), afternoon).due).toBe(true);
    expect(idleVerdict(inside, null, afternoon)).toMatchObject({ rule: true, idle: false, due: false });
    expect(idleVerdict(policy({ calendar: p.calendar }), utc("2026-01-01T00:00:00Z"), afternoon)).toMatchObject({ rule: false, due: false });
  });
  it("a date-only expiry holds through that day in the policy's zone", () => {
    const e = policy({ calendar: working("America/New_York", weekdays("09:00-17:00")), expires: "2026-12-03" });
    expect(isExpired(e, utc("2026-12-04T04:59:00Z"))).toBe(false); // 23:59 EST on the 3rd
    expect(isExpired(e, utc("2026-12-04T05:00:00Z"))).toBe(true);
    expect(isExpired(policy({ calendar: p.calendar, expires: "2026-12-03T12:00:00Z" }), utc("2026-12-03T12:00:00Z"))).toBe(true);
  });
});

describe("property: quiet intervals partition time consistently, in any zone", () => {
  it("intervals are ordered, disjoint, non-empty; an instant is working time exactly when no interval holds it", async () => {
    const fc = (await import("fast-check")).default;
    const zones = ["Europe/London", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Kolkata", "UTC", "America/Santiago"];
    const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45)).map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);
    const period = fc.tuple(hhmm, fc.oneof(hhmm, fc.constant("24:00"))).filter(([a, b]) => a !== b).map(([a, b]) => `${a}-${b}`);
    const days = fc.record({ mon: fc.array(period, { maxLength: 2 }), wed: fc.array(period, { maxLength: 2 }), sat: fc.array(period, { maxLength: 1 }) }, { requiredKeys: [] });
    const instant = fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 11, 31) }).map((ms) => DateTime.fromMillis(ms - (ms % 60_000), { zone: "utc" }));
    fc.assert(
      fc.property(fc.constantFrom(...zones), days, fc.array(fc.constantFrom("2026-03-29", "2026-04-05", "2026-10-04", "2026-10-25", "2026-11-01"), { maxLength: 2 }), instant, (zone, d, hol, t) => {
        const p = policy({ calendar: working(zone, d as Days), holidays: { dates: hol, ranges: [], calendars: [] } });
        const qs = quietIntervals(p, t, t.plus({ days: 3 }));
        for (let i = 0; i < qs.length; i++) {
          expect(qs[i]!.start.toMillis()).toBeLessThan(qs[i]!.end.toMillis());
          if (i > 0) expect(qs[i - 1]!.end.toMillis()).toBeLessThan(qs[i]!.start.toMillis());
        }
        const inside = qs.some((q) => q.start.toMillis() <= t.toMillis() && t.toMillis() < q.end.toMillis());
        expect(isWorkingTime(p, t)).toBe(!inside);
      }),
      { numRuns: 150, seed: 20261203 },
    );
  });
});
