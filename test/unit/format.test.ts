import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { formatDuration, formatInstant, formatRemaining, formatTtl, parseDuration, secondsUntil } from "../../src/output/format.js";

describe("durations", () => {
  it.each([
    [0, "0m"],
    [59, "0m"],
    [45 * 60, "45m"],
    [2 * 3600 + 15 * 60, "2h 15m"],
    [26 * 3600 + 59, "1d 2h"],
  ])("formatDuration(%i) = %s", (s, text) => expect(formatDuration(s)).toBe(text));

  it("formats overdue times the Python way", () => {
    expect(formatRemaining(-(2 * 3600 + 30 * 60))).toBe("Expired 2h 30m ago");
    expect(formatRemaining(-120)).toBe("Expired 2m ago");
    expect(formatRemaining(null)).toBe("N/A");
  });

  it.each([
    [null, "N/A"],
    [0, "N/A"],
    [30 * 60000, "30m"],
    [90 * 60000, "1h"],
    [8 * 3600000, "8h"],
    [48 * 3600000, "2d"],
    [50 * 3600000, "2d 2h"],
  ])("formatTtl(%s) = %s", (ms, text) => expect(formatTtl(ms)).toBe(text));

  it.each([
    ["2h", 7200],
    ["90m", 5400],
    ["1h30m", 5400],
    ["1.5", 5400],
    ["3", 10800],
    ["45s", 45],
    ["1d", 86400],
    ["12w", 12 * 604800],
  ])("parseDuration(%s) = %i", (text, s) => expect(parseDuration(text)).toBe(s));

  it.each(["", "abc", "2x", "h", "-1h", "2h junk"])("parseDuration rejects %j", (text) => expect(parseDuration(text)).toBeNull());
});

describe("instants", () => {
  it("shows times in the policy zone with its abbreviation, across DST", () => {
    expect(formatInstant("2026-01-05T19:00:00Z", "Europe/London")).toBe("2026-01-05 19:00 GMT");
    expect(formatInstant("2026-07-05T19:00:00Z", "Europe/London")).toBe("2026-07-05 20:00 BST");
    expect(formatInstant("2026-01-05T19:00:00Z", "America/Chicago")).toBe("2026-01-05 13:00 CST");
    expect(formatInstant("2026-01-05T19:00:00Z", "Asia/Kolkata")).toBe("2026-01-06 00:30 IST");
    expect(formatInstant(null, "UTC")).toBe("N/A");
  });

  it("computes seconds until an instant, negative when past", () => {
    const now = DateTime.fromISO("2026-01-05T19:00:00Z", { zone: "utc" });
    expect(secondsUntil("2026-01-05T21:00:00Z", now)).toBe(7200);
    expect(secondsUntil("2026-01-05T18:59:30.5Z", now)).toBe(-29);
    expect(secondsUntil(null, now)).toBeNull();
  });
});

describe("formatInstant across offset changes", () => {
  it.each([
    // Europe/London spring forward 2026-03-29 01:00 UTC, fall back 2026-10-25 01:00 UTC
    ["2026-03-29T00:59:00Z", "Europe/London", "2026-03-29 00:59 GMT"],
    ["2026-03-29T01:00:00Z", "Europe/London", "2026-03-29 02:00 BST"],
    ["2026-10-25T00:59:00Z", "Europe/London", "2026-10-25 01:59 BST"],
    ["2026-10-25T01:00:00Z", "Europe/London", "2026-10-25 01:00 GMT"],
    // America/Chicago spring forward 2026-03-08 08:00 UTC
    ["2026-03-08T07:59:00Z", "America/Chicago", "2026-03-08 01:59 CST"],
    ["2026-03-08T08:00:00Z", "America/Chicago", "2026-03-08 03:00 CDT"],
    // Australia/Sydney fall back 2026-04-04 16:00 UTC (Sunday 03:00 AEDT → 02:00 AEST)
    ["2026-04-04T15:59:00Z", "Australia/Sydney", "2026-04-05 02:59 AEDT"],
    ["2026-04-04T16:00:00Z", "Australia/Sydney", "2026-04-05 02:00 AEST"],
    // a half-hour zone and a fractional-second input
    ["2026-06-01T12:15:30.123456Z", "Asia/Kolkata", "2026-06-01 17:45 IST"],
    ["2026-06-01T12:15:00Z", "UTC", "2026-06-01 12:15 UTC"],
  ])("%s in %s is %s", (iso, zone, text) => expect(formatInstant(iso, zone)).toBe(text));
});
