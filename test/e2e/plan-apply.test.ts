/**
 * Plan files and `apply`, in-process through the composition root's `runCli` seam against the
 * simulator on loopback. Every instant is fixed: the policy instant with --now, the wall clock with
 * the injected `clockIso` (a plan's age is measured with it), the simulator's clock by its scenario.
 *
 * Also the executor's shared behaviour across the acting commands: one exit-code rule, the journal
 * opened with an error handler everywhere, the run lock taken once (an unusable state directory is
 * exit 5 for prune as for quiet-hours).
 */
import { lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planSchema, type Plan } from "../../src/domain/plan.js";
import { documentSchema } from "../../src/output/schema.js";
import { applyDataSchema } from "../../src/output/schemas/apply.js";
import { envelopeSchema } from "../../src/output/schema.js";
import { runCli, scratchDir, writeConfig } from "../support/cli.js";
import { startSim, type TestSim } from "../support/sim.js";
import { dueScenario, NOW, POSTS } from "../reliability/support.js";

const applyDoc = envelopeSchema.extend(applyDataSchema.shape);

/** Runs the CLI in-process in `dir` (HOME, XDG dirs, cwd) with the wall clock fixed at `clock`. */
const cli = (sim: TestSim, dir: string, args: string[], o: { clock?: string; env?: Record<string, string>; token?: string } = {}) =>
  runCli(["--url", sim.url, ...args], { cwd: dir, clockIso: o.clock ?? NOW, env: { CODER_SESSION_TOKEN: o.token ?? sim.ownerToken, ...o.env } });

const quietConfig = (dir: string, extra: Record<string, unknown> = {}) => ({
  quiet_hours: { start_time: "18:00", end_time: "08:00", timezone: "Europe/London", grace_period_hours: 1 },
  journal: { path: join(dir, "journal.ndjson") },
  ...extra,
});

/** Alice's four running workspaces, started at different times before and inside the window. */
function londonScenario() {
  return {
    ...dueScenario(0),
    workspaces: [
      { name: "early", owner: "alice", template: "python-dev", started_at: "2026-01-05T07:00:00Z", deadline: null },
      { name: "midday", owner: "alice", template: "python-dev", started_at: "2026-01-05T09:00:00Z", deadline: null },
      { name: "late", owner: "alice", template: "python-dev", started_at: "2026-01-05T10:00:00Z", deadline: null },
      { name: "restart", owner: "alice", template: "python-dev", started_at: "2026-01-05T19:10:00Z", deadline: null },
    ],
  };
}

describe("--plan-out and apply", () => {
  let sim: TestSim;
  let dir: string;
  let cfg: string;
  beforeAll(async () => {
    sim = await startSim(londonScenario());
    dir = scratchDir();
    cfg = writeConfig(dir, quietConfig(dir));
  });
  afterAll(async () => sim.close());

  const readPlan = (p: string): Plan => planSchema.parse(JSON.parse(readFileSync(p, "utf8")));

  it("--plan-out alone writes the plan (0600 in a new 0700 directory, no token) and stops nothing", async () => {
    await sim.resetStats();
    const out = join(dir, "plans", "tonight.json");
    const r = await cli(sim, dir, ["--config", cfg, "--now", NOW, "quiet-hours", "--plan-out", "plans/tonight.json", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = documentSchema("quiet-hours").parse(r.json()) as { mode: string; plan_file: string; plan_id: string; journal_path: string | null; journal_error: string | null };
    expect(doc.mode).toBe("dry-run");
    expect(doc.plan_file).toBe(out);
    expect(doc.journal_error).toBeNull();
    expect((await sim.stats()).requests[POSTS] ?? 0).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(text).not.toContain(sim.ownerToken);
    expect(text).not.toContain("alice-token");
    const plan = readPlan(out);
    expect(plan).toMatchObject({ kind: "coder-agents.plan", version: 1, id: doc.plan_id, command: "quiet-hours", now: "2026-01-05T19:30:00.000Z", created_at: "2026-01-05T19:30:00.000Z" });
    expect(plan.deployment.origin).toBe(new URL(sim.url).origin);
    expect(plan.options).toMatchObject({ transition: "stop", max_stops: null });
    expect(plan.steps.map((s) => `${s.owner}/${s.name}:${s.action}`).sort()).toEqual(["alice/early:stop", "alice/late:stop", "alice/midday:stop"]);
    const midday = plan.steps.find((s) => s.name === "midday")!;
    expect(midday.planned_against).toMatchObject({ status: "running", transition: "start", job_status: "succeeded" });
    expect(midday.reasons.length).toBeGreaterThan(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "plans")).mode & 0o777).toBe(0o700);
  });

  it("a malformed plan is exit 2 with a clear message, before any request", async () => {
    const bad = join(dir, "bad.json");
    const cases: [string, RegExp][] = [
      ["{not json", /not valid JSON/],
      [JSON.stringify({ kind: "something-else", version: 1 }), /kind is "something-else", expected "coder-agents.plan"/],
      [JSON.stringify({ kind: "coder-agents.plan", version: 2 }), /plan version 2 is not supported/],
      [JSON.stringify({ kind: "coder-agents.plan", version: 1, id: "x" }), /not a valid plan \(/],
    ];
    await sim.resetStats();
    for (const [content, message] of cases) {
      writeFileSync(bad, content);
      const r = await cli(sim, dir, ["--config", cfg, "apply", bad]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const missing = await cli(sim, dir, ["--config", cfg, "apply", join(dir, "nope.json")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot be read/);
    expect((await sim.stats()).total).toBe(0);
  });

  it("refuses a plan made for another deployment (exit 2) and one older than the maximum age (exit 7)", async () => {
    const p = join(dir, "plans", "tonight.json");
    const plan = readPlan(p);
    const other = join(dir, "other.json");
    writeFileSync(other, JSON.stringify({ ...plan, deployment: { origin: "https://coder.elsewhere.example" } }));
    await sim.resetStats();
    const wrong = await cli(sim, dir, ["--config", cfg, "apply", other, "--json"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("was made for https://coder.elsewhere.example");
    // 61 minutes later: older than safety.max_plan_age_minutes (60 by default).
    const later = "2026-01-05T20:31:00Z";
    const old = await cli(sim, dir, ["--config", cfg, "apply", p], { clock: later });
    expect(old.code).toBe(7);
    expect(old.stderr).toMatch(/older than 1h .*safety\.max_plan_age_minutes/);
    // --max-age and the config key both move the limit.
    const flag = await cli(sim, dir, ["--config", cfg, "apply", p, "--max-age", "30m", "--dry-run"], { clock: "2026-01-05T20:01:00Z" });
    expect(flag.code).toBe(7);
    expect(flag.stderr).toContain("(--max-age)");
    const lenient = writeConfig(dir, quietConfig(dir, { safety: { max_plan_age_minutes: 120 } }), "lenient.json");
    const ok = await cli(sim, dir, ["--config", lenient, "apply", p, "--dry-run", "--json"], { clock: later });
    expect(ok.code, ok.stderr).toBe(0);
    expect(applyDoc.parse(ok.json()).summary).toMatchObject({ planned: 3, succeeded: 3 });
    expect((await sim.stats()).requests[POSTS] ?? 0).toBe(0);
  });

  it("re-validates a stale plan: a workspace changed since planning is skipped, the others are stopped", async () => {
    const p = join(dir, "plans", "tonight.json");
    // alice stops midday herself after the plan was made.
    const midday = await sim.workspace("alice/midday");
    const res = await sim.api(`/api/v2/workspaces/${midday.id}/builds`, { method: "POST", token: "alice-token", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ transition: "stop" }) });
    expect(res.status).toBe(201);
    await sim.resetStats();
    const r = await cli(sim, dir, ["--config", cfg, "apply", p, "--json"], { clock: "2026-01-05T19:40:00Z" });
    expect(r.code, r.stderr).toBe(0);
    const doc = applyDoc.parse(r.json());
    expect(documentSchema("apply").safeParse(r.json()).success).toBe(true);
    expect(doc.mode).toBe("execute");
    expect(doc.plan_command).toBe("quiet-hours");
    expect(doc.changed_since_planned).toBe(1);
    const byName = Object.fromEntries(doc.results.map((x) => [x.name, x]));
    expect(byName.midday).toMatchObject({ outcome: "skipped" });
    expect(byName.midday!.error).toMatch(/^changed since planned: latest build #\d+ start running → #\d+ stop/);
    expect(byName.early!.outcome).toBe("stopped");
    expect(byName.late!.outcome).toBe("stopped");
    expect(doc.summary).toEqual({ planned: 3, succeeded: 2, skipped: 1, failed: 0 });
    expect((await sim.stats()).requests[POSTS]).toBe(2);
    // The stops are journaled under the planning command, so rollback can undo them.
    const journal = readFileSync(join(dir, "journal.ndjson"), "utf8");
    expect(journal).toContain(`"command":"quiet-hours"`);
    expect(journal).not.toContain(sim.ownerToken);
    // Applying again changes nothing: every step's workspace has moved on.
    const again = await cli(sim, dir, ["--config", cfg, "apply", p, "--json"], { clock: "2026-01-05T19:41:00Z" });
    expect(again.code).toBe(0);
    expect(applyDoc.parse(again.json()).summary).toEqual({ planned: 3, succeeded: 0, skipped: 3, failed: 0 });
  });

  it("--plan-out replaces a symbolic link at the path instead of following it", async () => {
    const target = join(dir, "precious.txt");
    writeFileSync(target, "keep me");
    const link = join(dir, "linked-plan.json");
    symlinkSync(target, link);
    const r = await cli(sim, dir, ["--config", cfg, "--now", NOW, "quiet-hours", "--plan-out", link]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(target, "utf8")).toBe("keep me");
    expect(lstatSync(link).isSymbolicLink()).toBe(false);
    expect(readPlan(link).command).toBe("quiet-hours");
    expect(() => readlinkSync(link)).toThrow();
  });

  it("--plan-out that cannot be written is exit 2 and stops nothing", async () => {
    writeFileSync(join(dir, "a-file"), "x");
    await sim.resetStats();
    const r = await cli(sim, dir, ["--config", cfg, "--now", NOW, "quiet-hours", "--execute", "--plan-out", "a-file/plan.json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--plan-out .*a-file\/plan\.json: the plan could not be written/);
    expect((await sim.stats()).requests[POSTS] ?? 0).toBe(0);
    // A directory (or device, FIFO…) at the path is never replaced.
    mkdirSync(join(dir, "a-dir"));
    const d = await cli(sim, dir, ["--config", cfg, "--now", NOW, "quiet-hours", "--plan-out", "a-dir"]);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/a-dir: not a regular file; refusing to replace it/);
    expect(statSync(join(dir, "a-dir")).isDirectory()).toBe(true);
  });
});

describe("the executor's shared rules across acting commands", () => {
  let sim: TestSim;
  let dir: string;
  beforeAll(async () => {
    sim = await startSim({
      clock: NOW,
      organizations: [{ name: "engineering" }],
      users: [
        { username: "admin", roles: ["owner"], token: "admin-token" },
        { username: "alice", quiet_hours: "CRON_TZ=Europe/London 0 18 * * *" },
      ],
      templates: [{ name: "python-dev", organization: "engineering" }],
      workspaces: [
        { name: "p1", owner: "alice", template: "python-dev", status: "running", started_at: "-2h", deadline: null },
        { name: "overdue", owner: "alice", template: "python-dev", started_at: "-9h", deadline: "-20m", max_deadline: null },
      ],
    });
    dir = scratchDir();
  });
  afterAll(async () => sim.close());

  it("prune --all --cleanup with an unusable state directory exits 5 (journal error reported), like quiet-hours", async () => {
    const plain = join(dir, "plain-file");
    writeFileSync(plain, "not a directory");
    const cfg = writeConfig(dir, {}, "prune.json");
    const r = await cli(sim, dir, ["--config", cfg, "--now", NOW, "prune", "--all", "--cleanup", "--include-template", "python-dev", "--json"], {
      token: "admin-token",
      env: { XDG_STATE_HOME: plain },
    });
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code, r.stderr).toBe(5);
    const doc = documentSchema("prune").parse(r.json()) as { results: { name: string; outcome: string }[]; journal_error: string | null; journal_path: string | null };
    expect(doc.journal_error).toMatch(/ENOTDIR/);
    expect(doc.journal_path).toContain("plain-file");
    expect(doc.results.map((x) => [x.name, x.outcome]).sort()).toEqual([
      ["overdue", "stopped"],
      ["p1", "stopped"],
    ]);
    expect(r.stderr).toContain("journal write failed");
  });

  it("autostop --execute with an unwritable journal reports it, logs the records and exits 5", async () => {
    // The previous test stopped every running workspace: add a new overdue one.
    await sim.addWorkspace({ name: "overdue2", owner: "alice", template: "python-dev", started_at: "-9h", deadline: "-20m", max_deadline: null });
    const cfg = writeConfig(dir, { journal: { path: join(dir, "plain-file", "journal.ndjson") } }, "autostop.json");
    const r = await cli(sim, dir, ["--config", cfg, "--now", NOW, "autostop", "--execute", "--json"], { token: "admin-token" });
    expect(r.code, r.stderr).toBe(5);
    const doc = documentSchema("autostop").parse(r.json()) as { results: { name: string; outcome: string }[]; journal_error: string | null };
    expect(doc.results.map((x) => [x.name, x.outcome])).toEqual([["overdue2", "stopped"]]);
    expect(doc.journal_error).toMatch(/plain-file\/journal\.ndjson/);
    // The lost records are in the error log, not lost silently.
    expect(r.stderr).toContain("journal write failed");
    expect(r.stderr).toMatch(/"outcome":"stopped"/);
  });
});
