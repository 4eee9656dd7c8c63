import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import {
  fallbackQuietStart,
  formatHours,
  formatPeriod,
  quietStartFromResponse,
  quietStartFromSchedule,
  quietWindowAt,
} from "../../src/domain/user-quiet-hours.js";

const utc = (iso: string) => DateTime.fromISO(iso, { zone: "utc" });
const iso = (dt: DateTime) => dt.toUTC().toISO({ suppressMilliseconds: true });

describe("quietWindowAt", () => {
  // [zone, "HH:MM", duration h, now (UTC), expected start (UTC), expected end (UTC), inside]
  const cases: [string, string, string, number, string, string, string, boolean][] = [
    ["London winter, inside", "Europe/London", "18:00", 8, "2026-01-05T19:30:00Z", "2026-01-05T18:00:00Z", "2026-01-06T02:00:00Z", true],
    ["London winter, before start: yesterday's window, ended", "Europe/London", "18:00", 8, "2026-01-05T17:59:00Z", "2026-01-04T18:00:00Z", "2026-01-05T02:00:00Z", false],
    ["London winter, start is inclusive", "Europe/London", "18:00", 8, "2026-01-05T18:00:00Z", "2026-01-05T18:00:00Z", "2026-01-06T02:00:00Z", true],
    ["London winter, end is exclusive", "Europe/London", "18:00", 8, "2026-01-06T02:00:00Z", "2026-01-05T18:00:00Z", "2026-01-06T02:00:00Z", false],
    ["London summer (BST)", "Europe/London", "18:00", 8, "2026-07-01T17:30:00Z", "2026-07-01T17:00:00Z", "2026-07-02T01:00:00Z", true],
    // Spring forward 2026-03-29 01:00Z: a window started in GMT lasts 8 elapsed hours (ends 03:00 BST).
    ["London spring-forward night, inside", "Europe/London", "18:00", 8, "2026-03-29T01:30:00Z", "2026-03-28T18:00:00Z", "2026-03-29T02:00:00Z", true],
    ["London spring-forward night, after end", "Europe/London", "18:00", 8, "2026-03-29T02:00:00Z", "2026-03-28T18:00:00Z", "2026-03-29T02:00:00Z", false],
    ["London spring-forward day: 18:00 BST is 17:00Z", "Europe/London", "18:00", 8, "2026-03-29T17:30:00Z", "2026-03-29T17:00:00Z", "2026-03-30T01:00:00Z", true],
    // A start inside the DST gap (01:30 does not exist on 2026-03-29) moves forward to 02:30 BST = 01:30Z.
    ["London start in the DST gap", "Europe/London", "01:30", 2, "2026-03-29T01:45:00Z", "2026-03-29T01:30:00Z", "2026-03-29T03:30:00Z", true],
    // Fall back 2026-10-25 01:00Z: 18:00 BST the evening before, 8 elapsed hours.
    ["London fall-back night", "Europe/London", "18:00", 8, "2026-10-25T00:30:00Z", "2026-10-24T17:00:00Z", "2026-10-25T01:00:00Z", true],
    ["London fall-back day: 18:00 GMT", "Europe/London", "18:00", 8, "2026-10-25T17:30:00Z", "2026-10-24T17:00:00Z", "2026-10-25T01:00:00Z", false],
    ["Chicago winter", "America/Chicago", "22:00", 8, "2026-01-06T05:00:00Z", "2026-01-06T04:00:00Z", "2026-01-06T12:00:00Z", true],
    // Spring forward 2026-03-08 08:00Z (02:00 CST -> 03:00 CDT).
    ["Chicago spring-forward night", "America/Chicago", "22:00", 8, "2026-03-08T11:30:00Z", "2026-03-08T04:00:00Z", "2026-03-08T12:00:00Z", true],
    ["Chicago spring-forward evening (CDT)", "America/Chicago", "22:00", 8, "2026-03-09T03:30:00Z", "2026-03-09T03:00:00Z", "2026-03-09T11:00:00Z", true],
    ["Chicago start in the DST gap (02:30 -> 03:30 CDT)", "America/Chicago", "02:30", 4, "2026-03-08T09:00:00Z", "2026-03-08T08:30:00Z", "2026-03-08T12:30:00Z", true],
    // Fall back 2026-11-01 07:00Z (02:00 CDT -> 01:00 CST).
    ["Chicago fall-back night", "America/Chicago", "22:00", 8, "2026-11-01T10:30:00Z", "2026-11-01T03:00:00Z", "2026-11-01T11:00:00Z", true],
    ["Kolkata (+05:30, no DST) inside", "Asia/Kolkata", "18:00", 8, "2026-01-05T13:00:00Z", "2026-01-05T12:30:00Z", "2026-01-05T20:30:00Z", true],
    ["Kolkata before start", "Asia/Kolkata", "18:00", 8, "2026-01-05T12:29:00Z", "2026-01-04T12:30:00Z", "2026-01-04T20:30:00Z", false],
    ["Kolkata across midnight", "Asia/Kolkata", "22:30", 8, "2026-01-05T20:00:00Z", "2026-01-05T17:00:00Z", "2026-01-06T01:00:00Z", true],
    // Sydney DST ends 2026-04-05 16:00Z on the 4th (03:00 AEDT -> 02:00 AEST).
    ["Sydney DST-end night", "Australia/Sydney", "22:00", 8, "2026-04-04T18:00:00Z", "2026-04-04T11:00:00Z", "2026-04-04T19:00:00Z", true],
    ["Sydney after DST end (AEST)", "Australia/Sydney", "22:00", 8, "2026-04-05T12:30:00Z", "2026-04-05T12:00:00Z", "2026-04-05T20:00:00Z", true],
    // Sydney DST starts 2026-10-04 16:00Z on the 3rd (02:00 AEST -> 03:00 AEDT).
    ["Sydney DST-start night", "Australia/Sydney", "22:00", 8, "2026-10-03T19:30:00Z", "2026-10-03T12:00:00Z", "2026-10-03T20:00:00Z", true],
    ["UTC, fractional duration inside", "UTC", "00:00", 1.5, "2026-01-05T01:29:00Z", "2026-01-05T00:00:00Z", "2026-01-05T01:30:00Z", true],
    ["UTC, fractional duration after", "UTC", "00:00", 1.5, "2026-01-05T01:30:00Z", "2026-01-05T00:00:00Z", "2026-01-05T01:30:00Z", false],
  ];
  it.each(cases)("%s", (_label, zone, time, hours, now, start, end, inside) => {
    const [h, m] = time.split(":").map(Number) as [number, number];
    const w = quietWindowAt({ hour: h, minute: m, timezone: zone }, utc(now), hours);
    expect(iso(w.start)).toBe(start.replace(".000", ""));
    expect(iso(w.end)).toBe(end);
    expect(w.inside).toBe(inside);
    expect(w.start.zoneName).toBe(zone);
    expect(w.nextStart.toMillis()).toBeGreaterThan(utc(now).toMillis());
  });

  it("formats the period in the owner's zone", () => {
    const w = quietWindowAt({ hour: 18, minute: 0, timezone: "Europe/London" }, utc("2026-07-01T17:30:00Z"), 8);
    expect(formatPeriod(w)).toBe("18:00 - 02:00");
  });
});

describe("quietStartFromResponse", () => {
  it("uses raw_schedule and marks user-set schedules", () => {
    const qs = quietStartFromResponse({ raw_schedule: "CRON_TZ=Europe/London 0 18 * * *", user_set: true, user_can_set: true, time: "18:00", timezone: "Europe/London", next: "2026-01-05T18:00:00Z" });
    expect(qs).toMatchObject({ time: "18:00", hour: 18, minute: 0, timezone: "Europe/London", source: "user", user_set: true, note: null });
  });
  it("a schedule without CRON_TZ means UTC (D20)", () => {
    expect(quietStartFromSchedule("30 22 * * *", "default")).toMatchObject({ time: "22:30", timezone: "UTC" });
    expect(quietStartFromResponse({ raw_schedule: "30 22 * * *", user_set: false })).toMatchObject({ time: "22:30", timezone: "UTC", source: "default" });
  });
  it("raw_schedule wins over an API time that disagrees (old Go layout)", () => {
    const qs = quietStartFromResponse({ raw_schedule: "CRON_TZ=UTC 5 9 * * *", user_set: true, time: "09:50", timezone: "UTC" });
    expect(qs).toMatchObject({ time: "09:05" });
    expect(qs?.note).toMatch(/disagree/);
  });
  it("falls back to a sane API time/timezone when raw_schedule is not a daily time", () => {
    const qs = quietStartFromResponse({ raw_schedule: "garbage", user_set: true, time: "19:15", timezone: "Asia/Kolkata" });
    expect(qs).toMatchObject({ time: "19:15", hour: 19, minute: 15, timezone: "Asia/Kolkata" });
  });
  it("returns null when nothing is usable", () => {
    expect(quietStartFromResponse({ raw_schedule: "0 9-17 * * *", user_set: true, time: "09:300", timezone: "UTC" })).toBeNull();
    expect(quietStartFromResponse({ raw_schedule: "x", user_set: true, time: "18:00", timezone: "Mars/Base" })).toBeNull();
  });
  it("fallback is midnight in the configured zone", () => {
    expect(fallbackQuietStart("Europe/Berlin", "n")).toMatchObject({ time: "00:00", hour: 0, minute: 0, timezone: "Europe/Berlin", source: "fallback" });
  });
  it("formats hours", () => {
    expect(formatHours(8)).toBe("8h");
    expect(formatHours(1.5)).toBe("1h 30m");
    expect(formatHours(0.25)).toBe("15m");
  });
});
