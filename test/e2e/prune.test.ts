import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envelopeSchema } from "../../src/output/schema.js";
import { pruneDataSchema } from "../../src/output/schemas/prune.js";
import { runCli, scratchDir, writeConfig } from "../support/cli.js";
import { startSim, type TestSim } from "../support/sim.js";

const docSchema = envelopeSchema.extend(pruneDataSchema.shape);

/**
 * Owners and their quiet-hours start (8 h windows):
 *   alice  Europe/London 18:00   carl  America/Chicago 18:00 (workspace in org "research")
 *   kiran  Asia/Kolkata 22:00    dora  deployment default (CRON_TZ=UTC 0 0 * * *)
 */
function scenario(licensed = true) {
  return {
    clock: "2026-01-05T19:30:00Z",
    deployment: { licensed, default_quiet_hours: "CRON_TZ=UTC 0 0 * * *" },
    organizations: [{ name: "engineering" }, { name: "research" }],
    users: [
      { username: "admin", roles: ["owner"], token: "admin-token", organizations: ["engineering", "research"] },
      { username: "alice", token: "alice-token", organizations: ["engineering"], quiet_hours: "CRON_TZ=Europe/London 0 18 * * *" },
      { username: "carl", token: "carl-token", organizations: ["engineering", "research"], quiet_hours: "CRON_TZ=America/Chicago 0 18 * * *" },
      { username: "kiran", token: "kiran-token", organizations: ["engineering"], quiet_hours: "CRON_TZ=Asia/Kolkata 0 22 * * *" },
      { username: "dora", token: "dora-token", organizations: ["engineering"] },
    ],
    groups: [
      { name: "developers", organization: "engineering", members: ["alice", "kiran"] },
      { name: "oncall", organization: "engineering", members: ["kiran"] },
    ],
    templates: [
      { name: "python-dev", display_name: "Python Dev", organization: "engineering" },
      { name: "go-dev", organization: "engineering" },
      { name: "go-research", organization: "research" },
    ],
    workspaces: [
      { name: "a-dev", owner: "alice", template: "python-dev", status: "running" as const, started_at: "-1h" },
      { name: "a-old", owner: "alice", template: "python-dev", status: "stopped" as const },
      { name: "c-dev", owner: "carl", template: "go-research", status: "running" as const, started_at: "-1h" },
      { name: "k-dev", owner: "kiran", template: "python-dev", status: "running" as const, started_at: "-1h" },
      { name: "d-dev", owner: "dora", template: "go-dev", status: "running" as const, started_at: "-1h" },
    ],
  };
}

type Doc = ReturnType<typeof docSchema.parse>;
const names = (d: Doc) => d.workspaces.map((w) => `${w.owner}/${w.name}`).sort();

describe.concurrent("prune against the simulator", () => {
  let sim: TestSim;
  let dir: string;
  beforeAll(async () => {
    sim = await startSim(scenario());
    dir = scratchDir();
  });
  afterAll(async () => sim.close());

  async function prune(args: string[], opts: { token?: string; config?: unknown } = {}) {
    const cfg = writeConfig(dir, opts.config ?? {}, `cfg-${Math.random().toString(36).slice(2)}.json`);
    return runCli(["prune", "--url", sim.url, "--config", cfg, ...args], { env: { CODER_SESSION_TOKEN: opts.token ?? "admin-token" } });
  }
  async function pruneJson(args: string[], opts: { token?: string; config?: unknown } = {}): Promise<Doc> {
    const r = await prune([...args, "--json"], opts);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    return docSchema.parse(r.json());
  }

  describe("each owner is selected exactly inside their own window", () => {
    it.each([
      ["19:30Z Monday: London and Kolkata inside, Chicago and the default not", "2026-01-05T19:30:00Z", ["alice/a-dev", "kiran/k-dev"]],
      ["London DST day (29 Mar, BST): 18:30 BST is inside, though 17:30Z", "2026-03-29T17:30:00Z", ["alice/a-dev", "kiran/k-dev"]],
      ["London spring-forward night: the 18:00 GMT window runs 8 elapsed hours, to 02:00Z", "2026-03-29T01:59:00Z", ["alice/a-dev", "carl/c-dev", "dora/d-dev"]],
      ["Chicago DST day (8 Mar, CDT): 18:30 CDT = 23:30Z is inside", "2026-03-08T23:30:00Z", ["alice/a-dev", "carl/c-dev", "kiran/k-dev"]],
      ["Chicago spring-forward night: 18:00 CST + 8h = 08:00Z", "2026-03-08T07:59:00Z", ["carl/c-dev", "dora/d-dev"]],
    ])("%s", async (_l, now, want) => {
      const d = await pruneJson(["--all", "--now", now]);
      expect(names(d)).toEqual(want);
    });

    it("01:00Z: London, Chicago and the UTC default inside, Kolkata ended at 00:30Z; each owner's window and source", async () => {
      const d = await pruneJson(["--all", "--now", "2026-01-06T01:00:00Z"]);
      expect(names(d)).toEqual(["alice/a-dev", "carl/c-dev", "dora/d-dev"]);
      const dora = d.owners.find((o) => o.owner === "dora")!;
      expect(dora.quiet_hours).toMatchObject({ start_time: "00:00", timezone: "UTC", source: "default", user_set: false });
      expect(dora).toMatchObject({ window_start: "2026-01-06T00:00:00.000Z", window_end: "2026-01-06T08:00:00.000Z", in_quiet_hours: true });
      const a = d.workspaces.find((w) => w.name === "a-dev")!;
      expect(a.quiet_hours_info).toMatchObject({ quiet_start: "2026-01-05T18:00:00.000Z", quiet_end: "2026-01-06T02:00:00.000Z", is_in_quiet_hours: true });
      expect(a.quiet_hours_info.user_quiet_hours).toMatchObject({ username: "alice", start_time: "18:00", timezone: "Europe/London", user_set: true });
      expect(d).toMatchObject({ target_user: null, include_all_users: true, quiet_hours_duration: 8, total_workspaces: 3 });
    });

    it("--duration (fractional) changes the window; out-of-range is exit 2", async () => {
      const d = await pruneJson(["--all", "--now", "2026-01-05T19:30:00Z", "--duration", "1.25"]);
      expect(names(d)).toEqual([]); // 18:00-19:15 London: over; Kolkata 16:30Z-17:45Z: over
      expect(names(await pruneJson(["--all", "--now", "2026-01-05T19:30:00Z", "--duration", "1.75"]))).toEqual(["alice/a-dev"]);
      const r = await prune(["--all", "--duration", "24"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("> 0 and < 24");
    });

    it("human output: per owner, the window and a table", async () => {
      const r = await prune(["--all", "--now", "2026-01-05T19:30:00Z"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("🌙 WORKSPACES WITHIN QUIET HOURS PERIODS (2)");
      expect(r.stdout).toContain("👤 alice\n   Quiet Hours: 18:00 (Europe/London)\n   Current Period: 18:00 - 02:00");
      expect(r.stdout).toContain("   Quiet Hours: 22:00 (Asia/Kolkata)");
      expect(r.stdout).toMatch(/a-dev\s+│ Python Dev/);
    });
  });

  describe("scope", () => {
    it("default is the current user; --user NAME another one; running only unless --include-stopped", async () => {
      const me = await pruneJson(["--now", "2026-01-05T19:30:00Z"], { token: "alice-token" });
      expect(names(me)).toEqual(["alice/a-dev"]);
      expect(me.target_user).toBe("alice");
      const other = await pruneJson(["--user", "alice", "--now", "2026-01-05T19:30:00Z", "--include-stopped"]);
      expect(names(other)).toEqual(["alice/a-dev", "alice/a-old"]);
    });
    it("--user with --all is a usage error (D34); an unknown --user is exit 2", async () => {
      expect((await prune(["--all", "--user", "alice"])).code).toBe(2);
      const r = await prune(["--user", "nobody"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("no such user");
    });
  });

  describe("filters (at 01:00Z: alice, carl, dora inside)", () => {
    const NOW = ["--all", "--now", "2026-01-06T01:00:00Z"];
    it.each([
      ["--include-org: the workspace's org, not the owner's memberships (D7)", ["--include-org", "engineering"], {}, ["alice/a-dev", "dora/d-dev"]],
      ["--exclude-org", ["--exclude-org", "research"], {}, ["alice/a-dev", "dora/d-dev"]],
      ["--include-group (owner's groups, D6)", ["--include-group", "developers"], {}, ["alice/a-dev"]],
      ["--exclude-group", ["--exclude-group", "developers"], {}, ["carl/c-dev", "dora/d-dev"]],
      ["--include-user", ["--include-user", "carl"], {}, ["carl/c-dev"]],
      ["--exclude-user", ["--exclude-user", "carl"], {}, ["alice/a-dev", "dora/d-dev"]],
      ["--include-template by name (D5)", ["--include-template", "python-dev"], {}, ["alice/a-dev"]],
      ["--include-template by display name", ["--include-template", "Python Dev"], {}, ["alice/a-dev"]],
      ["--exclude-template", ["--exclude-template", "go-dev"], {}, ["alice/a-dev", "carl/c-dev"]],
      ["AND across dimensions", ["--include-org", "engineering", "--include-template", "go-dev"], {}, ["dora/d-dev"]],
      ["exclude beats include", ["--include-user", "alice", "--exclude-user", "alice"], {}, []],
      ["config exclude_users applies", [], { exclude_users: ["dora"] }, ["alice/a-dev", "carl/c-dev"]],
      ["CLI --exclude-user adds to config exclude_users (D3)", ["--exclude-user", "carl"], { exclude_users: ["dora"] }, ["alice/a-dev"]],
      ["a CLI filter of another dimension keeps config exclusions (D3)", ["--include-org", "engineering"], { exclude_users: ["dora"] }, ["alice/a-dev"]],
      ["CLI include replaces the config include of that dimension", ["--include-user", "dora"], { include_users: ["carl"] }, ["dora/d-dev"]],
    ])("%s", async (_l, args, pruneCfg, want) => {
      const d = await pruneJson([...NOW, ...args], { config: { prune_workspaces: pruneCfg } });
      expect(names(d)).toEqual(want);
    });

    it.each([
      // Each organization also has Coder's built-in "Everyone" group (id = the organization id).
      ["--include-group", "nope-group", "known groups: engineering/developers, engineering/Everyone, engineering/oncall, research/Everyone"],
      ["--include-template", "nope-tpl", "known templates: go-dev, go-research, python-dev"],
      ["--include-user", "nope-user", "no such user"],
    ])("unknown name in %s is exit 2 with the known names", async (flag, value, known) => {
      const r = await prune([...NOW, flag, value]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(value);
      expect(r.stderr).toContain(known);
    });

    it("an unknown user to exclude is a warning, not an error (it protects nobody)", async () => {
      const d = await pruneJson(NOW, { config: { prune_workspaces: { exclude_users: ["on-call-engineer"] } } });
      expect(names(d)).toEqual(["alice/a-dev", "carl/c-dev", "dora/d-dev"]);
      expect(d.warnings.join(" ")).toContain('no such user "on-call-engineer"');
    });

    it("an unknown name in the config is exit 2 naming the config key", async () => {
      const r = await prune(NOW, { config: { prune_workspaces: { exclude_organizations: ["nope-org"] } } });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("prune_workspaces.exclude_organizations");
      expect(r.stderr).toContain("known organizations: engineering, research");
    });

    it("a template with no running workspace is known, not an error", async () => {
      const d = await pruneJson([...NOW, "--include-template", "python-dev", "--include-template", "go-dev"]);
      expect(names(d)).toEqual(["alice/a-dev", "dora/d-dev"]);
    });
  });

  describe("cleanup safety switches", () => {
    it("prune_workspaces.enabled false refuses --cleanup (exit 2) but allows listing and dry runs", async () => {
      const cfg = { prune_workspaces: { enabled: false } };
      const r = await prune(["--all", "--cleanup"], { config: cfg });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("prune_workspaces.enabled is false");
      expect((await prune(["--all"], { config: cfg })).code).toBe(0);
    });
  });

  it("a member token sees only its own workspaces, and the report says it may be incomplete", async () => {
    const d = await pruneJson(["--all", "--now", "2026-01-05T19:30:00Z"], { token: "kiran-token" });
    expect(names(d)).toEqual(["kiran/k-dev"]);
    expect(d.warnings.join(" ")).toMatch(/the token belongs to kiran, who has no role that can see other users' workspaces/);
    const owner = await pruneJson(["--all", "--now", "2026-01-05T19:30:00Z"]);
    expect(owner.warnings.join(" ")).not.toMatch(/may be incomplete/);
  });
});

describe("prune on an unlicensed deployment", () => {
  let sim: TestSim;
  beforeAll(async () => {
    sim = await startSim(scenario(false));
  });
  afterAll(async () => sim.close());

  it("falls back to the deployment default for every owner, says so, and fetches no per-user quiet hours", async () => {
    const cfg = writeConfig(scratchDir(), {});
    const r = await runCli(["prune", "--url", sim.url, "--config", cfg, "--all", "--now", "2026-01-06T01:00:00Z", "--json"], {
      env: { CODER_SESSION_TOKEN: "admin-token" },
    });
    expect(r.code, r.stderr).toBe(0);
    const d = docSchema.parse(r.json());
    expect(r.stderr).toContain("not licensed");
    expect(d.warnings.join(" ")).toContain("advanced template scheduling is not licensed");
    expect(d.owners.every((o) => o.quiet_hours.source === "deployment-default" && o.quiet_hours.timezone === "UTC")).toBe(true);
    expect(names(d)).toEqual(["alice/a-dev", "carl/c-dev", "dora/d-dev", "kiran/k-dev"]);
    expect((await sim.stats()).requests["GET /api/v2/users/{user}/quiet-hours"] ?? 0).toBe(0);
  });

  it("without the deployment default (member token), the window is prune_workspaces.timezone midnight", async () => {
    const cfg = writeConfig(scratchDir(), { prune_workspaces: { timezone: "Asia/Kolkata" } });
    const r = await runCli(["prune", "--url", sim.url, "--config", cfg, "--now", "2026-01-05T19:00:00Z", "--json"], {
      env: { CODER_SESSION_TOKEN: "kiran-token" },
    });
    expect(r.code, r.stderr).toBe(0);
    const d = docSchema.parse(r.json());
    expect(d.owners).toHaveLength(1);
    expect(d.owners[0]).toMatchObject({ owner: "kiran", in_quiet_hours: true, window_start: "2026-01-05T18:30:00.000Z", window_end: "2026-01-06T02:30:00.000Z" });
    expect(d.owners[0]!.quiet_hours).toMatchObject({ source: "fallback", start_time: "00:00", timezone: "Asia/Kolkata" });
  });

  it("a group filter needs the groups listing (Enterprise): exit 4 with the reason", async () => {
    const cfg = writeConfig(scratchDir(), {});
    const r = await runCli(["prune", "--url", sim.url, "--config", cfg, "--all", "--include-group", "developers"], {
      env: { CODER_SESSION_TOKEN: "admin-token" },
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("group filters need the groups listing");
  });
});
