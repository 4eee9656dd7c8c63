import { describe, expect, it } from "vitest";
import { checkDrift } from "../../src/domain/drift.js";
import {
  beyondTolerance,
  coderCauses,
  comparePredictions,
  earliestCause,
  overdue,
  pruneCause,
  type CauseTime,
} from "../../src/domain/stop-prediction.js";

const NOW = Date.parse("2026-01-05T19:30:00Z");
const at = (offsetSeconds: number) => new Date(NOW + offsetSeconds * 1000).toISOString();

describe("coderCauses", () => {
  it("deadline before max_deadline: ttl and autostop-requirement", () => {
    const c = coderCauses({ deadline: at(60), max_deadline: at(120) });
    expect(c.map((x) => x.cause)).toEqual(["ttl", "autostop-requirement"]);
  });
  it("deadline capped at max_deadline: the requirement is the cause", () => {
    const c = coderCauses({ deadline: at(120), max_deadline: at(120) });
    expect(c.map((x) => x.cause)).toEqual(["autostop-requirement"]);
    expect(c[0]!.detail).toMatch(/capped/);
  });
  it("no deadlines: nothing", () => {
    expect(coderCauses({ deadline: null, max_deadline: null })).toEqual([]);
  });
});

describe("earliestCause", () => {
  const c = (cause: CauseTime["cause"], atMs: number): CauseTime => ({ cause, atMs, detail: "" });
  it("picks the earliest instant", () => {
    expect(earliestCause([c("ttl", 50), c("quiet-hours-policy", 10), c("prune", 30)])?.cause).toBe("quiet-hours-policy");
  });
  it("breaks ties in favour of Coder's own causes", () => {
    expect(earliestCause([c("prune", 10), c("quiet-hours-policy", 10), c("autostop-requirement", 10)])?.cause).toBe("autostop-requirement");
    expect(earliestCause([c("prune", 10), c("quiet-hours-policy", 10)])?.cause).toBe("quiet-hours-policy");
  });
  it("is null without causes", () => {
    expect(earliestCause([])).toBeNull();
  });
});

describe("comparePredictions", () => {
  it("orders soonest first (overdue before due), unknown last, ties by owner/name", () => {
    const list = [
      { atMs: null, owner: "a", name: "manual" },
      { atMs: NOW + 600, owner: "b", name: "later" },
      { atMs: NOW - 60, owner: "c", name: "overdue" },
      { atMs: NOW + 600, owner: "a", name: "later2" },
      { atMs: NOW + 60, owner: "z", name: "soon" },
    ];
    expect([...list].sort(comparePredictions).map((p) => p.name)).toEqual(["overdue", "soon", "later2", "later", "manual"]);
  });
});

describe("pruneCause", () => {
  it("inside the window: due at its start; outside: the next start", () => {
    expect(pruneCause({ startMs: NOW - 60_000, endMs: NOW + 1, inside: true, nextStartMs: NOW + 86_340_000 }, "x").atMs).toBe(NOW - 60_000);
    expect(pruneCause({ startMs: NOW - 90_000_000, endMs: NOW - 1, inside: false, nextStartMs: NOW + 500 }, "x").atMs).toBe(NOW + 500);
  });
});

describe("overdue", () => {
  it("measures from the earlier of deadline and max_deadline", () => {
    expect(overdue({ deadline: at(-600), max_deadline: at(-60) }, NOW)).toEqual({ source: "deadline", atMs: NOW - 600_000, overdueSeconds: 600 });
    expect(overdue({ deadline: at(600), max_deadline: at(-360) }, NOW)).toMatchObject({ source: "max_deadline", overdueSeconds: 360 });
    expect(overdue({ deadline: at(0), max_deadline: null }, NOW)).toBeNull();
    expect(overdue({ deadline: null, max_deadline: null }, NOW)).toBeNull();
  });
  it("tolerance is strict: exactly the tolerance is not beyond it", () => {
    expect(beyondTolerance(overdue({ deadline: at(-300), max_deadline: null }, NOW), 5)).toBe(false);
    expect(beyondTolerance(overdue({ deadline: at(-301), max_deadline: null }, NOW), 5)).toBe(true);
    expect(beyondTolerance(null, 0)).toBe(false);
  });
});

describe("checkDrift", () => {
  const base = {
    buildCompletedAt: "2026-01-05T10:00:00Z",
    requirement: { daysOfWeek: ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"], weeks: 1 },
    leewayHours: 2,
  };
  it("matches when the owner's quiet hours are unchanged", () => {
    const r = checkDrift({ ...base, actualMaxDeadline: "2026-01-06T00:00:00Z", quietHoursSchedule: "CRON_TZ=UTC 0 0 * * *" });
    expect(r).toEqual({ status: "ok", expected_max_deadline: "2026-01-06T00:00:00.000Z" });
  });
  it("flags a build whose owner moved quiet hours after it was built", () => {
    const r = checkDrift({ ...base, actualMaxDeadline: "2026-01-06T00:00:00Z", quietHoursSchedule: "CRON_TZ=UTC 0 18 * * *" });
    expect(r).toEqual({
      status: "drift",
      drift: { expected_max_deadline: "2026-01-05T18:00:00.000Z", actual_max_deadline: "2026-01-06T00:00:00.000Z", difference_seconds: -21600 },
    });
  });
  it("accounts for the zone: London 18:00 in summer is 17:00 UTC", () => {
    const r = checkDrift({
      ...base,
      buildCompletedAt: "2026-07-06T09:00:00Z",
      actualMaxDeadline: "2026-07-06T17:00:00Z",
      quietHoursSchedule: "CRON_TZ=Europe/London 0 18 * * *",
    });
    expect(r.status).toBe("ok");
  });
  it("tolerates small differences and reports unknowns", () => {
    expect(checkDrift({ ...base, actualMaxDeadline: "2026-01-06T00:00:30Z", quietHoursSchedule: "CRON_TZ=UTC 0 0 * * *" }).status).toBe("ok");
    expect(checkDrift({ ...base, actualMaxDeadline: "2026-01-06T00:00:00Z", quietHoursSchedule: null }).status).toBe("unknown");
    expect(checkDrift({ ...base, buildCompletedAt: null, actualMaxDeadline: null, quietHoursSchedule: "CRON_TZ=UTC 0 0 * * *" }).status).toBe("unknown");
    expect(checkDrift({ ...base, requirement: null, actualMaxDeadline: null, quietHoursSchedule: null }).status).toBe("ok");
  });
  it("a build without max_deadline under a requirement has drifted", () => {
    const r = checkDrift({ ...base, actualMaxDeadline: null, quietHoursSchedule: "CRON_TZ=UTC 0 0 * * *" });
    expect(r).toMatchObject({ status: "drift", drift: { actual_max_deadline: null, expected_max_deadline: "2026-01-06T00:00:00.000Z" } });
  });
});
