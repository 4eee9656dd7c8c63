/**
 * `policy lint` and `policy simulate`: the policies checked against the live deployment, and
 * replayed over a period against the current fleet (see src/domain/policy/lint.ts and simulate.ts
 * for the rules and the model). Read-only. Requests: one workspace listing (every status), the
 * templates, organizations and groups (a 403 on groups is tolerated and reported), the
 * entitlements, and — only for owners whose policy follows their own Coder quiet hours — each
 * owner's quiet-hours schedule (bounded concurrency) and the deployment's default schedule.
 */
import { DateTime } from "luxon";
import { tableView, type AppContext } from "../cli/context.js";
import { advancedSchedulingEnabled, type CoderClient } from "../coder/client.js";
import { mapLimit } from "../util/concurrency.js";
import type { Group, Template, Workspace } from "../coder/schemas.js";
import { CoderApiError, UsageError } from "../errors.js";
import { matchExclusion, resolveExclusions, startedAtOf, describeExclusion } from "../domain/categorize.js";
import { lifecycleGuard, lifecycleScope } from "../domain/lifecycle.js";
import { lintPolicies, type LintSeverity } from "../domain/policy/lint.js";
import { assertNoTies, policiesFromConfig, subjectOf, type OwnerSchedule, type Policy, type PolicySet, type SubjectEntity } from "../domain/policy/index.js";
import { decidePolicies, lastUsedAt, ownersNeedingSchedules } from "../domain/policy-decide.js";
import { simulatePolicies, type SimulatedWorkspace } from "../domain/policy/simulate.js";
import { ownerScheduleFallback, quietStartFromResponse, type QuietStart } from "../domain/user-quiet-hours.js";
import type { CommandResult } from "../output/envelope.js";
import type { DataOf } from "../output/schema.js";
import { isoUtc } from "../output/format.js";
import { renderTable } from "../output/table.js";
import { listSearched } from "./search.js";

interface Fleet {
  workspaces: Workspace[];
  groups: Group[] | null;
  templates: Template[];
  organizations: SubjectEntity[];
  advanced: boolean;
}

/**
 * What a policy command reads: the workspaces and groups always; `catalog` adds the templates and
 * organizations (lint checks scope names and activity bumps against them), `licence` the
 * entitlements (simulate's owner calendars fall back as prune's do). What is not asked for is empty.
 */
async function readFleet(ctx: AppContext, client: CoderClient, need: { catalog: boolean; licence: boolean }): Promise<Fleet> {
  const progress = ctx.progress("listing workspaces");
  const [workspaces, groups, templates, orgs, entitlements] = await Promise.all([
    listSearched(ctx, client, undefined, (d, t) => progress.update(d, t)).finally(() => progress.done()),
    client.listGroups().catch((err: unknown) => {
      // Groups are an Enterprise listing readable by owners and user admins: without it, group scopes go unchecked.
      if (err instanceof CoderApiError && (err.status === 403 || err.status === 404)) {
        ctx.logger.warn(`the groups listing is not readable (${err.status}): group scopes match nobody`);
        return null;
      }
      throw err;
    }),
    need.catalog ? client.listTemplates() : [],
    need.catalog ? client.listOrganizations() : [],
    need.licence ? client.entitlements() : null,
  ]);
  return {
    workspaces,
    groups,
    templates,
    organizations: orgs.map((o) => ({ id: o.id, names: [o.name, o.display_name].filter(Boolean) })),
    advanced: advancedSchedulingEnabled(entitlements),
  };
}

/** Owners' quiet-hours starts, for the owners whose policy follows them; the fallback as `prune` uses it. */
async function ownerSchedules(ctx: AppContext, client: CoderClient, owners: readonly string[], advanced: boolean): Promise<Map<string, QuietStart>> {
  const out = new Map<string, QuietStart>();
  if (owners.length === 0) return out;
  let deploymentDefault: string | null = null;
  try {
    deploymentDefault = (await client.deploymentConfig()).config.user_quiet_hours_schedule?.default_schedule ?? "";
  } catch (err) {
    if (!(err instanceof CoderApiError) || (err.status !== 403 && err.status !== 404)) throw err;
  }
  const fallback = (why: string) => ownerScheduleFallback({ advanced, deploymentDefault, pruneZone: ctx.config.prune_workspaces.timezone, why });
  if (!advanced) {
    for (const o of owners) out.set(o, fallback("quiet hours not licensed"));
    return out;
  }
  await mapLimit([...owners], ctx.config.http.concurrency, async (o) => {
    try {
      const qh = await client.getQuietHours(o);
      out.set(o, quietStartFromResponse(qh) ?? fallback(`unusable schedule ${JSON.stringify(qh.raw_schedule)}`));
    } catch (err) {
      if (!(err instanceof CoderApiError) || (err.status !== 403 && err.status !== 404)) throw err;
      out.set(o, fallback(`quiet hours not readable (${err.status})`));
    }
  });
  return out;
}

const label = (ws: Workspace) => `${ws.owner_name}/${ws.name}`;
const SEVERITIES: readonly LintSeverity[] = ["error", "warning", "info"];

export interface PolicyLintOptions {
  /** "errors" (default): exit 6 on any error finding; "warnings": also on any warning. */
  failOn: "errors" | "warnings";
}

export async function policyLintCommand(ctx: AppContext, opts: PolicyLintOptions): Promise<CommandResult<DataOf<"policy lint">>> {
  const set = policiesFromConfig(ctx.config, ctx.holidayCalendars);
  const client = ctx.client();
  const fleet = await readFleet(ctx, client, { catalog: true, licence: false });
  const report = lintPolicies({
    set,
    now: ctx.now,
    workspaces: fleet.workspaces.map((ws) => ({ label: label(ws), template_id: ws.template_id, subject: subjectOf(ws, fleet.groups ?? []) })),
    templates: fleet.templates.map((t) => ({ id: t.id, names: [t.name, t.display_name].filter(Boolean), activity_bump_ms: t.activity_bump_ms })),
    organizations: fleet.organizations,
    groups: fleet.groups?.map((g) => ({ id: g.id, names: [g.name, g.display_name, g.organization_name ? `${g.organization_name}/${g.name}` : ""].filter(Boolean) })) ?? null,
  });
  const count = (s: LintSeverity) => report.findings.filter((f) => f.severity === s).length;
  const summary = { errors: count("error"), warnings: count("warning"), infos: count("info") };
  const failed = summary.errors > 0 || (opts.failOn === "warnings" && summary.warnings > 0);
  const data: DataOf<"policy lint"> = {
    config_file: ctx.configPath,
    fail_on: opts.failOn,
    workspaces_listed: fleet.workspaces.length,
    groups_readable: fleet.groups !== null,
    policies: report.policies,
    findings: report.findings,
    summary,
  };
  const human = () => {
    const view = tableView(ctx);
    const parts = [
      renderTable(
        ["Policy", "Level", "Action", "Takes", "Decides", "Expired"],
        report.policies.map((p) => [p.name, p.level, p.action, p.matched, p.decided, p.expired ? "yes" : ""]),
        view,
      ),
    ];
    if (report.findings.length === 0) parts.push(`✅ No findings (${set.policies.length} polic${set.policies.length === 1 ? "y" : "ies"}, ${fleet.workspaces.length} workspaces).`);
    else {
      parts.push(
        renderTable(
          ["Code", "Severity", "Rule", "Policies", "Finding"],
          report.findings.map((f) => [f.code, f.severity, f.rule, f.policies.join(", "), f.message + (f.workspaces.length ? ` (e.g. ${f.workspaces.join(", ")})` : "")]),
          view,
        ),
      );
      parts.push(`${SEVERITIES.map((s) => `${count(s)} ${s}${count(s) === 1 ? "" : "s"}`).join(", ")}${failed ? ` — exit 6 (--fail-on ${opts.failOn})` : ""}`);
    }
    return parts.join("\n\n");
  };
  return { command: "policy lint", mode: "report", data, human, outcome: failed ? "findings" : "ok" };
}

export interface PolicySimulateOptions {
  from: DateTime;
  to: DateTime;
}

/** The longest period a simulation replays (a quarter): the replay is per workspace and per quiet interval. */
export const MAX_SIMULATION_DAYS = 92;

export async function policySimulateCommand(ctx: AppContext, opts: PolicySimulateOptions): Promise<CommandResult<DataOf<"policy simulate">>> {
  const { from, to } = opts;
  if (to.toMillis() <= from.toMillis()) throw new UsageError(`--to (${isoUtc(to)}) must be after --from (${isoUtc(from)})`);
  if (to.diff(from, "days").days > MAX_SIMULATION_DAYS) throw new UsageError(`--from/--to: at most ${MAX_SIMULATION_DAYS} days per simulation (got ${Math.ceil(to.diff(from, "days").days)})`);
  const set: PolicySet = policiesFromConfig(ctx.config, ctx.holidayCalendars);
  assertNoTies(set, ctx.now);
  const client = ctx.client();
  const fleet = await readFleet(ctx, client, { catalog: false, licence: true });
  const scope = lifecycleScope(ctx.config.lifecycle);
  const exclusions = resolveExclusions(ctx.config.quiet_hours, ctx.now, ctx.config.quiet_hours.timezone);
  const decisions = decidePolicies(set, fleet.groups ?? [], fleet.workspaces, ctx.now);
  const resolved = fleet.workspaces.map((ws) => ({ ws, policy: decisions.get(ws.id)!.policy }));
  const starts = await ownerSchedules(ctx, client, ownersNeedingSchedules(decisions, fleet.workspaces), fleet.advanced);
  const items: SimulatedWorkspace[] = resolved.map(({ ws, policy }) => {
    const guard = lifecycleGuard(ws, scope);
    const rule = matchExclusion(ws, exclusions.active);
    const running = ws.latest_build.status === "running" && ws.latest_build.transition === "start";
    const own: OwnerSchedule | null = starts.get(ws.owner_name) ?? null;
    return {
      label: label(ws),
      running,
      startedAt: startedAtOf(ws),
      lastUsedAt: lastUsedAt(ws),
      policy,
      owner: own,
      excluded: guard ? guard.reason : rule ? describeExclusion(rule) : null,
    };
  });
  const all: Policy[] = [...set.policies, set.implicitDefault];
  const report = simulatePolicies(all, items, from, to);
  const totals = {
    stopped_hours: round2(report.policies.reduce((s, p) => s + p.stopped_hours, 0)),
    flagged_hours: round2(report.policies.reduce((s, p) => s + p.flagged_hours, 0)),
    stops: report.stops.length,
  };
  const data: DataOf<"policy simulate"> = {
    from: isoUtc(from),
    to: isoUtc(to),
    workspaces_listed: fleet.workspaces.length,
    running: items.filter((i) => i.running).length,
    policies: report.policies,
    stops: report.stops.map((s) => ({ workspace: s.label, policy: s.policy, at: isoUtc(s.at), cause: s.cause, hours: s.hours })),
    totals,
  };
  const human = () => {
    const view = tableView(ctx);
    const rows: (string | number)[][] = [];
    for (const p of report.policies) {
      for (const d of p.days) rows.push([p.name, p.action, `${d.date} (${p.zone})`, d.stops, p.action === "stop" ? d.hours : 0, p.action === "stop" ? 0 : d.hours]);
    }
    return [
      `Policy simulation ${isoUtc(from)} → ${isoUtc(to)}: ${items.filter((i) => i.running).length} running of ${fleet.workspaces.length} workspaces; running ones keep running until their policy stops them (no restarts, no new activity).`,
      renderTable(["Policy", "Action", "Day", "Stops", "Stopped h", "Flagged h"], rows, view),
      renderTable(
        ["Policy", "Action", "Workspaces", "Running", "Excluded", "Stops", "Stopped h", "Flagged h"],
        report.policies.map((p) => [p.name, p.action, p.workspaces, p.running, p.excluded, p.stopped, p.stopped_hours, p.flagged_hours]),
        view,
      ),
      `Total: ${totals.stops} stop(s), ${totals.stopped_hours} workspace-hours stopped, ${totals.flagged_hours} flagged by warn/report policies.`,
    ].join("\n\n");
  };
  return { command: "policy simulate", mode: "report", data, human, outcome: "ok" };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

