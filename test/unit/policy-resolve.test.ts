import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import type { PolicyConfig } from "../../src/config/schema.js";
import { assertNoTies, policiesFromConfig, policyTies, PolicyTieError, resolvePolicy, subjectOf, type PolicySubject } from "../../src/domain/policy/index.js";
import { DEFAULT_CONFIG } from "../../src/config/schema.js";

const NOW = DateTime.fromISO("2026-12-03T12:00:00Z", { zone: "utc" });
const cal = { timezone: "Europe/London", working_hours: { mon: ["08:00-18:00"], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] } };

function pol(name: string, scope: PolicyConfig["scope"], extra: Partial<PolicyConfig> = {}): PolicyConfig {
  return { name, scope, calendar: cal, grace_period_minutes: 60, action: "stop", ...extra } as PolicyConfig;
}
const set = (policies: PolicyConfig[]) => policiesFromConfig({ ...DEFAULT_CONFIG, policies }, new Map());

const subject = (over: Partial<Record<"user" | "template" | "org", string>> & { groups?: string[] } = {}): PolicySubject => ({
  user: { id: `u-${over.user ?? "alice"}`, names: [over.user ?? "alice"] },
  template: { id: `t-${over.template ?? "python-dev"}`, names: [over.template ?? "python-dev", "Python Dev"] },
  organization: { id: `o-${over.org ?? "engineering"}`, names: [over.org ?? "engineering"] },
  groups: (over.groups ?? []).map((g) => ({ id: `g-${g}`, names: [g, `${over.org ?? "engineering"}/${g}`] })),
});

describe("precedence: user > group > template > organization > default", () => {
  const policies = set([
    pol("org-eng", { organizations: { include: ["engineering"], exclude: [] } }),
    pol("tpl-python", { templates: { include: ["python-dev"], exclude: [] } }),
    pol("grp-oncall", { groups: { include: ["oncall"], exclude: [] } }),
    pol("usr-alice", { users: { include: ["alice"], exclude: [] } }),
  ]);

  it("the most specific matching policy decides, and every other one is listed with why", () => {
    const r = resolvePolicy(policies, subject({ groups: ["oncall"] }), NOW);
    expect(r.policy.name).toBe("usr-alice");
    expect(r.level).toBe("user");
    expect(r.why).toBe("scope.users.include: alice");
    expect(r.beaten.map((b) => [b.name, b.level])).toEqual([
      ["org-eng", "organization"],
      ["tpl-python", "template"],
      ["grp-oncall", "group"],
      ["quiet_hours", "default"],
    ]);
    expect(r.beaten[0]!.why).toMatch(/less specific \(organization\) than usr-alice \(user\)/);
  });

  it.each([
    [{ user: "bob", groups: ["oncall"] }, "grp-oncall", "group"],
    [{ user: "bob" }, "tpl-python", "template"],
    [{ user: "bob", template: "go-dev" }, "org-eng", "organization"],
    [{ user: "bob", template: "go-dev", org: "sales" }, "quiet_hours", "default"],
  ] as const)("%j → %s", (s, name, level) => {
    const r = resolvePolicy(policies, subject({ ...s, groups: "groups" in s ? [...s.groups] : [] }), NOW);
    expect([r.policy.name, r.level]).toEqual([name, level]);
  });

  it("names match case-insensitively, ids exactly, display names and org/group too (as prune matches)", () => {
    const s = set([
      pol("by-id", { users: { include: ["u-carol"], exclude: [] } }),
      pol("by-display", { templates: { include: ["python dev"], exclude: [] } }),
      pol("by-org-group", { groups: { include: ["ENGINEERING/oncall"], exclude: [] } }),
    ]);
    expect(resolvePolicy(s, subject({ user: "carol" }), NOW).policy.name).toBe("by-id");
    expect(resolvePolicy(s, subject({ user: "dave" }), NOW).policy.name).toBe("by-display");
    expect(resolvePolicy(s, subject({ user: "erin", groups: ["oncall"], template: "go" }), NOW).policy.name).toBe("by-org-group");
  });

  it("an exclude beats an include; AND across dimensions", () => {
    const s = set([pol("eng-but-not-bob", { organizations: { include: ["engineering"], exclude: [] }, users: { include: [], exclude: ["bob"] }, templates: { include: ["python-dev"], exclude: [] } })]);
    expect(resolvePolicy(s, subject({ user: "alice" }), NOW).policy.name).toBe("eng-but-not-bob");
    const bob = resolvePolicy(s, subject({ user: "bob" }), NOW);
    expect(bob.policy.name).toBe("quiet_hours");
    expect(bob.beaten[0]!.why).toBe("excluded by scope.users.exclude: bob");
    expect(resolvePolicy(s, subject({ template: "go-dev" }), NOW).beaten[0]!.why).toBe("not in scope.templates.include (python-dev)");
    // The level is the most specific include list: templates here, not the user exclude.
    expect(s.policies[0]!.level).toBe("template");
  });

  it("a policy without include lists is at the default level and replaces the quiet_hours section", () => {
    const s = set([pol("company", {}), pol("oncall", { groups: { include: ["oncall"], exclude: [] } })]);
    const r = resolvePolicy(s, subject(), NOW);
    expect([r.policy.name, r.level]).toEqual(["company", "default"]);
    expect(r.beaten.find((b) => b.name === "quiet_hours")!.why).toMatch(/company \(default\) applies/);
  });

  it("an expired policy never matches, and says so", () => {
    const s = set([pol("freeze", { users: { include: ["alice"], exclude: [] } }, { expires: "2026-12-02" }), pol("eng", { organizations: { include: ["engineering"], exclude: [] } })]);
    const r = resolvePolicy(s, subject(), NOW);
    expect(r.policy.name).toBe("eng");
    expect(r.beaten[0]).toMatchObject({ name: "freeze", level: "user" });
    expect(r.beaten[0]!.why).toMatch(/^expired \(expires 2026-12-02/);
    expect(resolvePolicy(s, subject(), DateTime.fromISO("2026-12-02T23:00:00Z")).policy.name).toBe("freeze");
  });
});

describe("ties are configuration errors", () => {
  it("two matching policies at the winning level: resolution names both (exit 2)", () => {
    const s = set([pol("oncall", { groups: { include: ["oncall"], exclude: [] } }), pol("sre", { groups: { include: ["sre"], exclude: [] } })]);
    expect(policyTies(s, NOW)).toEqual([]); // not visible without group memberships
    let err: unknown;
    try {
      resolvePolicy(s, subject({ groups: ["oncall", "sre"] }), NOW);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyTieError);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/policies "oncall" and "sre" both apply to user alice .* at the group level/);
    // One group each: no tie.
    expect(resolvePolicy(s, subject({ groups: ["sre"] }), NOW).policy.name).toBe("sre");
  });

  it("ties visible from the configuration: a shared include value at the same level, or two catch-alls", () => {
    const s = set([
      pol("a", { users: { include: ["alice", "bob"], exclude: [] } }),
      pol("b", { users: { include: ["BOB"], exclude: [] } }),
      pol("c", { users: { include: ["carol"], exclude: [] }, templates: { include: ["gpu"], exclude: [] } }),
      pol("d", { users: { include: ["carol"], exclude: [] }, templates: { include: ["cpu"], exclude: [] } }),
      pol("e", {}),
      pol("f", { organizations: { include: [], exclude: ["sales"] } }),
    ]);
    expect(policyTies(s, NOW)).toEqual([
      { policies: ["a", "b"], level: "user", why: "both include users bob" },
      { policies: ["e", "f"], level: "default", why: "neither has an include list: both apply to everyone" },
    ]);
    expect(() => assertNoTies(s, NOW)).toThrow(/policies "a" and "b" both apply \(both include users bob\) at the user level/);
  });

  it("an expired policy ties with nobody", () => {
    const s = set([pol("old", { users: { include: ["alice"], exclude: [] } }, { expires: "2026-11-30" }), pol("new", { users: { include: ["alice"], exclude: [] } })]);
    expect(policyTies(s, NOW)).toEqual([]);
    expect(policyTies(s, DateTime.fromISO("2026-11-29T12:00:00Z"))).toHaveLength(1);
  });
});

describe("subjects from workspaces", () => {
  it("carries the names prune matches on, and only the owner's groups", () => {
    const ws = { organization_id: "o1", organization_name: "engineering", owner_id: "u1", owner_name: "alice", template_id: "t1", template_name: "python-dev", template_display_name: "Python Dev" };
    const groups = [
      { id: "g1", name: "oncall", display_name: "On call", organization_id: "o1", organization_name: "engineering", members: [{ id: "u1", username: "alice" }] },
      { id: "g2", name: "sre", display_name: "", organization_id: "o1", organization_name: "engineering", members: [{ id: "u2", username: "bob" }] },
    ];
    expect(subjectOf(ws, groups)).toEqual({
      organization: { id: "o1", names: ["engineering"] },
      user: { id: "u1", names: ["alice"] },
      template: { id: "t1", names: ["python-dev", "Python Dev"] },
      groups: [{ id: "g1", names: ["oncall", "On call", "engineering/oncall"] }],
    });
  });
});
