/**
 * `autostop`: which running workspaces will be stopped, when, and why.
 *
 * - `--list-pending` (default): every running workspace with its next stop (`stops_at`), the `cause`
 *   and `seconds_left`, soonest first (`--within` limits it).
 * - `--schedule`: autostart schedule and next start, TTL, deadline, max_deadline, the owner's quiet
 *   hours and the template's autostop requirement.
 * - `--explain OWNER/NAME`: a decision trace, with deadline/max_deadline recomputed by the port of
 *   Coder's CalculateAutostop and the verdict of every command.
 * - `--execute` (`--dry-run`, `--max-stops`): stops, through the stop engine, workspaces still running
 *   more than `autostop.overdue_tolerance_minutes` past Coder's own deadline/max_deadline.
 *
 * Requests: the list and `--execute` need only the paginated `status:running` listing. With
 * `--owner-schedules`, `--schedule` or `--explain` it also reads templates, buildinfo, entitlements
 * and the deployment config once each, and owners' quiet hours (one request per owner, bounded
 * concurrency) unless the deployment does not let users set their own (everyone then has the default).
 */
import { resolve } from "node:path";
import { tableView } from "../cli/context.js";
import { DateTime } from "luxon";
import { renderTable } from "../output/table.js";
import { listSearched } from "./search.js";
import type { AppContext } from "../cli/context.js";
import { advancedSchedulingEnabled, type CoderClient } from "../coder/client.js";
import { mapLimit } from "../util/concurrency.js";
import type { DeploymentConfig, Group, QuietHours, Template, Workspace } from "../coder/schemas.js";
import { CoderApiError, ConfigError, UsageError } from "../errors.js";
import { nextAllowedAutostart } from "../domain/autostart.js";
import { DEFAULT_AUTOSTOP_LEEWAY_HOURS, calculateAutostop, leewayHoursForVersion } from "../domain/autostop-calc.js";
import { matchExclusion, describeExclusion, resolveExclusions, type Categorization, type CategorizedWorkspace } from "../domain/categorize.js";
import { categorizeByPolicy, explainPolicy, policyStopCause, type PolicyInputs, type PolicyItem } from "../domain/policy-decide.js";
import { IMPLICIT_POLICY_NAME } from "../domain/policy/from-config.js";
import { loadPolicies } from "./policy-inputs.js";
import { describeSchedule } from "../domain/cron.js";
import { checkDrift, type DriftCheck } from "../domain/drift.js";
import { dimensionActive, evaluateFilters, mergeFilters, resolveNames, type CompiledFilters } from "../domain/prune-filters.js";
import { describePolicy, nextWindow, policyFromConfig, graceEnd, type QuietPolicy } from "../domain/quiet-window.js";
import {
  beyondTolerance,
  coderStopCauses,
  comparePredictions,
  earliestCause,
  overdue,
  pruneCause,
  type CauseTime,
  type StopCause,
} from "../domain/stop-prediction.js";
import { classifyTtl } from "../domain/ttl.js";
import {
  describeBuildReason,
  describeDormancy,
  lifecycleFields,
  lifecycleGuard,
  lifecycleScope,
  type LifecycleGuard,
  type LifecycleScope,
  type TemplateLifecycle,
} from "../domain/lifecycle.js";
import {
  CODER_DEFAULT_QUIET_HOURS,
  ownerScheduleFallback,
  quietStartFromResponse,
  quietStartFromSchedule,
  quietWindowAt,
  type QuietStart,
} from "../domain/user-quiet-hours.js";
import { planAutostopOverdue } from "../domain/autostop-plan.js";
import { actingOutcome, journalJson, planAndApply } from "../exec/executor.js";
import { planFileLines } from "../output/plan-lines.js";
import { workspaceEntry, type CommandResult, type Mode } from "../output/envelope.js";
import { formatDuration, formatInstant, formatRemaining, formatTtl, isoUtc, zoneAbbrev } from "../output/format.js";
import type { AutostopOptions } from "../cli/register/autostop.js";
import type { DataOf } from "../output/schema.js";
import type { AutostopExecuteData, AutostopExplainData, AutostopListData, AutostopScheduleData } from "../output/schemas/autostop.js";

/** This command's result, typed by its published schema: any of its modes' documents. */
type CmdResult = CommandResult<DataOf<"autostop">>;
export type { AutostopOptions };

/** An owner's quiet-hours schedule as far as this run knows it. */
interface OwnerSchedule {
  /** The schedule Coder uses for max_deadline (null: none, e.g. unlicensed, or unknown). */
  coderSchedule: string | null;
  /** The start `prune` would use (user → deployment default → prune_workspaces.timezone midnight). */
  pruneStart: QuietStart | null;
  response: QuietHours | null;
  /** "fetched", "deployment-default" (custom schedules not allowed), "not-licensed", "not-fetched", "unreadable". */
  source: string;
  note: string | null;
}

interface Deployment {
  version: string;
  leewayHours: number;
  advanced: boolean;
  config: DeploymentConfig | null;
  templates: Map<string, Template>;
  /** Ids of suspended users (Coder stops their workspaces at the next tick); null when not readable. */
  suspended: Set<string> | null;
}

const requirementOf = (t: Template | undefined, d: Deployment) => {
  const r = t?.autostop_requirement;
  if (!d.advanced || !r || r.days_of_week.length === 0) return null;
  return { daysOfWeek: r.days_of_week, weeks: r.weeks };
};

export async function autostopCommand(ctx: AppContext, opts: AutostopOptions): Promise<CmdResult> {
  if (opts.mode === "execute" && !ctx.config.autostop.enabled) {
    throw new ConfigError("autostop.enabled is false in the configuration: autostop --execute refuses to stop anything (set it to true to allow it)");
  }
  if (opts.mode !== "execute" && (opts.dryRun || opts.maxStops !== undefined)) throw new UsageError("--dry-run and --max-stops go with --execute");
  if (opts.mode !== "list" && opts.withinSeconds !== undefined) throw new UsageError("--within limits --list-pending; it does not apply to --schedule, --explain or --execute");
  const client = ctx.client();
  const needOwners = opts.mode === "schedule" || opts.ownerSchedules;
  // The list and --execute rest on the builds' own deadlines and this tool's policy: they read the
  // deployment (version, licence, templates, config) only when owners' schedules are wanted too.
  const needDeployment = needOwners || opts.mode === "explain";
  // Coder's lifecycle rules need the templates (activity bump, failure TTL, dormancy), the licence
  // (those TTLs are enterprise settings) and the suspended users: read once each, in every mode.
  const [deployment, listed] = await Promise.all([loadDeployment(ctx, client, needDeployment), loadWorkspaces(ctx, client, opts)]);
  const scope = lifecycleScope(ctx.config.lifecycle, opts);
  if (opts.mode === "explain") return explain(ctx, client, deployment, listed[0]!, scope);
  const workspaces = opts.mode === "schedule" ? listed : [...listed, ...(await loadFailed(ctx, client, deployment))];
  const owners = needDeployment ? await ownerSchedules(ctx, client, deployment, workspaces, needOwners) : notFetched(workspaces);
  const running = workspaces.filter((w) => w.latest_build.status === "running");
  const failed = workspaces.filter((w) => w.latest_build.status === "failed");
  const assessed = await assessAll(ctx, client, deployment, owners, [...running, ...failed], scope);
  if (opts.mode === "schedule") return scheduleResult(ctx, deployment, owners, running, assessed);
  if (opts.mode === "execute") return execute(ctx, assessed, opts);
  return listResult(ctx, assessed, opts, owners, needOwners);
}

/**
 * The deployment: templates, licence and suspended users always; with `full` also the version
 * (leeway) and the deployment config.
 */
async function loadDeployment(ctx: AppContext, client: CoderClient, full: boolean): Promise<Deployment> {
  const [info, entitlements, templates, config, suspended] = await Promise.all([
    full ? client.buildInfo() : null,
    client.entitlements(),
    client.listTemplates(),
    full
      ? client.deploymentConfig().catch((err: unknown) => {
          if (err instanceof CoderApiError && (err.status === 403 || err.status === 404)) return null;
          throw err;
        })
      : null,
    client.listUsers("status:suspended").then(
      (users) => new Set(users.filter((u) => u.status === "suspended").map((u) => u.id)),
      (err: unknown) => {
        if (err instanceof CoderApiError && (err.status === 403 || err.status === 404)) {
          ctx.logger.warn(`suspended users are not readable (${err.status}): stops of suspended owners' workspaces are not predicted`);
          return null;
        }
        throw err;
      },
    ),
  ]);
  return {
    version: info?.version ?? "",
    leewayHours: info ? leewayHoursForVersion(info.version) : DEFAULT_AUTOSTOP_LEEWAY_HOURS,
    advanced: advancedSchedulingEnabled(entitlements),
    config,
    templates: new Map(templates.map((t) => [t.id, t])),
    suspended,
  };
}

/** The template's lifecycle settings as Coder applies them: the TTLs only with advanced scheduling. */
function templateLifecycle(d: Deployment, templateId: string): TemplateLifecycle | null {
  const t = d.templates.get(templateId);
  if (!t) return null;
  return {
    timeTilDormantMs: d.advanced ? t.time_til_dormant_ms : 0,
    timeTilDormantAutodeleteMs: d.advanced ? t.time_til_dormant_autodelete_ms : 0,
    failureTtlMs: d.advanced ? t.failure_ttl_ms : 0,
    activityBumpMs: t.activity_bump_ms ?? null,
  };
}

/** Failed workspaces, read only when a template's failure TTL makes Coder stop them. */
async function loadFailed(ctx: AppContext, client: CoderClient, d: Deployment): Promise<Workspace[]> {
  if (!d.advanced || ![...d.templates.values()].some((t) => t.failure_ttl_ms > 0)) return [];
  const progress = ctx.progress("listing failed workspaces");
  try {
    return await client.listWorkspaces("status:failed", (n, t) => progress.update(n, t));
  } finally {
    progress.done();
  }
}

async function loadWorkspaces(ctx: AppContext, client: CoderClient, opts: AutostopOptions): Promise<Workspace[]> {
  if (opts.mode === "explain") {
    const m = /^([^/\s]+)\/([^/\s]+)$/.exec(opts.target ?? "");
    if (!m) throw new UsageError(`--explain: expected OWNER/NAME, got "${opts.target ?? ""}"`);
    try {
      return [await client.getWorkspaceByOwnerAndName(m[1]!, m[2]!)];
    } catch (err) {
      if (err instanceof CoderApiError && (err.status === 404 || err.status === 400)) {
        throw new UsageError(`--explain: no workspace ${m[1]}/${m[2]} visible to this token`);
      }
      throw err;
    }
  }
  const progress = ctx.progress("listing running workspaces");
  try {
    return await listSearched(ctx, client, "status:running", (d, t) => progress.update(d, t));
  } finally {
    progress.done();
  }
}

function notFetched(workspaces: readonly Workspace[]): Map<string, OwnerSchedule> {
  const out = new Map<string, OwnerSchedule>();
  for (const w of workspaces) {
    out.set(w.owner_name, { coderSchedule: null, pruneStart: null, response: null, source: "not-fetched", note: null });
  }
  return out;
}

/** Owners' quiet hours: fetched when asked (bounded concurrency), else known only when the deployment forces its default. */
async function ownerSchedules(
  ctx: AppContext,
  client: CoderClient,
  d: Deployment,
  workspaces: readonly Workspace[],
  fetch: boolean,
): Promise<Map<string, OwnerSchedule>> {
  const owners = [...new Set(workspaces.map((w) => w.owner_name))].sort();
  const qhConfig = d.config?.config.user_quiet_hours_schedule;
  // The schedule Coder applies to users without their own (Coder's own default when none is configured).
  const defaultSchedule = qhConfig?.default_schedule || (d.advanced ? CODER_DEFAULT_QUIET_HOURS : "");
  const pruneFallback = (why: string): QuietStart =>
    ownerScheduleFallback({
      advanced: d.advanced,
      deploymentDefault: d.config ? (qhConfig?.default_schedule ?? "") : null,
      pruneZone: ctx.config.prune_workspaces.timezone,
      why,
    });
  const out = new Map<string, OwnerSchedule>();
  if (!d.advanced) {
    // AGPL/unlicensed: Coder sets no max_deadline; prune falls back to the default, then midnight.
    for (const o of owners) out.set(o, { coderSchedule: null, pruneStart: pruneFallback("quiet hours not licensed"), response: null, source: "not-licensed", note: "quiet hours need the advanced_template_scheduling entitlement" });
    return out;
  }
  if (qhConfig && qhConfig.allow_user_custom === false && defaultSchedule) {
    for (const o of owners) {
      out.set(o, { coderSchedule: defaultSchedule, pruneStart: quietStartFromSchedule(defaultSchedule, "deployment-default"), response: null, source: "deployment-default", note: null });
    }
    return out;
  }
  if (!fetch) {
    for (const o of owners) out.set(o, { coderSchedule: null, pruneStart: null, response: null, source: "not-fetched", note: null });
    return out;
  }
  const progress = ctx.progress("reading owners' quiet hours");
  let done = 0;
  try {
    await mapLimit(owners, ctx.config.http.concurrency, async (o) => {
      try {
        const qh = await client.getQuietHours(o);
        out.set(o, { coderSchedule: qh.raw_schedule, pruneStart: quietStartFromResponse(qh) ?? pruneFallback(`unusable schedule ${JSON.stringify(qh.raw_schedule)}`), response: qh, source: "fetched", note: null });
      } catch (err) {
        if (!(err instanceof CoderApiError) || (err.status !== 403 && err.status !== 404)) throw err;
        out.set(o, { coderSchedule: null, pruneStart: pruneFallback(`quiet hours not readable (${err.status})`), response: null, source: "unreadable", note: `quiet hours not readable (${err.status})` });
      }
      progress.update(++done, owners.length);
    });
  } finally {
    progress.done();
  }
  return out;
}

/** One running workspace with its prediction. */
interface Assessed {
  workspace: Workspace;
  causes: CauseTime[];
  next: CauseTime | null;
  drift: DriftCheck | null;
  exclusion: string | null;
  qh: PolicyItem | null;
  pruneVerdict: { keep: boolean; reason: string | null } | null;
  /** Coder's own lifecycle keeps it out of this tool's hands (dormant, prebuilt, task). */
  guard: LifecycleGuard | null;
}

async function assessAll(
  ctx: AppContext,
  client: CoderClient,
  d: Deployment,
  owners: Map<string, OwnerSchedule>,
  running: readonly Workspace[],
  scope: LifecycleScope,
): Promise<Assessed[]> {
  const policy = policyFromConfig(ctx.config.quiet_hours);
  const exclusions = resolveExclusions(ctx.config.quiet_hours, ctx.now, policy.zone);
  for (const w of exclusions.expired) ctx.logger.warn(`exclusion of ${w.kind} "${w.name}" expired on ${w.expires} and is ignored`);
  // Policy scopes and prune's group filters read the same group listing: once.
  let listed: Promise<Group[]> | undefined;
  const listGroups = () => (listed ??= client.listGroups());
  // Owners' schedules this run has read already are not read again for their policies' calendars.
  const knownStarts = new Map<string, QuietStart>();
  for (const [name, o] of owners) {
    const qs = o.source === "fetched" && o.response ? quietStartFromResponse(o.response) : null;
    if (qs) knownStarts.set(name, qs);
  }
  const policies = await loadPolicies(ctx, client, running, { groups: listGroups, knownStarts });
  const cat = categorizeByPolicy(running, policies.inputs, exclusions, ctx.now, scope, policies.decisions);
  const byId = new Map(cat.items.map((i) => [i.workspace.id, i]));
  const filters = await pruneFilters(ctx, owners, listGroups);
  return running.map((ws) => assessOne(ctx, d, owners, policy, cat, byId.get(ws.id) ?? null, filters, ws, scope, policies.inputs));
}

/** The configured prune filters (prune's own merge rules; groups need one listing, only when used). */
async function pruneFilters(ctx: AppContext, owners: Map<string, OwnerSchedule>, listGroups: () => Promise<Group[]>): Promise<CompiledFilters | null> {
  if (!ctx.config.prune_workspaces.enabled) return null;
  if (![...owners.values()].some((o) => o.pruneStart)) return null;
  const merged = mergeFilters(ctx.config.prune_workspaces, { include: {}, exclude: {} });
  const groupMembers = new Map<string, Set<string>>();
  if (dimensionActive(merged, "groups")) {
    const groups: Group[] = await listGroups();
    const r = resolveNames(
      [...merged.include.groups, ...merged.exclude.groups],
      groups.map((g) => ({ id: g.id, names: [g.name, g.display_name, `${g.organization_name}/${g.name}`].filter((n) => n !== "" && n !== "/") })),
    );
    const byId = new Map(groups.map((g) => [g.id, g]));
    for (const [value, ids] of r.ids) {
      const members = new Set<string>();
      for (const id of ids) for (const m of byId.get(id)?.members ?? []) members.add(m.id);
      groupMembers.set(value, members);
    }
  }
  return { merged, groupMembers };
}

function assessOne(
  ctx: AppContext,
  d: Deployment,
  owners: Map<string, OwnerSchedule>,
  policy: QuietPolicy,
  cat: Categorization,
  item: PolicyItem | null,
  filters: CompiledFilters | null,
  ws: Workspace,
  scope: LifecycleScope,
  inputs: PolicyInputs,
): Assessed {
  const nowMs = ctx.now.toMillis();
  const causes = coderStopCauses(ws, {
    nowMs,
    template: templateLifecycle(d, ws.template_id),
    ownerSuspended: d.suspended === null ? null : d.suspended.has(ws.owner_id),
  });
  const guard = lifecycleGuard(ws, scope);
  const exclusion = item?.exclusion ? describeExclusion(item.exclusion) : (guard?.reason ?? null);
  // The workspace's policy: the quiet_hours window as always, or a configured policy's calendar and idle rule.
  const configured = item && !item.resolution.policy.implicit ? policyStopCause(item, inputs, ctx.now) : null;
  const qhCause = item && !item.resolution.policy.implicit ? (configured ? { cause: "quiet-hours-policy" as const, ...configured } : null) : quietHoursCause(policy, cat, item, ctx.now);
  if (qhCause) causes.push(qhCause);
  const owner = owners.get(ws.owner_name);
  let pruneVerdict: Assessed["pruneVerdict"] = null;
  if (filters && owner?.pruneStart && !guard && ws.latest_build.status === "running") {
    pruneVerdict = evaluateFilters(ws, filters);
    if (pruneVerdict.keep) {
      const w = quietWindowAt(owner.pruneStart, ctx.now, ctx.config.prune_workspaces.default_quiet_hours_duration);
      const label = `${owner.pruneStart.time} ${owner.pruneStart.timezone}, ${ctx.config.prune_workspaces.default_quiet_hours_duration}h`;
      causes.push(pruneCause({ startMs: w.start.toMillis(), endMs: w.end.toMillis(), inside: w.inside, nextStartMs: w.nextStart.toMillis() }, label));
    }
  }
  const template = d.templates.get(ws.template_id);
  let drift: DriftCheck | null = null;
  if (d.advanced && owner && owner.source !== "not-fetched") {
    drift = checkDrift({
      buildCompletedAt: ws.latest_build.job.completed_at ?? null,
      actualMaxDeadline: ws.latest_build.max_deadline,
      requirement: requirementOf(template, d),
      quietHoursSchedule: owner.coderSchedule,
      leewayHours: d.leewayHours,
      nowMs,
      templateUpdatedAt: template?.updated_at ?? null,
    });
  }
  return { workspace: ws, causes, next: earliestCause(causes), drift, exclusion, qh: item, pruneVerdict, guard };
}

/**
 * When this tool's quiet-hours agent would stop the workspace: inside a window, its own due time
 * (window start or its start, plus grace); outside, the next window's start plus grace. None when
 * quiet hours are disabled, the workspace is excluded, or the grace outlasts the window.
 */
function quietHoursCause(policy: QuietPolicy, cat: Categorization, item: CategorizedWorkspace | null, now: DateTime): CauseTime | null {
  if (!policy.enabled || !item || item.category === "excluded") return null;
  if (cat.window && item.dueAt) {
    if (item.dueAt.toMillis() >= cat.window.end.toMillis()) return null;
    return { cause: "quiet-hours-policy", atMs: item.dueAt.toMillis(), detail: `quiet hours ${describePolicy(policy)}: due at window start (or its own start) + grace` };
  }
  const next = nextWindow(policy, now);
  if (!next) return null;
  const due = graceEnd(policy, next);
  if (due.toMillis() >= next.end.toMillis()) return null;
  return { cause: "quiet-hours-policy", atMs: due.toMillis(), detail: `next quiet hours ${describePolicy(policy)}: window start + grace` };
}

const iso = (ms: number) => new Date(ms).toISOString();

function pendingEntry(a: Assessed, nowMs: number) {
  const ws = a.workspace;
  return workspaceEntry(ws, {
    policy: a.qh?.resolution.policy.name ?? IMPLICIT_POLICY_NAME,
    policy_action: a.qh?.resolution.policy.action ?? "stop",
    stops_at: a.next ? iso(a.next.atMs) : null,
    cause: (a.next?.cause ?? null) as StopCause | null,
    seconds_left: a.next ? Math.floor((a.next.atMs - nowMs) / 1000) : null,
    cause_detail: a.next?.detail ?? "no deadline and no policy applies: stops only manually",
    stops_only_manually: a.next === null,
    causes: [...a.causes]
      .sort((x, y) => x.atMs - y.atMs)
      .map((c) => ({ cause: c.cause, at: iso(c.atMs), seconds_left: Math.floor((c.atMs - nowMs) / 1000), detail: c.detail })),
    deadline: ws.latest_build.deadline,
    max_deadline: ws.latest_build.max_deadline,
    excluded: a.exclusion,
    drift: a.drift?.status === "drift" ? a.drift.drift : null,
    drift_check: a.drift === null ? ("not-checked" as const) : a.drift.status,
    drift_note: a.drift?.status === "ok" ? (a.drift.note ?? null) : a.drift?.status === "unknown" ? a.drift.reason : null,
    lifecycle_guard: a.guard,
    ...lifecycleFields(ws),
  });
}
type PendingEntry = ReturnType<typeof pendingEntry>;

function listResult(ctx: AppContext, assessed: Assessed[], opts: AutostopOptions, owners: Map<string, OwnerSchedule>, fetched: boolean): CommandResult<AutostopListData> {
  const nowMs = ctx.now.toMillis();
  const sorted = [...assessed].sort((a, b) =>
    comparePredictions(
      { atMs: a.next?.atMs ?? null, owner: a.workspace.owner_name, name: a.workspace.name },
      { atMs: b.next?.atMs ?? null, owner: b.workspace.owner_name, name: b.workspace.name },
    ),
  );
  let entries = sorted.map((a) => pendingEntry(a, nowMs));
  const total = entries.filter((e) => e.status === "running").length;
  const failedListed = entries.length - total;
  if (opts.withinSeconds !== undefined) entries = entries.filter((e) => e.seconds_left !== null && e.seconds_left <= opts.withinSeconds!);
  const sources = new Set([...owners.values()].map((o) => o.source));
  const ownerSource = sources.size === 1 ? [...sources][0]! : sources.size === 0 ? (fetched ? "fetched" : "not-fetched") : "mixed";
  const drifted = entries.filter((e) => e.drift !== null).length;
  const data = {
    within_seconds: opts.withinSeconds ?? null,
    total_running: total,
    /** Failed workspaces listed because a template's failure TTL makes Coder stop them. */
    total_failed: failedListed,
    owner_schedules: ownerSource,
    summary: {
      listed: entries.length,
      by_cause: countBy(entries.map((e) => e.cause ?? "manual")),
      overdue: entries.filter((e) => e.seconds_left !== null && e.seconds_left < 0).length,
      drifted,
    },
    workspaces: entries,
  };
  const zone = ctx.config.quiet_hours.timezone;
  const human = () => {
    const lines = [`⏱️  WORKSPACES PENDING STOP (${entries.length}${opts.withinSeconds !== undefined ? ` within ${formatDuration(opts.withinSeconds)}` : ""} of ${total} running)`, ""];
    if (entries.length > 0) {
      lines.push(
        renderTable(
          ["Workspace", "Template", "Stops at", "Time left", "Cause", "Notes"],
          entries.map((e) => [
            `${e.owner}/${e.name}`,
            e.template,
            e.stops_at ? formatInstant(e.stops_at, zone) : "never (manual)",
            e.seconds_left === null ? "N/A" : e.seconds_left < 0 ? `overdue ${formatDuration(-e.seconds_left)}` : formatDuration(e.seconds_left),
            e.cause ?? "manual only",
            notes(e, zone),
          ]),
          tableView(ctx),
        ),
      );
    } else lines.push("No running workspace matches.");
    if (ownerSource === "not-fetched") {
      lines.push("", "ℹ️  Owners' quiet hours were not read: no prune cause and no drift check. Add --owner-schedules (one request per owner).");
    }
    if (drifted > 0) lines.push("", `⚠️  ${drifted} workspace(s) carry a max_deadline computed from quiet hours their owner has since changed (drift).`);
    return lines.join("\n");
  };
  return { command: "autostop", mode: "report", data, human, outcome: "ok" };
}

function notes(e: PendingEntry, zone: string): string {
  const n: string[] = [];
  if (e.excluded) n.push(e.excluded);
  if (e.drift) n.push(`drift: max_deadline ${formatInstant(e.drift.actual_max_deadline, zone)}, owner's quiet hours now give ${formatInstant(e.drift.expected_max_deadline, zone)}`);
  return n.join("; ");
}

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

// ----------------------------------------------------------------------------------------------
// --schedule
// ----------------------------------------------------------------------------------------------

function scheduleResult(ctx: AppContext, d: Deployment, owners: Map<string, OwnerSchedule>, running: Workspace[], assessed: Assessed[]): CommandResult<AutostopScheduleData> {
  const byId = new Map(assessed.map((a) => [a.workspace.id, a]));
  const zone = ctx.config.quiet_hours.timezone;
  const entries = [...running]
    .sort((a, b) => a.owner_name.localeCompare(b.owner_name) || a.name.localeCompare(b.name))
    .map((ws) => {
      const t = d.templates.get(ws.template_id);
      const o = owners.get(ws.owner_name);
      let nextStart: string | null = null;
      if (ws.autostart_schedule) {
        try {
          const n = nextAllowedAutostart(ctx.now, ws.autostart_schedule, t?.autostart_requirement?.days_of_week ?? null);
          nextStart = n ? isoUtc(n) : null;
        } catch {
          nextStart = null;
        }
      }
      const a = byId.get(ws.id)!;
      return workspaceEntry(ws, {
        autostart_schedule: ws.autostart_schedule,
        autostart_description: safeDescribe(ws.autostart_schedule),
        next_start: nextStart,
        ttl_ms: ws.ttl_ms,
        deadline: ws.latest_build.deadline,
        max_deadline: ws.latest_build.max_deadline,
        owner_quiet_hours: o
          ? { raw_schedule: o.coderSchedule ?? o.response?.raw_schedule ?? null, user_set: o.response?.user_set ?? null, timezone: o.pruneStart?.timezone ?? null, time: o.pruneStart?.time ?? null, source: o.source, note: o.note }
          : null,
        template_autostop_requirement: t?.autostop_requirement && t.autostop_requirement.days_of_week.length > 0 ? { days_of_week: t.autostop_requirement.days_of_week, weeks: t.autostop_requirement.weeks, effective: d.advanced } : null,
        stops_at: a.next ? iso(a.next.atMs) : null,
        cause: a.next?.cause ?? null,
        drift: a.drift?.status === "drift" ? a.drift.drift : null,
      });
    });
  const data = { workspaces: entries, leeway_hours: d.leewayHours, advanced_scheduling: d.advanced };
  const human = () => {
    const lines = [`📅 WORKSPACE SCHEDULES (${entries.length} running)`, ""];
    if (entries.length === 0) return [...lines, "No running workspaces."].join("\n");
    lines.push(
      renderTable(
        ["Workspace", "Autostart", "Next start", "TTL", "Deadline", "Max deadline", "Owner quiet hours", "Autostop requirement"],
        entries.map((e) => [
          `${e.owner}/${e.name}`,
          e.autostart_description ?? "manual",
          formatInstant(e.next_start, zone),
          formatTtl(e.ttl_ms),
          formatInstant(e.deadline, zone),
          formatInstant(e.max_deadline, zone) + (e.drift ? " ⚠️ drift" : ""),
          e.owner_quiet_hours?.time ? `${e.owner_quiet_hours.time} ${e.owner_quiet_hours.timezone}` : e.owner_quiet_hours?.source ?? "unknown",
          e.template_autostop_requirement ? `${e.template_autostop_requirement.days_of_week.join(",")}${e.template_autostop_requirement.weeks > 1 ? ` every ${e.template_autostop_requirement.weeks} weeks` : ""}${e.template_autostop_requirement.effective ? "" : " (not licensed)"}` : "none",
        ]),
        tableView(ctx),
      ),
    );
    return lines.join("\n");
  };
  return { command: "autostop", mode: "report", data, human, outcome: "ok" };
}

function safeDescribe(raw: string | null): string | null {
  if (!raw) return null;
  try {
    return describeSchedule(raw);
  } catch {
    return `invalid: ${raw}`;
  }
}

// ----------------------------------------------------------------------------------------------
// --explain
// ----------------------------------------------------------------------------------------------

interface TraceStep {
  rule: string;
  matched: boolean;
  detail: string;
}

async function explain(ctx: AppContext, client: CoderClient, d: Deployment, ws: Workspace, scope: LifecycleScope): Promise<CommandResult<AutostopExplainData>> {
  const owners = await ownerSchedules(ctx, client, d, [ws], true);
  const owner = owners.get(ws.owner_name)!;
  const running = ws.latest_build.status === "running";
  const [a] = running || ws.latest_build.status === "failed" ? await assessAll(ctx, client, d, owners, [ws], scope) : [null];
  const zone = ctx.config.quiet_hours.timezone;
  const nowMs = ctx.now.toMillis();
  const t = d.templates.get(ws.template_id);
  const trace: TraceStep[] = [];
  const b = ws.latest_build;

  trace.push({ rule: "status", matched: running, detail: `latest build #${b.build_number} (${b.transition}) is ${b.status}${running ? "" : ": nothing is pending, no rule applies"}` });

  // Exclusions (quiet_hours.excluded_*; autostop --execute and quiet-hours honour them).
  const policy = policyFromConfig(ctx.config.quiet_hours);
  const exclusions = resolveExclusions(ctx.config.quiet_hours, ctx.now, policy.zone);
  const ex = matchExclusion(ws, exclusions.active);
  trace.push({ rule: "exclusions", matched: !!ex, detail: ex ? describeExclusion(ex) : "no user, template or workspace exclusion matches" });

  // Coder's own lifecycle: who made the last build, dormancy, prebuilds, tasks, and the executor's other stops.
  const life = lifecycleFields(ws);
  const guard = lifecycleGuard(ws, scope);
  const ownerSuspended = d.suspended === null ? null : d.suspended.has(ws.owner_id);
  const lifecycleCauses = (a?.causes ?? []).filter((c) => c.cause === "suspended-owner" || c.cause === "failure-ttl" || c.cause === "dormancy");
  trace.push({ rule: "last build", matched: life.last_build_by === "coder", detail: `#${b.build_number} ${b.transition} by ${describeBuildReason(life.last_build_reason)}` });
  trace.push({
    rule: "Coder lifecycle",
    matched: lifecycleCauses.length > 0 || guard !== null,
    detail: [
      describeDormancy(ws) ?? "not dormant",
      life.is_prebuild ? "prebuilt workspace (Coder's reconciliation loop manages it; the lifecycle executor does not)" : null,
      life.task_id ? `task workspace (task ${life.task_id}; Coder pauses it with task_auto_pause)` : null,
      ownerSuspended === null ? "owner status not readable" : ownerSuspended ? `owner ${ws.owner_name} is suspended` : "owner active",
      ...lifecycleCauses.map((c) => `${c.cause} at ${formatInstant(iso(c.atMs), zone)}: ${c.detail}`),
      guard ? `this tool leaves it alone: ${guard.reason}` : null,
    ]
      .filter((x): x is string => x !== null)
      .join("; "),
  });

  // Coder's deadline / max_deadline, recomputed at the build's completion.
  const completed = b.job.completed_at ?? null;
  const requirement = requirementOf(t, d);
  let recomputed: { deadline: string | null; maxDeadline: string | null } | null = null;
  let recomputeError: string | null = null;
  if (completed) {
    try {
      recomputed = calculateAutostop({
        now: completed,
        templateAllowUserAutostop: t?.allow_user_autostop ?? true,
        templateDefaultTtlMs: t?.default_ttl_ms ?? 0,
        workspaceTtlMs: ws.ttl_ms,
        autostopRequirement: requirement,
        userQuietHoursSchedule: d.advanced ? owner.coderSchedule : null,
        workspaceAutostartSchedule: ws.autostart_schedule,
        templateAutostartDays: t?.autostart_requirement?.days_of_week ?? null,
        leewayHours: d.leewayHours,
      });
    } catch (err) {
      recomputeError = (err as Error).message;
    }
  }
  const deadlineSource = describeDeadlineSource(ws, t, recomputed, recomputeError, completed, zone);
  trace.push({ rule: "ttl (Coder deadline)", matched: !!b.deadline, detail: deadlineSource });
  const maxSource = describeMaxSource(ws, t, d, owner, requirement, recomputed, zone);
  trace.push({ rule: "autostop requirement (Coder max_deadline)", matched: !!b.max_deadline, detail: maxSource });
  if (a?.drift) {
    trace.push({
      rule: "drift check",
      matched: a.drift.status === "drift",
      detail:
        a.drift.status === "drift"
          ? `the build carries max_deadline ${formatInstant(a.drift.drift.actual_max_deadline, zone)}, but the owner's current quiet hours give ${formatInstant(a.drift.drift.expected_max_deadline, zone)} (Coder computes it once per build; the next build will use the new schedule)`
          : a.drift.status === "ok"
            ? a.drift.expected_max_deadline === null
              ? "no autostop requirement applies: no max_deadline expected, none carried"
              : "max_deadline matches the owner's current quiet hours"
            : `not checked: ${a.drift.reason}`,
    });
  }

  // Owner's quiet hours and prune window.
  const dur = ctx.config.prune_workspaces.default_quiet_hours_duration;
  let ownerWindow: AutostopExplainData["owner_quiet_hours"] = null;
  if (owner.pruneStart) {
    const w = quietWindowAt(owner.pruneStart, ctx.now, dur);
    const tz = owner.pruneStart.timezone;
    const shift = w.start.offset !== w.end.offset ? ` (DST shift inside the window: ${w.start.toFormat("ZZ")} → ${w.end.toFormat("ZZ")})` : w.start.offset !== w.nextStart.offset ? ` (DST shift before the next window: ${w.start.toFormat("ZZ")} → ${w.nextStart.toFormat("ZZ")})` : "";
    ownerWindow = {
      time: owner.pruneStart.time,
      timezone: tz,
      source: owner.pruneStart.source,
      raw_schedule: owner.pruneStart.raw_schedule,
      window_start: isoUtc(w.start),
      window_end: isoUtc(w.end),
      inside: w.inside,
      next_start: isoUtc(w.nextStart),
      dst_shift: shift !== "",
    };
    trace.push({
      rule: "owner's quiet hours",
      matched: w.inside,
      detail: `${owner.pruneStart.time} ${tz} (${owner.pruneStart.source}); prune window ${w.start.toFormat("yyyy-MM-dd HH:mm")} ${zoneAbbrev(w.start)} – ${w.end.toFormat("HH:mm")} ${zoneAbbrev(w.end)} (${dur}h)${shift}; now ${w.inside ? "inside" : "outside"}`,
    });
  } else {
    trace.push({ rule: "owner's quiet hours", matched: false, detail: owner.note ?? "unknown" });
  }

  // Verdicts.
  const ttl = classifyTtl(ws, nowMs, Math.round(ctx.config.ttl_monitor.warning_threshold_hours * 3600), t ? { activityBumpMs: t.activity_bump_ms ?? null } : undefined);
  const qh = a?.qh ?? null;
  const od = overdue(b, nowMs);
  const tolerance = ctx.config.autostop.overdue_tolerance_minutes;
  const wouldExecute = running && !ex && !guard && beyondTolerance(od, tolerance);
  const graceLeft = qh?.dueAt ? Math.floor((qh.dueAt.toMillis() - nowMs) / 1000) : null;
  // Named when policies are configured (without them the quiet_hours section decides for everyone).
  const decided = qh && ctx.config.policies.length > 0 ? explainPolicy(qh.resolution) : null;
  if (decided) {
    trace.push({
      rule: "policy",
      matched: true,
      detail: `${decided.policy} (${decided.level}, action ${decided.action}) decides: ${decided.why}${decided.beaten.length ? `; beat ${decided.beaten.map((x) => `${x.policy} (${x.level}: ${x.why})`).join(", ")}` : ""}`,
    });
  }
  if (qh) {
    trace.push({
      rule: "quiet-hours policy",
      matched: qh.category === "quiet_hours_stopping" || qh.quietDue,
      detail: `${qh.resolution.policy.implicit ? describePolicy(policy) : `policy ${qh.resolution.policy.name}`}: ${qh.category} — ${qh.reasons.join("; ")}${graceLeft !== null ? `; grace ${graceLeft > 0 ? `left ${formatDuration(graceLeft)}` : "over"}` : ""}`,
    });
  }
  const verdicts = {
    "quiet-hours": qh
      ? { category: qh.category, reasons: qh.reasons, due_at: qh.dueAt ? isoUtc(qh.dueAt) : null, grace_seconds_left: graceLeft }
      : { category: running ? "unknown" : "not-running", reasons: [], due_at: null, grace_seconds_left: null },
    "ttl-monitor": { compliance_status: ttl.complianceStatus, seconds_remaining: ttl.secondsRemaining, stops_only_manually: ttl.stopsOnlyManually },
    prune: {
      in_window: ownerWindow?.inside ?? null,
      filter: a?.pruneVerdict ?? null,
      would_stop_now: !!ownerWindow?.inside && running && (a?.pruneVerdict?.keep ?? true) && ctx.config.prune_workspaces.enabled,
    },
    autostop: {
      cause: a?.next?.cause ?? null,
      stops_at: a?.next ? iso(a.next.atMs) : null,
      seconds_left: a?.next ? Math.floor((a.next.atMs - nowMs) / 1000) : null,
      overdue_seconds: od?.overdueSeconds ?? null,
      would_execute_stop: wouldExecute,
    },
  };
  trace.push({ rule: "ttl-monitor", matched: ttl.bucket === "expired" || ttl.bucket === "expiring_soon", detail: `${ttl.complianceStatus}${ttl.secondsRemaining !== null ? ` (${formatRemaining(ttl.secondsRemaining)})` : ""}${ttl.stopsOnlyManually ? " — stops only manually" : ""}` });
  trace.push({
    rule: "autostop --execute",
    matched: wouldExecute,
    detail: od
      ? `${formatDuration(od.overdueSeconds)} past its ${od.source}; tolerance ${tolerance} min → ${wouldExecute ? "would be stopped" : ex ? "excluded" : guard ? `left alone (${guard.kind})` : "left to Coder"}`
      : "not past its deadline or max_deadline",
  });
  const pending = a ? pendingEntry(a, nowMs) : null;
  const entry = pending ?? workspaceEntry(ws, { stops_at: null, cause: null, seconds_left: null, deadline: b.deadline, max_deadline: b.max_deadline });
  const data = {
    workspace: entry,
    workspaces: pending ? [pending] : [],
    trace,
    coder: {
      server_version: d.version,
      leeway_hours: d.leewayHours,
      advanced_scheduling: d.advanced,
      build_completed_at: completed,
      deadline: b.deadline,
      max_deadline: b.max_deadline,
      recomputed_deadline: recomputed?.deadline ?? null,
      recomputed_max_deadline: recomputed?.maxDeadline ?? null,
      recompute_error: recomputeError,
      deadline_source: deadlineSource,
      max_deadline_source: maxSource,
    },
    owner_quiet_hours: ownerWindow,
    lifecycle: {
      ...life,
      last_build_description: describeBuildReason(life.last_build_reason),
      owner_suspended: ownerSuspended,
      guard,
      coder_stops: lifecycleCauses.map((c) => ({ cause: c.cause, at: iso(c.atMs), seconds_left: Math.floor((c.atMs - nowMs) / 1000), detail: c.detail })),
    },
    drift: a?.drift?.status === "drift" ? a.drift.drift : null,
    verdicts,
    ...(decided ? { policy: decided } : {}),
  };
  const human = () => {
    const lines = [`🔎 EXPLAIN ${ws.owner_name}/${ws.name} (template ${ws.template_name}, ${ws.organization_name})`, `Evaluated at ${formatInstant(isoUtc(ctx.now), zone)}`, ""];
    for (const s of trace) lines.push(`${s.matched ? "✔" : "·"} ${s.rule}: ${s.detail}`);
    lines.push("", "VERDICTS:");
    if (decided) lines.push(`  policy:       ${decided.policy} (${decided.level}, ${decided.action})`);
    lines.push(`  quiet-hours:  ${verdicts["quiet-hours"].category}`);
    lines.push(`  ttl-monitor:  ${verdicts["ttl-monitor"].compliance_status}`);
    lines.push(`  prune:        ${verdicts.prune.in_window === null ? "owner's window unknown" : verdicts.prune.in_window ? "inside the owner's window" : "outside the owner's window"}${verdicts.prune.filter && !verdicts.prune.filter.keep ? ` (${verdicts.prune.filter.reason})` : ""}`);
    lines.push(
      `  autostop:     ${verdicts.autostop.cause ? `${verdicts.autostop.cause} at ${formatInstant(verdicts.autostop.stops_at, zone)} (${formatRemaining(verdicts.autostop.seconds_left)})` : running ? "stops only manually" : "not running"}${wouldExecute ? "; --execute would stop it" : ""}`,
    );
    return lines.join("\n");
  };
  return { command: "autostop", mode: "report", data, human, outcome: "ok" };
}

function describeDeadlineSource(
  ws: Workspace,
  t: Template | undefined,
  recomputed: { deadline: string | null; maxDeadline: string | null } | null,
  error: string | null,
  completed: string | null,
  zone: string,
): string {
  const b = ws.latest_build;
  const ttlText = t && !t.allow_user_autostop ? `template default TTL ${formatTtl(t.default_ttl_ms)} (users may not set their own)` : `workspace TTL ${formatTtl(ws.ttl_ms)}`;
  if (!b.deadline) return `no deadline: ${ws.ttl_ms ? "unset on this build" : "the workspace has no TTL"} — Coder will not stop it on a timer`;
  if (!completed) return `deadline ${formatInstant(b.deadline, zone)}; the build has no completion time to recompute from`;
  if (error) return `deadline ${formatInstant(b.deadline, zone)}; recomputation failed: ${error}`;
  const base = `build completed ${formatInstant(completed, zone)} + ${ttlText}${ws.autostart_schedule ? ", adjusted for the autostart schedule" : ""}`;
  const r = recomputed?.deadline ?? null;
  if (r === null) return `deadline ${formatInstant(b.deadline, zone)}; the recomputation gives none (TTL changed since the build?)`;
  const diff = Date.parse(b.deadline) - Date.parse(r);
  if (Math.abs(diff) <= 60_000) {
    return `${base} = ${formatInstant(b.deadline, zone)}${b.max_deadline && Date.parse(b.deadline) >= Date.parse(b.max_deadline) ? " (capped at max_deadline)" : ""}`;
  }
  if (diff > 0) return `${base} = ${formatInstant(r, zone)}, extended to ${formatInstant(b.deadline, zone)} by activity (activity bump ${formatTtl(t?.activity_bump_ms)}) or a manual extension`;
  return `${base} = ${formatInstant(r, zone)}; the build carries the earlier ${formatInstant(b.deadline, zone)} (TTL or schedule changed since the build)`;
}

function describeMaxSource(
  ws: Workspace,
  t: Template | undefined,
  d: Deployment,
  owner: OwnerSchedule,
  requirement: { daysOfWeek: string[]; weeks: number } | null,
  recomputed: { deadline: string | null; maxDeadline: string | null } | null,
  zone: string,
): string {
  const b = ws.latest_build;
  if (!d.advanced) return `advanced template scheduling is not licensed: Coder sets no max_deadline${b.max_deadline ? ` (yet the build has ${formatInstant(b.max_deadline, zone)})` : ""}`;
  if (!requirement) return `template ${t?.name ?? ws.template_name} has no autostop requirement${b.max_deadline ? `; the build's max_deadline ${formatInstant(b.max_deadline, zone)} comes from an older setting` : ""}`;
  const req = `template requirement: stop on ${requirement.daysOfWeek.join(", ")}${requirement.weeks > 1 ? ` every ${requirement.weeks} weeks` : ""}, at the owner's quiet hours (${owner.coderSchedule ?? "unknown"}), at least ${d.leewayHours}h after the build`;
  return `${req}; build carries ${formatInstant(b.max_deadline, zone)}; recomputed with today's schedule: ${formatInstant(recomputed?.maxDeadline ?? null, zone)}`;
}

// ----------------------------------------------------------------------------------------------
// --execute
// ----------------------------------------------------------------------------------------------

async function execute(ctx: AppContext, assessed: Assessed[], opts: AutostopOptions): Promise<CommandResult<AutostopExecuteData>> {
  const nowMs = ctx.now.toMillis();
  const tolerance = ctx.config.autostop.overdue_tolerance_minutes;
  const dry = opts.dryRun || ctx.config.dry_run;
  const zone = ctx.config.quiet_hours.timezone;
  const planned = planAutostopOverdue(nowMs, tolerance, assessed, { duration: formatDuration, instant: (at) => formatInstant(at, zone) });
  const { candidates } = planned;
  const excluded = planned.excluded.map((e) => ({ entry: workspaceEntry(e.ws), reason: e.reason }));
  const { run, plan, planFile } = await planAndApply(ctx, {
    command: "autostop",
    transition: "stop",
    candidates,
    execute: !dry,
    maxStops: opts.maxStops,
    planOut: opts.planOut === undefined ? undefined : resolve(ctx.cwd, opts.planOut),
  });
  const mode: Mode = dry ? "dry-run" : "execute";
  const data = {
    tolerance_minutes: tolerance,
    run_id: run.run_id,
    workspaces: planned.overdue.map((p) => workspaceEntry(p.ws, {
      stops_at: iso(p.stopsAtMs),
      cause: (p.source === "deadline" ? "ttl" : "autostop-requirement") as StopCause,
      seconds_left: Math.floor((p.stopsAtMs - nowMs) / 1000),
    })),
    excluded: excluded.map((e) => ({ ...e.entry, reason: e.reason })),
    results: run.results,
    summary: run.summary,
    interrupted: run.interrupted,
    ...journalJson(run),
    notifications: run.notifications,
    plan_id: plan.id,
    plan_file: planFile,
  };
  const human = () => {
    const lines = [`🛑 AUTOSTOP - OVERDUE WORKSPACES (${candidates.length}; more than ${tolerance} min past Coder's deadline)`];
    if (dry) lines.push("🧪 [DRY RUN] nothing is stopped");
    for (const r of run.results) {
      lines.push(`  ${r.outcome === "stopped" ? "✅" : r.outcome === "would-stop" ? "🧪" : r.outcome === "failed" ? "❌" : "⏭️ "} ${r.owner}/${r.name}: ${r.outcome}${r.error ? ` (${r.error})` : ""}`);
      for (const reason of r.reasons) lines.push(`      Reason: ${reason}`);
    }
    for (const e of excluded) lines.push(`  🚫 ${e.entry.owner}/${e.entry.name}: overdue but excluded (${e.reason})`);
    if (candidates.length === 0) lines.push("  No running workspace is overdue beyond the tolerance: Coder's own autostop is keeping up.");
    const s = run.summary;
    lines.push("", `📊 ${dry ? "Dry run" : "Operation"} completed: planned ${s.planned}, ${dry ? "would stop" : "stopped"} ${s.succeeded}, skipped ${s.skipped}, failed ${s.failed}`);
    if (run.journal_error) lines.push(`⚠️  journal not written: ${run.journal_error}; the records are in the error log`);
    if (run.interrupted) lines.push(`⚠️  Interrupted by ${run.interrupted}: workspaces not yet handled were skipped.`);
    lines.push(...planFileLines(planFile, plan, !dry));
    return lines.join("\n");
  };
  return { command: "autostop", mode, data, human, outcome: actingOutcome(run, run.notifications) };
}
