/**
 * Operations hooks around the stop engine: the run lock and the notifications
 *
 * - `guardedStops` wraps one engine run: takes the run lock (execute runs with something to do,
 *   or with unanswered builds of earlier runs to verify), verifies those (write-ahead recovery,
 *   src/exec/recovery.ts), runs the engine, releases the lock, then sends the run summary
 *   (execute runs that acted).
 * - `warnUpcomingStops` sends the "stopping soon" warning for quiet-hours workspaces whose stop is
 *   due within `notifications.notification_threshold_minutes`, each workspace once per window:
 *   warnings are recorded in the journal as `notice` records and looked up there.
 *
 * Notification failures are results (exit 5), never exceptions, and never block a stop.
 */
import type { DateTime } from "luxon";
import type { AppContext } from "../cli/context.js";
import type { CategorizedWorkspace, Categorization } from "../domain/categorize.js";
import { policyWarnings, warnKeyStart, type PolicyCategorization, type PolicyItem } from "../domain/policy-decide.js";
import { isoUtc } from "../output/format.js";
import { Journal, JOURNAL_VERSION, journalPathFor, recordTime, scanJournalNewestFirst, type JournalNoticeRecord, type JournalRecord } from "./journal.js";
import { acquireRunLock, RunLockedError, runLockPath, type RunLock } from "./lock.js";
import { pendingIntents, recoverPendingIntents, recoverySince } from "./recovery.js";
import {
  channelsOf,
  deliver,
  summaryNotice,
  warningNotice,
  webhookTarget,
  type Channel,
  type NotificationsConfig,
  type NotificationResult,
  type NotifyDeps,
  type UpcomingStop,
} from "./notify.js";
import type { StopRun } from "./types.js";

/** Whether `command`'s notifications are on: channels configured, and for autostop `autostop.notification_enabled`. */
export function notificationsEnabled(ctx: Pick<AppContext, "config">, command: string): boolean {
  if (channelsOf(ctx.config.notifications).length === 0) return false;
  if (command === "autostop" && !ctx.config.autostop.notification_enabled) return false;
  return true;
}

function notifyDeps(ctx: AppContext): NotifyDeps {
  return ctx.notifyDeps();
}

function logFailures(ctx: AppContext, results: readonly NotificationResult[]): void {
  for (const r of results) {
    if (r.ok) ctx.logger.info({ channel: r.channel, kind: r.kind, target: r.target }, "notification sent");
    else ctx.logger.warn({ channel: r.channel, kind: r.kind, target: r.target, error: r.error }, "notification failed");
  }
}

/**
 * The summary after an execute run that acted on at least one workspace (quiet runs every
 * 15 minutes with nothing to do stay silent). Dry runs send nothing.
 */
export async function notifyAfterRun(ctx: AppContext, command: string, run: StopRun, execute: boolean, deps?: NotifyDeps): Promise<NotificationResult[]> {
  if (!execute || run.results.length === 0 || !notificationsEnabled(ctx, command)) return [];
  const verb = run.results.some((r) => r.outcome === "started") ? "started" : "stopped";
  const results = await deliver(ctx.config.notifications, ctx.secrets.redactValue(summaryNotice(command, run, verb)), deps ?? notifyDeps(ctx));
  logFailures(ctx, results);
  return results;
}

/** Whether the journal holds intents of earlier runs still to verify (read without the lock). */
function hasPendingIntents(ctx: AppContext, journal: Journal | null | undefined): boolean {
  try {
    return pendingIntents(journal?.path ?? journalPathFor(ctx), recoverySince(ctx)).pending.length > 0;
  } catch {
    return false;
  }
}

/**
 * Runs `inner` (one stop-engine run) under the run lock when it would act, then sends the
 * summary. The notification results are set on the returned run as `notifications`. An execute
 * run first verifies, under the lock, the builds of earlier runs whose answer was never recorded
 * (recoverPendingIntents); one with nothing to do takes the lock only when there are such builds.
 */
export async function guardedStops(
  ctx: AppContext,
  o: { command: string; execute: boolean; planned: number; journal?: Journal | null | undefined },
  inner: () => Promise<StopRun>,
): Promise<StopRun & { notifications: NotificationResult[] }> {
  let lock: RunLock | null = null;
  if (o.execute && (o.planned > 0 || hasPendingIntents(ctx, o.journal))) {
    const path = runLockPath(ctx);
    try {
      lock = acquireRunLock(path, o.command, ctx.lockDeps((m) => ctx.logger.warn(m)));
    } catch (err) {
      if (err instanceof RunLockedError) throw err;
      // The state directory is unusable (the journal will fail too, and report it: exit 5).
      // Coder's own 409 and the re-read before each action still prevent duplicate builds.
      ctx.logger.error(`run lock ${path} could not be created (${(err as Error).message}); continuing without it`);
    }
  }
  let run: StopRun;
  try {
    // Only under the lock: without it another run may be between an intent and its outcome.
    if (lock) await recoverPendingIntents(ctx, { command: o.command, journal: o.journal });
    run = await inner();
  } finally {
    lock?.release();
  }
  const notifications = await notifyAfterRun(ctx, o.command, run, o.execute);
  return Object.assign(run, { notifications });
}

/** A workspace in quiet-hours grace, with the window it belongs to. */
export interface GraceWorkspace extends UpcomingStop {
  /** Start of the quiet-hours window (ISO UTC): "once per window" is keyed on it. */
  window_start: string;
}

const warnKey = (w: { id: string; window_start: string }) => `${w.id}@${w.window_start}`;

/** Where a channel delivers, without secrets (as in NotificationResult.target). */
function channelTarget(n: NotificationsConfig, channel: Channel): string {
  if (channel === "email") return n.smtp.to.join(", ") || "(no recipients)";
  return webhookTarget((channel === "slack" ? n.slack_webhook : n.teams_webhook).trim());
}

/** Workspace/window pairs already warned, from the journal's notice records. */
export function warnedAlready(records: readonly JournalRecord[]): Set<string> {
  const out = new Set<string>();
  for (const r of records) {
    if (r.type !== "notice" || r.kind !== "warning" || !r.delivered) continue;
    for (const w of r.workspaces) out.add(warnKey(w));
  }
  return out;
}

/**
 * The warned workspace/window pairs that matter for `grace`, read from the journal newest first
 * as a stream: a warning for one of these windows cannot be older than the earliest window start
 * less the warning threshold, so reading stops a day before that (clock slack) and a journal of
 * any size is never loaded whole.
 */
export function warnedSince(path: string, grace: readonly GraceWorkspace[], thresholdMinutes: number, scan: { chunkBytes?: number } = {}): Set<string> {
  const earliest = grace.reduce((m, w) => Math.min(m, Date.parse(w.window_start)), Infinity);
  const cutoff = earliest - thresholdMinutes * 60_000 - 86_400_000;
  const notices: JournalRecord[] = [];
  scanJournalNewestFirst(
    path,
    (r) => {
      if (recordTime(r) < cutoff) return false;
      if (r.type === "notice") notices.push(r);
      return true;
    },
    scan,
  );
  return warnedAlready(notices);
}

/**
 * Which grace workspaces to warn now: due within the threshold, not yet due, not warned this window;
 * a `warn` policy's workspace (already due, never stopped) once per quiet time. Pure.
 */
export function selectWarnings(grace: readonly GraceWorkspace[], warned: ReadonlySet<string>, now: DateTime, thresholdMinutes: number): GraceWorkspace[] {
  const t = now.toMillis();
  const horizon = t + thresholdMinutes * 60_000;
  return grace.filter((w) => {
    const due = Date.parse(w.due_at);
    return (w.warn_policy !== undefined || (due > t && due <= horizon)) && !warned.has(warnKey(w));
  });
}

export interface WarningOutcome {
  /** Workspaces warned (or, in a dry run, that would be). */
  warned: GraceWorkspace[];
  /** Warned before in this window (not repeated). */
  already: number;
  results: NotificationResult[];
}

/**
 * Sends the "stopping soon" warning for quiet-hours grace workspaces. Sends only when
 * `send` (a real --execute run; a dry run reports what it would warn). A delivery that reached at
 * least one channel is recorded in the journal, so the next run does not warn again this window;
 * one that reached none is not, so the next run tries again.
 */
export async function warnUpcomingStops(
  ctx: AppContext,
  grace: readonly GraceWorkspace[],
  o: { send: boolean; journalPath?: string; deps?: NotifyDeps },
): Promise<WarningOutcome> {
  if (!notificationsEnabled(ctx, "quiet-hours") || grace.length === 0) return { warned: [], already: 0, results: [] };
  const path = o.journalPath ?? journalPathFor(ctx);
  let warned: Set<string>;
  try {
    warned = warnedSince(path, grace, ctx.config.notifications.notification_threshold_minutes);
  } catch (err) {
    // Without the journal nobody knows who was warned already: sending would repeat the warning
    // every run. Each channel reports the warning as not sent (exit 5); the stops are done.
    const error = `warning not sent: the journal ${path}, which records who was already warned, cannot be read (${(err as Error).message})`;
    const results = channelsOf(ctx.config.notifications).map(
      (channel): NotificationResult => ({ channel, kind: "warning", ok: false, target: channelTarget(ctx.config.notifications, channel), error }),
    );
    logFailures(ctx, results);
    return { warned: [], already: 0, results };
  }
  const threshold = ctx.config.notifications.notification_threshold_minutes;
  const due = selectWarnings(grace, warned, ctx.now, threshold);
  const already = grace.filter((w) => warned.has(warnKey(w))).length;
  if (due.length === 0 || !o.send) return { warned: due, already, results: [] };
  const results = await deliver(ctx.config.notifications, ctx.secrets.redactValue(warningNotice(due, ctx.now, ctx.config.quiet_hours.timezone)), o.deps ?? notifyDeps(ctx));
  logFailures(ctx, results);
  const record: JournalNoticeRecord = {
    type: "notice",
    v: JOURNAL_VERSION,
    run_id: `notice-${ctx.clock().toUTC().toFormat("yyyyMMdd'T'HHmmss'Z'")}`,
    at: ctx.clock().toUTC().toISO()!,
    kind: "warning",
    delivered: results.some((r) => r.ok),
    channels: results.map((r) => ({ channel: r.channel, ok: r.ok, error: r.error })),
    workspaces: due.map((w) => ({ id: w.id, owner: w.owner, name: w.name, window_start: w.window_start, due_at: w.due_at })),
  };
  const journal = Journal.open(path, { redact: ctx.secrets.redactValue, onError: (e) => ctx.logger.error(e.message) });
  journal.append(record);
  journal.close();
  return { warned: due, already, results };
}

/**
 * The quiet-hours stops still to come, from a categorisation: inside a window, the
 * workspaces in grace (due at their own grace end); before a window, every workspace that is
 * not excluded and would be inside it (due at the window's grace end). Pure.
 */
export function upcomingQuietStops(c: Categorization): GraceWorkspace[] {
  const entry = (i: CategorizedWorkspace, due: DateTime, windowStart: DateTime): GraceWorkspace => ({
    id: i.workspace.id,
    owner: i.workspace.owner_name,
    name: i.workspace.name,
    template: i.workspace.template_display_name || i.workspace.template_name,
    due_at: isoUtc(due),
    window_start: isoUtc(windowStart),
  });
  if (c.window) {
    const w = c.window;
    return c.items.filter((i) => i.category === "quiet_hours_grace" && i.dueAt).map((i) => entry(i, i.dueAt!, w.start));
  }
  const next = c.nextWindow;
  if (!next || !c.policy.enabled) return [];
  const due = next.start.plus({ seconds: c.policy.graceSeconds });
  return c.items.filter((i) => i.category !== "excluded").map((i) => entry(i, due, next.start));
}

/** Human lines for the warnings of a quiet-hours execute run. */
export function warningLines(w: WarningOutcome | null, dryRun: boolean): string[] {
  if (!w || (w.warned.length === 0 && w.already === 0)) return [];
  const lines: string[] = [];
  const soon = w.warned.filter((x) => x.warn_policy === undefined);
  const policyOnly = w.warned.filter((x) => x.warn_policy !== undefined);
  if (soon.length > 0) {
    lines.push(`⏰ ${dryRun ? "[DRY RUN] Would warn" : "Warning"}: ${soon.length} workspace${soon.length === 1 ? "" : "s"} stopping soon (${soon.map((x) => `${x.owner}/${x.name}`).join(", ")})`);
  }
  if (policyOnly.length > 0) {
    lines.push(
      `⏰ ${dryRun ? "[DRY RUN] Would warn" : "Warning"}: ${policyOnly.length} workspace${policyOnly.length === 1 ? "" : "s"} due under a warn-only policy, not stopped (${policyOnly.map((x) => `${x.owner}/${x.name} (${x.warn_policy})`).join(", ")})`,
    );
  }
  if (w.already > 0) lines.push(`⏰ ${w.already} workspace${w.already === 1 ? " was" : "s were"} already warned in this window`);
  return lines;
}

/**
 * The warnings of a run under policies: the quiet_hours section's workspaces as always
 * (`upcomingQuietStops`); a configured `stop` policy's workspaces in grace, keyed on their quiet
 * time's start; and a `warn` policy's due workspaces, warned once per quiet time instead of stopped.
 * Pure.
 */
export function policyUpcomingStops(c: PolicyCategorization): GraceWorkspace[] {
  const implicit = upcomingQuietStops({ ...c, items: c.items.filter((i) => i.resolution.policy.implicit) });
  const entry = (i: PolicyItem, due: DateTime, start: DateTime, warnPolicy?: string): GraceWorkspace => ({
    id: i.workspace.id,
    owner: i.workspace.owner_name,
    name: i.workspace.name,
    template: i.workspace.template_display_name || i.workspace.template_name,
    due_at: isoUtc(due),
    window_start: isoUtc(start),
    ...(warnPolicy ? { warn_policy: warnPolicy } : {}),
  });
  const configured = c.items.filter((i) => !i.resolution.policy.implicit);
  const grace = configured.filter((i) => i.action === "stop" && i.category === "quiet_hours_grace" && i.interval && i.dueAt).map((i) => entry(i, i.dueAt!, i.interval!.start));
  const warn = policyWarnings(c).map((i) => entry(i, i.dueAt ?? c.now, warnKeyStart(i), i.resolution.policy.name));
  return [...implicit, ...grace, ...warn];
}
