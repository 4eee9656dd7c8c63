/**
 * The stop engine, shared by every command that stops (or, for rollback, starts)
 * workspaces. Plan, then act:
 *
 * 1. Safety first, before any request that changes anything: the circuit breaker (more
 *    candidates than `maxStops` → SafetyAbortError, exit 7) and, for a run that would act, the
 *    emergency-stop file (`safety.emergency_stop_file`) → exit 7.
 * 2. Per workspace, in batches of `batchSize` with at most `concurrency` in flight and at most
 *    `perMinute` POSTs in any minute: re-read the workspace; skip it (with the reason) when its
 *    latest build changed since the plan, it is no longer in the expected state, or a job is
 *    pending/running; otherwise POST the build. 409 → skipped "build already active"; 404/410 →
 *    skipped "deleted"; 400 on `reason` → once more without `reason` (older servers); 429 → wait
 *    Retry-After, once more. A POST is never retried blindly: after a network error or a 5xx the
 *    workspace is read again to find out whether the build was created (the build numbered
 *    right after the planned one, with our transition). A 502/503/504 is a proxy's answer, not
 *    Coder's: like a lost connection, an unchanged workspace then proves nothing, and the outcome
 *    is journaled `uncertain` so the next run reads it again (src/exec/recovery.ts).
 * 3. A failed action is an outcome (`failed` with Coder's error); the run goes on.
 * 4. SIGINT/SIGTERM: no new actions start; in-flight ones finish and are recorded; the rest are
 *    `skipped` "interrupted".
 * 5. Once Coder stops answering (a re-read's connection still failing after retries, or
 *    SERVER_ERRORS_TO_HALT re-reads in a row answered 5xx/429 after retries) or rejects the token, the
 *    workspaces not yet attempted fail at once with that reason rather than each retrying a dead
 *    server; in-flight ones finish.
 *
 * Dry run (`execute: false`): no request at all per workspace (the plan was made from a listing
 * taken moments ago; re-reading thousands of workspaces only to print "would stop" adds load
 * without changing what a real run would do, which re-reads anyway). Every candidate is
 * `would-stop`. The circuit breaker applies (a dry run shows what `--execute` would do, and that
 * would abort); the emergency-stop file does not (nothing would be changed).
 *
 * Every outcome is journaled (run, one record per workspace, run-end) when a journal is given;
 * each POST is preceded by an `intent` record (write-ahead), which the outcome record names.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { AppContext } from "../cli/context.js";
import type { Workspace, WorkspaceBuild } from "../coder/schemas.js";
import { CoderApiError, SafetyAbortError, UnreachableError } from "../errors.js";
import { mapLimit } from "../util/concurrency.js";
import { retry } from "../util/retry.js";
import { workspaceEntry } from "../output/envelope.js";
import { JOURNAL_VERSION, resolveConfiguredPath, stateDir, newRunId, type Journal, type JournalIntentRecord, type JournalWorkspaceRecord } from "./journal.js";
import { guardedStops } from "./notify-hooks.js";
import { describeBuild, judgeBuild } from "./recovery.js";
import { TokenBucket } from "./rate.js";
import type { StopCandidate, StopOutcome, StopResult, StopRun, StopSummary } from "./types.js";

export interface StopEngineOptions {
  /** The command name recorded in the journal ("quiet-hours", "autostop", "prune", "rollback"). */
  command: string;
  /** false = dry run: no POST (and no per-workspace request), outcomes `would-stop`/`would-start`. */
  execute: boolean;
  /** Circuit breaker: more candidates than this aborts the run (exit 7) before any POST. */
  maxStops: number;
  /** Where maxStops came from, named in the abort message. Default "safety.max_stops_per_run". */
  maxStopsSource?: string;
  /** Most POSTs in flight at once (`autostop.max_concurrent_stops`). */
  concurrency: number;
  /** Most POSTs in any 60 s (`safety.max_stops_per_minute`). */
  perMinute: number;
  /** Workspaces per batch (`autostop.batch_size`); progress is logged and the signal checked between batches. */
  batchSize: number;
  journal: Journal | null;
  /** Default "stop". "start" (rollback) expects stopped workspaces and POSTs a start. */
  transition?: "stop" | "start";
  /** Recorded in the journal's run record; defaults to "execute"/"dry-run". */
  mode?: string;
  /** Run id to use (default: a new one). */
  runId?: string;
  /** The reason sent with the build, where the server accepts it. Default "cli"; never autostop/autostart. */
  buildReason?: "cli" | "dashboard";
}

/** Engine options from the configuration, with `--max-stops` / dry run applied. */
export function stopEngineOptions(
  ctx: AppContext,
  o: { command: string; execute: boolean; maxStops?: number | undefined; journal: Journal | null; transition?: "stop" | "start" },
): StopEngineOptions {
  const c = ctx.config;
  return {
    command: o.command,
    execute: o.execute,
    maxStops: o.maxStops ?? c.safety.max_stops_per_run,
    maxStopsSource: o.maxStops !== undefined ? "--max-stops" : "safety.max_stops_per_run",
    concurrency: c.autostop.max_concurrent_stops,
    perMinute: c.safety.max_stops_per_minute,
    batchSize: c.autostop.batch_size,
    journal: o.journal,
    transition: o.transition ?? "stop",
  };
}

/** The emergency-stop file: `safety.emergency_stop_file` or `$XDG_STATE_HOME/coder-agents/EMERGENCY_STOP`. */
export function emergencyStopPath(ctx: Pick<AppContext, "config" | "env" | "home" | "configDir">): string {
  const f = ctx.config.safety.emergency_stop_file;
  if (f) return resolveConfiguredPath(f, ctx.home, ctx.configDir);
  return join(stateDir(ctx.env, ctx.home), "EMERGENCY_STOP");
}

/** Throws SafetyAbortError (exit 7) when emergency stop is enabled and its file exists. */
export function checkEmergencyStop(ctx: Pick<AppContext, "config" | "env" | "home" | "configDir">): void {
  if (!ctx.config.safety.emergency_stop_enabled) return;
  const path = emergencyStopPath(ctx);
  if (existsSync(path)) {
    throw new SafetyAbortError(
      `emergency stop is on (${path} exists): no workspace was stopped or started. Remove the file to resume automated actions.`,
    );
  }
}

/**
 * Throws SafetyAbortError (exit 7) when the plan is larger than the circuit breaker allows. A dry
 * run aborts too (the real run would), so the message says how to see the whole plan: a dry run
 * with the limit raised.
 */
export function checkCircuitBreaker(
  planned: number,
  maxStops: number,
  source = "safety.max_stops_per_run",
  verb = "stop",
  dryRun = false,
): void {
  if (planned <= maxStops) return;
  const head = `circuit breaker: the plan would ${verb} ${planned} workspaces, more than the limit of ${maxStops} per run (${source}); `;
  throw new SafetyAbortError(
    dryRun
      ? head +
          `a real run would abort here, so this dry run does too. See the whole plan with --dry-run --max-stops ${planned}; ` +
          `then run it with --max-stops ${planned} or raise safety.max_stops_per_run.`
      : head +
          `nothing was changed. Review the plan with --dry-run --max-stops ${planned}, then raise the limit for this run ` +
          `with --max-stops ${planned} or permanently with safety.max_stops_per_run.`,
  );
}

/** Runs the plan. Throws SafetyAbortError before acting; otherwise every candidate gets an outcome. */
export async function executeStops(ctx: AppContext, candidates: readonly StopCandidate[], opts: StopEngineOptions): Promise<StopRun> {
  // The run lock (overlapping runs never act twice) and the run summary notification.
  return guardedStops(ctx, { command: opts.command, execute: opts.execute, planned: candidates.length, journal: opts.journal }, () =>
    runStops(ctx, candidates, opts),
  );
}

async function runStops(ctx: AppContext, candidates: readonly StopCandidate[], opts: StopEngineOptions): Promise<StopRun> {
  const transition = opts.transition ?? "stop";
  checkCircuitBreaker(candidates.length, opts.maxStops, opts.maxStopsSource, transition, !opts.execute);
  if (opts.execute && candidates.length > 0) checkEmergencyStop(ctx);

  const runId = opts.runId ?? newRunId(ctx.clock());
  const journal = opts.journal;
  const mode = opts.mode ?? (opts.execute ? "execute" : "dry-run");
  const results: (StopResult | undefined)[] = new Array(candidates.length);
  if (candidates.length === 0) {
    return { run_id: runId, results: [], summary: summarize([]), interrupted: null, journal_path: journal?.path ?? null, journal_error: journal?.error ?? null };
  }
  journal?.append({
    type: "run",
    v: JOURNAL_VERSION,
    run_id: runId,
    command: opts.command,
    mode,
    now: ctx.now.toUTC().toISO()!,
    config_hash: ctx.configHash,
    started_at: ctx.clock().toUTC().toISO()!,
    transition,
    planned: candidates.length,
  });

  const record = (i: number, outcome: StopOutcome, error: string | null, buildId: string | null, observed?: Workspace, wal: Wal = {}) => {
    const c = candidates[i]!;
    const at = ctx.clock().toUTC().toISO()!;
    const r: StopResult = workspaceEntry(c.workspace, { reasons: c.reasons, outcome, error, build_id: buildId, category: c.category, at });
    results[i] = r;
    if (journal) journal.append({ ...journalRecord(runId, transition, c, r, observed), intent_id: wal.intentId ?? null, ...(wal.uncertain ? { uncertain: true } : {}) });
    // One line per action only with --verbose (the journal records every one); failures always.
    const log = outcome === "failed" ? "warn" : "debug";
    ctx.logger[log]({ run_id: runId, workspace: `${r.owner}/${r.name}`, outcome, error, build_id: buildId }, `${transition} ${outcome}`);
  };

  const total = candidates.length;
  const progress = ctx.progress(opts.execute ? `${transition === "stop" ? "stopping" : "starting"} workspaces` : "planning");
  let done = 0;
  const finished = () => progress.update(++done, total);

  if (!opts.execute) {
    const outcome: StopOutcome = transition === "stop" ? "would-stop" : "would-start";
    candidates.forEach((_c, i) => {
      record(i, outcome, null, null);
      finished();
    });
  } else {
    const bucket = new TokenBucket(opts.perMinute, { now: () => ctx.clock().toMillis(), sleep: (ms, s) => ctx.sleep(ms, s) });
    // Write-ahead: the intent is on disk (fsynced) before its POST leaves.
    let intents = 0;
    const intend = (c: StopCandidate, current: Workspace): string => {
      const intentId = `${runId}/${++intents}`;
      journal?.append(intentRecord(runId, intentId, ctx.clock().toUTC().toISO()!, transition, c, current));
      return intentId;
    };
    const act = new Actor(ctx, bucket, transition, opts.buildReason ?? "cli", intend);
    const batch = Math.max(1, opts.batchSize);
    const batches = Math.ceil(total / batch);
    for (let b = 0; b < batches; b++) {
      const idx = Array.from({ length: Math.min(batch, total - b * batch) }, (_v, k) => b * batch + k);
      if (ctx.signal.aborted) break;
      // Once the run's signal aborts no new workspace starts; those never started are recorded as interrupted below.
      await mapLimit(
        idx,
        opts.concurrency,
        async (i) => {
          const o = await act.one(candidates[i]!);
          record(i, o.outcome, o.error, o.buildId, o.observed, o);
          finished();
        },
        { signal: ctx.signal },
      );
      const so = summarize(results.filter((r): r is StopResult => !!r));
      ctx.logger.debug(
        { run_id: runId, batch: b + 1, batches, succeeded: so.succeeded, skipped: so.skipped, failed: so.failed },
        `batch ${b + 1}/${batches} done`,
      );
    }
  }
  progress.done();
  const interrupted = ctx.signal.aborted ? (ctx.interruptedBy() ?? "SIGINT") : null;
  candidates.forEach((_c, i) => {
    if (!results[i]) record(i, "skipped", `interrupted by ${interrupted ?? "signal"} before this ${transition} started`, null);
  });
  const final = results as StopResult[];
  const summary = summarize(final);
  journal?.append({
    type: "run-end",
    v: JOURNAL_VERSION,
    run_id: runId,
    at: ctx.clock().toUTC().toISO()!,
    summary,
    interrupted,
    journal_error: journal.error,
  });
  return { run_id: runId, results: final, summary, interrupted, journal_path: journal?.path ?? null, journal_error: journal?.error ?? null };
}

/** Counts outcomes: stopped/would-stop/started/would-start are successes. */
export function summarize(results: readonly StopResult[]): StopSummary {
  const s: StopSummary = { planned: results.length, succeeded: 0, skipped: 0, failed: 0 };
  for (const r of results) {
    if (r.outcome === "skipped") s.skipped++;
    else if (r.outcome === "failed") s.failed++;
    else s.succeeded++;
  }
  return s;
}

/** The write-ahead part of an outcome: the intent it settles, and whether it is still uncertain. */
interface Wal {
  intentId?: string;
  /** The answer was lost and no build was seen: the next run verifies it again. */
  uncertain?: boolean;
}

interface ActOutcome extends Wal {
  outcome: StopOutcome;
  error: string | null;
  buildId: string | null;
  observed?: Workspace;
}

/** Statuses a proxy or load balancer answers with on its own: the POST may have reached Coder. */
const GATEWAY_STATUSES = new Set([502, 503, 504]);

const JOB_ACTIVE = new Set(["pending", "running", "canceling"]);
/** Re-reads failing in a row with 5xx/429 (after retries) that halt the run as an outage. */
export const SERVER_ERRORS_TO_HALT = 3;

/** One workspace: re-read, check, rate-limit, POST, interpret. */
class Actor {
  /**
   * Set once Coder stops answering (retries exhausted) or rejects the token: the remaining
   * workspaces are not attempted, each failing at once with this reason, instead of each spending
   * its own retry budget on a dead server.
   */
  private halted: string | null = null;
  /** Re-reads in a row that Coder answered with a server error (5xx/429, after the client's retries). */
  private serverErrorsInARow = 0;

  constructor(
    private readonly ctx: AppContext,
    private readonly bucket: TokenBucket,
    private readonly transition: "stop" | "start",
    private readonly reason: string,
    /** Journals the intent of the POST about to be sent; returns its id. */
    private readonly intend: (c: StopCandidate, current: Workspace) => string,
  ) {}

  private get expectedStatus(): string {
    return this.transition === "stop" ? "running" : "stopped";
  }

  private get done(): StopOutcome {
    return this.transition === "stop" ? "stopped" : "started";
  }

  async one(c: StopCandidate): Promise<ActOutcome> {
    const { ctx } = this;
    const interrupted = (): ActOutcome => ({ outcome: "skipped", error: `interrupted by ${ctx.interruptedBy() ?? "signal"} before this ${this.transition} started`, buildId: null });
    if (ctx.signal.aborted) return interrupted();
    if (this.halted) return { outcome: "failed", error: `not attempted: ${this.halted}`, buildId: null };
    const client = ctx.client();
    const planned = c.workspace.latest_build;
    let current: Workspace;
    try {
      current = await client.getWorkspace(c.workspace.id);
    } catch (err) {
      if (ctx.signal.aborted) return interrupted();
      if (err instanceof CoderApiError && (err.status === 404 || err.status === 410)) return { outcome: "skipped", error: "deleted", buildId: null };
      // A dead connection or a rejected token speaks for every workspace. A 5xx on one
      // workspace's read may be about that workspace alone, but SERVER_ERRORS_TO_HALT of them in
      // a row (each already retried by the client) is an outage: halted like a timeout outage.
      if (err instanceof UnreachableError) this.halted ??= `Coder stopped answering earlier in this run (${message(err)})`;
      else if (err instanceof CoderApiError && err.status === 401) this.halted ??= `Coder rejected the token earlier in this run (${message(err)})`;
      else if (err instanceof CoderApiError && (err.status >= 500 || err.status === 429) && ++this.serverErrorsInARow >= SERVER_ERRORS_TO_HALT) {
        this.halted ??= `Coder answered ${this.serverErrorsInARow} re-reads in a row with server errors earlier in this run (${message(err)})`;
      }
      return { outcome: "failed", error: `could not re-read the workspace before the ${this.transition}, so nothing was done: ${message(err)}`, buildId: null };
    }
    this.serverErrorsInARow = 0;
    const skip = this.changed(planned, current);
    if (skip) return { outcome: "skipped", error: skip, buildId: null, observed: current };
    try {
      await this.bucket.take(ctx.signal);
    } catch {
      return interrupted();
    }
    if (ctx.signal.aborted) {
      this.bucket.refund();
      return interrupted();
    }
    return this.post(c, current);
  }

  /** Why the workspace must not be acted on any more, or null. */
  private changed(planned: WorkspaceBuild, now: Workspace): string | null {
    const b = now.latest_build;
    if (b.id !== planned.id) {
      return `latest build changed since the plan (build #${planned.build_number} → #${b.build_number}, ${b.transition} ${b.status}${b.initiator_name ? ` by ${b.initiator_name}` : ""})`;
    }
    if (JOB_ACTIVE.has(b.job.status)) return `a build job is ${b.job.status}`;
    if (b.status !== this.expectedStatus) return `no longer ${this.expectedStatus} (status ${b.status})`;
    return null;
  }

  private async post(c: StopCandidate, current: Workspace): Promise<ActOutcome> {
    const intentId = this.intend(c, current);
    return { ...(await this.sendBuild(c, current)), intentId };
  }

  private async sendBuild(c: StopCandidate, current: Workspace): Promise<ActOutcome> {
    const { ctx } = this;
    const client = ctx.client();
    let withReason = true;
    const send = () => client.createBuild(c.workspace.id, withReason ? { transition: this.transition, reason: this.reason } : { transition: this.transition });
    let waitInterrupted = false;
    try {
      // 429 means the request was not processed: wait as told, then try once more.
      const build = await retry(
        async () => {
          try {
            return await send();
          } catch (err) {
            if (!(err instanceof CoderApiError && err.status === 400 && withReason && mentionsReason(err))) throw err;
            // Older servers do not know the `reason` field: once more without it.
            withReason = false;
            return await send();
          }
        },
        {
          maxAttempts: 2,
          retryable: (err) => err instanceof CoderApiError && err.status === 429,
          delayMs: (err) => Math.min((err as CoderApiError).retryAfterMs ?? 1000, 60_000),
          sleep: (ms) =>
            ctx.sleep(ms, ctx.signal).catch((e: unknown) => {
              waitInterrupted = true;
              throw e;
            }),
          onRetry: (_err, _n, wait) =>
            ctx.logger.warn({ workspace: `${c.workspace.owner_name}/${c.workspace.name}`, wait_ms: wait }, "rate limited by Coder; waiting before one more try"),
        },
      );
      return { outcome: this.done, error: null, buildId: build.id };
    } catch (err) {
      if (waitInterrupted) {
        return { outcome: "skipped", error: `rate limited (429), then interrupted by ${ctx.interruptedBy() ?? "signal"}; not ${this.done}`, buildId: null };
      }
      if (err instanceof CoderApiError) {
        if (err.status === 409) return { outcome: "skipped", error: "build already active", buildId: null };
        if (err.status === 404 || err.status === 410) return { outcome: "skipped", error: "deleted", buildId: null };
        if (err.status < 500) return { outcome: "failed", error: message(err), buildId: null };
      }
      // Network error or 5xx: the build may or may not exist. Look instead of retrying.
      return this.verify(c, current, err);
    }
  }

  /**
   * After a POST whose answer was an error or never came: did the build get created? Decided by a
   * read (see judgeBuild), never assumed. Coder's own 5xx means the request was handled, so an
   * unchanged workspace then means no build. After a timeout, a lost connection or a proxy's
   * 502/503/504 the request may still be on its way or in progress: an unchanged workspace
   * proves nothing, and the outcome stays `uncertain` for the next run to verify.
   */
  private async verify(c: StopCandidate, before: Workspace, postErr: unknown): Promise<ActOutcome> {
    const answered = postErr instanceof CoderApiError && !GATEWAY_STATUSES.has(postErr.status);
    try {
      const client = this.ctx.client();
      const after = await client.getWorkspace(c.workspace.id, { detached: true });
      const verdict = await judgeBuild(client, after, before.latest_build, this.transition);
      if (verdict.kind === "ours") return { outcome: this.done, error: null, buildId: verdict.build.id, observed: after };
      const state =
        verdict.kind === "other"
          ? `latest build is now ${describeBuild(after.latest_build)}`
          : answered
            ? "the workspace is unchanged, so no build was created"
            : `the workspace was unchanged when checked, but the ${this.transition} may still reach Coder: the next run checks it again (or verify this workspace by hand)`;
      return { outcome: "failed", error: `${message(postErr)}; ${state}`, buildId: null, observed: after, uncertain: !answered && verdict.kind === "none" };
    } catch (err) {
      return {
        outcome: "failed",
        error: `${message(postErr)}; checking whether the ${this.transition} was created also failed (${message(err)}): the next run checks it again (or verify this workspace by hand)`,
        buildId: null,
        uncertain: true,
      };
    }
  }
}

function mentionsReason(err: CoderApiError): boolean {
  return err.validations.some((v) => v.field.toLowerCase() === "reason") || /\breason\b/i.test(`${err.apiMessage} ${err.detail ?? ""}`);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The planned build and the policy's evidence, as journaled with an intent and its outcome. */
function plannedEvidence(c: StopCandidate): Record<string, unknown> {
  const w = c.workspace;
  const b = w.latest_build;
  return {
    status: b.status,
    build_id: b.id,
    build_number: b.build_number,
    build_transition: b.transition,
    build_created_at: b.created_at,
    deadline: b.deadline,
    max_deadline: b.max_deadline,
    last_used_at: w.last_used_at,
    ...c.evidence,
  };
}

function intentRecord(runId: string, intentId: string, at: string, action: "stop" | "start", c: StopCandidate, current: Workspace): JournalIntentRecord {
  const e = workspaceEntry(c.workspace);
  return {
    type: "intent",
    v: JOURNAL_VERSION,
    run_id: runId,
    intent_id: intentId,
    at,
    action,
    workspace: { id: e.id, owner: e.owner, name: e.name, template: e.template, organization: e.organization },
    category: c.category,
    reasons: c.reasons,
    planned_build: { id: current.latest_build.id, build_number: current.latest_build.build_number },
    evidence: plannedEvidence(c),
  };
}

function journalRecord(runId: string, action: "stop" | "start", c: StopCandidate, r: StopResult, observed?: Workspace): JournalWorkspaceRecord {
  const evidence = plannedEvidence(c);
  if (observed) {
    evidence.observed = {
      status: observed.latest_build.status,
      build_id: observed.latest_build.id,
      build_number: observed.latest_build.build_number,
      transition: observed.latest_build.transition,
      job_status: observed.latest_build.job.status,
    };
  }
  return {
    type: "workspace",
    v: JOURNAL_VERSION,
    run_id: runId,
    at: r.at ?? new Date(0).toISOString(),
    action,
    workspace: { id: r.id, owner: r.owner, name: r.name, template: r.template, organization: r.organization },
    category: c.category,
    reasons: c.reasons,
    outcome: r.outcome,
    error: r.error,
    build_id: r.build_id,
    evidence,
  };
}
