/**
 * Coder's own lifecycle rules (src/domain/lifecycle.ts and their use in ttl, categorize,
 * stop-prediction, drift and the owner-schedule fallback). Every table row names the Coder test
 * (coder/coder) whose case it ports.
 */
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { workspaceSchema, type Workspace } from "../../src/coder/schemas.js";
import { categorize, resolveExclusions, selectStops } from "../../src/domain/categorize.js";
import { checkDrift } from "../../src/domain/drift.js";
import {
  DEFAULT_SCOPE,
  PREBUILDS_USER_ID,
  activityBump,
  buildOrigin,
  coderLifecycleStops,
  describeBuildReason,
  eligibleForAutostop,
  firstTickAtOrAfter,
  lifecycleGuard,
  lifecycleScope,
  nextTick,
  type TemplateLifecycle,
} from "../../src/domain/lifecycle.js";
import { policyFromConfig } from "../../src/domain/quiet-window.js";
import { coderStopCauses, earliestCause } from "../../src/domain/stop-prediction.js";
import { classifyTtl, failOnMatched, bucketTtl } from "../../src/domain/ttl.js";
import { ownerScheduleFallback } from "../../src/domain/user-quiet-hours.js";

const NOW = Date.parse("2026-01-05T19:30:20Z"); // a Monday, 20 s past the minute
const at = (offsetSeconds: number) => new Date(NOW + offsetSeconds * 1000).toISOString();
const MIN = 60;
const H = 3600;

interface Spec {
  owner?: string;
  ownerId?: string;
  status?: string;
  transition?: string;
  jobStatus?: string;
  completedAt?: string | null;
  deadline?: string | null;
  maxDeadline?: string | null;
  lastUsedAt?: string | null;
  dormantAt?: string | null;
  deletingAt?: string | null;
  isPrebuild?: boolean;
  taskId?: string | null;
  reason?: string;
}

let seq = 0;
function ws(s: Spec = {}): Workspace {
  seq++;
  const status = s.status ?? "running";
  return workspaceSchema.parse({
    id: `ws-${seq}`,
    created_at: "2026-01-01T00:00:00Z",
    owner_id: s.ownerId ?? `u-${s.owner ?? "alice"}`,
    owner_name: s.owner ?? "alice",
    organization_id: "org-1",
    organization_name: "engineering",
    template_id: "tpl-1",
    template_name: "python-dev",
    name: `dev${seq}`,
    last_used_at: s.lastUsedAt === undefined ? at(-2 * H) : s.lastUsedAt,
    dormant_at: s.dormantAt ?? null,
    deleting_at: s.deletingAt ?? null,
    ...(s.isPrebuild !== undefined ? { is_prebuild: s.isPrebuild } : {}),
    ...(s.taskId !== undefined ? { task_id: s.taskId } : {}),
    latest_build: {
      id: `b-${seq}`,
      created_at: at(-3 * H),
      build_number: 1,
      transition: s.transition ?? "start",
      status,
      reason: s.reason ?? "initiator",
      job: {
        id: `j-${seq}`,
        status: s.jobStatus ?? (status === "failed" ? "failed" : "succeeded"),
        completed_at: s.completedAt === undefined ? at(-3 * H) : s.completedAt,
      },
      deadline: s.deadline === undefined ? at(4 * H) : s.deadline,
      max_deadline: s.maxDeadline === undefined ? null : s.maxDeadline,
    },
  });
}

const tpl = (over: Partial<TemplateLifecycle> = {}): TemplateLifecycle => ({
  timeTilDormantMs: 0,
  timeTilDormantAutodeleteMs: 0,
  failureTtlMs: 0,
  activityBumpMs: null,
  ...over,
});
const TICK = nextTick(NOW); // 19:31:00
const TASK = "7d1e2f3a-1111-4222-8333-944455556666";

describe("ticks: the executor evaluates on the minute", () => {
  it.each([
    // [label, instant, next tick after it, first tick at or after it]
    ["20 s past the minute", "2026-01-05T19:30:20Z", "2026-01-05T19:31:00.000Z", "2026-01-05T19:31:00.000Z"],
    ["exactly on the minute", "2026-01-05T19:30:00Z", "2026-01-05T19:31:00.000Z", "2026-01-05T19:30:00.000Z"],
  ])("%s", (_l, instant, next, first) => {
    expect(new Date(nextTick(Date.parse(instant))).toISOString()).toBe(next);
    expect(new Date(firstTickAtOrAfter(Date.parse(instant))).toISOString()).toBe(first);
  });
});

describe("eligibleForAutostop (Coder's isEligibleForAutostop)", () => {
  it.each([
    // [Coder test, workspace, tick offset from NOW in s, owner suspended, expected]
    ["coderd/autobuild/lifecycle_executor_test.go TestExecutorWorkspaceAutostopBeforeDeadline: tick a minute before the deadline", { deadline: at(60) }, 0, false, false],
    ["coderd/autobuild/lifecycle_executor_test.go TestExecutorAutostopOK: tick after the deadline", { deadline: at(-60) }, 0, false, true],
    ["coderd/autobuild/lifecycle_executor.go isEligibleForAutostop: the tick equal to the deadline stops (!tick.Before(deadline))", { deadline: at(0) }, 0, false, true],
    ["coderd/autobuild/lifecycle_executor_test.go TestExecutorAutostopNotEnabled: no deadline, nothing", { deadline: null }, 0, false, false],
    ["coderd/autobuild/lifecycle_executor_test.go TestExecuteAutostopSuspendedUser: suspended owner, deadline far away", { deadline: at(8 * H) }, 0, true, true],
    ["coderd/autobuild/lifecycle_executor_test.go TestExecutorAutostopAlreadyStopped: a stop build is not stopped again", { transition: "stop", status: "stopped", deadline: at(-60) }, 0, true, false],
    ["enterprise/coderd/workspaces_test.go TestWorkspaceAutobuild/DormantAutostop: a dormant workspace is never autostopped", { dormantAt: at(-60), deadline: at(-60) }, 0, true, false],
    ["coderd/autobuild/lifecycle_executor.go isEligibleForAutostop: a failed job is not autostopped", { status: "failed", deadline: at(-60) }, 0, false, false],
    ["enterprise/coderd/workspaces_test.go TestPrebuildsAutobuild/DefaultTTLOnlyTriggersAfterClaim: a prebuild past its TTL stays", { ownerId: PREBUILDS_USER_ID, owner: "prebuilds", deadline: at(-60) }, 0, false, false],
  ] as const)("%s", (_l, spec, tickOffset, suspended, expected) => {
    expect(eligibleForAutostop(ws(spec as Spec), NOW + tickOffset * 1000, suspended)).toBe(expected);
  });
});

describe("coderLifecycleStops: the executor's stops besides the deadline, at their tick", () => {
  it.each([
    // [Coder test, workspace, template, owner suspended, expected [cause, at, reason][]]
    ["coderd/autobuild/lifecycle_executor_test.go TestExecuteAutostopSuspendedUser", {}, tpl(), true, [["suspended-owner", TICK, "autostop"]]],
    ["enterprise/coderd/workspaces_test.go TestWorkspaceAutobuild/TemplateTTLsUnset: no TTLs, no stops", {}, tpl(), false, []],
    [
      "enterprise/coderd/workspaces_test.go TestWorkspaceAutobuild/FailureTTLOK: failed 2 × the failure TTL ago",
      { status: "failed", completedAt: at(-2 * MIN) },
      tpl({ failureTtlMs: 60_000 }),
      false,
      [["failure-ttl", TICK, "autostop"]],
    ],
    [
      "enterprise/coderd/workspaces_test.go TestWorkspaceAutobuild/FailureTTLTooEarly: predicted at the first tick past completion + TTL",
      { status: "failed", completedAt: at(-20) },
      tpl({ failureTtlMs: 10 * 60_000 }),
      false,
      [["failure-ttl", Date.parse("2026-01-05T19:41:00Z"), "autostop"]],
    ],
    [
      "enterprise/coderd/workspaces_test.go TestWorkspaceAutobuild/DormancyThresholdOK: idle 2 × time_til_dormant",
      { lastUsedAt: at(-2 * MIN) },
      tpl({ timeTilDormantMs: 60_000 }),
      false,
      [["dormancy", TICK, "dormancy"]],
    ],
    [
      "enterprise/coderd/workspaces_test.go TestWorkspaceAutobuild/DormancyThresholdOK: not yet idle long enough (strictly more than the threshold)",
      { lastUsedAt: "2026-01-05T12:00:00Z" },
      tpl({ timeTilDormantMs: 8 * 3_600_000 }),
      false,
      [["dormancy", Date.parse("2026-01-05T20:01:00Z"), "dormancy"]],
    ],
    ["enterprise/coderd/workspaces_test.go TestWorkspaceAutobuild/DormantAutostop: already dormant, nothing more", { dormantAt: at(-H), lastUsedAt: at(-9 * H) }, tpl({ timeTilDormantMs: 60_000 }), true, []],
    [
      "enterprise/coderd/workspaces_test.go TestPrebuildsAutobuild/AutostopScheduleOnlyTriggersAfterClaim: the executor leaves prebuilds alone",
      { isPrebuild: true, lastUsedAt: at(-9 * H) },
      tpl({ timeTilDormantMs: 60_000 }),
      true,
      [],
    ],
    ["coderd/autobuild/lifecycle_executor_internal_test.go TaskWorkspace_Autostop_UsesTaskAutoPause", { taskId: TASK }, tpl(), true, [["suspended-owner", TICK, "task_auto_pause"]]],
    [
      "coderd/autobuild/lifecycle_executor_internal_test.go TaskWorkspace_FailedStop_UsesTaskAutoPause",
      { taskId: TASK, status: "failed", transition: "stop", completedAt: at(-H) },
      tpl({ failureTtlMs: 60_000 }),
      false,
      [["failure-ttl", TICK, "task_auto_pause"]],
    ],
  ] as const)("%s", (_l, spec, template, suspended, expected) => {
    const got = coderLifecycleStops(ws(spec as Spec), { nowMs: NOW, template, ownerSuspended: suspended });
    expect(got.map((s) => [s.cause, s.atMs, s.reason])).toEqual(expected.map((e) => [...e]));
  });

  it("the failure-TTL stop is at the first tick strictly past completion + TTL", () => {
    // completed 19:30:00, TTL 10 min: 19:40:00 is not past it, 19:41:00 is (tick − completed > TTL).
    const s = coderLifecycleStops(ws({ status: "failed", completedAt: "2026-01-05T19:30:00Z" }), { nowMs: NOW, template: tpl({ failureTtlMs: 600_000 }), ownerSuspended: false });
    expect(new Date(s[0]!.atMs).toISOString()).toBe("2026-01-05T19:41:00.000Z");
  });

  it("the earliest of deadline, suspended owner, dormancy wins; ties go to autostop before dormancy (getNextTransition's order)", () => {
    const w = ws({ deadline: at(3 * H), lastUsedAt: at(-2 * H) });
    const causes = coderStopCauses(w, { nowMs: NOW, template: tpl({ timeTilDormantMs: 3_600_000 }), ownerSuspended: true });
    expect(causes.map((c) => c.cause).sort()).toEqual(["dormancy", "suspended-owner", "ttl"]);
    expect(earliestCause(causes)?.cause).toBe("suspended-owner");
  });

  it("dormant and prebuilt workspaces have no Coder stop at all, not even their deadline", () => {
    for (const spec of [{ dormantAt: at(-H), deadline: at(60) }, { isPrebuild: true, deadline: at(60) }]) {
      expect(coderStopCauses(ws(spec), { nowMs: NOW, template: tpl(), ownerSuspended: true })).toEqual([]);
    }
  });
});

describe("lifecycleGuard: what this tool leaves to Coder", () => {
  it.each([
    // [source, workspace, scope, expected kind]
    ["enterprise/coderd/workspaces_test.go TestPrebuildsAutobuild/DefaultTTLOnlyTriggersAfterClaim (owner prebuilds)", { ownerId: PREBUILDS_USER_ID, owner: "prebuilds" }, DEFAULT_SCOPE, "prebuild"],
    ["enterprise/coderd/workspaces_test.go TestPrebuildsAutobuild (is_prebuild)", { isPrebuild: true }, DEFAULT_SCOPE, "prebuild"],
    ["opt-in: --include-prebuilds", { isPrebuild: true }, { includePrebuilds: true, includeTasks: false }, null],
    ["enterprise/coderd/workspaces_test.go TestWorkspaceAutobuild/DormantAutostop: dormant, even with every opt-in", { dormantAt: at(-H) }, { includePrebuilds: true, includeTasks: true }, "dormant"],
    ["coderd/autobuild/lifecycle_executor_test.go (task auto-pause): task workspace", { taskId: TASK }, DEFAULT_SCOPE, "task"],
    ["opt-in: --include-tasks", { taskId: TASK }, { includePrebuilds: false, includeTasks: true }, null],
    ["an ordinary workspace", {}, DEFAULT_SCOPE, null],
  ] as const)("%s", (_l, spec, scope, kind) => {
    expect(lifecycleGuard(ws(spec as Spec), scope)?.kind ?? null).toBe(kind);
  });

  it("the dormant reason names the scheduled deletion", () => {
    const g = lifecycleGuard(ws({ dormantAt: "2026-01-01T00:00:00Z", deletingAt: "2026-01-31T00:00:00Z" }), DEFAULT_SCOPE);
    expect(g?.reason).toMatch(/dormant since 2026-01-01T00:00:00Z; Coder deletes it at 2026-01-31T00:00:00Z/);
  });

  it("lifecycleScope: the config or the flag includes", () => {
    expect(lifecycleScope({ include_prebuilds: false, include_task_workspaces: false }, { includePrebuilds: true })).toEqual({ includePrebuilds: true, includeTasks: false });
    expect(lifecycleScope({ include_prebuilds: false, include_task_workspaces: true })).toEqual({ includePrebuilds: false, includeTasks: true });
  });

  it("quiet hours: prebuilt, dormant and task workspaces are excluded with the reason, and never selected, even with --force", () => {
    const policy = policyFromConfig({ enabled: true, start_time: "18:00", end_time: "08:00", timezone: "UTC", grace_period_hours: 1, days: null });
    const now = DateTime.fromMillis(NOW, { zone: "utc" });
    const ex = resolveExclusions({ excluded_users: [], excluded_templates: [], excluded_workspaces: [] }, now, "UTC");
    const list = [ws({ isPrebuild: true, deadline: at(-60) }), ws({ dormantAt: at(-H) }), ws({ taskId: TASK }), ws({})];
    const c = categorize(list, policy, ex, now);
    expect(c.items.map((i) => [i.category, i.guard?.kind ?? null])).toEqual([
      ["excluded", "prebuild"],
      ["excluded", "dormant"],
      ["excluded", "task"],
      ["quiet_hours_stopping", null],
    ]);
    expect(selectStops(c, { force: true }).map((s) => s.item.workspace.id)).toEqual([list[3]!.id]);
    const opted = categorize(list, policy, ex, now, { includePrebuilds: true, includeTasks: true });
    expect(opted.items.map((i) => i.category)).toEqual(["ttl_expired", "excluded", "quiet_hours_stopping", "quiet_hours_stopping"]);
  });
});

describe("deadline == now: one rule (Coder's: stopped when the tick is not before the deadline)", () => {
  it("ttl-monitor and quiet hours both call it expired", () => {
    const w = ws({ deadline: new Date(NOW).toISOString() });
    expect(classifyTtl(w, NOW, 3600).complianceStatus).toBe("EXPIRED");
    const policy = policyFromConfig({ enabled: true, start_time: "09:00", end_time: "10:00", timezone: "UTC", grace_period_hours: 0, days: null });
    const now = DateTime.fromMillis(NOW, { zone: "utc" });
    const c = categorize([w], policy, { active: [], expired: [] }, now);
    expect(c.items[0]!.category).toBe("ttl_expired");
  });
});

describe("activity bump: an active owner's deadline is not expiring", () => {
  // The deadline Coder bumps to now + activity_bump (capped at max_deadline) while the owner is
  // active; Coder's own autostop reminder skips such a workspace (shouldRemindAutostop).
  it.each([
    // [source, workspace, template bump (null = default 1 h), threshold s, expected status]
    ["coderd/workspacestats/activitybump_test.go Test_ActivityBumpWorkspace: used 2 min ago, deadline in 58 min (just bumped)", { lastUsedAt: at(-2 * MIN), deadline: at(58 * MIN) }, null, H, "BUMPED_BY_ACTIVITY"],
    ["coderd/workspacestats/activitybump_test.go Test_ActivityBumpWorkspace/ManualShutdown: no deadline, nothing to bump", { lastUsedAt: at(-2 * MIN), deadline: null }, null, H, "RUNNING"],
    ["coderd/workspacestats/activitybump_test.go Test_ActivityBumpWorkspace/MaxDeadline: the max_deadline within the threshold traps it", { lastUsedAt: at(-2 * MIN), deadline: at(30 * MIN), maxDeadline: at(30 * MIN) }, null, H, "EXPIRING_SOON"],
    ["coderd/autobuild/lifecycle_executor.go shouldRemindAutostop: not used for 20 min (≥ 15 min) is not active", { lastUsedAt: at(-20 * MIN), deadline: at(40 * MIN) }, null, H, "EXPIRING_SOON"],
    ["coderd/workspacestats/activitybump_test.go Test_ActivityBumpWorkspace: template activity bump 0 disables bumping", { lastUsedAt: at(-2 * MIN), deadline: at(58 * MIN) }, 0, H, "EXPIRING_SOON"],
    ["past its deadline is expired whatever the activity", { lastUsedAt: at(-1 * MIN), deadline: at(-30) }, null, H, "EXPIRED"],
  ] as const)("%s", (_l, spec, bump, threshold, expected) => {
    const r = classifyTtl(ws(spec as Spec), NOW, threshold, { activityBumpMs: bump });
    expect(r.complianceStatus).toBe(expected);
    if (expected === "BUMPED_BY_ACTIVITY") {
      expect(r.bucket).toBe("running");
      expect(r.bumpedDeadline).toBe(new Date(NOW + 3_600_000).toISOString());
    }
  });

  it("the bumped deadline is capped at max_deadline", () => {
    const b = activityBump(ws({ lastUsedAt: at(-MIN), deadline: at(50 * MIN), maxDeadline: at(90 * MIN) }), NOW, 7_200_000, 3_600_000);
    expect(b).toMatchObject({ active: true, bumpMs: 7_200_000, trappedByMaxDeadline: false });
    expect(new Date(b.bumpedDeadlineMs!).toISOString()).toBe(at(90 * MIN));
  });

  it("--fail-on expiring does not trip on an active, bumped workspace, and still trips on an idle one", () => {
    const active = ws({ lastUsedAt: at(-MIN), deadline: at(59 * MIN) });
    const idle = ws({ lastUsedAt: at(-3 * H), deadline: at(59 * MIN) });
    const counts = (list: Workspace[]) => {
      const b = bucketTtl(list, NOW, 3600, () => ({ activityBumpMs: null }));
      return { expired: b.expired.length, expiring_soon: b.expiring_soon.length };
    };
    expect(failOnMatched("expiring", counts([active]))).toBe(false);
    expect(failOnMatched("expiring", counts([active, idle]))).toBe(true);
  });
});

describe("build reasons: Coder's own stops versus this tool's", () => {
  it.each([
    // [Coder's BuildReason (codersdk.BuildReason), origin]
    ["autostop", "coder"],
    ["dormancy", "coder"],
    ["autodelete", "coder"],
    ["task_auto_pause", "coder"],
    ["autostart", "coder"],
    ["cli", "cli"],
    ["dashboard", "user"],
    ["initiator", "user"],
    ["ssh_connection", "user"],
  ])("%s → %s", (reason, origin) => {
    expect(buildOrigin(reason)).toBe(origin);
  });
  it("describes them", () => {
    expect(describeBuildReason("dormancy")).toBe("Coder's lifecycle executor (dormancy)");
    expect(describeBuildReason("task_auto_pause")).toMatch(/Coder paused the task/);
    expect(describeBuildReason("cli")).toMatch(/this tool/);
    expect(describeBuildReason(undefined)).toMatch(/unknown/);
  });
});

describe("drift check: silent on Coder's template-update rule (enterprise updateWorkspaceBuild)", () => {
  // enterprise/coderd/schedule/template_test.go TestTemplateUpdateBuildDeadlines: build at noon UTC,
  // owner's quiet hours midnight UTC, requirement every day; the template is updated at `update`
  // and the build then carries `newMax`. The check runs at the update instant and an hour later.
  const buildTime = "2026-01-05T12:00:00Z";
  const nextQuiet = Date.parse("2026-01-06T00:00:00Z");
  const hours = (h: number) => new Date(nextQuiet + h * 3_600_000).toISOString();
  const base = {
    buildCompletedAt: buildTime,
    requirement: { daysOfWeek: ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"], weeks: 1 },
    quietHoursSchedule: "CRON_TZ=UTC 0 0 * * *",
    leewayHours: 2,
  };
  it.each([
    // [row, template update instant, the max_deadline Coder leaves on the build]
    ["SkippedWorkspaceMaxDeadlineTooSoon", buildTime, "2026-01-05T13:00:00.000Z"],
    ["NewWorkspaceMaxDeadlineBeforeNow", hours(6), hours(8)],
    ["NewWorkspaceMaxDeadlineSoon", hours(-1), hours(1)],
    ["NewWorkspaceMaxDeadlineFuture", hours(-6), hours(0)],
    ["DeadlineAfterNewWorkspaceMaxDeadline", hours(-6), hours(0)],
  ])("TestTemplateUpdateBuildDeadlines/%s is not drift", (_row, update, newMax) => {
    for (const later of [0, 3_600_000]) {
      const r = checkDrift({ ...base, actualMaxDeadline: newMax, nowMs: Date.parse(update) + later });
      expect(r.status).not.toBe("drift");
    }
    // Knowing the template's updated_at narrows the change to it: still silent.
    expect(checkDrift({ ...base, actualMaxDeadline: newMax, nowMs: Date.parse(update) + 3_600_000, templateUpdatedAt: update }).status).not.toBe("drift");
  });

  it("a max_deadline the rule cannot explain is still drift (owner's quiet hours changed after the build)", () => {
    // Built under quiet hours at 03:00 UTC: max_deadline 2026-01-06 03:00; the owner now has midnight.
    const r = checkDrift({ ...base, actualMaxDeadline: "2026-01-06T03:00:00Z", nowMs: Date.parse("2026-01-05T18:00:00Z"), templateUpdatedAt: "2026-01-01T00:00:00Z" });
    expect(r.status).toBe("drift");
    // Without the template's updated_at, a change up to now is possible: 03:00 = now + 2 h is the clamp.
    expect(checkDrift({ ...base, actualMaxDeadline: "2026-01-06T03:00:00Z", nowMs: Date.parse("2026-01-05T18:00:00Z") }).status).toBe("drift");
  });

  it("the clamp case says why it is silent", () => {
    const r = checkDrift({ ...base, actualMaxDeadline: hours(8), nowMs: Date.parse(hours(6)) });
    expect(r).toMatchObject({ status: "ok", expected_max_deadline: hours(8) });
    expect(r.status === "ok" && r.note).toMatch(/template-update rule/);
  });
});

describe("ownerScheduleFallback: one rule for autostop and prune", () => {
  it.each([
    // [case, licensed, deployment default (null: unreadable), expected time, zone, source]
    ["the deployment's default", true, "CRON_TZ=Europe/Paris 30 22 * * *", "22:30", "Europe/Paris", "deployment-default"],
    ["licensed, none configured: Coder's own default (enterprise/coderd/coderd.go updateEntitlements)", true, "", "00:00", "UTC", "deployment-default"],
    ["not licensed, none configured: Coder has no quiet hours, prune_workspaces.timezone midnight", false, "", "00:00", "Asia/Tokyo", "fallback"],
    ["the deployment config unreadable: prune_workspaces.timezone midnight", true, null, "00:00", "Asia/Tokyo", "fallback"],
    ["a default that is not a daily time: prune_workspaces.timezone midnight", true, "CRON_TZ=UTC 0 0,12 * * *", "00:00", "Asia/Tokyo", "fallback"],
  ] as const)("%s", (_l, advanced, def, time, zone, source) => {
    const qs = ownerScheduleFallback({ advanced, deploymentDefault: def, pruneZone: "Asia/Tokyo", why: "quiet hours not readable" });
    expect([qs.time, qs.timezone, qs.source]).toEqual([time, zone, source]);
    expect(qs.note).toMatch(/quiet hours not readable/);
  });
});
