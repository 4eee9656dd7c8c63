/**
 * TTL compliance (the Python `TTLMonitorAgent.analyze_workspace_ttl`, with D24 fixed):
 * classifies each workspace by its latest build's status and its effective stop time, the earlier of
 * `deadline` and `max_deadline`. Pure: `now` and the threshold are inputs.
 *
 * Statuses:
 * - `EXPIRED`: running and at or past its deadline or max_deadline (remaining <= 0 ms: Coder's
 *   executor stops a workspace when its tick is not before the deadline, so the deadline instant
 *   itself is expired, as in quiet-hours);
 * - `EXPIRING_SOON`: running and 0 < remaining <= threshold;
 * - `BUMPED_BY_ACTIVITY` (in the `running` bucket): it would be expiring soon, but its owner is
 *   active (used in the last 15 min) and Coder keeps bumping the deadline by the template's
 *   `activity_bump_ms`, and no max_deadline within the threshold caps it (Coder's own autostop
 *   reminder skips such workspaces, `shouldRemindAutostop`);
 * - `RUNNING`: running with time left beyond the threshold, or with no deadline at all
 *   (`stops_only_manually`: Coder will never stop it by itself);
 * - `STOPPED`: the latest build is a completed stop;
 * - every other status (starting, stopping, pending, failed, canceling, canceled, deleting, deleted)
 *   is reported as itself, upper-cased (`STARTING`, `FAILED`…), in the transitional bucket.
 */

/** The fields of a Coder workspace the classification reads. */
import { effectiveStop, type StopSource } from "./deadlines.js";
import { activityBump, deadlineReached } from "./lifecycle.js";

export { effectiveStop, type StopSource };

export interface TtlWorkspaceInput {
  id: string;
  owner_name: string;
  name: string;
  template_id: string;
  template_name: string;
  organization_name: string;
  ttl_ms: number | null;
  created_at: string;
  updated_at?: string | undefined;
  last_used_at: string | null;
  latest_build: { status: string; deadline: string | null; max_deadline: string | null };
}

/** What the classification knows of the workspace's template: its activity bump (null: Coder's default, 1 h; 0: off). */
export interface TtlTemplateInfo {
  activityBumpMs: number | null;
}

export type TtlBucket = "expired" | "expiring_soon" | "running" | "stopped" | "transitional";

/** What stops a running workspace first: its deadline (TTL) or its max_deadline (autostop requirement). */

export interface TtlClassification {
  bucket: TtlBucket;
  /** `EXPIRED`, `EXPIRING_SOON`, `RUNNING`, `STOPPED`, or the upper-cased transitional status. */
  complianceStatus: string;
  /** The effective stop instant (ISO, as the API gave it), null when there is none. */
  stopsAt: string | null;
  stopSource: StopSource | null;
  /** Seconds until `stopsAt`, floored (negative once passed); null without a stop time. */
  secondsRemaining: number | null;
  /** Running with neither deadline nor max_deadline: Coder never stops it by itself. */
  stopsOnlyManually: boolean;
  /** Active owner: where activity keeps the deadline (ISO), null when not bumped by activity. */
  bumpedDeadline: string | null;
}

/** Seconds from `nowMs` to `atMs`, floored so that any instant already past is negative. */
export function secondsLeft(atMs: number, nowMs: number): number {
  return Math.floor((atMs - nowMs) / 1000);
}

/**
 * Classifies one workspace at `nowMs` with a warning threshold of `thresholdSeconds`. Without
 * `template` the activity bump is not considered (nothing is known of the template).
 */
export function classifyTtl(ws: TtlWorkspaceInput, nowMs: number, thresholdSeconds: number, template?: TtlTemplateInfo): TtlClassification {
  const status = ws.latest_build.status;
  const stop = effectiveStop(ws.latest_build);
  const secondsRemaining = stop.atMs === null ? null : secondsLeft(stop.atMs, nowMs);
  const base = { stopsAt: stop.at, stopSource: stop.source, secondsRemaining, stopsOnlyManually: false, bumpedDeadline: null };
  if (status === "stopped") return { ...base, bucket: "stopped", complianceStatus: "STOPPED" };
  if (status !== "running") return { ...base, bucket: "transitional", complianceStatus: status.toUpperCase() };
  if (stop.atMs === null) return { ...base, bucket: "running", complianceStatus: "RUNNING", stopsOnlyManually: true };
  if (deadlineReached(stop.atMs, nowMs)) return { ...base, bucket: "expired", complianceStatus: "EXPIRED" };
  if (stop.atMs - nowMs <= thresholdSeconds * 1000) {
    if (template) {
      const bump = activityBump(ws, nowMs, template.activityBumpMs, thresholdSeconds * 1000);
      if (bump.active && !bump.trappedByMaxDeadline && bump.bumpedDeadlineMs !== null) {
        return { ...base, bucket: "running", complianceStatus: "BUMPED_BY_ACTIVITY", bumpedDeadline: new Date(bump.bumpedDeadlineMs).toISOString() };
      }
    }
    return { ...base, bucket: "expiring_soon", complianceStatus: "EXPIRING_SOON" };
  }
  return { ...base, bucket: "running", complianceStatus: "RUNNING" };
}

/** One classified workspace, in the order it was listed. */
export interface TtlAnalysis<W extends TtlWorkspaceInput = TtlWorkspaceInput> {
  workspace: W;
  result: TtlClassification;
}

export interface TtlBuckets<W extends TtlWorkspaceInput = TtlWorkspaceInput> {
  expired: TtlAnalysis<W>[];
  expiring_soon: TtlAnalysis<W>[];
  running: TtlAnalysis<W>[];
  stopped: TtlAnalysis<W>[];
  transitional: TtlAnalysis<W>[];
}

/**
 * Classifies every workspace and sorts the buckets as the Python report did: `expired` most overdue
 * first, `expiring_soon` soonest first (ties by owner/name); the other buckets keep listing order.
 */
export function bucketTtl<W extends TtlWorkspaceInput>(
  workspaces: readonly W[],
  nowMs: number,
  thresholdSeconds: number,
  templateOf?: (w: W) => TtlTemplateInfo | undefined,
): TtlBuckets<W> {
  const out: TtlBuckets<W> = { expired: [], expiring_soon: [], running: [], stopped: [], transitional: [] };
  for (const w of workspaces) {
    const result = classifyTtl(w, nowMs, thresholdSeconds, templateOf?.(w));
    out[result.bucket].push({ workspace: w, result });
  }
  const bySeconds = (a: TtlAnalysis<W>, b: TtlAnalysis<W>) =>
    (a.result.secondsRemaining ?? 0) - (b.result.secondsRemaining ?? 0) ||
    a.workspace.owner_name.localeCompare(b.workspace.owner_name) ||
    a.workspace.name.localeCompare(b.workspace.name);
  out.expired.sort(bySeconds);
  out.expiring_soon.sort(bySeconds);
  return out;
}

/**
 * `buckets` (from bucketTtl without templates) as bucketTtl with `templateOf` would give them, for
 * the same `workspaces` in the same order. The template is read only for a running workspace due
 * within the threshold, so only the expiring-soon ones are classified again; one whose deadline
 * Coder keeps bumping joins `running` at its listing position. A whole-fleet report thus
 * classifies each workspace once, not twice.
 */
export function withTemplates<W extends TtlWorkspaceInput>(
  buckets: TtlBuckets<W>,
  workspaces: readonly W[],
  nowMs: number,
  thresholdSeconds: number,
  templateOf: (w: W) => TtlTemplateInfo | undefined,
): TtlBuckets<W> {
  const again = bucketTtl(
    buckets.expiring_soon.map((a) => a.workspace),
    nowMs,
    thresholdSeconds,
    templateOf,
  );
  if (again.running.length === 0) return { ...buckets, expiring_soon: again.expiring_soon };
  const bumped = new Map(again.running.map((a) => [a.workspace, a]));
  const running: TtlAnalysis<W>[] = [];
  let j = 0;
  for (const w of workspaces) {
    if (buckets.running[j]?.workspace === w) running.push(buckets.running[j++]!);
    else {
      const b = bumped.get(w);
      if (b) running.push(b);
    }
  }
  return { ...buckets, expiring_soon: again.expiring_soon, running };
}

/** `--fail-on` gate: `expired` trips on any EXPIRED; `expiring` on any EXPIRED or EXPIRING_SOON. */
export type FailOn = "expired" | "expiring";

export function failOnMatched(failOn: FailOn | null, counts: { expired: number; expiring_soon: number }): boolean {
  if (failOn === "expired") return counts.expired > 0;
  if (failOn === "expiring") return counts.expired + counts.expiring_soon > 0;
  return false;
}
