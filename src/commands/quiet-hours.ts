/**
 * `quiet-hours`: the quiet hours agent. One mode runs, with the Python agent's
 * precedence: --enterprise > --status > --report > --categorize > --execute > status (default).
 *
 * Requests: one listing of the running workspaces (`q=status:running`, paginated) is all that
 * categorisation needs — workspaces carry owner, template id/name/display name and deadlines,
 * so no template or user lookups are made. `--status` adds the enterprise block (users/me,
 * deployment config, entitlements, templates, the caller's quiet hours), as the Python agent
 * did. `--execute` then re-reads and stops the selected workspaces through the stop engine.
 * The categorisation printed and the one acted on are the same object (D27).
 */
import { resolve } from "node:path";
import { DateTime } from "luxon";
import type { AppContext } from "../cli/context.js";
import type { Workspace } from "../coder/schemas.js";
import {
  CATEGORY_KEYS,
  inCategory,
  localLabel,
  resolveExclusions,
  type CategorizedWorkspace,
  type ExclusionRule,
  type QuietCategory,
  type StopSelection,
} from "../domain/categorize.js";
import { describePolicy, isValidZone, policyFromConfig, type QuietPolicy, type QuietWindow } from "../domain/quiet-window.js";
import { UsageError } from "../errors.js";
import { lifecycleFields, lifecycleScope } from "../domain/lifecycle.js";
import { actingOutcome, journalJson, planAndApply } from "../exec/executor.js";
import { describeResults } from "../exec/notify.js";
import { policyUpcomingStops, warnUpcomingStops, warningLines } from "../exec/notify-hooks.js";
import type { StopCandidate, StopResult, StopRun } from "../exec/types.js";
import { byOwnerThenName, envelope, workspaceEntry, type CommandResult, type Mode } from "../output/envelope.js";
import { formatDuration, formatInstant, formatRemaining, isoUtc } from "../output/format.js";
import { planFileLines } from "../output/plan-lines.js";
import { renderTable } from "../output/table.js";
import { limitItems, moreLine } from "../output/table-fit.js";
import { tableView } from "../cli/context.js";
import { listSearched } from "./search.js";
import { loadPolicies } from "./policy-inputs.js";
import { categorizeByPolicy, selectPolicyStops, type PolicyCategorization, type PolicyItem } from "../domain/policy-decide.js";
import type { QuietHoursOptions } from "../cli/register/quiet-hours.js";
import { enterpriseQuietHoursOptions } from "../cli/register/enterprise-quiet-hours.js";
import type { DataOf } from "../output/schema.js";
import type { QuietHoursBaseData, QuietHoursCategorizeData, QuietHoursExecuteData, QuietHoursReportData } from "../output/schemas/quiet-hours.js";

/** This command's result, typed by its published schema: any mode's document, or `--enterprise`'s. */
type CmdResult = CommandResult<DataOf<"quiet-hours">>;
export type { QuietHoursOptions };

/** Picks the mode from the flags with the Python agent's precedence. */

const COMMAND = "quiet-hours";

export async function quietHoursCommand(ctx: AppContext, opts: QuietHoursOptions): Promise<CmdResult> {
  if (opts.timezone !== undefined && !isValidZone(opts.timezone)) {
    throw new UsageError(`--timezone: unknown time zone "${opts.timezone}" (expected an IANA name such as Europe/London, America/Chicago or UTC)`);
  }
  if (opts.mode === "enterprise") {
    // The enterprise checker's document, under the command that was run (scripts key on `command`).
    const m = await import("./enterprise-quiet-hours.js");
    return { ...(await m.enterpriseQuietHoursCommand(ctx, enterpriseQuietHoursOptions({}))), command: COMMAND };
  }
  const policy = policyFromConfig(ctx.config.quiet_hours, opts.timezone);
  const client = ctx.client();
  const progress = ctx.progress("listing running workspaces");
  const list = await listSearched(ctx, client, "status:running", (d, t) => progress.update(d, t));
  progress.done();
  const workspaces = [...list].sort(byOwnerThenName);
  const exclusions = resolveExclusions(ctx.config.quiet_hours, ctx.now, policy.zone);
  const scope = lifecycleScope(ctx.config.lifecycle, opts);
  const policies = await loadPolicies(ctx, client, workspaces, { zoneOverride: opts.timezone });
  const c = categorizeByPolicy(workspaces, policies.inputs, exclusions, ctx.now, scope, policies.decisions);
  for (const w of c.warnings) ctx.logger.warn(w);
  const view = new View(ctx, c, exclusions.active);

  return { ...(await modeResult(ctx, view, opts)), zone: view.zone };
}

async function modeResult(ctx: AppContext, view: View, opts: QuietHoursOptions): Promise<CmdResult> {
  switch (opts.mode) {
    case "report":
      return reportResult(ctx, view, opts);
    case "categorize": {
      const data: QuietHoursCategorizeData = { ...view.base(), categories: view.categoriesJson(), counts: view.counts() };
      return {
        command: COMMAND,
        mode: "report",
        data,
        human: () => view.categorizationText(),
        outcome: "ok",
      };
    }
    case "execute":
      return executeResult(ctx, view, opts);
    case "status":
    default:
      return statusResult(ctx, view, opts);
  }
}

const iso = (dt: DateTime | null | undefined): string | null => (dt ? isoUtc(dt) : null);
const windowJson = (w: QuietWindow | null) => (w ? { start: isoUtc(w.start), end: isoUtc(w.end), date: w.date, day: w.day } : null);

/** `owner/name (template) - status`: the Python agent's workspace summary. */
export function summaryLine(ws: Workspace): string {
  return `${ws.owner_name}/${ws.name} (${ws.template_display_name || ws.template_name || ws.template_id}) - ${ws.latest_build.status}`;
}

const HEADERS: Record<QuietCategory, string> = {
  quiet_hours_stopping: "🛑 QUIET HOURS - STOPPING NOW",
  quiet_hours_grace: "⏰ QUIET HOURS - GRACE PERIOD",
  past_quiet_hours_end: "🌅 RUNNING PAST QUIET HOURS END",
  ttl_expired: "💀 TTL EXPIRED - SHOULD HAVE STOPPED",
  normal_running: "✅ RUNNING NORMALLY",
  excluded: "🚫 EXCLUDED FROM QUIET HOURS",
};

/** The category column of the human table. */
const SHORT: Record<QuietCategory, string> = {
  quiet_hours_stopping: "🛑 stopping",
  quiet_hours_grace: "⏰ grace",
  past_quiet_hours_end: "🌅 past end",
  ttl_expired: "💀 ttl expired",
  normal_running: "✅ normal",
  excluded: "🚫 excluded",
};

/** Shared JSON and text pieces of one categorisation. */
class View {
  readonly zone: string;
  readonly policy: QuietPolicy;
  constructor(
    readonly ctx: AppContext,
    readonly c: PolicyCategorization,
    readonly rules: ExclusionRule[],
  ) {
    this.zone = c.policy.zone;
    this.policy = c.policy;
  }

  at(dt: DateTime | string | null | undefined): string {
    if (!dt) return "N/A";
    if (typeof dt !== "string") return localLabel(dt, this.zone);
    const parsed = DateTime.fromISO(dt, { zone: "utc" });
    return parsed.isValid ? localLabel(parsed, this.zone) : formatInstant(dt, this.zone);
  }

  /** Keys every quiet-hours document carries. */
  base(): QuietHoursBaseData {
    const { c, policy } = this;
    return {
      timezone: policy.zone,
      quiet_hours: {
        enabled: policy.enabled,
        start_time: policy.start,
        end_time: policy.end,
        timezone: policy.zone,
        days: policy.days ? [...policy.days] : null,
        grace_period_hours: policy.graceSeconds / 3600,
        active: !!c.window,
        window: windowJson(c.window),
        grace_period_ends: iso(c.graceEndsAt),
        grace_period_over: c.graceOver,
        most_recent_window: windowJson(c.recentWindow),
        next_window: windowJson(c.nextWindow),
      },
      warnings: c.warnings,
    };
  }

  entry(i: CategorizedWorkspace) {
    const ws = i.workspace;
    const p = (i as PolicyItem).resolution.policy;
    return workspaceEntry(ws, {
      policy: p.name,
      policy_action: p.action,
      template_id: ws.template_id,
      category: i.category,
      reasons: i.reasons,
      started_at: iso(i.startedAt),
      deadline: i.deadline,
      max_deadline: i.maxDeadline,
      seconds_remaining: i.secondsRemaining,
      time_remaining: formatRemaining(i.secondsRemaining),
      due_at: i.category === "quiet_hours_grace" || i.category === "quiet_hours_stopping" || (i.category === "ttl_expired" && i.dueAt) ? iso(i.dueAt) : null,
      exclusion: i.exclusion ? { kind: i.exclusion.kind, name: i.exclusion.name, reason: i.exclusion.reason, expires: i.exclusion.expires } : null,
      lifecycle_guard: i.guard,
      ...lifecycleFields(ws),
    });
  }

  categoriesJson(): Record<QuietCategory, ReturnType<View["entry"]>[]> {
    const out = {} as Record<QuietCategory, ReturnType<View["entry"]>[]>;
    for (const k of CATEGORY_KEYS) out[k] = inCategory(this.c, k).map((i) => this.entry(i));
    return out;
  }

  counts(): Record<QuietCategory, number> {
    const out = {} as Record<QuietCategory, number>;
    for (const k of CATEGORY_KEYS) out[k] = inCategory(this.c, k).length;
    return out;
  }

  /** One line describing the window state. */
  windowLine(): string {
    const { c } = this;
    if (!this.policy.enabled) return "Quiet hours: disabled (quiet_hours.enabled is false)";
    const pol = `Quiet hours: ${describePolicy(this.policy)}`;
    if (c.window) {
      const grace = c.graceOver ? `grace period ended ${this.at(c.graceEndsAt)}` : `grace period until ${this.at(c.graceEndsAt)}`;
      return `${pol}; active since ${this.at(c.window.start)} until ${this.at(c.window.end)}; ${grace}`;
    }
    return `${pol}; not active; next window ${this.at(c.nextWindow?.start)}`;
  }

  /**
   * The summary block (one line per category with its count), then one table of the workspaces in
   * category order (the ones about to be stopped first), limited by --limit and fitted to the terminal.
   */
  categorizationText(): string {
    const lines = [`WORKSPACE CATEGORIZATION at ${this.at(this.c.now)}`, this.windowLine(), "", `SUMMARY: ${this.c.items.length} running workspaces`];
    for (const k of CATEGORY_KEYS) lines.push(`  ${HEADERS[k]} (${inCategory(this.c, k).length})`);
    if (this.c.items.length === 0) return [...lines, "", "No running workspaces."].join("\n");
    const rows: string[][] = [];
    for (const k of CATEGORY_KEYS) for (const i of inCategory(this.c, k)) rows.push(this.row(i));
    lines.push("", renderTable(["Category", "Workspace", "Due", "TTL", "Template", "Reason"], rows, tableView(this.ctx)));
    return lines.join("\n");
  }

  row(i: CategorizedWorkspace): string[] {
    const ws = i.workspace;
    let due = "";
    if (i.dueAt && (i.category === "quiet_hours_grace" || i.category === "quiet_hours_stopping")) {
      const secs = Math.trunc((i.dueAt.toMillis() - this.c.now.toMillis()) / 1000);
      due = `${this.at(i.dueAt)} (${secs > 0 ? `in ${formatDuration(secs)}` : secs === 0 ? "now" : `${formatDuration(-secs)} ago`})`;
    }
    const ttl = i.category === "excluded" ? "" : i.stopsAt ? formatRemaining(i.secondsRemaining) : "no deadline";
    return [SHORT[i.category], `${ws.owner_name}/${ws.name}`, due, ttl, ws.template_display_name || ws.template_name || ws.template_id, i.reasons.join("; ")];
  }

  /** "Stop workspaces now" / "Stop workspaces in 45m" / "No action required - …" (D36: no timedelta text). */
  actionRequired(selected: number): { text: string; seconds: number | null } {
    const { c } = this;
    if (selected > 0) return { text: "Stop workspaces now", seconds: 0 };
    if (c.window) {
      const pending = inCategory(c, "quiet_hours_grace")
        .map((i) => i.dueAt)
        .filter((d): d is DateTime => !!d && d.toMillis() < c.window!.end.toMillis());
      if (pending.length > 0) {
        const first = Math.min(...pending.map((d) => d.toMillis()));
        const secs = Math.max(0, Math.trunc((first - c.now.toMillis()) / 1000));
        return { text: `Stop workspaces in ${formatDuration(secs)}`, seconds: secs };
      }
      return { text: "No action required - no running workspace is due to stop", seconds: null };
    }
    return { text: this.policy.enabled ? "No action required - outside quiet hours" : "No action required - quiet hours disabled", seconds: null };
  }
}

function ruleNames(rules: ExclusionRule[], kind: ExclusionRule["kind"]): string[] {
  return rules.filter((r) => r.kind === kind).map((r) => r.name);
}

/** The Python report keys (fixed per D36) plus the shared keys. */
function reportData(view: View, opts: QuietHoursOptions): QuietHoursReportData {
  const { c } = view;
  const selected = selectPolicyStops(c, { force: opts.force });
  const action = view.actionRequired(selected.length);
  const running = c.items.length;
  const excluded = inCategory(c, "excluded").length;
  return {
    timestamp: isoUtc(c.now),
    ...view.base(),
    quiet_hours_active: !!c.window,
    grace_period_over: c.graceOver,
    workspaces_running: running,
    workspaces_excluded: excluded,
    workspaces_to_stop: selected.length,
    excluded_users: ruleNames(view.rules, "user"),
    excluded_templates: ruleNames(view.rules, "template"),
    excluded_workspaces: ruleNames(view.rules, "workspace"),
    workspaces: selected.map((s) => ({ ...view.entry(s.item), reasons: s.reasons, summary: summaryLine(s.item.workspace) })),
    action_required: action.text,
    action_required_in_seconds: action.seconds,
    ...(c.window ? { quiet_hours_started: isoUtc(c.window.start), grace_period_ends: iso(c.graceEndsAt) } : {}),
  };
}

function reportResult(ctx: AppContext, view: View, opts: QuietHoursOptions): CommandResult<QuietHoursReportData> {
  const data = reportData(view, opts);
  return {
    command: COMMAND,
    mode: "report",
    data,
    // --report is always JSON (the Python agent's report); without --json it is indented.
    human: () => JSON.stringify(envelope({ command: COMMAND, mode: "report", data }, { generatedAt: ctx.clock(), now: ctx.now }), null, 2),
    header: false,
    outcome: "ok",
  };
}

async function statusResult(ctx: AppContext, view: View, opts: QuietHoursOptions): Promise<CommandResult<QuietHoursReportData>> {
  const data = reportData(view, opts);
  let enterpriseText: string;
  try {
    const m = await import("./enterprise-quiet-hours.js");
    const ent = await m.enterpriseQuietHoursCommand(ctx, enterpriseQuietHoursOptions({}));
    data.enterprise = ent.data;
    enterpriseText = ent.human();
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    ctx.logger.warn({ err: msg }, "could not read the enterprise quiet-hours configuration");
    data.enterprise = { error: msg };
    enterpriseText = `❌ Unable to fetch the enterprise quiet-hours configuration: ${msg}`;
  }
  const human = () => {
    const { c } = view;
    const rule = "=".repeat(60);
    const lines = [
      rule,
      "QUIET HOURS AGENT STATUS",
      rule,
      `Current Time: ${view.at(c.now)}`,
      `Timezone: ${view.zone}`,
      view.windowLine(),
      `Quiet Hours Active: ${c.window ? "Yes" : "No"}`,
      `Grace Period Over: ${c.graceOver ? "Yes" : "No"}`,
      `Running Workspaces: ${data.workspaces_running}`,
      `Excluded Workspaces: ${data.workspaces_excluded}`,
      `Workspaces to Stop: ${data.workspaces_to_stop}`,
      `Action Required: ${data.action_required}`,
    ];
    const users = data.excluded_users;
    const templates = data.excluded_templates;
    const wss = data.excluded_workspaces;
    if (users.length) lines.push(`Excluded Users: ${users.join(", ")}`);
    if (templates.length) lines.push(`Excluded Templates: ${templates.join(", ")}`);
    if (wss.length) lines.push(`Excluded Workspaces: ${wss.join(", ")}`);
    const selected = selectPolicyStops(c, { force: opts.force });
    if (selected.length) {
      lines.push("Workspaces that would be stopped:");
      const { shown, hidden } = limitItems(selected, ctx.output.limit);
      for (const s of shown) lines.push(`  - ${summaryLine(s.item.workspace)}`);
      const more = moreLine(hidden);
      if (more) lines.push(`  ${more}`);
    }
    lines.push(rule, "", enterpriseText);
    return lines.join("\n");
  };
  return { command: COMMAND, mode: "report", data, human, outcome: "ok" };
}

function candidateOf(view: View, s: StopSelection): StopCandidate {
  const { c } = view;
  return {
    workspace: s.item.workspace,
    reasons: s.reasons,
    category: s.item.category,
    evidence: {
      category: s.item.category,
      started_at: iso(s.item.startedAt),
      due_at: iso(s.item.dueAt),
      window: windowJson(c.window),
      most_recent_window: windowJson(c.recentWindow),
      policy: policyEvidence(c, s.item as PolicyItem),
    },
  };
}

/** The rule a stop was decided by: the quiet_hours window, or a configured policy's name, quiet time and idle verdict. */
function policyEvidence(c: PolicyCategorization, item: PolicyItem): Record<string, unknown> {
  const p = item.resolution.policy;
  if (p.implicit) return { start_time: c.policy.start, end_time: c.policy.end, timezone: c.policy.zone, days: c.policy.days, grace_period_hours: c.policy.graceSeconds / 3600 };
  return {
    name: p.name,
    level: item.resolution.level,
    action: p.action,
    grace_period_minutes: p.graceSeconds / 60,
    quiet: item.interval ? { start: isoUtc(item.interval.start), end: isoUtc(item.interval.end), holidays: item.interval.holidays.map((h) => h.date) } : null,
    idle: item.idle?.rule ? { idle_at: iso(item.idle.idleAt), due: item.idle.due, reason: item.idle.reason } : null,
  };
}

async function executeResult(ctx: AppContext, view: View, opts: QuietHoursOptions): Promise<CommandResult<QuietHoursExecuteData>> {
  const { c } = view;
  // D10: config dry_run (and DRY_RUN=true, merged by the loader) make --execute a dry run.
  const dryRun = opts.dryRun || ctx.config.dry_run;
  const mode: Mode = dryRun ? "dry-run" : "execute";
  const selected = selectPolicyStops(c, { force: opts.force });
  const candidates = selected.map((s) => candidateOf(view, s));
  const { run, planFile, plan } = await planAndApply(ctx, {
    command: COMMAND,
    transition: "stop",
    candidates,
    execute: !dryRun,
    maxStops: opts.maxStops,
    force: opts.force,
    planOut: opts.planOut === undefined ? undefined : resolve(ctx.cwd, opts.planOut),
  });
  // after the stops (a slow webhook never delays them), warn about stops coming soon.
  const warning = ctx.signal.aborted ? null : await warnUpcomingStops(ctx, policyUpcomingStops(c), { send: !dryRun });
  const notifications = [...run.notifications, ...(warning?.results ?? [])];
  const outcome = actingOutcome(run, notifications);
  const data: QuietHoursExecuteData = {
    ...view.base(),
    dry_run: dryRun,
    force: opts.force,
    categories: view.categoriesJson(),
    counts: view.counts(),
    run_id: candidates.length > 0 ? run.run_id : null,
    results: run.results.map((r) => ({ ...r, category: r.category ?? null })),
    summary: run.summary,
    interrupted: run.interrupted,
    ...journalJson(run),
    plan_id: plan.id,
    plan_file: planFile,
    notifications,
    stop_warnings: { threshold_minutes: ctx.config.notifications.notification_threshold_minutes, warned: warning?.warned ?? [], already_warned: warning?.already ?? 0 },
  };
  const human = () =>
    [view.categorizationText(), "", ...executeLines(view, opts, dryRun, run), ...planFileLines(planFile, plan, !dryRun), ...warningLines(warning, dryRun), ...describeResults(notifications)].join("\n");
  return { command: COMMAND, mode, data, human, outcome };
}

function executeLines(view: View, opts: QuietHoursOptions, dryRun: boolean, run: StopRun): string[] {
  const { c } = view;
  const lines: string[] = [];
  const expired = inCategory(c, "ttl_expired").length;
  if (run.results.length === 0) {
    if (!c.window) {
      lines.push(
        view.policy.enabled
          ? `✅ Outside quiet hours (next window starts ${view.at(c.nextWindow?.start)}), no workspaces will be stopped`
          : "✅ Quiet hours are disabled, no workspaces will be stopped",
      );
      if (opts.force) lines.push("✅ No TTL-expired workspaces found to force stop");
      else if (expired > 0) lines.push("💡 Use --force to stop TTL-expired workspaces regardless of quiet hours");
    } else if (inCategory(c, "quiet_hours_grace").length > 0) {
      lines.push("⏰ Grace period not over yet, no workspaces will be stopped");
    } else {
      lines.push("✅ No workspaces to stop");
    }
    return lines;
  }
  const n = run.results.length;
  lines.push(dryRun ? `🧪 [DRY RUN] Would stop ${n} workspaces:` : `🛑 Stopping ${n} workspaces:`);
  // Failures first: on a large run they are what the operator has to read.
  const order = { failed: 0, skipped: 1 } as Record<string, number>;
  const results = [...run.results].sort((a, b) => (order[a.outcome] ?? 2) - (order[b.outcome] ?? 2));
  lines.push(
    renderTable(
      ["Workspace", "Result", "Template", "Reason"],
      results.map((r) => [`${r.owner}/${r.name}`, resultText(r), r.template, r.reasons.join("; ")]),
      tableView(view.ctx),
    ),
  );
  const s = run.summary;
  if (dryRun) {
    lines.push(`📊 Dry run completed: ${s.succeeded} workspaces would be stopped (nothing was changed)`);
  } else {
    const extra = [s.skipped ? `${s.skipped} skipped` : "", s.failed ? `${s.failed} failed` : ""].filter(Boolean).join(", ");
    lines.push(`📊 Operation completed: ${s.succeeded}/${s.planned} workspaces stopped successfully${extra ? ` (${extra})` : ""}`);
  }
  if (s.failed > 0) lines.push(`⚠️  ${s.failed} stop${s.failed === 1 ? "" : "s"} failed; each error is listed above.`);
  if (run.interrupted) lines.push(`⚠️  Interrupted by ${run.interrupted}: workspaces not yet handled were skipped.`);
  if (run.journal_error) lines.push(`⚠️  The journal could not be written (${run.journal_error}); the records are in the error log.`);
  else if (run.journal_path) lines.push(`Run ${run.run_id} recorded in ${run.journal_path}`);
  return lines;
}

function resultText(r: StopResult): string {
  switch (r.outcome) {
    case "stopped":
    case "started":
      return `✅ Success (build ${r.build_id ?? "?"})`;
    case "would-stop":
    case "would-start":
      return "🧪 would stop (dry run)";
    case "skipped":
      return `⏭️  Skipped: ${r.error ?? ""}`;
    case "failed":
      return `❌ Failed: ${r.error ?? ""}`;
  }
}
