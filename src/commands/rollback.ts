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
import type { DateTime } from "luxon";
import type { AppContext } from "../cli/context.js";
import { mapLimit, type CoderClient } from "../coder/client.js";
import type { Workspace } from "../coder/schemas.js";
import { ConfigError, CoderApiError, UsageError } from "../errors.js";
import {
  Journal,
  journalPathFor,
  scanJournalNewestFirst,
  type JournalRecord,
  type JournalRunRecord,
  type JournalWorkspaceRecord,
} from "../exec/journal.js";
import { anyFailed, describeResults, type NotificationResult } from "../exec/notify.js";
import { judgeBuild, pendingIntents } from "../exec/recovery.js";
import type { StopCandidate, StopResult, StopRun, StopSummary } from "../exec/types.js";
import type { CommandResult, Mode } from "../output/envelope.js";
import { workspaceEntry } from "../output/envelope.js";
import { formatDuration, formatInstant } from "../output/format.js";
import type { RollbackOptions } from "../cli/register/rollback.js";

/**
 * This command's result. Its data is still assembled as records in places, so it is not yet typed
 * by its published schema (the e2e tests parse its JSON with the schema instead).
 */
type CmdResult = CommandResult;
export type { RollbackOptions };

/** One stop this tool made that rollback considers undoing. */
export interface StopToUndo {
  run_id: string;
  command: string;
  stopped_at: string;
  stop_build_id: string;
  workspace: JournalWorkspaceRecord["workspace"];
  reasons: string[];
}

/** Result entry of rollback: the common workspace-entry keys plus where the stop came from. */
export interface RollbackResult extends StopResult {
  stopped_by_run: string;
  stopped_by_command: string;
  stopped_at: string;
  stop_build_id: string;
}

/**
 * The stops to consider, newest per workspace: `stopped` workspace records with a build id, from
 * the selected (non-rollback, execute-mode) runs. Pure.
 */
export function stopsToUndo(records: readonly JournalRecord[], runIds: ReadonlySet<string>): StopToUndo[] {
  const runs = new Map(records.filter((r): r is JournalRunRecord => r.type === "run").map((r) => [r.run_id, r]));
  const stops: StopToUndo[] = [];
  for (const r of records) {
    if (r.type !== "workspace" || !runIds.has(r.run_id)) continue;
    if (r.action !== "stop" || r.outcome !== "stopped" || !r.build_id) continue;
    const run = runs.get(r.run_id);
    stops.push({
      run_id: r.run_id,
      command: run?.command ?? "unknown",
      stopped_at: r.at,
      stop_build_id: r.build_id,
      workspace: r.workspace,
      reasons: r.reasons,
    });
  }
  return newestPerWorkspace(stops);
}

/** Stop build id → the rollback run that already started the workspace again after it. */
export function alreadyUndone(records: readonly JournalRecord[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of records) {
    if (r.type !== "workspace" || r.action !== "start" || r.outcome !== "started") continue;
    const id = r.evidence.stop_build_id;
    if (typeof id === "string") out.set(id, r.run_id);
  }
  return out;
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

/** The runs to undo: `--run`, or every stopping execute run started at or after `since`. */
export function selectRuns(records: readonly JournalRecord[], opts: { run?: string | undefined; since: DateTime }): JournalRunRecord[] {
  const runs = records.filter((r): r is JournalRunRecord => r.type === "run");
  if (opts.run) {
    const found = runs.find((r) => r.run_id === opts.run);
    if (!found) {
      const recent = runs.filter((r) => r.transition === "stop" && r.mode === "execute").slice(-5).map((r) => `${r.run_id} (${r.command})`);
      throw new UsageError(`--run ${opts.run}: no such run in the journal${recent.length ? `; recent stopping runs: ${recent.join(", ")}` : ""}`);
    }
    if (found.transition !== "stop") throw new UsageError(`--run ${opts.run}: that run was a ${found.command} (${found.transition}); only runs that stopped workspaces can be rolled back`);
    return [found];
  }
  const t = opts.since.toMillis();
  return runs.filter((r) => r.transition === "stop" && r.mode === "execute" && Date.parse(r.started_at) >= t);
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

/** Stops per workspace, the newest kept, oldest first (as stopsToUndo orders them). */
function newestPerWorkspace(stops: readonly StopToUndo[]): StopToUndo[] {
  const latest = new Map<string, StopToUndo>();
  for (const s of stops) {
    const prev = latest.get(s.workspace.id);
    if (!prev || Date.parse(prev.stopped_at) <= Date.parse(s.stopped_at)) latest.set(s.workspace.id, s);
  }
  return [...latest.values()].sort((a, b) => Date.parse(a.stopped_at) - Date.parse(b.stopped_at) || a.workspace.id.localeCompare(b.workspace.id));
}

/** Why the workspace must not be started, judged from its current state; null = start it. */
export function verdict(stop: StopToUndo, ws: Workspace): string | null {
  const b = ws.latest_build;
  if (b.id !== stop.stop_build_id) {
    const who = b.initiator_name ? ` by ${b.initiator_name}` : "";
    if (b.transition === "delete") return `being deleted or deleted${who} since (build #${b.build_number})`;
    if (b.transition === "start") return `started${who} since (build #${b.build_number}, ${b.status})`;
    return `stopped again${who} since (build #${b.build_number}, ${b.transition} ${b.status})`;
  }
  if (b.transition !== "stop") return `latest build is a ${b.transition}, not this tool's stop`;
  if (b.job.status !== "succeeded" || b.status !== "stopped") return `our stop build did not finish cleanly (status ${b.status}, job ${b.job.status})`;
  return null;
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

  // Plan: read each workspace's current state (bounded concurrency).
  const client = stops.some((s) => !undone.has(s.stop_build_id)) ? ctx.client() : null;
  const skippedAtPlan: RollbackResult[] = [];
  const candidates: StopCandidate[] = [];
  const byWorkspace = new Map<string, StopToUndo>();
  const progress = ctx.progress("reading workspaces");
  let read = 0;
  await mapLimit(stops, ctx.config.http.concurrency, async (stop) => {
    const prior = undone.get(stop.stop_build_id);
    if (prior) {
      skippedAtPlan.push(planSkip(stop, null, `already started again by rollback run ${prior}`));
      return;
    }
    let ws: Workspace;
    try {
      ws = await client!.getWorkspace(stop.workspace.id);
    } catch (err) {
      if (err instanceof CoderApiError && (err.status === 404 || err.status === 410)) {
        skippedAtPlan.push(planSkip(stop, null, "deleted"));
        return;
      }
      throw err;
    } finally {
      progress.update(++read, stops.length);
    }
    const why = verdict(stop, ws);
    if (why) {
      skippedAtPlan.push(planSkip(stop, ws, why));
      return;
    }
    byWorkspace.set(ws.id, stop);
    candidates.push({
      workspace: ws,
      category: "rollback",
      reasons: [`Stopped by ${stop.command} run ${stop.run_id} at ${formatInstant(stop.stopped_at, ctx.config.quiet_hours.timezone)}`],
      evidence: { rolled_back_run: stop.run_id, stop_build_id: stop.stop_build_id },
    });
  });
  progress.done();
  candidates.sort((a, b) => Date.parse(byWorkspace.get(a.workspace.id)!.stopped_at) - Date.parse(byWorkspace.get(b.workspace.id)!.stopped_at));

  const engine = await import("../exec/stop-engine.js");
  const act = async (): Promise<StopRun> => {
    const journal = candidates.length > 0 ? Journal.open(journalPath, { redact: ctx.secrets.redactValue, onError: (e) => ctx.logger.error(e.message) }) : null;
    try {
      const o = engine.stopEngineOptions(ctx, { command: "rollback", execute, maxStops: opts.maxStarts, journal, transition: "start" });
      return await engine.executeStops(ctx, candidates, { ...o, maxStopsSource: opts.maxStarts !== undefined ? "--max-starts" : "safety.max_stops_per_run" });
    } finally {
      journal?.close();
    }
  };
  // The engine takes the run lock for an execute run and sends the summary notification.
  const run = await act();

  const acted: RollbackResult[] = run.results.map((r) => {
    const stop = byWorkspace.get(r.id)!;
    return { ...r, stopped_by_run: stop.run_id, stopped_by_command: stop.command, stopped_at: stop.stopped_at, stop_build_id: stop.stop_build_id };
  });
  const results = [...acted, ...skippedAtPlan.sort((a, b) => Date.parse(a.stopped_at) - Date.parse(b.stopped_at))];
  const summary: StopSummary = {
    planned: results.length,
    succeeded: run.summary.succeeded,
    skipped: run.summary.skipped + skippedAtPlan.length,
    failed: run.summary.failed,
  };

  const notifications: NotificationResult[] = run.notifications ?? [];

  const data = {
    rollback_run_id: run.results.length > 0 ? run.run_id : null,
    runs: runs.map((r) => ({ run_id: r.run_id, command: r.command, started_at: r.started_at, planned: r.planned })),
    since: opts.run ? null : since.toUTC().toISO(),
    results,
    summary,
    interrupted: run.interrupted,
    notifications,
    journal_path: journalPath,
    journal_error: run.journal_error ?? null,
    journal_skipped_lines: contents.skipped,
  };
  const failed = summary.failed > 0 || !!run.journal_error || anyFailed(notifications);
  const human = () => renderHuman(ctx, { execute, opts, since, runs, results, summary, run, notifications, missing: contents.missing, journalPath });
  return { command: "rollback", mode, data, human, outcome: failed ? "partial" : "ok" };
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
}

function renderHuman(ctx: AppContext, h: HumanInput): string {
  const zone = ctx.config.quiet_hours.timezone;
  const scope = h.opts.run ? `run ${h.opts.run}` : `runs since ${formatInstant(h.since.toUTC().toISO(), zone)}`;
  const lines = ["=".repeat(80), `ROLLBACK - ${scope}`, "=".repeat(80)];
  if (h.missing) lines.push(`No journal at ${h.journalPath}: this tool has not stopped anything here yet.`);
  lines.push(`Runs considered: ${h.runs.length}${h.runs.length ? ` (${h.runs.map((r) => `${r.run_id} ${r.command}`).join(", ")})` : ""}`);
  if (h.results.length === 0) {
    lines.push("", "✅ Nothing to roll back: no workspace stopped by these runs.");
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
  lines.push(...describeResults(h.notifications));
  return lines.join("\n");
}
