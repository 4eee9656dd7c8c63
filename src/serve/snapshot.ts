/**
 * What the dashboard shows, computed from Coder with the run's own client by the same code as the
 * commands: the pending stops of `autostop --list-pending`, the compliance of `ttl-monitor --all`,
 * the last runs from the journal, and `savings` per week. Only workspace data goes into a
 * snapshot: never the token, the Coder URL's credentials or configuration secrets.
 */
import { DateTime } from "luxon";
import type { AppContext, Progress } from "../cli/context.js";
import { autostopCommand } from "../commands/autostop.js";
import { autostopOptions } from "../cli/register/autostop.js";
import { ttlMonitorOptions } from "../cli/register/ttl-monitor.js";
import { savingsReport } from "../commands/savings.js";
import { mapLimit } from "../util/concurrency.js";
import { CoderApiError } from "../errors.js";
import { isValidZone } from "../domain/quiet-window.js";
import { ttlMonitorCommand } from "../commands/ttl-monitor.js";
import type { SavingsReport } from "../domain/savings.js";
import { journalPathFor, scanJournalNewestFirst, type JournalRunEndRecord, type JournalRunRecord } from "../exec/journal.js";
import { autostopDataSchema } from "../output/schemas/autostop.js";
import { ttlMonitorDataSchema } from "../output/schemas/ttl-monitor.js";
import { isoUtc } from "../output/format.js";
import type { z } from "zod";

export interface TimelineEntry {
  owner: string;
  name: string;
  template: string;
  organization: string;
  /** Next stop (ISO UTC), its cause and hours from `now` (negative = overdue); null = only manually. */
  stops_at: string | null;
  cause: string | null;
  hours_from_now: number | null;
  /** The stop as local time in the dashboard's zone, e.g. "Mon 20:00 GMT". */
  stops_at_local: string | null;
  /** The owner's own zone (their Coder quiet-hours schedule), and the stop in it; null when unknown. */
  owner_zone: string | null;
  stops_at_owner_local: string | null;
  excluded: string | null;
}

export interface RunRow {
  run_id: string;
  command: string;
  mode: string;
  started_at: string;
  planned: number;
  summary: JournalRunEndRecord["summary"] | null;
  /** "done", "interrupted" or "no end record" (killed). */
  status: string;
}

export interface Snapshot {
  generated_at: string;
  now: string;
  /** True when --now fixed the instant. */
  now_fixed: boolean;
  zone: string;
  horizon_hours: number;
  timeline: TimelineEntry[];
  /** Running workspaces that stop later than the horizon, or only manually. */
  later: TimelineEntry[];
  compliance: {
    summary: z.infer<typeof ttlMonitorDataSchema>["summary"];
    threshold_seconds: number;
    attention: { owner: string; name: string; template: string; status: string; stops_at: string | null; time_remaining: string }[];
  };
  runs: RunRow[];
  savings: { since: string; currency: string; totals: SavingsReport["totals"]; by_week: SavingsReport["by_week"]; by_policy: SavingsReport["by_policy"] };
}

const HORIZON_HOURS = 24;
const RUNS_SHOWN = 10;
const silentProgress = (): Progress => ({ update() {}, done() {} });

/** The context of one refresh: the command code evaluates at `now`, without progress lines. */
export function contextAt(ctx: AppContext, now: DateTime): AppContext {
  return { ...ctx, now, progress: silentProgress };
}

export async function pendingStops(ctx: AppContext, ownerSchedules: boolean): Promise<z.infer<typeof autostopDataSchema>> {
  const r = await autostopCommand(ctx, autostopOptions(ownerSchedules ? { ownerSchedules: true } : {}));
  return autostopDataSchema.parse(r.data);
}

export async function compliance(ctx: AppContext): Promise<z.infer<typeof ttlMonitorDataSchema>> {
  const r = await ttlMonitorCommand(ctx, ttlMonitorOptions({ all: true }));
  return ttlMonitorDataSchema.parse(r!.data);
}

/** The last runs in the journal, newest first, with their end records. */
export function lastRuns(ctx: AppContext, limit = RUNS_SHOWN): RunRow[] {
  // Newest first, streamed, stopping at the `limit`-th run: a run's end record follows it in the
  // file, so every end record of the runs kept has been seen by then.
  const runs: JournalRunRecord[] = [];
  const ends = new Map<string, JournalRunEndRecord>();
  scanJournalNewestFirst(journalPathFor(ctx), (r) => {
    if (r.type === "run-end") ends.set(r.run_id, r);
    else if (r.type === "run") runs.push(r);
    return runs.length < limit;
  });
  return runs
    .sort((a, b) => Date.parse(b.started_at) - Date.parse(a.started_at))
    .slice(0, limit)
    .map((r) => {
      const end = ends.get(r.run_id);
      return {
        run_id: r.run_id,
        command: r.command,
        mode: r.mode,
        started_at: r.started_at,
        planned: r.planned,
        summary: end?.summary ?? null,
        status: end ? (end.interrupted ? `interrupted (${end.interrupted})` : "done") : "no end record",
      };
    });
}

/**
 * Owners' time zones from their Coder quiet-hours schedules, each read at most once per `ttlMs`
 * (bounded concurrency): the dashboard shows every stop in its owner's local time too. An owner
 * whose schedule cannot be read (403/404, e.g. an unlicensed deployment) has no zone.
 */
export class OwnerZoneCache {
  private readonly zones = new Map<string, { zone: string | null; atMs: number }>();
  constructor(private readonly ttlMs = 3_600_000) {}

  async resolve(ctx: AppContext, owners: readonly string[]): Promise<Map<string, string | null>> {
    const wallMs = ctx.clock().toMillis();
    const stale = [...new Set(owners)].filter((o) => {
      const e = this.zones.get(o);
      return !e || wallMs - e.atMs >= this.ttlMs;
    });
    await mapLimit(stale, ctx.config.http.concurrency, async (owner) => {
      let zone: string | null = null;
      try {
        const qh = await ctx.client().getQuietHours(owner);
        zone = isValidZone(qh.timezone) ? qh.timezone : null;
      } catch (err) {
        if (!(err instanceof CoderApiError) || (err.status !== 403 && err.status !== 404)) throw err;
      }
      this.zones.set(owner, { zone, atMs: wallMs });
    });
    return new Map(owners.map((o) => [o, this.zones.get(o)?.zone ?? null]));
  }
}

export function timelineOf(
  data: z.infer<typeof autostopDataSchema>,
  now: DateTime,
  zone: string,
  ownerZones: ReadonlyMap<string, string | null> = new Map(),
): { timeline: TimelineEntry[]; later: TimelineEntry[] } {
  const entries = data.workspaces.map((w): TimelineEntry => {
    const at = w.stops_at ? DateTime.fromISO(w.stops_at, { zone }) : null;
    const ownerZone = ownerZones.get(w.owner) ?? null;
    return {
      owner: w.owner,
      name: w.name,
      template: w.template,
      organization: w.organization,
      stops_at: w.stops_at,
      cause: w.cause,
      hours_from_now: at ? (at.toMillis() - now.toMillis()) / 3_600_000 : null,
      stops_at_local: at ? at.toFormat("ccc HH:mm ZZZZ") : null,
      owner_zone: ownerZone,
      stops_at_owner_local: at && ownerZone ? at.setZone(ownerZone).toFormat("ccc HH:mm ZZZZ") : null,
      excluded: w.excluded,
    };
  });
  const inHorizon = (e: TimelineEntry) => e.hours_from_now !== null && e.hours_from_now <= HORIZON_HOURS;
  const byOwner = (a: TimelineEntry, b: TimelineEntry) => a.owner.localeCompare(b.owner) || (a.hours_from_now ?? Infinity) - (b.hours_from_now ?? Infinity) || a.name.localeCompare(b.name);
  return { timeline: entries.filter(inHorizon).sort(byOwner), later: entries.filter((e) => !inHorizon(e)).sort(byOwner) };
}

export interface SnapshotOptions {
  ownerSchedules: boolean;
  savingsSinceSeconds: number;
  /** The savings part of the previous snapshot, reused when it is fresh enough (savings cost one request per stopped workspace). */
  reuseSavings?: Snapshot["savings"] | null;
  /** Owners' zones, cached across refreshes; none shown without it. */
  ownerZones?: OwnerZoneCache;
}

export async function buildSnapshot(ctx: AppContext, now: DateTime, opts: SnapshotOptions): Promise<Snapshot> {
  const at = contextAt(ctx, now);
  const zone = ctx.config.quiet_hours.timezone;
  const since = now.minus({ seconds: opts.savingsSinceSeconds });
  const [pending, ttl, savings] = await Promise.all([
    pendingStops(at, opts.ownerSchedules),
    compliance(at),
    opts.reuseSavings ? Promise.resolve(null) : savingsReport(at, ctx.client(), now, since),
  ]);
  const zones = opts.ownerZones ? await opts.ownerZones.resolve(ctx, pending.workspaces.map((w) => w.owner)) : new Map<string, string | null>();
  const { timeline, later } = timelineOf(pending, now, zone, zones);
  const attention = [...ttl.workspaces.expired, ...ttl.workspaces.expiring_soon].map((w) => ({
    owner: w.owner,
    name: w.name,
    template: w.template,
    status: w.compliance_status,
    stops_at: w.stops_at,
    time_remaining: w.time_remaining,
  }));
  return {
    generated_at: isoUtc(ctx.clock()),
    now: isoUtc(now),
    now_fixed: ctx.nowOverridden,
    zone,
    horizon_hours: HORIZON_HOURS,
    timeline,
    later,
    compliance: { summary: ttl.summary, threshold_seconds: ttl.threshold_seconds, attention },
    runs: lastRuns(ctx),
    savings:
      opts.reuseSavings ??
      { since: isoUtc(since), currency: ctx.config.cost.currency, totals: savings!.totals, by_week: savings!.by_week, by_policy: savings!.by_policy },
  };
}
