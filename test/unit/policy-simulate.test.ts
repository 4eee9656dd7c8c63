import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, type PolicyConfig } from "../../src/config/schema.js";
import { lintPolicies } from "../../src/domain/policy/lint.js";
import { policiesFromConfig, type Policy } from "../../src/domain/policy/index.js";
import { firstStop, simulatePolicies, type SimulatedWorkspace } from "../../src/domain/policy/simulate.js";

const utc = (iso: string) => DateTime.fromISO(iso, { zone: "utc" });
const WEEKDAYS = (r: string) => ({ mon: [r], tue: [r], wed: [r], thu: [r], fri: [r] });
function policy(extra: Partial<PolicyConfig>): Policy {
  const p = { name: "p", scope: {}, calendar: { timezone: "Europe/London", working_hours: WEEKDAYS("08:00-18:00") }, grace_period_minutes: 60, action: "stop", ...extra } as PolicyConfig;
  return policiesFromConfig({ ...DEFAULT_CONFIG, policies: [p] }, new Map()).policies[0]!;
}
const ws = (p: Policy, over: Partial<SimulatedWorkspace> = {}): SimulatedWorkspace => ({
  label: "alice/dev",
  running: true,
  startedAt: utc("2026-12-03T09:00:00Z"),
  lastUsedAt: utc("2026-12-03T12:00:00Z"),
  policy: p,
  owner: null,
  excluded: null,
  ...over,
});

describe("simulate: the first stop of one workspace", () => {
  const from = utc("2026-12-03T12:00:00Z"); // Thursday, working time in London
  const to = utc("2026-12-05T00:00:00Z");
  it("quiet time: at the interval start + grace", () => {
    expect(firstStop(ws(policy({})), from, to)).toEqual({ at: utc("2026-12-03T19:00:00Z"), cause: "quiet" });
  });
  it("a grace longer than the quiet interval never stops in it", () => {
    const p = policy({ grace_period_minutes: 15 * 60 });
    expect(firstStop(ws(p), from, to)).toBeNull(); // Thu 18:00 + 15 h = Fri 09:00, after Fri 08:00
  });
  it("idle outside working hours: the first quiet instant once idle", () => {
    const p = policy({ grace_period_minutes: 15 * 60, idle: { after_hours: 1, when: "outside_working_hours" } });
    expect(firstStop(ws(p), from, to)).toEqual({ at: utc("2026-12-03T18:00:00Z"), cause: "idle" });
    // Idle only at 20:00 (last use 19:00): already quiet then.
    expect(firstStop(ws(p, { lastUsedAt: utc("2026-12-03T19:00:00Z") }), from, to)).toEqual({ at: utc("2026-12-03T20:00:00Z"), cause: "idle" });
  });
  it("not running, excluded, or never used (no idle base): nothing", () => {
    const p = policy({ grace_period_minutes: 15 * 60, idle: { after_hours: 1, when: "always" } });
    expect(firstStop(ws(p, { running: false }), from, to)).toBeNull();
    expect(firstStop(ws(p, { excluded: "excluded user alice" }), from, to)).toBeNull();
    expect(firstStop(ws(p, { lastUsedAt: null }), from, to)).toBeNull();
  });
  it("a report policy flags the hours instead of stopping them", () => {
    const p = policy({ action: "report" });
    const r = simulatePolicies([p], [ws(p)], from, to);
    expect(r.policies[0]).toMatchObject({ stopped: 1, stopped_hours: 0, flagged_hours: 29 });
    expect(r.policies[0]!.days).toEqual([
      { date: "2026-12-03", hours: 5, stops: 1 },
      { date: "2026-12-04", hours: 24, stops: 0 },
    ]);
  });
});

describe("lint: windows over the next two weeks", () => {
  const now = utc("2026-12-03T12:00:00Z");
  const lint = (p: Policy) => lintPolicies({ set: { policies: [p], implicitDefault: policiesFromConfig(DEFAULT_CONFIG, new Map()).implicitDefault }, now, workspaces: [], templates: [], organizations: [], groups: [] });
  it("a window that never closes is a warning, or an info when the idle rule is meant to act", () => {
    const allDay = { mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"], thu: ["00:00-24:00"], fri: ["00:00-24:00"], sat: ["00:00-24:00"], sun: ["00:00-24:00"] };
    const plain = lint(policy({ calendar: { timezone: "UTC", working_hours: allDay } })).findings.find((f) => f.code === "PL010")!;
    expect(plain.severity).toBe("warning");
    const idle = lint(policy({ calendar: { timezone: "UTC", working_hours: allDay }, idle: { after_hours: 4, when: "always" } })).findings.find((f) => f.code === "PL010")!;
    expect(idle.severity).toBe("info");
  });
  it("the default quiet_hours window opens and closes: no finding for it", () => {
    const r = lint(policy({}));
    expect(r.findings.filter((f) => f.policies.includes("quiet_hours") && ["PL009", "PL010"].includes(f.code))).toEqual([]);
  });
});
