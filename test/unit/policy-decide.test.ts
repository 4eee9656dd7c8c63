/** The policy resolution the commands share (src/domain/policy-decide.ts): pure, at fixed instants. */
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, configSchema } from "../../src/config/schema.js";
import { categorize, resolveExclusions } from "../../src/domain/categorize.js";
import { categorizeByPolicy, policyForbidsStop, policyStopCause, policyWarnings, selectPolicyStops, type PolicyInputs } from "../../src/domain/policy-decide.js";
import { policiesFromConfig } from "../../src/domain/policy/index.js";
import { policyUpcomingStops, selectWarnings } from "../../src/exec/notify-hooks.js";
import { ws } from "./quiet-fixture.js";

const weekdays = (p: string) => ({ mon: [p], tue: [p], wed: [p], thu: [p], fri: [p] });

function inputsFor(policies: unknown[]): PolicyInputs {
  const config = configSchema.parse({ ...DEFAULT_CONFIG, policies });
  return { set: policiesFromConfig(config, new Map()), groups: [], ownerSchedules: new Map() };
}

const exclusions = (now: DateTime) => resolveExclusions({ excluded_users: ["admin"], excluded_templates: [], excluded_workspaces: [] }, now, "Europe/London");
const used = (w: ReturnType<typeof ws>, at: string) => ({ ...w, last_used_at: at });

describe("categorizeByPolicy", () => {
  it("without policies, gives categorize's items unchanged, each under the quiet_hours policy", () => {
    const now = DateTime.fromISO("2026-01-05T19:30:00Z", { zone: "utc" });
    const list = [ws({ startedAt: "2026-01-05T09:00:00Z" }), ws({ startedAt: "2026-01-05T19:00:00Z" }), ws({ owner: "admin", startedAt: "2026-01-05T09:00:00Z" })];
    const inputs = inputsFor([]);
    const c = categorizeByPolicy(list, inputs, exclusions(now), now);
    const window = inputs.set.implicitDefault.calendar.kind === "quiet_window" ? inputs.set.implicitDefault.calendar.window : null;
    const plain = categorize(list, window!, exclusions(now), now);
    expect(c.items.map(({ resolution, action, interval, idle, ...rest }) => rest)).toEqual(plain.items);
    expect(c.items.map((i) => `${i.resolution.policy.name}/${i.action}`)).toEqual(["quiet_hours/stop", "quiet_hours/stop", "quiet_hours/stop"]);
    expect(c.window).toEqual(plain.window);
  });

  it("a working-hours policy: grace in quiet time, then stopping; the idle rule acts during working hours; exclusions still protect", () => {
    const inputs = inputsFor([
      { name: "eng", scope: { organizations: { include: ["engineering"] } }, calendar: { timezone: "Europe/London", working_hours: weekdays("09:00-17:00") }, grace_period_minutes: 30, idle: { after_hours: 2, when: "inside_working_hours" }, action: "stop" },
    ]);
    const evening = DateTime.fromISO("2026-01-05T17:20:00Z", { zone: "utc" });
    const a = ws({ startedAt: "2026-01-05T08:00:00Z" });
    const admin = ws({ owner: "admin", startedAt: "2026-01-05T08:00:00Z" });
    let c = categorizeByPolicy([a, admin], inputs, exclusions(evening), evening);
    expect(c.items.map((i) => i.category)).toEqual(["quiet_hours_grace", "excluded"]);
    expect(c.items[0]!.dueAt!.toISO()).toBe("2026-01-05T17:30:00.000Z");
    const later = evening.plus({ minutes: 15 });
    c = categorizeByPolicy([a, admin], inputs, exclusions(later), later);
    expect(c.items.map((i) => i.category)).toEqual(["quiet_hours_stopping", "excluded"]);
    expect(selectPolicyStops(c, { force: false }).map((s) => s.item.workspace.id)).toEqual([a.id]);

    const noon = DateTime.fromISO("2026-01-06T12:00:00Z", { zone: "utc" });
    const idle = used(ws({ startedAt: "2026-01-06T08:30:00Z" }), "2026-01-06T09:30:00Z");
    const busy = used(ws({ startedAt: "2026-01-06T08:30:00Z" }), "2026-01-06T11:50:00Z");
    c = categorizeByPolicy([idle, busy], inputs, exclusions(noon), noon);
    expect(c.items.map((i) => i.category)).toEqual(["quiet_hours_stopping", "past_quiet_hours_end"]); // started 08:30, before working hours
    expect(c.items[0]!.reasons[0]).toBe("Policy eng (stop): idle rule: last used 2.5h ago (idle after 2h inside working hours): idle");
    expect(policyStopCause(c.items[1]!, inputs, noon)).toMatchObject({ atMs: Date.parse("2026-01-06T17:30:00Z") });
  });

  it("warn policies are warned (once per quiet time), report policies only listed; neither is stopped", () => {
    const inputs = inputsFor([
      { name: "warn-me", scope: { users: { include: ["alice"] } }, calendar: { timezone: "UTC", working_hours: weekdays("09:00-17:00") }, action: "warn" },
      { name: "just-report", scope: { users: { include: ["bob"] } }, calendar: { timezone: "UTC", working_hours: weekdays("09:00-17:00") }, action: "report" },
    ]);
    const now = DateTime.fromISO("2026-01-05T20:00:00Z", { zone: "utc" });
    const alice = ws({ owner: "alice", startedAt: "2026-01-05T10:00:00Z" });
    const bob = ws({ owner: "bob", startedAt: "2026-01-05T10:00:00Z" });
    const c = categorizeByPolicy([alice, bob], inputs, exclusions(now), now);
    expect(c.items.map((i) => `${i.category}/${i.action}`)).toEqual(["quiet_hours_stopping/warn", "quiet_hours_stopping/report"]);
    expect(selectPolicyStops(c, { force: true })).toEqual([]);
    expect(policyWarnings(c).map((i) => i.workspace.id)).toEqual([alice.id]);
    const upcoming = policyUpcomingStops(c);
    expect(upcoming).toEqual([expect.objectContaining({ id: alice.id, warn_policy: "warn-me", window_start: "2026-01-05T17:00:00.000Z", due_at: "2026-01-05T18:00:00.000Z" })]);
    // due already (a warn policy's workspace is never "stopping soon"), but warned once per quiet time
    expect(selectWarnings(upcoming, new Set(), now, 30)).toHaveLength(1);
    expect(selectWarnings(upcoming, new Set([`${alice.id}@2026-01-05T17:00:00.000Z`]), now, 30)).toHaveLength(0);
    expect(policyStopCause(c.items[0]!, inputs, now)).toBeNull();
  });
});

describe("policyForbidsStop (prune's check)", () => {
  it("the quiet_hours policy never forbids; a configured one forbids in working time and for warn/report", () => {
    const inputs = inputsFor([
      { name: "eng", scope: { users: { include: ["alice"] } }, calendar: { timezone: "UTC", working_hours: weekdays("09:00-17:00") }, action: "stop" },
      { name: "rep", scope: { users: { include: ["bob"] } }, calendar: { timezone: "UTC", working_hours: weekdays("09:00-17:00") }, action: "report" },
    ]);
    const alice = ws({ owner: "alice", startedAt: "2026-01-05T08:00:00Z" });
    const bob = ws({ owner: "bob", startedAt: "2026-01-05T08:00:00Z" });
    const dana = ws({ owner: "dana", startedAt: "2026-01-05T08:00:00Z" });
    const at = (iso: string) => DateTime.fromISO(iso, { zone: "utc" });
    const c = categorizeByPolicy([alice, bob, dana], inputs, exclusions(at("2026-01-05T12:00:00Z")), at("2026-01-05T12:00:00Z"));
    const [ra, rb, rd] = c.items.map((i) => i.resolution);
    expect(policyForbidsStop(ra!, alice, inputs, at("2026-01-05T12:00:00Z"))).toBe("its policy eng says working time");
    expect(policyForbidsStop(ra!, alice, inputs, at("2026-01-05T20:00:00Z"))).toBeNull();
    expect(policyForbidsStop(rb!, bob, inputs, at("2026-01-05T20:00:00Z"))).toBe("its policy rep only reports");
    expect(policyForbidsStop(rd!, dana, inputs, at("2026-01-05T12:00:00Z"))).toBeNull();
  });
});
