import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { categorize, resolveExclusions, selectStops, type QuietCategory } from "../../src/domain/categorize.js";
import { policyFromConfig, type QuietPolicy } from "../../src/domain/quiet-window.js";
import { ws, type WsSpec } from "./quiet-fixture.js";

const at = (iso: string) => DateTime.fromISO(iso, { zone: "utc" });
const london: QuietPolicy = policyFromConfig({ enabled: true, start_time: "18:00", end_time: "08:00", timezone: "Europe/London", grace_period_hours: 1 });
const noExclusions = { excluded_users: [], excluded_templates: [] };

function categoryOf(now: string, spec: WsSpec, p: QuietPolicy = london, excl: Parameters<typeof resolveExclusions>[0] = noExclusions): QuietCategory {
  const c = categorize([ws(spec)], p, resolveExclusions(excl, at(now), p.zone), at(now));
  return c.items[0]!.category;
}

describe("categorize (18:00–08:00 Europe/London, grace 1 h)", () => {
  it.each<[string, string, WsSpec, QuietCategory]>([
    ["grace at 18:30", "2026-01-05T18:30:00Z", { startedAt: "2026-01-05T09:00:00Z" }, "quiet_hours_grace"],
    ["stopping at 19:30", "2026-01-05T19:30:00Z", { startedAt: "2026-01-05T09:00:00Z" }, "quiet_hours_stopping"],
    ["own grace when started 19:10", "2026-01-05T19:30:00Z", { startedAt: "2026-01-05T19:10:00Z" }, "quiet_hours_grace"],
    ["own grace over at 20:10", "2026-01-05T20:10:00Z", { startedAt: "2026-01-05T19:10:00Z" }, "quiet_hours_stopping"],
    ["survived the night at 12:00", "2026-01-05T12:00:00Z", { startedAt: "2026-01-05T07:00:00Z" }, "past_quiet_hours_end"],
    ["started after the window at 12:00", "2026-01-05T12:00:00Z", { startedAt: "2026-01-05T09:00:00Z" }, "normal_running"],
    ["ttl expired beats quiet hours", "2026-01-05T19:30:00Z", { startedAt: "2026-01-05T09:00:00Z", deadline: "2026-01-05T17:00:00Z" }, "ttl_expired"],
    ["max_deadline passed is ttl expired", "2026-01-05T12:00:00Z", { startedAt: "2026-01-05T09:00:00Z", deadline: "2026-01-05T20:00:00Z", maxDeadline: "2026-01-05T11:00:00Z" }, "ttl_expired"],
    ["zero-time deadline is no deadline", "2026-01-05T12:00:00Z", { startedAt: "2026-01-05T09:00:00Z", deadline: "0001-01-01T00:00:00Z" }, "normal_running"],
    // DST change days
    ["spring forward: 18:30 BST is grace", "2026-03-29T17:30:00Z", { startedAt: "2026-03-29T09:00:00Z" }, "quiet_hours_grace"],
    ["spring forward: 19:30 BST is stopping", "2026-03-29T18:30:00Z", { startedAt: "2026-03-29T09:00:00Z" }, "quiet_hours_stopping"],
    ["spring forward: 07:30 BST still quiet", "2026-03-29T06:30:00Z", { startedAt: "2026-03-28T09:00:00Z" }, "quiet_hours_stopping"],
    ["spring forward: 08:30 BST survived", "2026-03-29T07:30:00Z", { startedAt: "2026-03-28T09:00:00Z" }, "past_quiet_hours_end"],
    ["fall back: 07:30 GMT still quiet", "2026-10-25T07:30:00Z", { startedAt: "2026-10-24T09:00:00Z" }, "quiet_hours_stopping"],
    ["fall back: 18:30 GMT is grace", "2026-10-25T18:30:00Z", { startedAt: "2026-10-25T09:00:00Z" }, "quiet_hours_grace"],
    ["fall back: 12:00 started 07:30Z survived", "2026-10-25T12:00:00Z", { startedAt: "2026-10-25T07:30:00Z" }, "past_quiet_hours_end"],
    ["fall back: 12:00 started 08:30Z normal", "2026-10-25T12:00:00Z", { startedAt: "2026-10-25T08:30:00Z" }, "normal_running"],
  ])("%s", (_label, now, spec, want) => {
    expect(categoryOf(now, spec)).toBe(want);
  });

  it("grace entries carry their due time", () => {
    const c = categorize([ws({ startedAt: "2026-01-05T19:10:00Z" })], london, resolveExclusions(noExclusions, at("2026-01-05T19:30:00Z"), "Europe/London"), at("2026-01-05T19:30:00Z"));
    expect(c.items[0]!.dueAt?.toISO()).toBe("2026-01-05T20:10:00.000Z");
    expect(c.graceEndsAt?.toISO()).toBe("2026-01-05T19:00:00.000Z");
    expect(c.graceOver).toBe(true);
  });

  it("America/Chicago and weekdays-only windows", () => {
    const chicago = policyFromConfig({ enabled: true, start_time: "18:00", end_time: "08:00", timezone: "America/Chicago", grace_period_hours: 1 });
    expect(categoryOf("2026-01-06T00:30:00Z", { startedAt: "2026-01-05T15:00:00Z" }, chicago)).toBe("quiet_hours_grace"); // 18:30 CST
    expect(categoryOf("2026-01-06T01:30:00Z", { startedAt: "2026-01-05T15:00:00Z" }, chicago)).toBe("quiet_hours_stopping");
    const weekdays = { ...london, days: ["mon", "tue", "wed", "thu", "fri"] as const };
    expect(categoryOf("2026-01-10T20:00:00Z", { startedAt: "2026-01-10T12:00:00Z" }, weekdays)).toBe("normal_running"); // Saturday
    expect(categoryOf("2026-01-10T20:00:00Z", { startedAt: "2026-01-09T12:00:00Z" }, weekdays)).toBe("past_quiet_hours_end"); // ran through Friday night
  });

  it("disabled quiet hours: nothing is quiet and nothing survived a window", () => {
    const off = { ...london, enabled: false };
    expect(categoryOf("2026-01-05T19:30:00Z", { startedAt: "2026-01-05T09:00:00Z" }, off)).toBe("normal_running");
    expect(categoryOf("2026-01-05T12:00:00Z", { startedAt: "2026-01-04T09:00:00Z" }, off)).toBe("normal_running");
  });
});

describe("exclusions", () => {
  const now = "2026-01-05T19:30:00Z";
  it.each<[string, Parameters<typeof resolveExclusions>[0], WsSpec]>([
    ["user", { excluded_users: ["Bob"], excluded_templates: [] }, { owner: "bob", startedAt: "2026-01-05T09:00:00Z" }],
    ["template id", { excluded_users: [], excluded_templates: ["tpl-prod"] }, { template: "prod", startedAt: "2026-01-05T09:00:00Z" }],
    ["template name", { excluded_users: [], excluded_templates: ["prod"] }, { template: "prod", startedAt: "2026-01-05T09:00:00Z" }],
    ["template display name", { excluded_users: [], excluded_templates: [{ name: "Production API", reason: "24/7" }] }, { template: "prod", templateDisplay: "Production API", startedAt: "2026-01-05T09:00:00Z" }],
    ["workspace", { excluded_users: [], excluded_templates: [], excluded_workspaces: ["alice/build-box"] }, { owner: "alice", name: "build-box", startedAt: "2026-01-05T09:00:00Z" }],
  ])("%s exclusions win over every category and are never selected, even with --force", (_l, excl, spec) => {
    const c = categorize([ws({ ...spec, deadline: "2026-01-05T10:00:00Z" })], london, resolveExclusions(excl, at(now), "Europe/London"), at(now));
    expect(c.items[0]!.category).toBe("excluded");
    expect(c.items[0]!.reasons[0]).toMatch(/excluded/);
    expect(selectStops(c, { force: true })).toEqual([]);
  });

  it("expired exclusions are ignored and reported; date-only expiry holds through that day", () => {
    const excl = {
      excluded_users: [{ name: "alice", expires: "2026-01-04", reason: "demo" }, { name: "bob", expires: "2026-01-05" }],
      excluded_templates: [],
    };
    const set = resolveExclusions(excl, at(now), "Europe/London");
    expect(set.expired.map((r) => r.name)).toEqual(["alice"]);
    expect(set.active.map((r) => r.name)).toEqual(["bob"]);
    const c = categorize([ws({ owner: "alice", startedAt: "2026-01-05T09:00:00Z" })], london, set, at(now));
    expect(c.items[0]!.category).toBe("quiet_hours_stopping");
    expect(c.warnings[0]).toMatch(/alice.*expired/);
  });
});

describe("selectStops", () => {
  const specs: WsSpec[] = [
    { name: "quiet", startedAt: "2026-01-05T09:00:00Z" },
    { name: "expired", startedAt: "2026-01-05T09:00:00Z", deadline: "2026-01-05T17:00:00Z" },
    { name: "expired-fresh", startedAt: "2026-01-05T19:20:00Z", deadline: "2026-01-05T19:25:00Z" },
    { name: "grace", startedAt: "2026-01-05T19:10:00Z" },
  ];
  const run = (now: string, force: boolean) => {
    const c = categorize(specs.map((s) => ws(s)), london, resolveExclusions(noExclusions, at(now), "Europe/London"), at(now));
    return selectStops(c, { force }).map((s) => s.item.workspace.name);
  };
  it("inside the window after grace: quiet-hours stops plus TTL-expired ones whose grace is over (D1)", () => {
    expect(run("2026-01-05T19:30:00Z", false)).toEqual(["quiet", "expired"]);
  });
  it("--force adds every TTL-expired workspace", () => {
    expect(run("2026-01-05T19:30:00Z", true)).toEqual(["quiet", "expired", "expired-fresh"]);
  });
  it("outside the window only --force stops TTL-expired workspaces", () => {
    expect(run("2026-01-06T12:00:00Z", false)).toEqual([]);
    expect(run("2026-01-06T12:00:00Z", true)).toEqual(["expired", "expired-fresh"]);
  });
});
