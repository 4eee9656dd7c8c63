/**
 * The executor: the one place an acting command's plan is applied. quiet-hours --execute,
 * autostop --execute, prune --cleanup, rollback --execute and `apply FILE` all come here, so the
 * safety rules are the same for every one of them:
 *
 * - the run lock, taken exactly once per acting run (execute runs with something to do);
 * - the circuit breaker (`--max-stops` / the plan's max_stops / safety.max_stops_per_run, exit 7);
 * - the emergency-stop file (exit 7);
 * - per workspace: re-read, compare with the state the step was planned against, act (the stop
 *   engine's Actor), at `safety.max_stops_per_minute` and `autostop.max_concurrent_stops`;
 * - the journal, opened with an error handler: a record that cannot be written is logged in full
 *   and the run's `journal_error` is set (exit 5);
 * - the run summary notification;
 * - the outcome, hence the exit code (`actingOutcome`; numbers only in src/errors.ts).
 *
 * `planAndApply` is what the commands call: it turns the planner's candidates into a Plan, writes
 * it when `--plan-out FILE` was given, and applies it unless the run is planning only.
 */
import type { AppContext } from "../cli/context.js";
import type { Workspace } from "../coder/schemas.js";
import { buildPlan, deploymentOrigin, type Plan, type PlanCommand, type StopCandidate } from "../domain/plan.js";
import type { Outcome } from "../errors.js";
import { Journal, journalPathFor, newRunId } from "./journal.js";
import { anyFailed, type NotificationResult } from "./notify.js";
import { writePlanFile } from "./plan-file.js";
import { executeStops, stopEngineOptions } from "./stop-engine.js";
import type { StopRun } from "./types.js";

export type AppliedRun = StopRun & { notifications: NotificationResult[] };

/**
 * The outcome (hence the exit code, src/errors.ts) of every acting command, one rule:
 * 1. "partial" (exit 5) when any action failed, the journal could not be written, or a
 *    notification failed — even if a signal also ended the run: what went wrong must not be
 *    hidden by the interruption;
 * 2. otherwise the signal ("SIGINT" 130 / "SIGTERM" 143) when one ended the run early;
 * 3. otherwise "ok" (0).
 */
export function actingOutcome(run: Pick<StopRun, "summary" | "journal_error" | "interrupted">, notifications: readonly NotificationResult[] = []): Outcome {
  if (run.summary.failed > 0 || !!run.journal_error || anyFailed(notifications)) return "partial";
  if (run.interrupted) return run.interrupted;
  return "ok";
}

/** The journal keys of every acting command's JSON document. */
export function journalJson(run: Pick<StopRun, "journal_path" | "journal_error">): { journal_path: string | null; journal_error: string | null } {
  return { journal_path: run.journal_path ?? null, journal_error: run.journal_error ?? null };
}

/** The journal of an acting run: always opened with an error handler that logs the lost record. */
export function openRunJournal(ctx: AppContext): Journal {
  return Journal.open(journalPathFor(ctx), {
    redact: ctx.secrets.redactValue,
    onError: (err, record) => ctx.logger.error({ err: err.message, record }, "journal write failed: the record is logged here instead"),
  });
}

export interface ApplyOptions {
  /** false = dry run: every step `would-stop`/`would-start`, nothing changed. */
  execute: boolean;
  /** Where the circuit breaker's limit came from, named when it trips. */
  maxStopsSource?: string;
}

/**
 * Applies `plan`. `workspaces` holds, for each step, the workspace as read when planning (or, for
 * `apply`, as re-read and found unchanged): the Actor compares the state it reads just before
 * acting with it. A step without a workspace in the map is not applied (callers report it).
 */
export async function applyPlan(ctx: AppContext, plan: Plan, workspaces: ReadonlyMap<string, Workspace>, o: ApplyOptions): Promise<AppliedRun> {
  const candidates: StopCandidate[] = [];
  for (const s of plan.steps) {
    const ws = workspaces.get(s.workspace_id);
    if (!ws) continue;
    candidates.push({ workspace: ws, reasons: s.reasons, category: s.category, ...(s.evidence ? { evidence: s.evidence } : {}) });
  }
  const journal = candidates.length > 0 ? openRunJournal(ctx) : null;
  try {
    const opts = stopEngineOptions(ctx, {
      command: plan.command,
      execute: o.execute,
      maxStops: plan.options.max_stops ?? undefined,
      journal,
      transition: plan.options.transition,
    });
    if (o.maxStopsSource && plan.options.max_stops !== null) opts.maxStopsSource = o.maxStopsSource;
    return (await executeStops(ctx, candidates, opts)) as AppliedRun;
  } finally {
    journal?.close();
  }
}

export interface PlanRequest {
  command: PlanCommand;
  transition: "stop" | "start";
  candidates: readonly StopCandidate[];
  /** `--max-stops` (or `--max-starts`) for this run. */
  maxStops?: number | undefined;
  /** The flag that set maxStops, named when the breaker trips (default "--max-stops"). */
  maxStopsFlag?: string;
  force?: boolean;
}

/** The Plan of a run: the candidates as steps, stamped with `now`, the wall clock and the deployment. */
export function makePlan(ctx: AppContext, r: PlanRequest & { planOut?: string | undefined }): Plan {
  return buildPlan({
    id: newRunId(ctx.clock()),
    command: r.command,
    now: ctx.now.toUTC().toISO()!,
    createdAt: ctx.clock().toUTC().toISO()!,
    // A plan that is neither written nor acted on never needs the deployment (nor credentials).
    origin: r.candidates.length > 0 || r.planOut ? deploymentOrigin(ctx.client().baseUrl) : "(none)",
    transition: r.transition,
    maxStops: r.maxStops ?? null,
    ...(r.force !== undefined ? { force: r.force } : {}),
    candidates: r.candidates,
  });
}

export interface PlanAndApplyRequest extends PlanRequest {
  /** Act (false: dry run). */
  execute: boolean;
  /** `--plan-out FILE` (absolute): written before anything is applied. */
  planOut?: string | undefined;
}

export interface PlanAndApplyOutcome {
  plan: Plan;
  /** The file the plan was written to, or null. */
  planFile: string | null;
  run: AppliedRun;
}

/** Plan → (write) → apply: the whole acting part of quiet-hours, autostop, prune and rollback. */
export async function planAndApply(ctx: AppContext, r: PlanAndApplyRequest): Promise<PlanAndApplyOutcome> {
  const plan = makePlan(ctx, r);
  if (r.planOut) {
    writePlanFile(r.planOut, plan, ctx.secrets.redactValue);
    ctx.logger.info({ plan_file: r.planOut, plan_id: plan.id, steps: plan.steps.length }, "plan written");
  }
  const byId = new Map(r.candidates.map((c) => [c.workspace.id, c.workspace]));
  const run = await applyPlan(ctx, plan, byId, { execute: r.execute, maxStopsSource: r.maxStopsFlag ?? "--max-stops" });
  return { plan, planFile: r.planOut ?? null, run };
}
