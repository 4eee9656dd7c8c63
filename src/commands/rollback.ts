/**
 * `rollback`: restart the workspaces this tool stopped, from the journal.
 *
 * Which runs: `--run RUN_ID`, or every stopping run that started within `--since` (default
 * `safety.rollback_window_hours`) of the wall clock. Which workspaces: per workspace its most
 * recent stop by those runs that created a build (`stopped`), and only when that stop build is
 * still the workspace's latest build, a stop, succeeded — so the workspace is still stopped, not
 * deleted, and nobody started or stopped it since. A stop already undone by an earlier rollback
 * is skipped from the journal alone. A stop whose answer was never recorded (the run was killed
 * during its POST: an `intent` without a settled outcome) counts when a read shows its build was
 * made (see unansweredStops); the engine's recovery then journals it as that run's stop. The
 * restarts go through the stop engine with a start
 * transition (re-read before acting, bounded concurrency, rate bucket, circuit breaker,
 * emergency-stop file), under the run lock, and are journaled like any action; the engine also
 * sends the summary notification.
 */
import { resolve } from "node:path";
import type { DateTime } from "luxon";
import type { AppContext } from "../cli/context.js";
import type { Workspace } from "../coder/schemas.js";
import type { Plan } from "../domain/plan.js";
import { type CoderClient } from "../coder/client.js";
import { mapLimit } from "../util/concurrency.js";
import { alreadyUndone, newestPerWorkspace, planRollback, rollbackNeeds, selectRuns, stopsToUndo, type StopToUndo } from "../domain/rollback.js";
import { CoderApiError, ConfigError, UsageError } from "../errors.js";
import type { RollbackOptions } from "../cli/register/rollback.js";
import { actingOutcome, planAndApply } from "../exec/executor.js";
import { journalPathFor, scanJournalNewestFirst, type JournalRecord, type JournalRunRecord } from "../exec/journal.js";
import { describeResults, type NotificationResult } from "../exec/notify.js";
import { judgeBuild, pendingIntents } from "../exec/recovery.js";
import { loadSnapshot } from "../exec/snapshot.js";
import type { StopOutcome, StopResult, StopRun, StopSummary } from "../exec/types.js";
import type { CommandResult, Mode } from "../output/envelope.js";
import { workspaceEntry } from "../output/envelope.js";
import type { DataOf } from "../output/schema.js";
import { formatDuration, formatInstant } from "../output/format.js";
import { planFileLines } from "../output/plan-lines.js";

/** The planner's pieces, also used by tests and the journal tools. */
export { alreadyUndone, selectRuns, stopsToUndo, verdict, type StopToUndo } from "../domain/rollback.js";

/** This command's result, typed by its published schema. */
type CmdResult = CommandResult<DataOf<"rollback">>;
export type { RollbackOptions };

/** Result entry of rollback: the common workspace-entry keys plus where the stop came from. */
/** A start's outcome: the stop engine run with the start transition reports no stop outcomes. */
type StartOutcome = Exclude<StopOutcome, "stopped" | "would-stop">;

export interface RollbackResult extends StopResult {
  outcome: StartOutcome;
  stopped_by_run: string;
  stopped_by_command: string;
  stopped_at: string;
  stop_build_id: string;
}

/**
 * The journal records rollback needs, in file order, read newest first as a stream so a journal
 * of any size is never held whole: run records (small), the stops of the runs in question and
 * the starts of earlier rollbacks (which always come after the stops they undid). Reading stops
 * once the answer cannot change: for `--run`, at that run's `run` record (its workspace records
 * follow it); for `since`, at the first run record older than `since` once every newer workspace
 * record's run has been seen.
 */
export function rollbackRecords(
  path: string,
  o: { run?: string | undefined; since: DateTime },
  scan: { chunkBytes?: number } = {},
): { records: JournalRecord[]; skipped: number; missing: boolean } {
  const newestFirst: JournalRecord[] = [];
  const t = o.since.toMillis();
  const unseenRuns = new Set<string>();
  const { skipped, missing } = scanJournalNewestFirst(
    path,
    (r) => {
      if (r.type === "run") {
        newestFirst.push(r);
        unseenRuns.delete(r.run_id);
        if (o.run) return r.run_id !== o.run;
        return !(Date.parse(r.started_at) < t && unseenRuns.size === 0);
      }
      if (r.type !== "workspace") return true;
      const undo = r.action === "start" && r.outcome === "started";
      const stop = r.action === "stop" && r.outcome === "stopped" && (!o.run || r.run_id === o.run);
      if (undo || stop) {
        newestFirst.push(r);
        if (stop) unseenRuns.add(r.run_id);
      }
      return true;
    },
    scan,
  );
  return { records: newestFirst.reverse(), skipped, missing };
}

/**
 * The stops of the selected runs whose answer was never recorded (pending stop intents since
 * `sinceMs`), each verified by a read: those whose build was made are stops to consider, exactly
 * as if the run had recorded them. Read-only: the journal is written by the engine's recovery,
 * under the run lock.
 */
export async function unansweredStops(
  client: () => Pick<CoderClient, "getWorkspace" | "listWorkspaceBuilds">,
  path: string,
  runs: readonly JournalRunRecord[],
  sinceMs: number,
  concurrency: number,
): Promise<StopToUndo[]> {
  const byRun = new Map(runs.map((r) => [r.run_id, r]));
  const pending = pendingIntents(path, sinceMs).pending.filter((p) => p.intent.action === "stop" && byRun.has(p.intent.run_id));
  const found: StopToUndo[] = [];
  await mapLimit(pending, concurrency, async ({ intent }) => {
    let verdict: Awaited<ReturnType<typeof judgeBuild>>;
    try {
      const c = client();
      verdict = await judgeBuild(c, await c.getWorkspace(intent.workspace.id), intent.planned_build, "stop");
    } catch (err) {
      if (err instanceof CoderApiError && (err.status === 404 || err.status === 410)) return;
      throw err;
    }
    if (verdict.kind !== "ours") return;
    found.push({
      run_id: intent.run_id,
      command: byRun.get(intent.run_id)!.command,
      stopped_at: intent.at,
      stop_build_id: verdict.build.id,
      workspace: intent.workspace,
      reasons: intent.reasons,
    });
  });
  return found;
}

export async function rollbackCommand(ctx: AppContext, opts: RollbackOptions): Promise<CmdResult> {
  const safety = ctx.config.safety;
  if (!safety.rollback_enabled) {
    throw new ConfigError("rollback is disabled by safety.rollback_enabled: false in the configuration; nothing was read or started");
  }
  if (opts.run && opts.sinceSeconds !== undefined) throw new UsageError("--run and --since cannot be combined: pick one run, or a time window");
  if (opts.execute && opts.dryRun) ctx.logger.info("--dry-run given: nothing is started");
  const execute = opts.execute && !opts.dryRun && !ctx.config.dry_run;
  const mode: Mode = execute ? "execute" : "dry-run";
  const windowSeconds = opts.sinceSeconds ?? Math.round(safety.rollback_window_hours * 3600);
  const since = ctx.clock().minus({ seconds: windowSeconds });
  if (opts.sinceSeconds !== undefined && opts.sinceSeconds > safety.rollback_window_hours * 3600) {
    ctx.logger.warn(`--since ${formatDuration(opts.sinceSeconds)} reaches past safety.rollback_window_hours (${safety.rollback_window_hours}h)`);
  }

  const journalPath = journalPathFor(ctx);
  let contents: ReturnType<typeof rollbackRecords>;
  try {
    contents = rollbackRecords(journalPath, { run: opts.run, since });
  } catch (err) {
    throw new ConfigError(
      `the journal ${journalPath} cannot be read (${(err as Error).message}); nothing was started. Check journal.path / XDG_STATE_HOME and that this user owns the file`,
    );
  }
  if (contents.skipped > 0) ctx.logger.warn({ journal: journalPath, skipped: contents.skipped }, "journal lines that are not valid records were skipped (a torn line from a crash is expected)");
  const runs = selectRuns(contents.records, { run: opts.run, since });
  const recorded = stopsToUndo(contents.records, new Set(runs.map((r) => r.run_id)));
  const undone = alreadyUndone(contents.records);
  // Stops of these runs killed before their answer was recorded (verified by a read).
  const oldestRun = runs.reduce((m, r) => Math.min(m, Date.parse(r.started_at)), Infinity);
  const unanswered = runs.length === 0 ? [] : await unansweredStops(() => ctx.client(), journalPath, runs, oldestRun, ctx.config.http.concurrency);
  const stops = unanswered.length === 0 ? recorded : newestPerWorkspace([...recorded, ...unanswered]);

  // Plan: read the workspaces once (bounded concurrency), then decide (src/domain/rollback.ts).
  const ids = rollbackNeeds(stops, undone);
  const snapshot = ids.length > 0 ? await loadSnapshot(ctx, { workspaceIds: ids }) : { workspaces: [], missing: [] };
  const zone = ctx.config.quiet_hours.timezone;
  const planned = planRollback(stops, undone, snapshot, (stop) => `Stopped by ${stop.command} run ${stop.run_id} at ${formatInstant(stop.stopped_at, zone)}`);
  const { candidates, byWorkspace } = planned;
  const skippedAtPlan = planned.skipped.map((k) => planSkip(k.stop, k.ws, k.why));

  // The executor takes the run lock for an execute run and sends the summary notification.
  const { run, plan, planFile } = await planAndApply(ctx, {
    command: "rollback",
    transition: "start",
    candidates,
    execute,
    maxStops: opts.maxStarts,
    maxStopsFlag: "--max-starts",
    planOut: opts.planOut === undefined ? undefined : resolve(ctx.cwd, opts.planOut),
  });

  const acted: RollbackResult[] = run.results.map((r) => {
    const stop = byWorkspace.get(r.id)!;
    return { ...r, outcome: r.outcome as StartOutcome, stopped_by_run: stop.run_id, stopped_by_command: stop.command, stopped_at: stop.stopped_at, stop_build_id: stop.stop_build_id };
  });
  const results = [...acted, ...skippedAtPlan.sort((a, b) => Date.parse(a.stopped_at) - Date.parse(b.stopped_at))];
  const summary: StopSummary = {
    planned: results.length,
    succeeded: run.summary.succeeded,
    skipped: run.summary.skipped + skippedAtPlan.length,
    failed: run.summary.failed,
  };

  const notifications: NotificationResult[] = run.notifications;

  const data: DataOf<"rollback"> = {
    rollback_run_id: run.results.length > 0 ? run.run_id : null,
    runs: runs.map((r) => ({ run_id: r.run_id, command: r.command, started_at: r.started_at, planned: r.planned })),
    since: opts.run ? null : since.toUTC().toISO(),
    results,
    summary,
    interrupted: run.interrupted,
    notifications,
    // The journal is read before anything is planned: its path is always known.
    journal_path: journalPath,
    journal_error: run.journal_error ?? null,
    journal_skipped_lines: contents.skipped,
    plan_id: plan.id,
    plan_file: planFile,
  };
  const human = () => renderHuman(ctx, { execute, opts, since, runs, results, summary, run, notifications, missing: contents.missing, journalPath, plan, planFile });
  return { command: "rollback", mode, data, human, outcome: actingOutcome(run, notifications) };
}

function planSkip(stop: StopToUndo, ws: Workspace | null, why: string): RollbackResult {
  const entry = ws
    ? workspaceEntry(ws)
    : { ...stop.workspace, status: why === "deleted" ? "deleted" : "stopped" };
  return {
    ...entry,
    reasons: [],
    outcome: "skipped",
    error: why,
    build_id: null,
    category: "rollback",
    stopped_by_run: stop.run_id,
    stopped_by_command: stop.command,
    stopped_at: stop.stopped_at,
    stop_build_id: stop.stop_build_id,
  };
}

interface HumanInput {
  execute: boolean;
  opts: RollbackOptions;
  since: DateTime;
  runs: JournalRunRecord[];
  results: RollbackResult[];
  summary: StopSummary;
  run: StopRun;
  notifications: NotificationResult[];
  missing: boolean;
  journalPath: string;
  plan: Plan;
  planFile: string | null;
}

function renderHuman(ctx: AppContext, h: HumanInput): string {
  const zone = ctx.config.quiet_hours.timezone;
  const scope = h.opts.run ? `run ${h.opts.run}` : `runs since ${formatInstant(h.since.toUTC().toISO(), zone)}`;
  const lines = ["=".repeat(80), `ROLLBACK - ${scope}`, "=".repeat(80)];
  if (h.missing) lines.push(`No journal at ${h.journalPath}: this tool has not stopped anything here yet.`);
  lines.push(`Runs considered: ${h.runs.length}${h.runs.length ? ` (${h.runs.map((r) => `${r.run_id} ${r.command}`).join(", ")})` : ""}`);
  if (h.results.length === 0) {
    lines.push("", "✅ Nothing to roll back: no workspace stopped by these runs.", ...planFileLines(h.planFile, h.plan, h.execute));
    return lines.join("\n");
  }
  lines.push("", h.execute ? `↩️  Starting ${h.run.results.length} workspaces:` : `🧪 [DRY RUN] Would start ${h.run.results.length} workspaces:`);
  for (const r of h.results) {
    const icon = r.outcome === "started" ? "✅" : r.outcome === "would-start" ? "🧪" : r.outcome === "failed" ? "❌" : "⏭️ ";
    lines.push(`  ${icon} ${r.owner}/${r.name} (${r.template}): ${r.outcome}${r.error ? ` — ${r.error}` : ""}`);
    lines.push(`      Stopped by ${r.stopped_by_command} run ${r.stopped_by_run} at ${formatInstant(r.stopped_at, zone)}`);
  }
  const s = h.summary;
  lines.push("", `📊 Rollback ${h.execute ? "completed" : "dry run"}: planned ${s.planned}, ${h.execute ? "started" : "would start"} ${s.succeeded}, skipped ${s.skipped}, failed ${s.failed}`);
  if (!h.execute && h.run.results.length > 0) lines.push("💡 Run again with --execute to start them.");
  if (h.run.interrupted) lines.push(`⚠️  Interrupted by ${h.run.interrupted}: the remaining workspaces were not started.`);
  if (h.run.journal_error) lines.push(`⚠️  journal not written: ${h.run.journal_error}`);
  lines.push(...planFileLines(h.planFile, h.plan, h.execute));
  lines.push(...describeResults(h.notifications));
  return lines.join("\n");
}
