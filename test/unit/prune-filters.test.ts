import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import type { Workspace } from "../../src/coder/schemas.js";
import { workspaceSchema } from "../../src/coder/schemas.js";
import {
  evaluateFilters,
  mergeFilters,
  resolveNames,
  valuesWithoutMatch,
  type PruneFilterConfig,
} from "../../src/domain/prune-filters.js";
import { planPrune, pruneReason, validateDuration } from "../../src/domain/prune.js";
import { quietStartFromSchedule } from "../../src/domain/user-quiet-hours.js";

const emptyConfig: PruneFilterConfig = {
  include_organizations: [],
  exclude_organizations: [],
  include_groups: [],
  exclude_groups: [],
  include_users: [],
  exclude_users: [],
  include_templates: [],
  exclude_templates: [],
};

function ws(p: { id: string; owner: string; ownerId?: string; org?: string; template?: string; templateDisplay?: string; name?: string }): Workspace {
  return workspaceSchema.parse({
    id: p.id,
    created_at: "2026-01-01T00:00:00Z",
    owner_id: p.ownerId ?? `uid-${p.owner}`,
    owner_name: p.owner,
    organization_id: `oid-${p.org ?? "eng"}`,
    organization_name: p.org ?? "eng",
    template_id: `tid-${p.template ?? "python"}`,
    template_name: p.template ?? "python",
    template_display_name: p.templateDisplay ?? "",
    name: p.name ?? p.id,
    latest_build: {
      id: `b-${p.id}`,
      created_at: "2026-01-01T00:00:00Z",
      build_number: 1,
      transition: "start",
      status: "running",
      job: { id: "j", status: "succeeded" },
    },
  });
}

describe("mergeFilters (D3)", () => {
  const config: PruneFilterConfig = { ...emptyConfig, include_organizations: ["eng"], exclude_users: ["admin", "on-call"], exclude_templates: ["prod"] };
  // [label, cli include, cli exclude, expected include, expected exclude]
  const cases: [string, Record<string, string[]>, Record<string, string[]>, Record<string, string[]>, Record<string, string[]>][] = [
    ["no CLI filters: config applies", {}, {}, { organizations: ["eng"], users: [] }, { users: ["admin", "on-call"], templates: ["prod"] }],
    ["CLI include replaces the config include of that dimension only", { organizations: ["data"] }, {}, { organizations: ["data"] }, { users: ["admin", "on-call"] }],
    ["CLI include in another dimension keeps config excludes", { groups: ["devs"] }, {}, { organizations: ["eng"], groups: ["devs"] }, { users: ["admin", "on-call"], templates: ["prod"] }],
    ["CLI exclude adds to the config's", {}, { users: ["bob"] }, { organizations: ["eng"] }, { users: ["admin", "on-call", "bob"] }],
    ["duplicates (case-insensitive) collapse", {}, { users: ["ADMIN"] }, {}, { users: ["admin", "on-call"] }],
  ];
  it.each(cases)("%s", (_l, inc, exc, wantInc, wantExc) => {
    const m = mergeFilters(config, { include: inc, exclude: exc });
    for (const [k, v] of Object.entries(wantInc)) expect(m.include[k as "users"]).toEqual(v);
    for (const [k, v] of Object.entries(wantExc)) expect(m.exclude[k as "users"]).toEqual(v);
  });
  it("records where the include list came from", () => {
    const m = mergeFilters(config, { include: { organizations: ["data"] }, exclude: {} });
    expect(m.includeSource.organizations).toBe("cli");
    expect(m.includeSource.users).toBe("config");
  });
});

describe("evaluateFilters: AND across dimensions, OR within, exclude beats include", () => {
  const a = ws({ id: "a", owner: "alice", org: "eng", template: "python", templateDisplay: "Python Dev" });
  const b = ws({ id: "b", owner: "bob", org: "data", template: "go" });
  const c = ws({ id: "c", owner: "carol", org: "eng", template: "go" });
  const groupMembers = new Map([["devs", new Set(["uid-alice", "uid-bob"])]]);
  const run = (inc: Record<string, string[]>, exc: Record<string, string[]>) => {
    const merged = mergeFilters(emptyConfig, { include: inc, exclude: exc });
    return [a, b, c].filter((w) => evaluateFilters(w, { merged, groupMembers }).keep).map((w) => w.id);
  };
  const cases: [string, Record<string, string[]>, Record<string, string[]>, string[]][] = [
    ["no filters keep everything", {}, {}, ["a", "b", "c"]],
    ["include org (workspace's org, by name)", { organizations: ["eng"] }, {}, ["a", "c"]],
    ["include org by id", { organizations: ["oid-data"] }, {}, ["b"]],
    ["include org OR within the dimension", { organizations: ["eng", "data"] }, {}, ["a", "b", "c"]],
    ["exclude org", {}, { organizations: ["eng"] }, ["b"]],
    ["include group (owner membership)", { groups: ["devs"] }, {}, ["a", "b"]],
    ["exclude group", {}, { groups: ["devs"] }, ["c"]],
    ["include user", { users: ["carol"] }, {}, ["c"]],
    ["exclude user (case-insensitive)", {}, { users: ["ALICE"] }, ["b", "c"]],
    ["include template by name (D5)", { templates: ["go"] }, {}, ["b", "c"]],
    ["include template by display name", { templates: ["python dev"] }, {}, ["a"]],
    ["include template by id", { templates: ["tid-python"] }, {}, ["a"]],
    ["AND across dimensions", { organizations: ["eng"], templates: ["go"] }, {}, ["c"]],
    ["exclude beats include (same dimension)", { users: ["alice", "bob"] }, { users: ["alice"] }, ["b"]],
    ["exclude beats include (other dimension)", { groups: ["devs"] }, { templates: ["go"] }, ["a"]],
    ["include with no match keeps nothing", { templates: ["rust"] }, {}, []],
  ];
  it.each(cases)("%s", (_l, inc, exc, want) => {
    expect(run(inc, exc)).toEqual(want);
  });
  it("says why a workspace was dropped", () => {
    const merged = mergeFilters(emptyConfig, { include: { templates: ["go"] }, exclude: { users: ["bob"] } });
    expect(evaluateFilters(b, { merged, groupMembers }).reason).toBe("excluded by exclude_users: bob");
    expect(evaluateFilters(a, { merged, groupMembers }).reason).toMatch(/^not in include_templates/);
  });
});

describe("name resolution", () => {
  it("resolves ids and names, reports unknown names", () => {
    const known = [
      { id: "g1", names: ["devs", "Developers", "eng/devs"] },
      { id: "g2", names: ["devs", "data/devs"] },
      { id: "g3", names: ["ops"] },
    ];
    const r = resolveNames(["devs", "eng/devs", "g3", "nope"], known);
    expect([...r.ids.get("devs")!]).toEqual(["g1", "g2"]);
    expect([...r.ids.get("eng/devs")!]).toEqual(["g1"]);
    expect([...r.ids.get("g3")!]).toEqual(["g3"]);
    expect(r.unknown).toEqual(["nope"]);
  });
  it("finds filter values that match no listed workspace (these need a listing to validate)", () => {
    const merged = mergeFilters(emptyConfig, { include: { templates: ["python", "rust"] }, exclude: {} });
    expect(valuesWithoutMatch("templates", merged, [ws({ id: "a", owner: "alice" })])).toEqual(["rust"]);
  });
});

describe("planPrune", () => {
  it("selects the workspaces of owners inside their own window", () => {
    const now = DateTime.fromISO("2026-01-05T19:30:00Z", { zone: "utc" });
    const list = [ws({ id: "a1", owner: "alice" }), ws({ id: "b1", owner: "bob" }), ws({ id: "a2", owner: "alice", name: "a0" })];
    const starts = new Map([
      ["uid-alice", quietStartFromSchedule("CRON_TZ=Europe/London 0 18 * * *", "user")!],
      ["uid-bob", quietStartFromSchedule("CRON_TZ=America/Chicago 0 18 * * *", "user")!],
    ]);
    const plan = planPrune(list, starts, now, 8);
    expect(plan.owners.map((o) => [o.owner, o.window.inside])).toEqual([["alice", true], ["bob", false]]);
    expect(plan.selected.map((w) => w.id)).toEqual(["a2", "a1"]);
    expect(pruneReason(plan.inside[0]!)).toBe("Pruned during quiet hours (window 18:00–02:00 Europe/London)");
  });
  it.each([[0], [-1], [24], [30], [Number.NaN]])("rejects duration %s", (h) => {
    expect(() => validateDuration(h, "--duration")).toThrow(/> 0 and < 24/);
  });
  it("accepts fractional durations", () => {
    expect(validateDuration(0.5, "--duration")).toBe(0.5);
  });
});
