/** Next autostart (Coder's coderd/schedule/autostart.go and autostart_test.go). */
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { nextAllowedAutostart, nextAutostart } from "../../src/domain/autostart.js";

const utc = (iso: string): DateTime => DateTime.fromISO(iso, { zone: "UTC" });

describe("Coder's TestNextAllowedAutostart", () => {
  // 2024-01-01 is a Monday; Mon–Fri 09:00 UTC; the template only allows Mondays.
  const at = utc("2024-01-01T10:00:00Z");
  const schedule = "CRON_TZ=UTC 00 09 * * 1-5";

  it("WhenScheduleOutOfSync: NextAutostart returns the disallowed Tuesday", () => {
    const next = nextAutostart(at, schedule, ["monday"]);
    expect(next?.allowed).toBe(false);
    expect(next?.at.toUTC().toISO()).toBe("2024-01-02T09:00:00.000Z");
  });

  it("WhenScheduleOutOfSync: NextAllowedAutostart returns the next Monday", () => {
    expect(nextAllowedAutostart(at, schedule, ["monday"])?.toUTC().toISO()).toBe("2024-01-08T09:00:00.000Z");
  });
});

describe("nextAutostart", () => {
  it("judges the weekday in the schedule's zone", () => {
    // Monday 08:00 in Sydney is Sunday 21:00 UTC.
    const next = nextAutostart(utc("2024-06-09T12:00:00Z"), "CRON_TZ=Australia/Sydney 0 8 * * 1", ["monday"]);
    expect(next?.at.toISO()).toBe("2024-06-10T08:00:00.000+10:00");
    expect(next?.allowed).toBe(true);
    expect(nextAutostart(utc("2024-06-09T12:00:00Z"), "CRON_TZ=Australia/Sydney 0 8 * * 1", ["sunday"])?.allowed).toBe(false);
  });

  it("allows every day when the template gives no list, and none for an empty list", () => {
    expect(nextAutostart(utc("2024-01-01T10:00:00Z"), "0 9 * * *", null)?.allowed).toBe(true);
    expect(nextAutostart(utc("2024-01-01T10:00:00Z"), "0 9 * * *", [])?.allowed).toBe(false);
    expect(nextAllowedAutostart(utc("2024-01-01T10:00:00Z"), "0 9 * * *", [])).toBeNull();
  });

  it("returns null for schedules that are not weekly", () => {
    expect(nextAutostart(utc("2024-01-01T10:00:00Z"), "0 9 1 * *", null)).toBeNull();
    expect(nextAutostart(utc("2024-01-01T10:00:00Z"), "nonsense", null)).toBeNull();
    expect(nextAllowedAutostart(utc("2024-01-01T10:00:00Z"), "nonsense", null)).toBeNull();
  });

  it("finds an allowed day up to a week ahead", () => {
    // Daily 09:00 Chicago, allowed Sundays only; from Monday 2024-02-12 10:00 CST.
    const next = nextAllowedAutostart(utc("2024-02-12T16:00:00Z"), "CRON_TZ=America/Chicago 0 9 * * *", ["sunday"]);
    expect(next?.toISO()).toBe("2024-02-18T09:00:00.000-06:00");
  });
});
