/**
 * The pure planners (src/domain): no I/O, no clock — `now`, configuration and a snapshot in,
 * candidates/plan out. Also the plan's own rules (steps, re-validation, origin, age) and the one
 * exit-code rule of the acting commands.
 */
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { planAutostopOverdue } from "../../src/domain/autostop-plan.js";
import { buildPlan, deploymentOrigin, planAgeMinutes, planSchema, stepChanged } from "../../src/domain/plan.js";
import { planPrune, pruneCandidates } from "../../src/domain/prune.js";
import { planRollback, rollbackNeeds, type StopToUndo } from "../../src/domain/rollback.js";
import { quietStartFromSchedule } from "../../src/domain/user-quiet-hours.js";
import { exitCodeForOutcome, ExitCode } from "../../src/errors.js";
import { actingOutcome } from "../../src/exec/executor.js";
import { ws } from "./quiet-fixture.js";

const NOW = DateTime.fromISO("2026-01-05T19:30:00Z", { zone: "utc" });

describe("planAutostopOverdue", () => {
  const fmt = { duration: (s: number) => `${s}s`, instant: (iso: string) => iso };
  it("selects running workspaces beyond the tolerance past Coder's deadline, never an excluded one", () => {
    const nowMs = NOW.toMillis();
    const assessed = [
      { workspace: ws({ id: "late", startedAt: "2026-01-05T09:00:00Z", deadline: "2026-01-05T19:10:00Z" }), exclusion: null },
      { workspace: ws({ id: "within", startedAt: "2026-01-05T09:00:00Z", deadline: "2026-01-05T19:27:00Z" }), exclusion: null },
      { workspace: ws({ id: "excluded", startedAt: "2026-01-05T09:00:00Z", deadline: "2026-01-05T19:00:00Z" }), exclusion: "dormant" },
      { workspace: ws({ id: "stopped", status: "stopped", startedAt: "2026-01-05T09:00:00Z", deadline: "2026-01-05T19:00:00Z" }), exclusion: null },
    ];
    const p = planAutostopOverdue(nowMs, 5, assessed, fmt);
    expect(p.candidates.map((c) => c.workspace.id)).toEqual(["late"]);
    expect(p.candidates[0]!.reasons[0]).toBe("Overdue: still running 1200s past its deadline 2026-01-05T19:10:00.000Z (tolerance 5 min)");
    expect(p.candidates[0]!.evidence).toMatchObject({ overdue_seconds: 1200, source: "deadline" });
    expect(p.excluded.map((e) => [e.ws.id, e.reason])).toEqual([["excluded", "dormant"]]);
  });
});

describe("prune planner", () => {
  it("stops only the running workspaces of owners inside their own window", () => {
    const start = quietStartFromSchedule("CRON_TZ=Europe/London 0 18 * * *", "user")!;
    const running = ws({ id: "r", owner: "alice", startedAt: "2026-01-05T09:00:00Z" });
    const stopped = ws({ id: "s", owner: "alice", status: "stopped", startedAt: "2026-01-05T09:00:00Z" });
    const plan = planPrune([running, stopped], new Map([[running.owner_id, start]]), NOW, 8);
    const c = pruneCandidates(plan);
    expect(c.map((x) => x.workspace.id)).toEqual(["r"]);
    expect(c[0]!.reasons).toEqual(["Pruned during quiet hours (window 18:00–02:00 Europe/London)"]);
    expect(c[0]!.evidence).toMatchObject({ window_start: "2026-01-05T18:00:00.000Z", schedule_source: "user" });
    expect(pruneCandidates(planPrune([running], new Map([[running.owner_id, start]]), DateTime.fromISO("2026-01-05T12:00:00Z", { zone: "utc" }), 8))).toEqual([]);
  });
});

describe("planRollback", () => {
  const stop = (id: string, build: string, at: string): StopToUndo => ({
    run_id: "r1",
    command: "quiet-hours",
    stopped_at: at,
    stop_build_id: build,
    workspace: { id, owner: "alice", name: id, template: "python-dev", organization: "engineering" },
    reasons: [],
  });
  it("starts only workspaces still stopped by this tool's stop; skips undone, deleted and changed ones", () => {
    const stops = [stop("w1", "b1", "2026-01-05T19:00:00Z"), stop("w2", "b2", "2026-01-05T19:01:00Z"), stop("w3", "b3", "2026-01-05T19:02:00Z"), stop("w4", "b4", "2026-01-05T19:03:00Z")];
    const undone = new Map([["b4", "rb0"]]);
    expect(rollbackNeeds(stops, undone)).toEqual(["w1", "w2", "w3"]);
    const stoppedByUs = { ...ws({ id: "w1", status: "stopped", jobStatus: "succeeded", startedAt: "2026-01-05T19:00:00Z", buildId: "b1" }) };
    stoppedByUs.latest_build = { ...stoppedByUs.latest_build, transition: "stop" };
    const restarted = ws({ id: "w2", startedAt: "2026-01-05T19:20:00Z", buildId: "b9" });
    const p = planRollback(stops, undone, { workspaces: [stoppedByUs, restarted], missing: ["w3"] }, (s) => `undo ${s.run_id}`);
    expect(p.candidates.map((c) => [c.workspace.id, c.reasons[0], c.evidence])).toEqual([["w1", "undo r1", { rolled_back_run: "r1", stop_build_id: "b1" }]]);
    expect(p.skipped.map((s) => [s.stop.workspace.id, s.why.split(" (")[0]])).toEqual([
      ["w2", "started since"],
      ["w3", "deleted"],
      ["w4", "already started again by rollback run rb0"],
    ]);
  });
});

describe("the plan", () => {
  const a = ws({ id: "a", name: "dev", startedAt: "2026-01-05T09:00:00Z", buildId: "b-a" });
  const plan = buildPlan({
    id: "p1",
    command: "quiet-hours",
    now: "2026-01-05T19:30:00.000Z",
    createdAt: "2026-01-05T19:31:00.000Z",
    origin: "https://coder.example.com",
    transition: "stop",
    maxStops: null,
    candidates: [{ workspace: a, reasons: ["due"], category: "quiet_hours_stopping" }],
  });

  it("is valid against its schema and records the state it was planned against", () => {
    expect(planSchema.parse(plan)).toEqual(plan);
    expect(plan.steps[0]).toMatchObject({ workspace_id: "a", action: "stop", planned_against: { latest_build_id: "b-a", status: "running", transition: "start", job_status: "succeeded" } });
  });

  it("a step is unchanged only while the latest build, status and job are the same", () => {
    const step = plan.steps[0]!;
    expect(stepChanged(step, a)).toBeNull();
    expect(stepChanged(step, { ...a, latest_build: { ...a.latest_build, id: "b-new", build_number: 2, transition: "stop", status: "stopped" } })).toMatch(/^changed since planned: latest build #1 start running → #2 stop stopped/);
    expect(stepChanged(step, { ...a, latest_build: { ...a.latest_build, job: { ...a.latest_build.job, status: "running" } } })).toMatch(/^changed since planned: build #1 was running \(job succeeded\)/);
  });

  it("names the deployment without credentials, and measures its age from created_at", () => {
    expect(deploymentOrigin("https://user:secret@coder.example.com:8443/base/?token=x#y")).toBe("https://coder.example.com:8443/base");
    expect(deploymentOrigin("http://127.0.0.1:3000/")).toBe("http://127.0.0.1:3000");
    expect(planAgeMinutes(plan, Date.parse("2026-01-05T20:31:00Z"))).toBe(60);
  });
});

describe("actingOutcome: one rule for every acting command", () => {
  const run = (failed: number, journalError: string | null, interrupted: "SIGINT" | "SIGTERM" | null) => ({
    summary: { planned: 2, succeeded: 2 - failed, skipped: 0, failed },
    journal_error: journalError,
    interrupted,
  });
  const failedNote = [{ channel: "slack" as const, kind: "summary" as const, ok: false, target: "x", error: "500" }];
  it.each([
    ["clean", run(0, null, null), [], ExitCode.Ok],
    ["interrupted", run(0, null, "SIGTERM"), [], ExitCode.Sigterm],
    ["interrupted by SIGINT", run(0, null, "SIGINT"), [], ExitCode.Sigint],
    ["a failed stop beats the interruption", run(1, null, "SIGINT"), [], ExitCode.Partial],
    ["a journal error beats the interruption", run(0, "journal x: ENOSPC", "SIGTERM"), [], ExitCode.Partial],
    ["a failed notification", run(0, null, null), failedNote, ExitCode.Partial],
  ] as const)("%s", (_n, r, notes, code) => {
    expect(exitCodeForOutcome(actingOutcome(r, notes))).toBe(code);
  });
});
