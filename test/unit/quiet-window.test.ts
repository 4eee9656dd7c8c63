import fc from "fast-check";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { categorize, resolveExclusions } from "../../src/domain/categorize.js";
import {
  currentWindow,
  dueAt,
  graceEnd,
  inWindow,
  localInstant,
  mostRecentWindow,
  nextWindow,
  policyFromConfig,
  windowStartingOn,
  type QuietPolicy,
  type Weekday,
} from "../../src/domain/quiet-window.js";
import { ws } from "./quiet-fixture.js";

const at = (iso: string) => DateTime.fromISO(iso, { zone: "utc" });
const iso = (dt: DateTime | null | undefined) => (dt ? dt.toUTC().toISO({ suppressMilliseconds: true }) : null);

function policy(start: string, end: string, zone: string, extra: Partial<QuietPolicy> = {}): QuietPolicy {
  return { ...policyFromConfig({ enabled: true, start_time: start, end_time: end, timezone: zone, grace_period_hours: 1 }), ...extra };
}

describe("localInstant: wall-clock times across DST", () => {
  const cases: [string, [number, number, number, number, number], string][] = [
    // gaps move forward to the first valid instant (the transition)
    ["Europe/London", [2026, 3, 29, 1, 30], "2026-03-29T01:00:00Z"],
    ["America/Chicago", [2026, 3, 8, 2, 30], "2026-03-08T08:00:00Z"],
    ["Australia/Sydney", [2026, 10, 4, 2, 30], "2026-10-03T16:00:00Z"],
    // ambiguous times mean their first occurrence
    ["Europe/London", [2026, 10, 25, 1, 30], "2026-10-25T00:30:00Z"],
    ["America/Chicago", [2026, 11, 1, 1, 30], "2026-11-01T06:30:00Z"],
    ["Australia/Sydney", [2026, 4, 5, 2, 30], "2026-04-04T15:30:00Z"],
    // ordinary times
    ["Europe/London", [2026, 3, 29, 18, 0], "2026-03-29T17:00:00Z"],
    ["Europe/London", [2026, 10, 25, 18, 0], "2026-10-25T18:00:00Z"],
    ["UTC", [2026, 3, 29, 1, 30], "2026-03-29T01:30:00Z"],
  ];
  it.each(cases)("%s %j → %s", (zone, [y, m, d, h, mi], want) => {
    expect(iso(localInstant({ year: y, month: m, day: d }, { hour: h, minute: mi }, zone))).toBe(want);
  });
});

describe("quiet windows (18:00–08:00)", () => {
  const table: { zone: string; now: string; current: [string, string] | null; recentEnd: string; next: string }[] = [
    // Europe/London, winter
    { zone: "Europe/London", now: "2026-01-05T18:30:00Z", current: ["2026-01-05T18:00:00Z", "2026-01-06T08:00:00Z"], recentEnd: "2026-01-06T08:00:00Z", next: "2026-01-06T18:00:00Z" },
    { zone: "Europe/London", now: "2026-01-05T12:00:00Z", current: null, recentEnd: "2026-01-05T08:00:00Z", next: "2026-01-05T18:00:00Z" },
    { zone: "Europe/London", now: "2026-01-05T18:00:00Z", current: ["2026-01-05T18:00:00Z", "2026-01-06T08:00:00Z"], recentEnd: "2026-01-06T08:00:00Z", next: "2026-01-06T18:00:00Z" },
    { zone: "Europe/London", now: "2026-01-06T08:00:00Z", current: null, recentEnd: "2026-01-06T08:00:00Z", next: "2026-01-06T18:00:00Z" },
    { zone: "Europe/London", now: "2026-01-06T07:59:59Z", current: ["2026-01-05T18:00:00Z", "2026-01-06T08:00:00Z"], recentEnd: "2026-01-06T08:00:00Z", next: "2026-01-06T18:00:00Z" },
    // spring forward (2026-03-29): the night window is 13 h long and ends 08:00 BST = 07:00Z
    { zone: "Europe/London", now: "2026-03-29T06:30:00Z", current: ["2026-03-28T18:00:00Z", "2026-03-29T07:00:00Z"], recentEnd: "2026-03-29T07:00:00Z", next: "2026-03-29T17:00:00Z" },
    { zone: "Europe/London", now: "2026-03-29T07:00:00Z", current: null, recentEnd: "2026-03-29T07:00:00Z", next: "2026-03-29T17:00:00Z" },
    { zone: "Europe/London", now: "2026-03-29T17:30:00Z", current: ["2026-03-29T17:00:00Z", "2026-03-30T07:00:00Z"], recentEnd: "2026-03-30T07:00:00Z", next: "2026-03-30T17:00:00Z" },
    // fall back (2026-10-25): the night window is 15 h long and ends 08:00 GMT = 08:00Z
    { zone: "Europe/London", now: "2026-10-25T07:30:00Z", current: ["2026-10-24T17:00:00Z", "2026-10-25T08:00:00Z"], recentEnd: "2026-10-25T08:00:00Z", next: "2026-10-25T18:00:00Z" },
    { zone: "Europe/London", now: "2026-10-25T17:30:00Z", current: null, recentEnd: "2026-10-25T08:00:00Z", next: "2026-10-25T18:00:00Z" },
    // America/Chicago: spring forward 2026-03-08, fall back 2026-11-01
    { zone: "America/Chicago", now: "2026-03-08T10:30:00Z", current: ["2026-03-08T00:00:00Z", "2026-03-08T13:00:00Z"], recentEnd: "2026-03-08T13:00:00Z", next: "2026-03-08T23:00:00Z" },
    { zone: "America/Chicago", now: "2026-11-01T13:30:00Z", current: ["2026-10-31T23:00:00Z", "2026-11-01T14:00:00Z"], recentEnd: "2026-11-01T14:00:00Z", next: "2026-11-02T00:00:00Z" },
    // Australia/Sydney: fall back 2026-04-05, spring forward 2026-10-04
    { zone: "Australia/Sydney", now: "2026-04-04T21:30:00Z", current: ["2026-04-04T07:00:00Z", "2026-04-04T22:00:00Z"], recentEnd: "2026-04-04T22:00:00Z", next: "2026-04-05T08:00:00Z" },
    { zone: "Australia/Sydney", now: "2026-10-03T20:30:00Z", current: ["2026-10-03T08:00:00Z", "2026-10-03T21:00:00Z"], recentEnd: "2026-10-03T21:00:00Z", next: "2026-10-04T07:00:00Z" },
    // UTC
    { zone: "UTC", now: "2026-03-29T02:00:00Z", current: ["2026-03-28T18:00:00Z", "2026-03-29T08:00:00Z"], recentEnd: "2026-03-29T08:00:00Z", next: "2026-03-29T18:00:00Z" },
  ];
  it.each(table)("$zone at $now", ({ zone, now, current, recentEnd, next }) => {
    const p = policy("18:00", "08:00", zone);
    const cw = currentWindow(p, at(now));
    expect(cw ? [iso(cw.start), iso(cw.end)] : null).toEqual(current);
    expect(iso(mostRecentWindow(p, at(now))?.end)).toBe(recentEnd);
    expect(iso(nextWindow(p, at(now))?.start)).toBe(next);
  });

  it("grace ends at window start + grace, also across the spring-forward night", () => {
    const p = policy("01:00", "06:00", "Europe/London", { graceSeconds: 3600 });
    const w = windowStartingOn(p, at("2026-03-29T12:00:00Z"))!;
    expect(iso(w.start)).toBe("2026-03-29T01:00:00Z"); // 01:00 GMT, just before the jump
    expect(iso(graceEnd(p, w))).toBe("2026-03-29T02:00:00Z"); // 03:00 BST: one real hour later
    expect(iso(w.end)).toBe("2026-03-29T05:00:00Z"); // 06:00 BST
  });

  it("a workspace started during the window gets its own grace", () => {
    const p = policy("18:00", "08:00", "Europe/London");
    const w = currentWindow(p, at("2026-01-05T19:30:00Z"))!;
    expect(iso(dueAt(p, w, at("2026-01-05T19:10:00Z")))).toBe("2026-01-05T20:10:00Z");
    expect(iso(dueAt(p, w, at("2026-01-05T09:00:00Z")))).toBe("2026-01-05T19:00:00Z");
    expect(iso(dueAt(p, w, null))).toBe("2026-01-05T19:00:00Z");
  });
});

describe("days and same-day windows", () => {
  const weekdays: Weekday[] = ["mon", "tue", "wed", "thu", "fri"];
  const p = policy("18:00", "08:00", "Europe/London", { days: weekdays });
  it.each([
    // Friday's window runs into Saturday morning: it belongs to Friday
    ["2026-01-10T07:00:00Z", "2026-01-09T18:00:00Z"],
    ["2026-01-10T20:00:00Z", null], // Saturday evening
    ["2026-01-11T20:00:00Z", null], // Sunday evening
    ["2026-01-12T07:00:00Z", null], // Monday morning: Sunday had no window
    ["2026-01-12T18:30:00Z", "2026-01-12T18:00:00Z"],
  ])("weekdays only at %s → window starting %s", (now, start) => {
    expect(iso(currentWindow(p, at(now))?.start)).toBe(start);
  });
  it("last and next windows skip the weekend", () => {
    const sat = at("2026-01-10T20:00:00Z");
    expect(iso(mostRecentWindow(p, sat)?.end)).toBe("2026-01-10T08:00:00Z");
    expect(iso(nextWindow(p, sat)?.start)).toBe("2026-01-12T18:00:00Z");
  });
  it("a same-day window is [start, end)", () => {
    const day = policy("09:00", "17:00", "America/Chicago");
    expect(currentWindow(day, at("2026-01-05T15:00:00Z"))).not.toBeNull(); // 09:00 CST
    expect(currentWindow(day, at("2026-01-05T14:59:59Z"))).toBeNull();
    expect(currentWindow(day, at("2026-01-05T23:00:00Z"))).toBeNull(); // 17:00 CST
    expect(iso(mostRecentWindow(day, at("2026-01-06T02:00:00Z"))?.end)).toBe("2026-01-05T23:00:00Z");
  });
  it("a disabled policy is never quiet", () => {
    const off = policy("18:00", "08:00", "UTC", { enabled: false });
    expect(currentWindow(off, at("2026-01-05T20:00:00Z"))).toBeNull();
    expect(mostRecentWindow(off, at("2026-01-05T20:00:00Z"))).toBeNull();
  });
});

describe("properties", () => {
  const zones = ["Europe/London", "America/Chicago", "Australia/Sydney", "UTC", "Asia/Kolkata", "America/St_Johns", "Australia/Lord_Howe", "Pacific/Chatham"];
  const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);
  const allDays: Weekday[] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  const arb = fc
    .record({
      zone: fc.constantFrom(...zones),
      start: hhmm,
      end: hhmm,
      days: fc.option(fc.subarray(allDays, { minLength: 1 }), { nil: null }),
      graceMin: fc.integer({ min: 0, max: 600 }),
      nowMs: fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2028, 0, 1) }),
      startedBeforeMin: fc.integer({ min: 0, max: 3 * 24 * 60 }),
      deadlineOffsetMin: fc.option(fc.integer({ min: -600, max: 600 }), { nil: null }),
    })
    .filter((r) => r.start !== r.end);

  it("an instant is inside the current window iff start <= now < end, and categories agree with the windows", () => {
    fc.assert(
      fc.property(arb, (r) => {
        const p: QuietPolicy = { ...policy(r.start, r.end, r.zone), days: r.days, graceSeconds: r.graceMin * 60 };
        const now = DateTime.fromMillis(r.nowMs, { zone: "utc" });
        const cw = currentWindow(p, now);
        // brute force over the windows that start on the surrounding local days
        const candidates = [-3, -2, -1, 0, 1].map((d) => windowStartingOn(p, now.setZone(r.zone).plus({ days: d }))).filter((w) => w !== null);
        const containing = candidates.filter((w) => w.start.toMillis() <= now.toMillis() && now.toMillis() < w.end.toMillis());
        expect(cw === null).toBe(containing.length === 0);
        if (cw) expect(inWindow(cw, now)).toBe(true);
        for (const w of candidates) {
          // each window starts at its wall-clock start, or right at a DST transition after a gap
          const local = w.start.setZone(r.zone).toFormat("HH:mm");
          const justBefore = DateTime.fromMillis(w.start.toMillis() - 1, { zone: r.zone });
          expect(local === r.start || justBefore.offset !== w.start.setZone(r.zone).offset).toBe(true);
          expect(w.end.toMillis()).toBeGreaterThanOrEqual(w.start.toMillis());
        }
        const recent = mostRecentWindow(p, now);
        if (cw) expect(recent?.start.toMillis()).toBe(cw.start.toMillis());
        if (recent) expect(recent.start.toMillis()).toBeLessThanOrEqual(now.toMillis());
        const next = nextWindow(p, now);
        if (next) expect(next.start.toMillis()).toBeGreaterThan(now.toMillis());

        const startedAt = now.minus({ minutes: r.startedBeforeMin });
        const deadline = r.deadlineOffsetMin === null ? null : now.plus({ minutes: r.deadlineOffsetMin }).toISO();
        const c = categorize([ws({ startedAt: startedAt.toISO()!, deadline })], p, resolveExclusions({ excluded_users: [], excluded_templates: [] }, now, r.zone), now);
        const item = c.items[0]!;
        const expired = r.deadlineOffsetMin !== null && r.deadlineOffsetMin <= 0;
        expect(item.category === "ttl_expired").toBe(expired);
        if (!expired) {
          if (cw) {
            const due = dueAt(p, cw, startedAt).toMillis();
            expect(item.category).toBe(now.toMillis() >= due ? "quiet_hours_stopping" : "quiet_hours_grace");
          } else {
            const survived = !!recent && startedAt.toMillis() < recent.end.toMillis();
            expect(item.category).toBe(survived ? "past_quiet_hours_end" : "normal_running");
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
