/**
 * Coder's own lifecycle rules (its lifecycle executor, `coderd/autobuild/lifecycle_executor.go`,
 * and its prebuild reconciliation loop), as far as they decide whether and when a workspace stops.
 * Pure: `now` and the template's settings are inputs.
 *
 * - Prebuilt workspaces (owned by the prebuilds system user, or `is_prebuild`) are managed by the
 *   reconciliation loop: the lifecycle executor never touches them, and this tool leaves them alone
 *   unless asked to include them.
 * - A dormant workspace is never autostopped (Coder's `isEligibleForAutostop`); it waits for its
 *   scheduled deletion (`deleting_at`).
 * - Task workspaces (`task_id`) are paused by Coder itself (build reason `task_auto_pause`).
 * - The executor evaluates every workspace once per tick, on the minute (`currentTick` is the tick
 *   truncated to the minute; the default poll interval is one minute). A rule "stops when the tick
 *   is not before T" therefore stops at the first whole minute at or after T; a rule that already
 *   holds stops at the next tick.
 * - Besides the deadline, the executor stops a started workspace whose owner is suspended (reason
 *   `autostop`), one idle longer than the template's `time_til_dormant_ms` (marked dormant, reason
 *   `dormancy`), and a failed build older than the template's `failure_ttl_ms` (reason `autostop`).
 * - Activity bump: while the owner is active, Coder keeps moving the deadline to now + the template's
 *   `activity_bump_ms` (default 1 h), capped at max_deadline.
 */
import { parseMs } from "./deadlines.js";

/** The prebuilds system user (`database.PrebuildsSystemUserID`). */
export const PREBUILDS_USER_ID = "c42fdf75-3097-471c-8c33-fb52454d81c0";
export const PREBUILDS_USERNAME = "prebuilds";
/** Coder's default `activity_bump_ms` when the template does not say. */
export const DEFAULT_ACTIVITY_BUMP_MS = 3_600_000;
/** The lifecycle executor's tick (`CODER_AUTOBUILD_POLL_INTERVAL`, default 1 min; ticks are truncated to the minute). */
export const TICK_MS = 60_000;

/** The fields of a workspace these rules read. */
export interface LifecycleWorkspace {
  owner_id: string;
  owner_name: string;
  is_prebuild?: boolean | undefined;
  task_id?: string | null | undefined;
  dormant_at: string | null;
  deleting_at: string | null;
  last_used_at: string | null;
  latest_build: {
    transition: string;
    status: string;
    reason?: string | undefined;
    deadline: string | null;
    max_deadline: string | null;
    job: { status: string; completed_at?: string | null | undefined };
  };
}

export function isPrebuild(ws: Pick<LifecycleWorkspace, "owner_id" | "is_prebuild">): boolean {
  return ws.is_prebuild === true || ws.owner_id === PREBUILDS_USER_ID;
}

export function isTaskWorkspace(ws: Pick<LifecycleWorkspace, "task_id">): boolean {
  return !!ws.task_id;
}

export function isDormant(ws: Pick<LifecycleWorkspace, "dormant_at">): boolean {
  return parseMs(ws.dormant_at) !== null;
}

// ------------------------------------------------------------------------------------------------
// Who may this tool stop?
// ------------------------------------------------------------------------------------------------

export type LifecycleGuardKind = "dormant" | "prebuild" | "task";

export interface LifecycleGuard {
  kind: LifecycleGuardKind;
  reason: string;
}

export interface LifecycleScope {
  /** `--include-prebuilds` / `lifecycle.include_prebuilds`. */
  includePrebuilds: boolean;
  /** `--include-tasks` / `lifecycle.include_task_workspaces`. */
  includeTasks: boolean;
}

export const DEFAULT_SCOPE: LifecycleScope = { includePrebuilds: false, includeTasks: false };

/** "dormant since …; deletion scheduled for …" (ISO instants, as the API gave them). */
export function describeDormancy(ws: Pick<LifecycleWorkspace, "dormant_at" | "deleting_at">): string | null {
  if (!isDormant(ws)) return null;
  return `dormant since ${ws.dormant_at}; ${ws.deleting_at ? `Coder deletes it at ${ws.deleting_at}` : "no deletion scheduled"}`;
}

/**
 * Why this tool must leave a workspace alone, or null when it may act on it. Dormant workspaces
 * always (Coder stopped them itself and will delete them); prebuilt and task workspaces unless the
 * scope includes them.
 */
export function lifecycleGuard(ws: LifecycleWorkspace, scope: LifecycleScope): LifecycleGuard | null {
  if (isDormant(ws)) {
    return { kind: "dormant", reason: `Dormant workspace (${describeDormancy(ws)}): Coder never autostops a dormant workspace, nor does this tool` };
  }
  if (isPrebuild(ws) && !scope.includePrebuilds) {
    return {
      kind: "prebuild",
      reason: "Prebuilt workspace (owner prebuilds): managed by Coder's prebuild reconciliation; include with --include-prebuilds or lifecycle.include_prebuilds",
    };
  }
  if (isTaskWorkspace(ws) && !scope.includeTasks) {
    return {
      kind: "task",
      reason: "Task workspace: Coder pauses it itself (task_auto_pause); include with --include-tasks or lifecycle.include_task_workspaces",
    };
  }
  return null;
}

// ------------------------------------------------------------------------------------------------
// Build reasons
// ------------------------------------------------------------------------------------------------

/** Build reasons of the builds Coder makes by itself. */
export const CODER_REASONS = ["autostart", "autostop", "dormancy", "autodelete", "task_auto_pause"] as const;

/** Who started a build: Coder itself, a CLI (`cli`: this tool or `coder stop`), or a person (dashboard, ssh, IDE…). */
export type BuildOrigin = "coder" | "cli" | "user" | "unknown";

export function buildOrigin(reason: string | undefined | null): BuildOrigin {
  if (!reason) return "unknown";
  if ((CODER_REASONS as readonly string[]).includes(reason)) return "coder";
  if (reason === "cli") return "cli";
  return "user";
}

/** One line for reports: "Coder's lifecycle executor (dormancy)", "a CLI (cli: this tool or coder stop)"… */
export function describeBuildReason(reason: string | undefined | null): string {
  switch (buildOrigin(reason)) {
    case "coder":
      return reason === "task_auto_pause" ? "Coder paused the task (task_auto_pause)" : `Coder's lifecycle executor (${reason})`;
    case "cli":
      return "a CLI (cli: this tool or coder stop)";
    case "user":
      return `the user (${reason})`;
    default:
      return "unknown (no build reason)";
  }
}

// ------------------------------------------------------------------------------------------------
// Ticks
// ------------------------------------------------------------------------------------------------

/** The first tick strictly after `nowMs` (the next whole minute). */
export function nextTick(nowMs: number): number {
  return Math.floor(nowMs / TICK_MS) * TICK_MS + TICK_MS;
}

/** The first tick at which "tick is not before `atMs`" holds: `atMs` rounded up to the minute. */
export function firstTickAtOrAfter(atMs: number): number {
  return Math.ceil(atMs / TICK_MS) * TICK_MS;
}

/** The first tick at which "tick − `fromMs` > `durationMs`" holds. */
export function firstTickBeyond(fromMs: number, durationMs: number): number {
  return Math.floor((fromMs + durationMs) / TICK_MS) * TICK_MS + TICK_MS;
}

/** Coder's rule for a deadline: the executor stops when the tick is not before it (`!tick.Before(deadline)`). */
export function deadlineReached(deadlineMs: number, tickMs: number): boolean {
  return tickMs >= deadlineMs;
}

// ------------------------------------------------------------------------------------------------
// Stops Coder makes besides the deadline
// ------------------------------------------------------------------------------------------------

/** The template settings the executor reads (enterprise only; null when not licensed or unknown). */
export interface TemplateLifecycle {
  timeTilDormantMs: number;
  timeTilDormantAutodeleteMs: number;
  failureTtlMs: number;
  /** null: the template does not say (Coder's default, 1 h, applies). */
  activityBumpMs: number | null;
}

export type LifecycleCause = "suspended-owner" | "failure-ttl" | "dormancy";

export interface LifecycleStop {
  cause: LifecycleCause;
  /** The tick at which Coder stops it (never before the next tick after now). */
  atMs: number;
  /** The build reason Coder records. */
  reason: "autostop" | "dormancy" | "task_auto_pause";
  detail: string;
}

/**
 * The stops Coder's lifecycle executor makes besides the deadline, each at the tick it happens
 * (`isEligibleForAutostop` for a suspended owner, `isEligibleForFailedCleanup`,
 * `isEligibleForDormantStop`). Prebuilt workspaces are not the executor's business; a dormant one
 * is never stopped again. `ownerSuspended` null means unknown (not checked).
 */
export function coderLifecycleStops(
  ws: LifecycleWorkspace,
  opts: { nowMs: number; template: TemplateLifecycle | null; ownerSuspended: boolean | null },
): LifecycleStop[] {
  if (isPrebuild(ws) || isDormant(ws)) return [];
  const b = ws.latest_build;
  const tick = nextTick(opts.nowMs);
  const out: LifecycleStop[] = [];
  const task = isTaskWorkspace(ws);
  const failed = b.job.status === "failed";
  if (opts.ownerSuspended && !failed && b.transition === "start") {
    out.push({
      cause: "suspended-owner",
      atMs: tick,
      reason: task ? "task_auto_pause" : "autostop",
      detail: `the owner ${ws.owner_name} is suspended: Coder stops the workspace at its next tick`,
    });
  }
  const t = opts.template;
  const completed = parseMs(b.job.completed_at ?? null);
  if (t && t.failureTtlMs > 0 && failed && (b.transition === "start" || b.transition === "stop") && completed !== null) {
    out.push({
      cause: "failure-ttl",
      atMs: Math.max(firstTickBeyond(completed, t.failureTtlMs), tick),
      reason: task ? "task_auto_pause" : "autostop",
      detail: `the ${b.transition} build failed at ${new Date(completed).toISOString()}; the template's failure TTL (${t.failureTtlMs / 60_000} min) stops it`,
    });
  }
  const lastUsed = parseMs(ws.last_used_at);
  if (t && t.timeTilDormantMs > 0 && lastUsed !== null && b.transition === "start") {
    out.push({
      cause: "dormancy",
      atMs: Math.max(firstTickBeyond(lastUsed, t.timeTilDormantMs), tick),
      reason: "dormancy",
      detail: `last used ${new Date(lastUsed).toISOString()}; idle longer than the template's time_til_dormant (${t.timeTilDormantMs / 3_600_000} h) it is marked dormant and stopped${t.timeTilDormantAutodeleteMs > 0 ? `, deleted ${t.timeTilDormantAutodeleteMs / 3_600_000} h later` : ""}`,
    });
  }
  return out;
}

/**
 * Whether Coder's executor would autostop the build at `tickMs` (`isEligibleForAutostop`): not a
 * failed job, not dormant, a started build, and the owner suspended or the tick not before the
 * deadline. Prebuilt workspaces are not the executor's business.
 */
export function eligibleForAutostop(ws: LifecycleWorkspace, tickMs: number, ownerSuspended: boolean): boolean {
  if (isPrebuild(ws)) return false;
  const b = ws.latest_build;
  if (b.job.status === "failed" || isDormant(ws) || b.transition !== "start") return false;
  if (ownerSuspended) return true;
  const d = parseMs(b.deadline);
  return d !== null && deadlineReached(d, tickMs);
}

// ------------------------------------------------------------------------------------------------
// Activity bump
// ------------------------------------------------------------------------------------------------

/**
 * How recently a workspace must have been used to count as active (Coder's
 * `autostopReminderActiveThreshold`: agents report stats every few minutes, well within it).
 */
export const ACTIVE_THRESHOLD_MS = 15 * 60_000;

export interface ActivityBump {
  /** Used within {@link ACTIVE_THRESHOLD_MS} on a bumpable build: Coder keeps pushing its deadline. */
  active: boolean;
  bumpMs: number;
  /** Where activity keeps the deadline: now + bump, capped at max_deadline (never earlier than the deadline); null when not active. */
  bumpedDeadlineMs: number | null;
  /** The max_deadline falls within `horizonMs` of now: no bump can carry the stop past it. */
  trappedByMaxDeadline: boolean;
}

/**
 * Is the deadline being kept alive by activity? Coder bumps the deadline of a started build to
 * now + bump on activity, capped at max_deadline (`ActivityBumpWorkspace`), and it does not warn an
 * active owner about an autostop that activity can still push away (`shouldRemindAutostop`: used in
 * the last 15 min, bump enabled, and the max_deadline not within the warning window). Bumping is
 * off when the template's bump is 0 or the build has no deadline. `horizonMs` is the warning window.
 * For a running workspace (a completed start build) only.
 */
export function activityBump(
  ws: { last_used_at: string | null; latest_build: { deadline: string | null; max_deadline: string | null } },
  nowMs: number,
  templateBumpMs: number | null,
  horizonMs: number,
): ActivityBump {
  const bumpMs = templateBumpMs ?? DEFAULT_ACTIVITY_BUMP_MS;
  const lastUsed = parseMs(ws.last_used_at);
  const d = parseMs(ws.latest_build.deadline);
  const m = parseMs(ws.latest_build.max_deadline);
  const trapped = m !== null && m <= nowMs + horizonMs;
  const active =
    bumpMs > 0 && d !== null && lastUsed !== null && nowMs - lastUsed < ACTIVE_THRESHOLD_MS;
  if (!active) return { active: false, bumpMs, bumpedDeadlineMs: null, trappedByMaxDeadline: trapped };
  const target = nowMs + bumpMs;
  const bumped = m !== null ? Math.min(target, m) : target;
  return { active: true, bumpMs, bumpedDeadlineMs: Math.max(bumped, d), trappedByMaxDeadline: trapped };
}

/** The scope of an acting command: the config's `lifecycle.*`, widened by `--include-prebuilds` / `--include-tasks`. */
export function lifecycleScope(
  cfg: { include_prebuilds: boolean; include_task_workspaces: boolean },
  flags: { includePrebuilds?: boolean | undefined; includeTasks?: boolean | undefined } = {},
): LifecycleScope {
  return { includePrebuilds: cfg.include_prebuilds || !!flags.includePrebuilds, includeTasks: cfg.include_task_workspaces || !!flags.includeTasks };
}

/** The lifecycle keys every report adds to a workspace entry. */
export interface LifecycleFields {
  dormant_at: string | null;
  deleting_at: string | null;
  is_prebuild: boolean;
  task_id: string | null;
  /** The latest build's reason, and who made it: `coder` (autostop, dormancy, autodelete, task_auto_pause, autostart), `cli`, `user`. */
  last_build_reason: string | null;
  last_build_by: BuildOrigin;
}

export function lifecycleFields(ws: LifecycleWorkspace): LifecycleFields {
  const reason = ws.latest_build.reason ?? null;
  return {
    dormant_at: ws.dormant_at,
    deleting_at: ws.deleting_at,
    is_prebuild: isPrebuild(ws),
    task_id: ws.task_id ?? null,
    last_build_reason: reason,
    last_build_by: buildOrigin(reason),
  };
}
