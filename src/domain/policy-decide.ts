/**
 * One policy resolution for every command that reads quiet hours. Pure: takes the policy set, the
 * workspaces, what their scopes need (groups, owners' quiet hours) and `now`; returns data.
 *
 * - `decidePolicies` resolves each workspace's policy (src/domain/policy/resolve.ts: most specific
 *   scope wins; a tie is a configuration error).
 * - `categorizeByPolicy` is the quiet-hours categorisation under those policies. Workspaces whose
 *   policy is the implicit default (the `quiet_hours` section) are categorised exactly as before
 *   (src/domain/categorize.ts), so a configuration without `policies` gives the same result as
 *   always. A configured policy categorises its workspaces on its own calendar: quiet time (off
 *   working hours, holidays, or the owner's Coder quiet hours) plus its grace, and its idle rule; an
 *   idle workspace whose rule is due is `quiet_hours_stopping` (the "act now" category) with the
 *   idle rule as its reason.
 * - `selectPolicyStops` / `policyWarnings`: what `--execute` stops (policies with action `stop`) and
 *   what it only warns about (action `warn`); action `report` only lists.
 * - `policyStopCause`: when the workspace's policy would next stop it (autostop's prediction).
 */
import { DateTime } from "luxon";
import type { Group, Workspace } from "../coder/schemas.js";
import { effectiveStop } from "./deadlines.js";
import {
  categorize,
  describeExclusion,
  localLabel,
  matchExclusion,
  selectStops,
  span,
  startedAtOf,
  type Categorization,
  type CategorizedWorkspace,
  type ExclusionSet,
  type QuietCategory,
  type StopSelection,
} from "./categorize.js";
import { DEFAULT_SCOPE, deadlineReached, lifecycleGuard, type LifecycleScope } from "./lifecycle.js";
import { graceEnds, idleVerdict, mostRecentQuietInterval, nextQuietInterval, policyZone, quietIntervalAt, type IdleVerdict, type QuietInterval } from "./policy/calendar.js";
import { resolvePolicy, type PolicyResolution } from "./policy/resolve.js";
import { subjectOf } from "./policy/subject.js";
import type { OwnerSchedule, Policy, PolicyAction, PolicyLevel, PolicySet } from "./policy/types.js";

/** What scope matching and owner calendars need besides the workspaces. */
export interface PolicyInputs {
  set: PolicySet;
  /** Every group (only read when a policy's scope names groups). */
  groups: readonly Group[];
  /** Owners' quiet-hours starts by owner name (only for owner_quiet_hours calendars). */
  ownerSchedules: ReadonlyMap<string, OwnerSchedule>;
}

/** True when some configured policy's scope names groups: then the groups must be listed. */
export function policiesNeedGroups(set: PolicySet): boolean {
  return set.policies.some((p) => p.scope.groups.include.length > 0 || p.scope.groups.exclude.length > 0);
}

/** What policy resolution reads of a workspace (full listings and ttl-monitor's summaries both have it). */
export type PolicySubjectSource = Pick<
  Workspace,
  "id" | "organization_id" | "organization_name" | "owner_id" | "owner_name" | "template_id" | "template_name" | "template_display_name"
>;

/** The owners whose resolved policy reads their own Coder quiet hours. */
export function ownersNeedingSchedules(decisions: ReadonlyMap<string, PolicyResolution>, workspaces: readonly PolicySubjectSource[]): string[] {
  const out = new Set<string>();
  for (const ws of workspaces) if (decisions.get(ws.id)?.policy.calendar.kind === "owner_quiet_hours") out.add(ws.owner_name);
  return [...out].sort();
}

/**
 * The policy of every workspace, by workspace id. Without configured policies every workspace gets
 * the implicit default without looking at scopes. Throws PolicyTieError (exit 2) on a tie.
 */
export function decidePolicies(set: PolicySet, groups: readonly Group[], workspaces: readonly PolicySubjectSource[], now: DateTime): Map<string, PolicyResolution> {
  const out = new Map<string, PolicyResolution>();
  if (set.policies.length === 0) {
    const only: PolicyResolution = { policy: set.implicitDefault, level: "default", why: "no policies configured: the quiet_hours section decides", beaten: [] };
    for (const ws of workspaces) out.set(ws.id, only);
    return out;
  }
  for (const ws of workspaces) out.set(ws.id, resolvePolicy(set, subjectOf(ws, groups), now));
  return out;
}

/** A categorised workspace with the policy that decided it. */
export interface PolicyItem extends CategorizedWorkspace {
  resolution: PolicyResolution;
  /** The policy's action: what `--execute` does with it when due. */
  action: PolicyAction;
  /** The quiet interval `now` is in, under a configured policy (null for the implicit default: see the window). */
  interval: QuietInterval | null;
  idle: IdleVerdict | null;
}

export interface PolicyCategorization extends Categorization {
  items: PolicyItem[];
  /** Every workspace's policy, by workspace id. */
  decisions: Map<string, PolicyResolution>;
}

/** An RFC 3339 instant from Coder; null when unset (Coder's zero time "0001-01-01…" included). */
const parseIso = (iso: string | null): DateTime | null => {
  if (!iso || iso.startsWith("0001-")) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : DateTime.fromMillis(ms, { zone: "utc" });
};

/** When the workspace was last used (null: never, or Coder's zero time), for the idle rule. */
export function lastUsedAt(ws: { last_used_at?: string | null | undefined }): DateTime | null {
  return parseIso(ws.last_used_at ?? null);
}

/**
 * The quiet-hours categorisation with each workspace under its own policy. `implicit` workspaces
 * go through `categorize` unchanged; the returned window fields describe the `quiet_hours` window.
 */
export function categorizeByPolicy(
  workspaces: readonly Workspace[],
  inputs: PolicyInputs,
  exclusions: ExclusionSet,
  now: DateTime,
  scope: LifecycleScope = DEFAULT_SCOPE,
  decided?: Map<string, PolicyResolution>,
): PolicyCategorization {
  const decisions = decided ?? decidePolicies(inputs.set, inputs.groups, workspaces, now);
  const implicitWindow = inputs.set.implicitDefault.calendar;
  if (implicitWindow.kind !== "quiet_window") throw new Error("the implicit default policy must use the quiet_hours window");
  const base = categorize(workspaces, implicitWindow.window, exclusions, now, scope);
  const items: PolicyItem[] = base.items.map((item) => {
    const resolution = decisions.get(item.workspace.id)!;
    if (resolution.policy.implicit) return { ...item, resolution, action: "stop", interval: null, idle: null };
    return underPolicy(item.workspace, resolution, inputs, exclusions, now, scope);
  });
  return { ...base, items, decisions };
}

/** One running workspace under a configured policy. */
function underPolicy(ws: Workspace, resolution: PolicyResolution, inputs: PolicyInputs, exclusions: ExclusionSet, now: DateTime, scope: LifecycleScope): PolicyItem {
  const policy = resolution.policy;
  const owner = inputs.ownerSchedules.get(ws.owner_name) ?? null;
  const zone = policyZone(policy, owner);
  const at = (dt: DateTime) => localLabel(dt, zone);
  const nowMs = now.toMillis();
  const startedAt = startedAtOf(ws);
  const deadline = ws.latest_build.deadline;
  const maxDeadline = ws.latest_build.max_deadline;
  const { at: stopsAt, atMs: stopsAtMs } = effectiveStop(ws.latest_build);
  const secondsRemaining = stopsAtMs !== null ? Math.trunc((stopsAtMs - nowMs) / 1000) : null;
  const common = { workspace: ws, startedAt, deadline, maxDeadline, stopsAt, secondsRemaining, resolution, action: policy.action };
  const guard = lifecycleGuard(ws, scope);
  if (guard) return { ...common, dueAt: null, quietDue: false, category: "excluded", reasons: [guard.reason], exclusion: null, guard, interval: null, idle: null };
  // The quiet_hours exclusions protect a workspace whatever policy applies to it.
  const exclusion = matchExclusion(ws, exclusions.active);
  if (exclusion) return { ...common, dueAt: null, quietDue: false, category: "excluded", reasons: [describeExclusion(exclusion)], exclusion, guard: null, interval: null, idle: null };

  const interval = quietIntervalAt(policy, now, owner);
  const due = interval ? graceEnds(policy, interval, startedAt) : null;
  const quietDue = !!due && nowMs >= due.toMillis();
  const idle = idleVerdict(policy, lastUsedAt(ws), now, owner);
  const label = `Policy ${policy.name} (${policy.action})`;
  const holidays = interval && interval.holidays.length > 0 ? ` (holiday ${[...new Set(interval.holidays.map((h) => h.date))].join(", ")})` : "";
  const quietReason = interval && due ? `${label}: quiet since ${at(interval.start)}${holidays}, grace ${quietDue ? "ended" : "until"} ${at(due)}` : "";
  const reasons: string[] = [];
  let category: QuietCategory;
  const expiredBy = (
    [
      ["deadline", parseIso(deadline)],
      ["max_deadline", parseIso(maxDeadline)],
    ] as const
  ).find(([, t]) => t && deadlineReached(t.toMillis(), nowMs));
  if (expiredBy) {
    category = "ttl_expired";
    const [field, t] = expiredBy;
    reasons.push(`TTL expired: ${field} ${at(t!)} passed ${span((nowMs - t!.toMillis()) / 1000)} ago`);
    if (quietReason) reasons.push(quietReason);
    if (idle.due) reasons.push(`${label}: idle rule: ${idle.reason}`);
  } else if (quietDue) {
    category = "quiet_hours_stopping";
    reasons.push(quietReason);
  } else if (idle.due) {
    category = "quiet_hours_stopping";
    reasons.push(`${label}: idle rule: ${idle.reason}`);
  } else if (interval && due) {
    category = "quiet_hours_grace";
    reasons.push(quietReason);
  } else {
    const recent = mostRecentQuietInterval(policy, now, owner);
    if (recent && startedAt && startedAt.toMillis() < recent.end.toMillis()) {
      category = "past_quiet_hours_end";
      reasons.push(`${label}: running since ${at(startedAt)}, through the quiet time that ended ${at(recent.end)}`);
    } else {
      category = "normal_running";
      reasons.push(`${label}: working hours`);
    }
  }
  // The policy acts when its quiet time's grace is over or its idle rule is due.
  const acts = quietDue || idle.due;
  return { ...common, category, reasons, dueAt: idle.due && !quietDue ? idle.idleAt : due, quietDue: acts, exclusion: null, guard: null, interval, idle };
}

/** What `--execute` stops: the quiet-hours selection, only for policies whose action is `stop`. */
export function selectPolicyStops(c: PolicyCategorization, opts: { force: boolean }): StopSelection[] {
  return selectStops(c, opts).filter((s) => (s.item as PolicyItem).action === "stop");
}

/** Workspaces a `warn` policy would stop now: warned about instead of stopped. */
export function policyWarnings(c: PolicyCategorization): PolicyItem[] {
  return selectStops(c, { force: false })
    .map((s) => s.item as PolicyItem)
    .filter((i) => i.action === "warn");
}

/** Where a due workspace's quiet time (or idle rule) began, for "warned once per quiet time". */
export function warnKeyStart(i: PolicyItem): DateTime {
  return i.interval?.start ?? i.idle?.idleAt ?? i.dueAt ?? i.startedAt!;
}

/**
 * When a configured policy would next stop a running workspace (action `stop` only): inside quiet
 * time its due instant (past when overdue, as for the quiet_hours window); otherwise the next quiet
 * time's start + grace; or the idle rule's instant when sooner (when the rule is due now or applies
 * at any time). Null for warn/report policies and excluded workspaces.
 */
export function policyStopCause(item: PolicyItem, inputs: PolicyInputs, now: DateTime): { atMs: number; detail: string } | null {
  const policy = item.resolution.policy;
  if (policy.implicit || policy.action !== "stop" || item.category === "excluded") return null;
  const owner = inputs.ownerSchedules.get(item.workspace.owner_name) ?? null;
  const candidates: { atMs: number; detail: string }[] = [];
  if (item.interval && item.quietDue) {
    const due = graceEnds(policy, item.interval, item.startedAt);
    candidates.push({ atMs: due.toMillis(), detail: `policy ${policy.name}: quiet time start (or its own start) + grace, passed` });
  } else if (item.interval) {
    const due = graceEnds(policy, item.interval, item.startedAt);
    if (due.toMillis() < item.interval.end.toMillis()) candidates.push({ atMs: due.toMillis(), detail: `policy ${policy.name}: quiet time start (or its own start) + grace` });
  } else {
    const next = nextQuietInterval(policy, now, owner);
    if (next) {
      const due = graceEnds(policy, next, null);
      if (due.toMillis() < next.end.toMillis()) candidates.push({ atMs: due.toMillis(), detail: `policy ${policy.name}: next quiet time ${localLabel(next.start, policyZone(policy, owner))} + grace` });
    }
  }
  const idle = item.idle;
  if (idle?.rule && idle.idleAt && (idle.due || policy.idle?.when === "always")) {
    candidates.push({ atMs: idle.idleAt.toMillis(), detail: `policy ${policy.name}: idle rule (${idle.reason})` });
  }
  candidates.sort((a, b) => a.atMs - b.atMs);
  return candidates[0] ?? null;
}

/**
 * Whether a command that stops on other grounds (prune's owner windows) may stop the workspace
 * under its policy: the implicit policy leaves that command's own rules alone; a configured policy
 * must have action `stop` and be in quiet time (or have its idle rule due) at `now`. Returns the
 * reason it may not, or null.
 */
export function policyForbidsStop(r: PolicyResolution, ws: Workspace, inputs: PolicyInputs, now: DateTime): string | null {
  const p = r.policy;
  if (p.implicit) return null;
  if (p.action !== "stop") return `its policy ${p.name} only ${p.action === "warn" ? "warns" : "reports"}`;
  const owner = inputs.ownerSchedules.get(ws.owner_name) ?? null;
  if (quietIntervalAt(p, now, owner)) return null;
  if (idleVerdict(p, lastUsedAt(ws), now, owner).due) return null;
  return `its policy ${p.name} says working time`;
}

/** The `--explain` block: the deciding policy and every policy it beat, with why. */
export function explainPolicy(r: PolicyResolution): { policy: string; level: PolicyLevel; action: PolicyAction; why: string; beaten: { policy: string; level: PolicyLevel; why: string }[] } {
  return {
    policy: r.policy.name,
    level: r.level,
    action: r.policy.action,
    why: r.why,
    beaten: r.beaten.map((b) => ({ policy: b.name, level: b.level, why: b.why })),
  };
}

export type { Policy, PolicyResolution };
