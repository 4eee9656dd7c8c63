/**
 * `apply FILE`: applies a plan written by `--plan-out` (quiet-hours, autostop, prune, rollback),
 * through the same executor as the command that made it: run lock, circuit breaker, emergency-stop
 * file, re-read before each action, rate, concurrency, journal and notifications.
 *
 * Refused before anything is read from Coder: a file that is not a plan of this version (exit 2);
 * a plan made for another deployment (its origin is not this run's Coder URL, exit 2); a plan
 * older than `--max-age` / `safety.max_plan_age_minutes` (its `created_at` against the wall
 * clock, exit 7).
 *
 * Then the plan's workspaces are read once (by id) and each step is re-validated against the state
 * it was planned against: a workspace whose latest build, status or job changed since planning is
 * skipped as "changed since planned", a deleted one as "deleted"; the rest are applied.
 */
import { resolve } from "node:path";
import type { ApplyOptions } from "../cli/register/apply.js";
import type { AppContext } from "../cli/context.js";
import type { Workspace } from "../coder/schemas.js";
import { deploymentOrigin, planAgeMinutes, stepChanged, type Plan, type PlanStep } from "../domain/plan.js";
import { SafetyAbortError, UsageError } from "../errors.js";
import { actingOutcome, applyPlan, journalJson } from "../exec/executor.js";
import { describeResults } from "../exec/notify.js";
import { readPlanFile } from "../exec/plan-file.js";
import { loadSnapshot } from "../exec/snapshot.js";
import type { StopResult, StopSummary } from "../exec/types.js";
import { workspaceEntry, type CommandResult, type Mode } from "../output/envelope.js";
import type { DataOf } from "../output/schema.js";
import { formatDuration } from "../output/format.js";

export type { ApplyOptions };

const COMMAND = "apply";

/** A step not applied because its workspace changed (or vanished) since planning. */
function skippedStep(step: PlanStep, ws: Workspace | null, why: string): StopResult {
  const base = ws ? workspaceEntry(ws) : { id: step.workspace_id, owner: step.owner, name: step.name, template: step.template, organization: step.organization, status: why === "deleted" ? "deleted" : step.planned_against.status };
  return { ...base, reasons: step.reasons, outcome: "skipped", error: why, build_id: null, category: step.category };
}

export async function applyCommand(ctx: AppContext, opts: ApplyOptions): Promise<CommandResult<DataOf<"apply">>> {
  const path = resolve(ctx.cwd, opts.file);
  const plan = readPlanFile(path);
  const origin = deploymentOrigin(ctx.client().baseUrl);
  if (plan.deployment.origin !== origin) {
    throw new UsageError(`plan ${plan.id} (${path}) was made for ${plan.deployment.origin}, not for ${origin}: refused, nothing was changed. Make the plan against this deployment.`);
  }
  const maxAgeMinutes = opts.maxAgeSeconds !== undefined ? opts.maxAgeSeconds / 60 : ctx.config.safety.max_plan_age_minutes;
  if (!(maxAgeMinutes > 0)) throw new UsageError("--max-age: expected a duration greater than 0");
  const age = planAgeMinutes(plan, ctx.clock().toMillis());
  if (age > maxAgeMinutes) {
    const source = opts.maxAgeSeconds !== undefined ? "--max-age" : "safety.max_plan_age_minutes";
    throw new SafetyAbortError(
      `plan ${plan.id} was made ${formatDuration(Math.round(age * 60))} ago (${plan.created_at}), older than ${formatDuration(Math.round(maxAgeMinutes * 60))} (${source}): refused, nothing was changed. Make a new plan, or allow an older one with --max-age.`,
    );
  }
  const dryRun = opts.dryRun || ctx.config.dry_run;
  const mode: Mode = dryRun ? "dry-run" : "execute";

  // Re-validate every step against the deployment as it is now (one read per workspace).
  const snapshot = plan.steps.length > 0 ? await loadSnapshot(ctx, { workspaceIds: [...new Set(plan.steps.map((s) => s.workspace_id))] }) : { workspaces: [], missing: [] };
  const current = new Map(snapshot.workspaces.map((w) => [w.id, w]));
  const unchanged = new Map<string, Workspace>();
  const changed: StopResult[] = [];
  for (const step of plan.steps) {
    const ws = current.get(step.workspace_id) ?? null;
    const why = ws ? stepChanged(step, ws) : "deleted";
    if (why) changed.push(skippedStep(step, ws, why));
    else unchanged.set(step.workspace_id, ws!);
  }
  if (changed.length > 0) ctx.logger.info({ plan_id: plan.id, changed: changed.length }, "steps skipped: their workspace changed since the plan was made");

  const run = await applyPlan(ctx, plan, unchanged, { execute: !dryRun, maxStopsSource: "the plan's max_stops" });
  const results = [...run.results, ...changed];
  const summary: StopSummary = { planned: plan.steps.length, succeeded: run.summary.succeeded, skipped: run.summary.skipped + changed.length, failed: run.summary.failed };
  const data: DataOf<"apply"> = {
    plan_id: plan.id,
    plan_file: path,
    plan_command: plan.command,
    plan_created_at: plan.created_at,
    plan_now: plan.now,
    plan_age_seconds: Math.round(age * 60),
    max_age_minutes: maxAgeMinutes,
    deployment_origin: origin,
    transition: plan.options.transition,
    dry_run: dryRun,
    run_id: run.results.length > 0 ? run.run_id : null,
    results,
    changed_since_planned: changed.length,
    summary,
    interrupted: run.interrupted,
    ...journalJson(run),
    notifications: run.notifications,
  };
  const human = () => renderHuman(plan, path, dryRun, results, summary, run);
  return { command: COMMAND, mode, data, human, outcome: actingOutcome(run, run.notifications) };
}

function renderHuman(plan: Plan, path: string, dryRun: boolean, results: StopResult[], s: StopSummary, run: Awaited<ReturnType<typeof applyPlan>>): string {
  const verb = plan.options.transition;
  const lines = [`APPLY plan ${plan.id} (${plan.command}, made ${plan.created_at} for now=${plan.now}) from ${path}`];
  if (dryRun) lines.push("🧪 [DRY RUN] nothing is changed");
  if (results.length === 0) lines.push(`✅ The plan has no steps: nothing to ${verb}.`);
  for (const r of results) {
    const icon = r.outcome === "stopped" || r.outcome === "started" ? "✅" : r.outcome.startsWith("would") ? "🧪" : r.outcome === "failed" ? "❌" : "⏭️ ";
    lines.push(`  ${icon} ${r.owner}/${r.name}: ${r.outcome}${r.error ? ` (${r.error})` : ""}`);
  }
  lines.push("", `📊 ${dryRun ? "Dry run" : "Apply"} completed: planned ${s.planned}, ${dryRun ? `would ${verb}` : verb === "stop" ? "stopped" : "started"} ${s.succeeded}, skipped ${s.skipped}, failed ${s.failed}`);
  if (run.interrupted) lines.push(`⚠️  Interrupted by ${run.interrupted}: steps not yet handled were skipped.`);
  if (run.journal_error) lines.push(`⚠️  journal not written: ${run.journal_error}; the records are in the error log`);
  else if (run.journal_path && run.results.length > 0) lines.push(`Run ${run.run_id} recorded in ${run.journal_path}`);
  lines.push(...describeResults(run.notifications));
  return lines.join("\n");
}
