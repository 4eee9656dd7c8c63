/**
 * `ttl-monitor` (the Python `ttl_monitor_agent.py`): which running workspaces are past
 * their deadline or max_deadline, which will stop within the threshold, and which stop only manually.
 * One-shot report (text or JSON), or `--monitor`: a report every interval on a fixed cadence.
 *
 * Scope: the current user by default (`owner:me`, server-side; if `/users/me` fails the run fails, it
 * never widens to everyone), `--user NAME`, `--all-users`; `--org NAME` (repeatable) adds a server-side
 * `organization:` filter. A cycle that cannot read Coder is reported as a failure, never as compliant.
 */
import { tableView } from "../cli/context.js";
import { DateTime } from "luxon";
import { visibilityWarning } from "./visibility.js";
import type { AppContext } from "../cli/context.js";
import type { CoderClient } from "../coder/client.js";
import type { Organization, WorkspaceSummary } from "../coder/schemas.js";
import { AgentError, CoderApiError, ConfigError, UsageError, exitCodeOf } from "../errors.js";
import { describeBuildReason, lifecycleFields } from "../domain/lifecycle.js";
import { bucketTtl, failOnMatched, withTemplates, type TtlAnalysis, type TtlBuckets } from "../domain/ttl.js";
import { envelope, workspaceEntry, type CommandResult } from "../output/envelope.js";
import { formatDuration, formatInstant, formatRemaining, formatTtl, isoUtc } from "../output/format.js";
import { renderTable } from "../output/table.js";
import { writeJson } from "../output/json-write.js";
import { listSearchedSummaries } from "./search.js";
import { loadPolicies } from "./policy-inputs.js";
import { IMPLICIT_POLICY_NAME } from "../domain/policy/from-config.js";
import type { PolicyResolution } from "../domain/policy/resolve.js";
import { INTERVAL_MINUTES } from "../config/limits.js";
import { Cadence } from "../exec/cadence.js";
import type { TtlMonitorOptions } from "../cli/register/ttl-monitor.js";
import type { DataOf } from "../output/schema.js";

/** This command's result: its data must match its published JSON schema. */
type CmdResult = CommandResult<DataOf<"ttl-monitor">>;
export type { TtlMonitorOptions };

/** The resolved listing scope. */
export interface TtlScope {
  users: "current" | "user" | "all";
  username: string | null;
  organizations: string[] | null;
  queries: string[];
  allOrgsFlag: boolean;
}

const RULE = "=".repeat(80);
const STOPPED_SHOWN = 20;

export async function ttlMonitorCommand(ctx: AppContext, opts: TtlMonitorOptions): Promise<CmdResult | null> {
  if (opts.orgs.length > 0 && opts.allOrgs) throw new UsageError("--org cannot be combined with --all-orgs");
  if (opts.monitor && opts.failOn) throw new UsageError("--fail-on gates a one-shot report; it cannot be combined with --monitor");
  if (!opts.monitor && opts.intervalMinutes !== undefined) throw new UsageError("--interval needs --monitor");
  if (opts.monitor && !ctx.config.ttl_monitor.enabled) {
    // The agent is the continuous monitor; one-shot reports stay available.
    throw new ConfigError(
      `ttl_monitor.enabled is false in ${ctx.configPath ?? "the configuration"}: --monitor refuses to run (one-shot reports still work; set it to true to monitor)`,
    );
  }
  const thresholdSeconds = opts.thresholdSeconds ?? Math.round(ctx.config.ttl_monitor.warning_threshold_hours * 3600);
  if (opts.monitor) return monitor(ctx, opts, thresholdSeconds);
  const client = ctx.client();
  const scope = await resolveScope(client, opts);
  return runReport(ctx, client, scope, opts, thresholdSeconds, ctx.now, undefined);
}

/** Resolves --user / --all-users / --org into server-side queries; unknown names are usage errors (exit 2). */
export async function resolveScope(client: CoderClient, opts: TtlMonitorOptions): Promise<TtlScope> {
  const allUsers = opts.allUsers || opts.all;
  const [userPart, orgs] = await Promise.all([
    (async (): Promise<{ users: TtlScope["users"]; username: string | null; term: string | null }> => {
      if (opts.user) {
        const u = await lookupUser(client, opts.user);
        return { users: "user", username: u, term: `owner:${u}` };
      }
      if (allUsers) return { users: "all", username: null, term: null };
      // D9: no fallback to "all" when the current user cannot be read; the error ends the run.
      const me = await client.me();
      return { users: "current", username: me.username, term: "owner:me" };
    })(),
    opts.orgs.length > 0 ? resolveOrgs(client, opts.orgs) : Promise.resolve(null),
  ]);
  const orgTerms = orgs === null ? [null] : orgs.map((o) => `organization:${o.name}`);
  const queries = orgTerms.map((o) => [userPart.term, o].filter(Boolean).join(" "));
  return { users: userPart.users, username: userPart.username, organizations: orgs?.map((o) => o.name) ?? null, queries, allOrgsFlag: opts.allOrgs || opts.all };
}

async function lookupUser(client: CoderClient, name: string): Promise<string> {
  try {
    return (await client.getUser(name)).username;
  } catch (err) {
    if (err instanceof CoderApiError && (err.status === 404 || err.status === 400)) {
      throw new UsageError(`--user ${name}: no such user on this deployment`);
    }
    throw err;
  }
}

async function resolveOrgs(client: CoderClient, names: string[]): Promise<Organization[]> {
  const known = await client.listOrganizations();
  const out: Organization[] = [];
  const unknown: string[] = [];
  for (const n of names) {
    const key = n.toLowerCase();
    const org = known.find((o) => o.name.toLowerCase() === key || o.id === n);
    if (!org) unknown.push(n);
    else if (!out.some((o) => o.id === org.id)) out.push(org);
  }
  if (unknown.length > 0) {
    const list = known.map((o) => o.name).sort().join(", ") || "(none visible)";
    throw new UsageError(`--org: unknown organization ${unknown.map((u) => `"${u}"`).join(", ")}; known organizations: ${list}`);
  }
  return out;
}

/**
 * Lists the scope's workspaces of every status (the report counts stopped and transitional ones too,
 * as the Python SUMMARY did): one paginated listing per query, deduplicated. Each row is kept only
 * as the fields the report reads (WorkspaceSummary): this is the one report over every workspace.
 */
async function listScope(ctx: AppContext, client: CoderClient, scope: TtlScope): Promise<WorkspaceSummary[]> {
  const progress = ctx.progress("listing workspaces");
  if (scope.queries.length === 1) {
    try {
      return await listSearchedSummaries(ctx, client, scope.queries[0], (d, t) => progress.update(d, t));
    } finally {
      progress.done();
    }
  }
  const seen = new Set<string>();
  const out: WorkspaceSummary[] = [];
  try {
    for (const q of scope.queries) {
      const rows = await listSearchedSummaries(ctx, client, q, (d, t) => progress.update(d, t));
      for (const w of rows) if (!seen.has(w.id)) (seen.add(w.id), out.push(w));
    }
  } finally {
    progress.done();
  }
  return out;
}

async function runReport(
  ctx: AppContext,
  client: CoderClient,
  scope: TtlScope,
  opts: TtlMonitorOptions,
  thresholdSeconds: number,
  now: DateTime,
  cycle: number | undefined,
): Promise<CmdResult> {
  const workspaces = await listScope(ctx, client, scope);
  if (scope.users !== "current" && cycle === undefined) {
    const blind = await visibilityWarning(client, scope.users === "all" ? { kind: "all" } : { kind: "user", user: scope.username ?? "" }, workspaces);
    if (blind) ctx.logger.warn(blind);
  }
  let buckets = bucketTtl(workspaces, now.toMillis(), thresholdSeconds);
  if (buckets.expiring_soon.length > 0) {
    // Expiring soon may only mean an active owner whose deadline Coder keeps bumping: the templates
    // say by how much (one request, only when something is expiring soon).
    const bumps = await templateBumps(ctx, client);
    if (bumps) buckets = withTemplates(buckets, workspaces, now.toMillis(), thresholdSeconds, (w) => ({ activityBumpMs: bumps.has(w.template_id) ? bumps.get(w.template_id)! : null }));
  }
  // The report names each workspace's policy: no owner's quiet hours are needed for that.
  const policies = await loadPolicies(ctx, client, workspaces, { now, schedules: false });
  return renderReport(ctx, { scope, opts, thresholdSeconds, now, cycle, buckets, total: workspaces.length, decisions: policies.decisions });
}

/** Template id → activity_bump_ms (null: the template does not say; Coder's default applies); null when templates are not readable. */
async function templateBumps(ctx: AppContext, client: CoderClient): Promise<Map<string, number | null> | null> {
  try {
    return new Map((await client.listTemplates()).map((t) => [t.id, t.activity_bump_ms ?? null]));
  } catch (err) {
    if (err instanceof CoderApiError && (err.status === 403 || err.status === 404)) {
      ctx.logger.warn(`templates are not readable (${err.status}): the activity bump is not considered for expiring workspaces`);
      return null;
    }
    throw err;
  }
}

interface ReportInput {
  scope: TtlScope;
  opts: TtlMonitorOptions;
  thresholdSeconds: number;
  now: DateTime;
  cycle: number | undefined;
  buckets: TtlBuckets<WorkspaceSummary>;
  total: number;
  /** Each workspace's policy, by workspace id (the context the report is read in). */
  decisions: ReadonlyMap<string, PolicyResolution>;
}

function entry(a: TtlAnalysis<WorkspaceSummary>, zone: string, decisions: ReadonlyMap<string, PolicyResolution>) {
  const w = a.workspace;
  const r = a.result;
  const policy = decisions.get(w.id)?.policy;
  return workspaceEntry(w, {
    policy: policy?.name ?? IMPLICIT_POLICY_NAME,
    policy_action: policy?.action ?? "stop",
    workspace_id: w.id,
    template_id: w.template_id,
    ttl_ms: w.ttl_ms,
    ttl_formatted: formatTtl(w.ttl_ms),
    deadline: w.latest_build.deadline,
    max_deadline: w.latest_build.max_deadline,
    created_at: w.created_at,
    updated_at: w.updated_at ?? null,
    last_used_at: w.last_used_at,
    time_remaining: formatRemaining(r.secondsRemaining),
    seconds_remaining: r.secondsRemaining,
    is_expired: r.bucket === "expired",
    deadline_formatted: formatInstant(w.latest_build.deadline, zone),
    compliance_status: r.complianceStatus,
    stops_at: r.stopsAt,
    stop_source: r.stopSource,
    stops_only_manually: r.stopsOnlyManually,
    /** Active owner: where Coder's activity bump keeps the deadline (BUMPED_BY_ACTIVITY), else null. */
    bumped_deadline: r.bumpedDeadline,
    ...lifecycleFields(w),
  });
}

function renderReport(ctx: AppContext, input: ReportInput): CmdResult {
  const { scope, opts, thresholdSeconds, now, cycle, buckets } = input;
  const cfg = ctx.config.ttl_monitor;
  const zone = ctx.config.quiet_hours.timezone;
  const hidden: ("expired" | "expiring_soon")[] = [];
  if (!cfg.report_expired) hidden.push("expired");
  if (!cfg.report_expiring_soon) hidden.push("expiring_soon");
  const summary = {
    expired: buckets.expired.length,
    expiring_soon: buckets.expiring_soon.length,
    running: buckets.running.length,
    stopped: buckets.stopped.length,
    transitional: buckets.transitional.length,
    stops_only_manually: buckets.running.filter((a) => a.result.stopsOnlyManually).length,
    bumped_by_activity: buckets.running.filter((a) => a.result.complianceStatus === "BUMPED_BY_ACTIVITY").length,
  };
  const list = (xs: TtlAnalysis<WorkspaceSummary>[]) => xs.map((a) => entry(a, zone, input.decisions));
  const data = {
    ...(cycle !== undefined ? { cycle } : {}),
    ok: true as const,
    timestamp: isoUtc(now),
    total_workspaces: input.total,
    user_filter: opts.user ?? null,
    scope: { users: scope.users, username: scope.username, organizations: scope.organizations, queries: scope.queries },
    threshold_seconds: thresholdSeconds,
    fail_on: opts.failOn,
    hidden_sections: hidden,
    summary,
    workspaces: {
      expired: hidden.includes("expired") ? [] : list(buckets.expired),
      expiring_soon: hidden.includes("expiring_soon") ? [] : list(buckets.expiring_soon),
      running: list(buckets.running),
      stopped: list(buckets.stopped),
      transitional: list(buckets.transitional),
    },
  };
  const gate = failOnMatched(opts.failOn, summary);
  // The human view needs the entries, not the buckets: the closure keeps neither the workspaces nor
  // their analyses alive while a large --json report is written.
  const view: HumanInput = { scope, opts, thresholdSeconds, now, total: input.total };
  const human = () => humanReport(ctx, view, data, summary, hidden, zone, gate);
  return { command: "ttl-monitor", mode: "report", data, human, outcome: gate ? "findings" : "ok" };
}

type Entry = ReturnType<typeof entry>;

function scopeLine(scope: TtlScope): string {
  let s: string;
  if (scope.users === "user") s = `User: ${scope.username}`;
  else if (scope.users === "all") s = "Users: All Users";
  else s = `User: ${scope.username} (current)`;
  if (scope.organizations) s += `, Organizations: ${scope.organizations.join(", ")}`;
  else if (scope.allOrgsFlag) s += ", Organizations: All";
  return s;
}

function stopsAtCell(e: Entry, zone: string): string {
  const at = formatInstant(e.stops_at, zone);
  return e.stop_source === "max_deadline" ? `${at} (max_deadline)` : at;
}

type HumanInput = Pick<ReportInput, "scope" | "opts" | "thresholdSeconds" | "now" | "total">;

function humanReport(
  ctx: AppContext,
  input: HumanInput,
  data: { workspaces: Record<"expired" | "expiring_soon" | "running" | "stopped" | "transitional", Entry[]> },
  summary: Record<string, number>,
  hidden: string[],
  zone: string,
  gate: boolean,
): string {
  const color = tableView(ctx);
  const ws = data.workspaces;
  const thresholdText = formatDuration(input.thresholdSeconds);
  const lines: string[] = [
    RULE,
    "TTL COMPLIANCE REPORT",
    RULE,
    `Generated: ${formatInstant(isoUtc(input.now), zone)}`,
    `Scope: ${scopeLine(input.scope)}`,
    `Threshold: ${thresholdText}`,
    `Total Workspaces: ${input.total}`,
    "",
    "SUMMARY:",
    `  Expired: ${summary.expired}`,
    `  Expiring Soon: ${summary.expiring_soon}`,
    `  Running: ${summary.running}`,
    `  Stopped: ${summary.stopped}`,
    `  Transitional: ${summary.transitional}`,
  ];
  if (ws.expired.length > 0) {
    lines.push("", "🔴 RUNNING WORKSPACES THAT SHOULD BE STOPPED (TTL EXPIRED):");
    lines.push(renderTable(["Owner", "Workspace", "TTL", "Status", "Deadline"], ws.expired.map((e) => [e.owner, e.name, e.ttl_formatted, e.time_remaining, stopsAtCell(e, zone)]), color));
  }
  if (ws.expiring_soon.length > 0) {
    lines.push("", "🟡 RUNNING WORKSPACES EXPIRING SOON:");
    lines.push(
      renderTable(["Owner", "Workspace", "TTL", "Time Remaining", "Deadline"], ws.expiring_soon.map((e) => [e.owner, e.name, e.ttl_formatted, e.time_remaining, stopsAtCell(e, zone)]), color),
    );
  }
  for (const h of hidden) {
    const n = h === "expired" ? summary.expired : summary.expiring_soon;
    lines.push("", `(${n} ${h === "expired" ? "expired" : "expiring soon"} workspace(s) not listed: ttl_monitor.report_${h} is false)`);
  }
  if (ws.transitional.length > 0) {
    lines.push("", "🟠 WORKSPACES IN TRANSITION (neither running nor stopped):");
    lines.push(
      renderTable(
        ["Owner", "Workspace", "TTL", "Status", "Last Updated"],
        ws.transitional.map((e) => [e.owner, e.name, e.ttl_formatted, e.status, formatInstant(e.updated_at, zone)]),
        color,
      ),
    );
  }
  if (input.opts.showAll && ws.running.length > 0) {
    lines.push("", "🟢 RUNNING WORKSPACES:");
    lines.push(
      renderTable(
        ["Owner", "Workspace", "TTL", "Time Remaining", "Status"],
        ws.running.map((e) => [e.owner, e.name, e.ttl_formatted, e.stops_only_manually ? "N/A" : e.time_remaining, e.stops_only_manually ? "stops only manually (no deadline)" : e.compliance_status === "BUMPED_BY_ACTIVITY" ? "bumped by activity" : "RUNNING"]),
        color,
      ),
    );
  }
  if (input.opts.showAll && ws.stopped.length > 0) {
    lines.push("", "⚫ STOPPED WORKSPACES:");
    lines.push(
      renderTable(
        ["Owner", "Workspace", "TTL", "Status", "Last Updated"],
        ws.stopped.slice(0, STOPPED_SHOWN).map((e) => [e.owner, e.name, e.ttl_formatted, `${e.compliance_status}${e.last_build_reason ? ` (${describeBuildReason(e.last_build_reason)})` : ""}${e.dormant_at ? `, dormant${e.deleting_at ? `, deleted at ${formatInstant(e.deleting_at, zone)}` : ""}` : ""}`, formatInstant(e.updated_at, zone)]),
        color,
      ),
    );
    if (ws.stopped.length > STOPPED_SHOWN) lines.push(`... and ${ws.stopped.length - STOPPED_SHOWN} more stopped workspaces`);
  }
  lines.push("", "RECOMMENDATIONS:");
  const expired = summary.expired ?? 0;
  const soon = summary.expiring_soon ?? 0;
  if (expired > 0) lines.push(`  • ${expired} RUNNING workspace(s) have exceeded their TTL and should be stopped`);
  if (soon > 0) lines.push(`  • ${soon} RUNNING workspace(s) will expire within ${thresholdText}`);
  if (expired === 0 && soon === 0) lines.push("  • All running workspaces are within TTL compliance");
  const bumped = (summary as { bumped_by_activity?: number }).bumped_by_activity ?? 0;
  if (bumped > 0) lines.push(`  • ${bumped} RUNNING workspace(s) are in use: Coder keeps bumping their deadline by activity (not expiring)`);
  const manual = summary.stops_only_manually ?? 0;
  if (manual > 0) lines.push(`  • ${manual} RUNNING workspace(s) have no deadline and stop only manually`);
  if ((summary.transitional ?? 0) > 0) lines.push(`  • ${summary.transitional} workspace(s) are in transition (starting, stopping, failed…)`);
  if ((summary.stopped ?? 0) > 0) lines.push(`  • ${summary.stopped} workspace(s) are already stopped`);
  lines.push(RULE);
  if (gate) lines.push(`--fail-on ${input.opts.failOn}: findings present (exit 6)`);
  return lines.join("\n");
}

/**
 * `--monitor`: cycle k runs at start + k × interval (no drift; a cycle that overruns skips the slots
 * it missed). Each cycle is a full report (NDJSON line with --json). A failed cycle is reported as a
 * failure and the next one tries again. SIGINT/SIGTERM end the loop; the runner maps them to 130/143.
 */
async function monitor(ctx: AppContext, opts: TtlMonitorOptions, thresholdSeconds: number): Promise<null> {
  const minutes = opts.intervalMinutes ?? ctx.config.ttl_monitor.check_interval_minutes;
  const { min, max } = INTERVAL_MINUTES;
  if (!(minutes >= min && minutes <= max)) throw new UsageError(`--interval: expected minutes between ${min} and ${max}`);
  const intervalMs = Math.round(minutes * 60_000);
  const client = ctx.client();
  // Cycles are scheduled on the monotonic clock; the wall clock only labels them.
  const cadence = new Cadence(intervalMs, ctx.monotonic);
  const offsetMs = ctx.now.toMillis() - ctx.clock().toMillis(); // keeps --now's offset from the wall clock
  const wait = () => cadence.waitForSlot((ms) => ctx.sleep(ms, ctx.signal));
  if (!ctx.json) {
    ctx.io.stdout(`${ctx.headerLine(ctx.config.quiet_hours.timezone)}\nStarting TTL monitoring (checking every ${formatMinutes(minutes)})\nPress Ctrl+C to stop\n`);
  }
  let scope: TtlScope | null = null;
  let cycle = 0;
  while (!ctx.signal.aborted) {
    cycle += 1;
    const cycleNow = DateTime.fromMillis(ctx.clock().toMillis() + offsetMs, { zone: "utc" });
    try {
      scope ??= await resolveScope(client, opts);
      const result = await runReport(ctx, client, scope, opts, thresholdSeconds, cycleNow, cycle);
      if (ctx.json) {
        writeJson(envelope(result, { generatedAt: ctx.clock(), now: cycleNow }), ctx.io.stdout);
        ctx.io.stdout("\n");
      }
      else ctx.io.stdout(`\n[${formatInstant(isoUtc(cycleNow), ctx.config.quiet_hours.timezone)}] Running TTL check (cycle ${cycle})...\n${result.human()}\n`);
    } catch (err) {
      if (ctx.signal.aborted) break;
      if (err instanceof UsageError || err instanceof ConfigError || !(err instanceof AgentError)) throw err;
      const inMs = cadence.advance();
      const nextAt = DateTime.fromMillis(ctx.clock().toMillis() + inMs + offsetMs, { zone: "utc" });
      reportFailure(ctx, cycle, cycleNow, err, nextAt);
      ctx.logger.warn({ cycle, err: err.message }, "TTL check failed; retrying at the next interval");
      if (!(await wait()) || ctx.signal.aborted) break;
      continue;
    }
    cadence.advance();
    if (!(await wait()) || ctx.signal.aborted) break;
  }
  if (!ctx.json) ctx.io.stdout("Monitoring stopped by user\n");
  return null;
}

function reportFailure(ctx: AppContext, cycle: number, at: DateTime, err: AgentError, nextAt: DateTime): void {
  if (ctx.json) {
    const doc = envelope(
      {
        command: "ttl-monitor",
        mode: "report",
        data: {
          cycle,
          ok: false,
          timestamp: isoUtc(at),
          error: { code: err.code, message: err.message, exit_code: exitCodeOf(err) },
          next_attempt_at: isoUtc(nextAt),
        },
      },
      { generatedAt: ctx.clock(), now: at },
    );
    ctx.io.stdout(JSON.stringify(doc) + "\n");
  } else {
    ctx.io.stdout(
      `\n[${formatInstant(isoUtc(at), ctx.config.quiet_hours.timezone)}] Running TTL check (cycle ${cycle})...\n` +
        `❌ TTL check FAILED: ${err.message}\n   Compliance is UNKNOWN for this cycle; next attempt at ${formatInstant(isoUtc(nextAt), ctx.config.quiet_hours.timezone)}\n`,
    );
  }
}

function formatMinutes(m: number): string {
  if (m >= 1 && Number.isInteger(m)) return `${m} minute${m === 1 ? "" : "s"}`;
  return `${Math.round(m * 60 * 10) / 10} seconds`;
}
