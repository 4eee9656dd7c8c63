import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentSchema, envelopeSchema, errorDocumentSchema } from "../../src/output/schema.js";
import {
  quietHoursDataSchema,
  quietHoursCategorizeDataSchema,
  quietHoursExecuteDataSchema,
  quietHoursReportDataSchema,
} from "../../src/output/schemas/quiet-hours.js";
import { runCli, scratchDir, writeConfig } from "../support/cli.js";
import { startSim, type TestSim } from "../support/sim.js";

const categorizeDoc = envelopeSchema.extend(quietHoursCategorizeDataSchema.shape);
const executeDoc = envelopeSchema.extend(quietHoursExecuteDataSchema.shape);
const reportDoc = envelopeSchema.extend(quietHoursReportDataSchema.shape);
/** The registry's schema (every mode) must accept every mode's document too. */
const anyDoc = envelopeSchema.extend(quietHoursDataSchema.shape).strict();

const POSTS = "POST /api/v2/workspaces/{id}/builds";

/** Monday 2026-01-05 in Europe/London (GMT). Window 18:00–08:00, grace 1 h. */
function londonScenario() {
  return {
    clock: "2026-01-05T19:30:00Z",
    organizations: [{ name: "engineering" }],
    users: [
      { username: "owner", roles: ["owner"], token: "owner-token" },
      { username: "alice", token: "alice-token" },
      { username: "bob", token: "bob-token" },
      { username: "carol", token: "carol-token" },
    ],
    templates: [
      { name: "python-dev", organization: "engineering" },
      { name: "prod", display_name: "Production API", organization: "engineering" },
    ],
    workspaces: [
      { name: "early", owner: "alice", template: "python-dev", started_at: "2026-01-05T07:00:00Z", deadline: null },
      { name: "midday", owner: "alice", template: "python-dev", started_at: "2026-01-05T09:00:00Z", deadline: null },
      { name: "restart", owner: "alice", template: "python-dev", started_at: "2026-01-05T19:10:00Z", deadline: null },
      { name: "expired", owner: "alice", template: "python-dev", started_at: "2026-01-05T09:00:00Z", deadline: "2026-01-05T17:00:00Z" },
      { name: "stale", owner: "alice", template: "python-dev", started_at: "2026-01-05T01:00:00Z", deadline: "2026-01-05T11:00:00Z" },
      { name: "oncall", owner: "bob", template: "python-dev", started_at: "2026-01-05T01:00:00Z", deadline: "2026-01-05T11:00:00Z" },
      { name: "api", owner: "carol", template: "prod", started_at: "2026-01-05T01:00:00Z", deadline: "2026-01-05T11:00:00Z" },
      { name: "keep", owner: "carol", template: "python-dev", started_at: "2026-01-05T01:00:00Z", deadline: "2026-01-05T11:00:00Z" },
      { name: "off", owner: "alice", template: "python-dev", status: "stopped" },
    ],
  };
}

const baseConfig = (dir: string, extra: Record<string, unknown> = {}) => ({
  quiet_hours: {
    start_time: "18:00",
    end_time: "08:00",
    timezone: "Europe/London",
    grace_period_hours: 1,
    excluded_users: [{ name: "bob", reason: "on call" }],
    excluded_templates: ["Production API"],
    excluded_workspaces: ["carol/keep"],
  },
  journal: { path: join(dir, "journal.ndjson") },
  ...extra,
});

type Doc = Record<string, unknown>;
const names = (list: unknown) => (list as { owner: string; name: string }[]).map((w) => `${w.owner}/${w.name}`).sort();

describe("quiet-hours against the simulator (Europe/London 18:00–08:00, grace 1 h)", () => {
  let sim: TestSim;
  let dir: string;
  let config: string;
  const cli = (args: string[], env: Record<string, string> = {}, cfg = config) =>
    runCli(["--url", sim.url, "--config", cfg, ...args], { env: { CODER_SESSION_TOKEN: sim.ownerToken, ...env }, cwd: dir });

  beforeAll(async () => {
    sim = await startSim(londonScenario());
    dir = scratchDir();
    config = writeConfig(dir, baseConfig(dir));
  });
  afterAll(async () => {
    await sim?.close();
  });

  it("18:30: running workspaces are in their grace period, due 19:00", async () => {
    const r = await cli(["quiet-hours", "--categorize", "--json", "--now", "2026-01-05T18:30:00Z"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = categorizeDoc.parse(r.json());
    const grace = doc.categories.quiet_hours_grace.filter((w) => w.name !== "restart"); // (started after this --now)
    expect(grace.map((w) => [w.name, w.due_at])).toEqual([
      ["early", "2026-01-05T19:00:00.000Z"],
      ["midday", "2026-01-05T19:00:00.000Z"],
    ]);
    expect(doc.categories.quiet_hours_stopping).toEqual([]);
    expect(names(doc.categories.ttl_expired)).toEqual(["alice/expired", "alice/stale"]);
    expect(names(doc.categories.excluded)).toEqual(["bob/oncall", "carol/api", "carol/keep"]);
    expect(doc.quiet_hours.active).toBe(true);
  });

  it("19:30: due workspaces are stopping; one started 19:10 is in its own grace until 20:10", async () => {
    const r = await cli(["quiet-hours", "--categorize", "--json", "--now", "2026-01-05T19:30:00Z"]);
    const doc = categorizeDoc.parse(r.json());
    anyDoc.parse(r.json());
    expect(names(doc.categories.quiet_hours_stopping)).toEqual(["alice/early", "alice/midday"]);
    expect(doc.categories.quiet_hours_grace.map((w) => [w.name, w.due_at])).toEqual([["restart", "2026-01-05T20:10:00.000Z"]]);
    expect(doc.categories.excluded.map((w) => w.reasons[0])).toEqual([
      "User excluded (bob): on call",
      "Template excluded (Production API)",
      "Workspace excluded (carol/keep)",
    ]);
  });

  it("12:00: survived the night vs started after it", async () => {
    const r = await cli(["quiet-hours", "--categorize", "--json", "--now", "2026-01-05T12:00:00Z"]);
    const doc = categorizeDoc.parse(r.json());
    expect(names(doc.categories.past_quiet_hours_end)).toEqual(["alice/early"]);
    expect(names(doc.categories.normal_running)).toContain("alice/midday");
    expect(doc.categories.quiet_hours_stopping).toEqual([]);
  });

  it("human categorisation: config/zone line, a summary block with the Python headers, then one table", async () => {
    const r = await cli(["quiet-hours", "--categorize", "--now", "2026-01-05T19:30:00Z"]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toMatch(/^Config: \S+agents_config\.json \(from --config\) · Zone: Europe\/London \(GMT\)$/);
    expect(r.stdout.split("\n")[1]).toBe("WORKSPACE CATEGORIZATION at 2026-01-05 19:30 GMT");
    expect(r.stdout).toContain("🛑 QUIET HOURS - STOPPING NOW (2)");
    expect(r.stdout).toContain("⏰ QUIET HOURS - GRACE PERIOD (1)");
    expect(r.stdout).toContain("💀 TTL EXPIRED - SHOULD HAVE STOPPED (2)");
    expect(r.stdout).toContain("🚫 EXCLUDED FROM QUIET HOURS (3)");
    expect(r.stdout).toMatch(/│ ⏰ grace +│ \S+ +│ 2026-01-05 20:10 GMT \(in 40m\) +│/);
    // The summary comes before the table.
    expect(r.stdout.indexOf("SUMMARY:")).toBeLessThan(r.stdout.indexOf("┌"));
  });

  it("--report is always JSON with the Python keys", async () => {
    const r = await cli(["quiet-hours", "--report", "--now", "2026-01-05T19:30:00Z"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = reportDoc.parse(JSON.parse(r.stdout));
    anyDoc.parse(JSON.parse(r.stdout));
    expect(doc).toMatchObject({
      quiet_hours_active: true,
      grace_period_over: true,
      workspaces_running: 8,
      workspaces_excluded: 3,
      workspaces_to_stop: 4,
      excluded_users: ["bob"],
      action_required: "Stop workspaces now",
      quiet_hours_started: "2026-01-05T18:00:00.000Z",
      grace_period_ends: "2026-01-05T19:00:00.000Z",
    });
    const outside = reportDoc.parse((await cli(["quiet-hours", "--report", "--json", "--now", "2026-01-05T17:15:00Z"])).json());
    expect(outside.action_required).toBe("No action required - outside quiet hours");
    const grace = reportDoc.parse((await cli(["quiet-hours", "--report", "--json", "--now", "2026-01-05T18:15:00Z"])).json());
    expect(grace.action_required).toBe("Stop workspaces in 45m");
  });

  it("--dry-run/--force without --execute are usage errors (exit 2)", async () => {
    const r = await cli(["quiet-hours", "--categorize", "--force", "--dry-run", "--json", "--now", "2026-01-05T19:30:00Z"]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--dry-run, --force only modify --execute, which was not given/);
  });

  it("relative paths in the config file resolve against the file's directory, not the cwd", async () => {
    const confDir = scratchDir();
    const elsewhere = scratchDir();
    const cfg = writeConfig(confDir, { ...baseConfig(confDir), journal: { path: "state/journal.ndjson" } });
    const r = await runCli(["--url", sim.url, "--config", cfg, "quiet-hours", "--execute", "--dry-run", "--now", "2026-01-05T19:30:00Z"], {
      env: { CODER_SESSION_TOKEN: sim.ownerToken },
      cwd: elsewhere,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(confDir, "state", "journal.ndjson"), "utf8")).toContain('"mode":"dry-run"');
    expect(existsSync(join(elsewhere, "state"))).toBe(false);
  });

  it("--enterprise prints the enterprise configuration under command quiet-hours", async () => {
    const r = await cli(["quiet-hours", "--enterprise", "--json", "--now", "2026-01-05T19:30:00Z"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = documentSchema("quiet-hours").parse(r.json()) as Doc;
    expect(doc.command).toBe("quiet-hours");
    expect(doc).toHaveProperty("enterprise_config");
    expect(doc).not.toHaveProperty("categories");
  });

  it("dry runs (--dry-run, config dry_run, DRY_RUN=true) issue no POST", async () => {
    await sim.resetStats();
    const r = await cli(["quiet-hours", "--execute", "--dry-run", "--json", "--now", "2026-01-05T19:30:00Z"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = executeDoc.parse(r.json());
    expect(doc.mode).toBe("dry-run");
    expect(doc.results.map((x) => [x.name, x.outcome])).toEqual([
      ["early", "would-stop"],
      ["expired", "would-stop"],
      ["midday", "would-stop"],
      ["stale", "would-stop"],
    ]);
    const cfgDry = writeConfig(dir, { ...baseConfig(dir), dry_run: true }, "dry.json");
    const r2 = await cli(["quiet-hours", "--execute", "--json", "--now", "2026-01-05T19:30:00Z"], {}, cfgDry);
    expect(executeDoc.parse(r2.json()).mode).toBe("dry-run");
    const r3 = await cli(["quiet-hours", "--execute", "--now", "2026-01-05T19:30:00Z"], { DRY_RUN: "true" });
    expect(r3.stdout).toContain("🧪 [DRY RUN] Would stop 4 workspaces:");
    expect(r3.stdout).toContain("📊 Dry run completed: 4 workspaces would be stopped (nothing was changed)");
    expect((await sim.stats()).requests[POSTS] ?? 0).toBe(0);
  });

  it("a plan over the circuit breaker exits 7 before any POST", async () => {
    await sim.resetStats();
    const r = await cli(["quiet-hours", "--execute", "--max-stops", "3", "--json", "--now", "2026-01-05T19:30:00Z"]);
    expect(r.code).toBe(7);
    const doc = errorDocumentSchema.parse(r.json());
    expect(doc.error.message).toMatch(/circuit breaker.*4 workspaces.*--max-stops 4/);
    expect((await sim.stats()).requests[POSTS] ?? 0).toBe(0);
  });

  it("outside the window TTL-expired workspaces are stopped only with --force; exclusions never", async () => {
    await sim.resetStats();
    const plain = executeDoc.parse((await cli(["quiet-hours", "--execute", "--json", "--now", "2026-01-05T12:00:00Z"])).json());
    expect(plain.results).toEqual([]);
    const r = await cli(["quiet-hours", "--execute", "--force", "--json", "--now", "2026-01-05T12:00:00Z"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = executeDoc.parse(r.json());
    expect(doc.results.map((x) => [x.name, x.outcome])).toEqual([["stale", "stopped"]]);
    expect((await sim.stats()).requests[POSTS]).toBe(1);
    const stale = await sim.workspace("alice/stale");
    expect(stale.builds.at(-1)).toMatchObject({ transition: "stop", reason: "cli" });
  });

  it("--execute stops each selected workspace exactly once; a second run stops none", async () => {
    await sim.resetStats();
    const r = await cli(["quiet-hours", "--execute", "--force", "--json", "--now", "2026-01-05T19:30:00Z"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = executeDoc.parse(r.json());
    anyDoc.parse(r.json());
    expect(doc.mode).toBe("execute");
    expect(doc.results.map((x) => [x.name, x.outcome])).toEqual([
      ["early", "stopped"],
      ["expired", "stopped"],
      ["midday", "stopped"],
    ]);
    expect(doc.summary).toEqual({ planned: 3, succeeded: 3, skipped: 0, failed: 0 });
    expect((await sim.stats()).requests[POSTS]).toBe(3);
    for (const n of ["bob/oncall", "carol/api", "carol/keep", "alice/restart"]) {
      expect((await sim.workspace(n)).builds.every((b) => b.transition === "start")).toBe(true);
    }
    const again = await cli(["quiet-hours", "--execute", "--force", "--json", "--now", "2026-01-05T19:30:00Z"]);
    expect(executeDoc.parse(again.json()).results).toEqual([]);
    expect((await sim.stats()).requests[POSTS]).toBe(3);

    const journal = readFileSync(join(dir, "journal.ndjson"), "utf8");
    expect(journal).not.toContain(sim.ownerToken);
    const recs = journal.trim().split("\n").map((l) => JSON.parse(l) as Doc);
    const mine = recs.filter((x) => x.run_id === doc.run_id);
    // Write-ahead: each stop's intent is journaled before its POST; the outcome names it.
    expect(mine.map((x) => x.type).filter((t) => t !== "intent")).toEqual(["run", "workspace", "workspace", "workspace", "run-end"]);
    const intentIds = mine.filter((x) => x.type === "intent").map((x) => x.intent_id);
    expect(intentIds).toHaveLength(3);
    for (const o of mine.filter((x) => x.type === "workspace")) {
      expect(mine.findIndex((x) => x.type === "intent" && x.intent_id === o.intent_id)).toBeLessThan(mine.indexOf(o));
    }
    expect(mine[0]).toMatchObject({ command: "quiet-hours", mode: "execute", now: "2026-01-05T19:30:00.000Z" });
    expect(mine.filter((x) => x.type === "workspace").every((x) => x.outcome === "stopped" && typeof x.build_id === "string")).toBe(true);
  });
});
