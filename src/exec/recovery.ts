/**
 * Recovery of the write-ahead journal: an `intent` record is written before each build POST and
 * settled by the outcome record written after the answer. An intent without a settled outcome
 * means the answer never got recorded (the process was killed during the POST, the journal
 * could not be written) or was lost on the way (a network error, a timeout, a proxy's
 * 502/503/504) while the workspace still looked unchanged. Such a POST is never taken as "no
 * build was created" without a read: at the start of every acting run, under the run lock, each
 * pending intent of the look-back (`safety.rollback_window_hours`) is verified by reading the
 * workspace, and the outcome is appended with `recovered` set, under the intent's own run id so
 * that `rollback`, `savings` and the dashboard count it with the run that made it.
 *
 * Whose build is it: Coder numbers a workspace's builds one by one and refuses a new build while
 * one is in progress, so a POST planned against build #n creates build #n+1 if it creates one.
 * The build right after the planned one, with the intended transition, is ours; the planned build
 * still latest means nothing was created; anything else means someone else acted first.
 */
import type { AppContext } from "../cli/context.js";
import { mapLimit } from "../util/concurrency.js";
import type { Workspace, WorkspaceBuild } from "../coder/schemas.js";
import { CoderApiError } from "../errors.js";
import {
  Journal,
  JOURNAL_VERSION,
  journalPathFor,
  recordTime,
  scanJournalNewestFirst,
  type JournalIntentRecord,
  type JournalWorkspaceRecord,
} from "./journal.js";

/** The client calls the verification needs (the real CoderClient has them). */
export interface BuildReader {
  getWorkspace(id: string, o?: { detached?: boolean }): Promise<Workspace>;
  listWorkspaceBuilds(id: string, page: { limit: number; offset: number }): Promise<WorkspaceBuild[]>;
}

/** What became of a POST planned against `planned`, judged from the workspace read after it. */
export type BuildVerdict =
  | { kind: "ours"; build: WorkspaceBuild }
  | { kind: "none" }
  | { kind: "other"; build: WorkspaceBuild };

/**
 * Decides from `after` (the workspace read after the POST) whether the POST created its build:
 * the build numbered right after the planned one, with the intended transition. When more builds
 * followed, that one is looked up in the build history (newest first, one page).
 */
export async function judgeBuild(
  client: Pick<BuildReader, "listWorkspaceBuilds">,
  after: Workspace,
  planned: { id: string; build_number: number },
  transition: "stop" | "start",
): Promise<BuildVerdict> {
  const latest = after.latest_build;
  if (latest.id === planned.id || latest.build_number <= planned.build_number) return { kind: "none" };
  let next = latest;
  if (latest.build_number > planned.build_number + 1) {
    const page = await client.listWorkspaceBuilds(after.id, { limit: latest.build_number - planned.build_number, offset: 0 });
    const found = page.find((b) => b.build_number === planned.build_number + 1);
    if (!found) return { kind: "other", build: latest };
    next = found;
  }
  return next.transition === transition ? { kind: "ours", build: next } : { kind: "other", build: next };
}

/** How a later build reads in a message: "#13 start running by alice". */
export function describeBuild(b: WorkspaceBuild): string {
  return `#${b.build_number} ${b.transition} ${b.status}${b.initiator_name ? ` by ${b.initiator_name}` : ""}`;
}

/** An intent whose outcome is not settled, and the uncertain outcome written for it, if any. */
export interface PendingIntent {
  intent: JournalIntentRecord;
  uncertain: JournalWorkspaceRecord | null;
}

/**
 * The intents written at or after `sinceMs` whose outcome is missing or uncertain, oldest first.
 * Streams the journal newest first (a settling outcome always comes after its intent, so it is
 * seen first) and stops at the first record older than `sinceMs`.
 */
export function pendingIntents(path: string, sinceMs: number, scan: { chunkBytes?: number } = {}): { pending: PendingIntent[]; skipped: number; missing: boolean } {
  const settled = new Set<string>();
  const uncertain = new Map<string, JournalWorkspaceRecord>();
  const pending: PendingIntent[] = [];
  const { skipped, missing } = scanJournalNewestFirst(
    path,
    (r) => {
      if (recordTime(r) < sinceMs) return false;
      if (r.type === "workspace" && r.intent_id) {
        if (!r.uncertain) settled.add(r.intent_id);
        else if (!settled.has(r.intent_id) && !uncertain.has(r.intent_id)) uncertain.set(r.intent_id, r);
      } else if (r.type === "intent" && !settled.has(r.intent_id)) {
        pending.push({ intent: r, uncertain: uncertain.get(r.intent_id) ?? null });
      }
      return true;
    },
    scan,
  );
  return { pending: pending.reverse(), skipped, missing };
}

/** The look-back of recovery: the rollback window (older stops cannot be rolled back anyway). */
export function recoverySince(ctx: Pick<AppContext, "clock" | "config">): number {
  return ctx.clock().toMillis() - ctx.config.safety.rollback_window_hours * 3_600_000;
}

export interface RecoveryReport {
  /** Intents verified: the build was created (stopped/started by that run). */
  applied: number;
  /** Intents verified: no build of ours exists (the POST never took effect). */
  not_applied: number;
  /** Intents that could not be verified now (the read failed): left for the next run. */
  unresolved: number;
}

const done = (t: "stop" | "start") => (t === "stop" ? "stopped" : "started");

/** The outcome record for `intent`, as verified now. */
function recoveredRecord(
  ctx: AppContext,
  command: string,
  intent: JournalIntentRecord,
  o: Pick<JournalWorkspaceRecord, "outcome" | "error" | "build_id">,
  observed: Workspace | null,
): JournalWorkspaceRecord {
  const evidence: Record<string, unknown> = { ...intent.evidence };
  if (observed) {
    const b = observed.latest_build;
    evidence.observed = { status: b.status, build_id: b.id, build_number: b.build_number, transition: b.transition, job_status: b.job.status };
  }
  return {
    type: "workspace",
    v: JOURNAL_VERSION,
    run_id: intent.run_id,
    at: ctx.clock().toUTC().toISO()!,
    action: intent.action,
    workspace: intent.workspace,
    category: intent.category,
    reasons: intent.reasons,
    ...o,
    evidence,
    intent_id: intent.intent_id,
    recovered: { by_command: command, intent_at: intent.at },
  };
}

/** Verifies one pending intent by reading its workspace; null when it cannot be decided now. */
async function verifyIntent(ctx: AppContext, command: string, p: PendingIntent): Promise<JournalWorkspaceRecord | null> {
  const { intent } = p;
  const client: BuildReader = ctx.client();
  const what = `the ${intent.action} sent by run ${intent.run_id} at ${intent.at} ${p.uncertain ? "had no certain answer" : "had no recorded answer"}`;
  let after: Workspace;
  try {
    after = await client.getWorkspace(intent.workspace.id, { detached: true });
  } catch (err) {
    if (err instanceof CoderApiError && (err.status === 404 || err.status === 410)) {
      return recoveredRecord(ctx, command, intent, { outcome: "skipped", error: `recovered: ${what}; the workspace has been deleted since`, build_id: null }, null);
    }
    ctx.logger.warn({ run_id: intent.run_id, workspace: `${intent.workspace.owner}/${intent.workspace.name}`, error: (err as Error).message }, "could not verify an unanswered build; the next run tries again");
    return null;
  }
  let verdict: BuildVerdict;
  try {
    verdict = await judgeBuild(client, after, intent.planned_build, intent.action);
  } catch (err) {
    ctx.logger.warn({ run_id: intent.run_id, workspace: `${intent.workspace.owner}/${intent.workspace.name}`, error: (err as Error).message }, "could not read the build history to verify an unanswered build; the next run tries again");
    return null;
  }
  if (verdict.kind === "ours") {
    return recoveredRecord(ctx, command, intent, { outcome: done(intent.action), error: null, build_id: verdict.build.id }, after);
  }
  const state =
    verdict.kind === "none"
      ? `the workspace's latest build is still the planned #${intent.planned_build.build_number}, so it did not take effect`
      : `the build after the planned #${intent.planned_build.build_number} is ${describeBuild(verdict.build)}, not ours, so it did not take effect`;
  return recoveredRecord(ctx, command, intent, { outcome: "failed", error: `recovered: ${what}; ${state}`, build_id: null }, after);
}

/**
 * Verifies every pending intent of the look-back and appends its outcome. Call it under the run
 * lock (no other run is then between an intent and its outcome). Uses `journal` when the run has
 * one open, otherwise opens (and closes) the configured journal. Never throws for Coder or journal
 * errors: an intent that cannot be verified now stays pending for the next run.
 */
export async function recoverPendingIntents(
  ctx: AppContext,
  o: { command: string; journal?: Journal | null; pending?: PendingIntent[] },
): Promise<RecoveryReport> {
  const report: RecoveryReport = { applied: 0, not_applied: 0, unresolved: 0 };
  const path = o.journal?.path ?? journalPathFor(ctx);
  let pending: PendingIntent[];
  try {
    pending = o.pending ?? pendingIntents(path, recoverySince(ctx)).pending;
  } catch (err) {
    ctx.logger.warn({ journal: path, error: (err as Error).message }, "could not read the journal to verify unanswered builds");
    return report;
  }
  if (pending.length === 0) return report;
  const own = o.journal ? null : Journal.open(path, { redact: ctx.secrets.redactValue, onError: (e) => ctx.logger.error(e.message) });
  const journal = (o.journal ?? own)!;
  try {
    await mapLimit(pending, ctx.config.http.concurrency, async (p) => {
      const rec = await verifyIntent(ctx, o.command, p);
      if (!rec) {
        report.unresolved++;
        return;
      }
      journal.append(rec);
      if (rec.outcome === "stopped" || rec.outcome === "started") report.applied++;
      else report.not_applied++;
      ctx.logger.warn(
        { run_id: rec.run_id, workspace: `${rec.workspace.owner}/${rec.workspace.name}`, outcome: rec.outcome, build_id: rec.build_id, error: rec.error },
        `unanswered ${rec.action} of run ${rec.run_id} verified: ${rec.outcome}`,
      );
    });
  } finally {
    own?.close();
  }
  return report;
}
