/**
 * The rollback planner: from the journal's records (read by the command), which of this tool's
 * stops to undo, and, given a Snapshot of those workspaces as they are now, which to start again
 * and which to leave (with the reason). Pure: no I/O.
 *
 * A stop is undone only when its stop build is still the workspace's latest build, a stop,
 * succeeded: the workspace is still stopped by this tool, not deleted, not started or stopped
 * again by anyone since. A stop already undone by an earlier rollback is skipped from the
 * journal alone.
 */
import type { DateTime } from "luxon";
import type { Workspace } from "../coder/schemas.js";
import { UsageError } from "../errors.js";
import type { JournalRecord, JournalRunRecord, JournalWorkspaceRecord } from "../exec/journal.js";
import type { StopCandidate } from "./plan.js";
import type { Snapshot } from "./snapshot.js";

/** One stop this tool made that rollback considers undoing. */
export interface StopToUndo {
  run_id: string;
  command: string;
  stopped_at: string;
  stop_build_id: string;
  workspace: JournalWorkspaceRecord["workspace"];
  reasons: string[];
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

/** Stops per workspace, the newest kept, oldest first (as stopsToUndo orders them). */
export function newestPerWorkspace(stops: readonly StopToUndo[]): StopToUndo[] {
  const latest = new Map<string, StopToUndo>();
  for (const s of stops) {
    const prev = latest.get(s.workspace.id);
    if (!prev || Date.parse(prev.stopped_at) <= Date.parse(s.stopped_at)) latest.set(s.workspace.id, s);
  }
  return [...latest.values()].sort((a, b) => Date.parse(a.stopped_at) - Date.parse(b.stopped_at) || a.workspace.id.localeCompare(b.workspace.id));
}

export interface RollbackPlan {
  /** The workspaces to start, oldest stop first. */
  candidates: StopCandidate[];
  /** Stop build id → the stop a candidate undoes, by workspace id. */
  byWorkspace: Map<string, StopToUndo>;
  /** Stops left alone, with the workspace as read (null: deleted, or not read) and why. */
  skipped: { stop: StopToUndo; ws: Workspace | null; why: string }[];
}

/** The workspace ids a rollback must read: the stops not already undone. */
export function rollbackNeeds(stops: readonly StopToUndo[], undone: ReadonlyMap<string, string>): string[] {
  return stops.filter((s) => !undone.has(s.stop_build_id)).map((s) => s.workspace.id);
}

export function planRollback(
  stops: readonly StopToUndo[],
  undone: ReadonlyMap<string, string>,
  snapshot: Pick<Snapshot, "workspaces" | "missing">,
  describeStop: (stop: StopToUndo) => string,
): RollbackPlan {
  const current = new Map(snapshot.workspaces.map((w) => [w.id, w]));
  const missing = new Set(snapshot.missing);
  const out: RollbackPlan = { candidates: [], byWorkspace: new Map(), skipped: [] };
  for (const stop of stops) {
    const prior = undone.get(stop.stop_build_id);
    if (prior) {
      out.skipped.push({ stop, ws: null, why: `already started again by rollback run ${prior}` });
      continue;
    }
    const ws = current.get(stop.workspace.id);
    if (!ws) {
      out.skipped.push({ stop, ws: null, why: missing.has(stop.workspace.id) ? "deleted" : "not read" });
      continue;
    }
    const why = verdict(stop, ws);
    if (why) {
      out.skipped.push({ stop, ws, why });
      continue;
    }
    out.byWorkspace.set(ws.id, stop);
    out.candidates.push({
      workspace: ws,
      category: "rollback",
      reasons: [describeStop(stop)],
      evidence: { rolled_back_run: stop.run_id, stop_build_id: stop.stop_build_id },
    });
  }
  out.candidates.sort((a, b) => Date.parse(out.byWorkspace.get(a.workspace.id)!.stopped_at) - Date.parse(out.byWorkspace.get(b.workspace.id)!.stopped_at));
  return out;
}
