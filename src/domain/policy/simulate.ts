/**
 * `policy simulate`: replays the policies over `[from, to)` against the current fleet and counts the
 * workspace-hours each policy would stop, per day. Pure.
 *
 * The model (deliberately simple, so the figure is easy to reason about):
 * - A workspace running now is assumed to be running at `from` and to keep running until its
 *   policy stops it; once stopped it stays stopped until `to` (no restarts, no autostart).
 *   A workspace that is not running now contributes nothing.
 * - Nobody uses it after now: `last_used_at` stays as it is, so the idle rule counts from it.
 * - The stop comes at the first instant at or after `from` when either
 *   - it is in a quiet interval whose grace is over (`max(interval start, started_at) + grace`,
 *     the grace ending before the interval does), or
 *   - the idle rule is due (`last_used_at + after_hours`, at a time its `when` allows).
 * - A `stop` policy's hours are `stopped_hours`; a `warn` or `report` policy stops nothing, and the
 *   hours it would stop with action `stop` are `flagged_hours` (the what-if of switching it on).
 * - Excluded workspaces (`quiet_hours.excluded_*`, dormant, prebuilt, task workspaces) are never
 *   stopped, whatever the policy.
 * - Days are calendar days in the policy's zone (UTC for owner_quiet_hours calendars, whose
 *   owners' zones differ).
 */
import { DateTime } from "luxon";
import { graceEnds, quietIntervals, type QuietInterval } from "./calendar.js";
import type { OwnerSchedule, Policy } from "./types.js";

export interface SimulatedWorkspace {
  /** "owner/name" */
  label: string;
  running: boolean;
  startedAt: DateTime | null;
  lastUsedAt: DateTime | null;
  policy: Policy;
  owner: OwnerSchedule | null;
  /** Why it is never stopped, or null. */
  excluded: string | null;
}

export interface SimulatedStop {
  label: string;
  policy: string;
  at: DateTime;
  cause: "quiet" | "idle";
  hours: number;
}

export interface PolicyDay {
  date: string;
  /** Workspace-hours stopped (action stop) or flagged (warn/report) on that day. */
  hours: number;
  /** Stops that happen that day. */
  stops: number;
}

export interface PolicySimulation {
  name: string;
  action: Policy["action"];
  /** The zone of the days. */
  zone: string;
  workspaces: number;
  running: number;
  excluded: number;
  stopped: number;
  stopped_hours: number;
  flagged_hours: number;
  days: PolicyDay[];
}

export interface SimulationReport {
  from: DateTime;
  to: DateTime;
  policies: PolicySimulation[];
  stops: SimulatedStop[];
}

const H = 3_600_000;

/** The zone a policy's days are reported in. */
export function reportZone(p: Policy): string {
  return p.calendar.kind === "working_hours" ? p.calendar.zone : p.calendar.kind === "quiet_window" ? p.calendar.window.zone : "UTC";
}

/** The first stop of one workspace in `[from, to)`, or null. */
export function firstStop(w: SimulatedWorkspace, from: DateTime, to: DateTime, intervals?: readonly QuietInterval[]): { at: DateTime; cause: "quiet" | "idle" } | null {
  if (!w.running || w.excluded) return null;
  const p = w.policy;
  // The quiet intervals over [from, to) depend only on the policy (and the owner's schedule): callers replaying a fleet pass them in.
  const quiet = intervals ?? quietIntervals(p, from, to, w.owner);
  let best: { at: DateTime; cause: "quiet" | "idle" } | null = null;
  for (const q of quiet) {
    const due = graceEnds(p, q, w.startedAt);
    if (due.toMillis() >= q.end.toMillis()) continue;
    const at = due.toMillis() < from.toMillis() ? from : due;
    if (at.toMillis() < to.toMillis()) {
      best = { at, cause: "quiet" };
      break;
    }
  }
  if (p.idle && w.lastUsedAt) {
    const idleAt = w.lastUsedAt.plus({ milliseconds: Math.round(p.idle.afterHours * H) });
    const t0 = idleAt.toMillis() < from.toMillis() ? from : idleAt;
    let at: DateTime | null = null;
    if (p.idle.when === "always") at = t0;
    else {
      const around = quiet.filter((q) => q.end.toMillis() > t0.toMillis());
      const inQuiet = around.find((q) => q.start.toMillis() <= t0.toMillis() && t0.toMillis() < q.end.toMillis());
      if (p.idle.when === "outside_working_hours") at = inQuiet ? t0 : (around.find((q) => q.start.toMillis() > t0.toMillis())?.start ?? null);
      else at = inQuiet ? (inQuiet.endClipped ? null : inQuiet.end) : t0;
    }
    if (at && at.toMillis() < to.toMillis() && (!best || at.toMillis() < best.at.toMillis())) best = { at, cause: "idle" };
  }
  return best;
}

/** The local days of `zone` covering `[from, to)`, each clamped to the range (ms). */
function dayBounds(from: DateTime, to: DateTime, zone: string): { date: string; start: number; end: number }[] {
  const out: { date: string; start: number; end: number }[] = [];
  let cursor = from.setZone(zone);
  while (cursor.toMillis() < to.toMillis()) {
    const next = cursor.startOf("day").plus({ days: 1 });
    const end = Math.min(next.toMillis(), to.toMillis());
    out.push({ date: cursor.toISODate()!, start: cursor.toMillis(), end });
    cursor = DateTime.fromMillis(end, { zone });
  }
  return out;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Replays the policies over `[from, to)` for the given workspaces; `policies` lists every policy to report (also those deciding for none). */
export function simulatePolicies(policies: readonly Policy[], workspaces: readonly SimulatedWorkspace[], from: DateTime, to: DateTime): SimulationReport {
  const byPolicy = new Map<string, { sim: PolicySimulation; days: PolicyDay[]; bounds: { date: string; start: number; end: number }[] }>();
  for (const p of policies) {
    const zone = reportZone(p);
    const bounds = dayBounds(from, to, zone);
    const days = bounds.map((b): PolicyDay => ({ date: b.date, hours: 0, stops: 0 }));
    byPolicy.set(p.name, { sim: { name: p.name, action: p.action, zone, workspaces: 0, running: 0, excluded: 0, stopped: 0, stopped_hours: 0, flagged_hours: 0, days: [] }, days, bounds });
  }
  const stops: SimulatedStop[] = [];
  const intervalCache = new Map<string, readonly QuietInterval[]>();
  const intervalsOf = (w: SimulatedWorkspace) => {
    const key = `${w.policy.name}\u0000${w.owner ? `${w.owner.hour}:${w.owner.minute} ${w.owner.timezone}` : ""}`;
    let list = intervalCache.get(key);
    if (!list) intervalCache.set(key, (list = quietIntervals(w.policy, from, to, w.owner)));
    return list;
  };
  for (const w of workspaces) {
    const entry = byPolicy.get(w.policy.name);
    if (!entry) continue;
    entry.sim.workspaces++;
    if (w.running) entry.sim.running++;
    if (w.running && w.excluded) entry.sim.excluded++;
    const stop = w.running && !w.excluded ? firstStop(w, from, to, intervalsOf(w)) : null;
    if (!stop) continue;
    const total = (to.toMillis() - stop.at.toMillis()) / H;
    stops.push({ label: w.label, policy: w.policy.name, at: stop.at.toUTC(), cause: stop.cause, hours: round2(total) });
    entry.sim.stopped++;
    if (w.policy.action === "stop") entry.sim.stopped_hours += total;
    else entry.sim.flagged_hours += total;
    const at = stop.at.toMillis();
    entry.bounds.forEach((b, i) => {
      if (b.start <= at && at < b.end) entry.days[i]!.stops++;
      if (b.end > at) entry.days[i]!.hours += (b.end - Math.max(b.start, at)) / H;
    });
  }
  const out = [...byPolicy.values()].map(({ sim, days }) => ({
    ...sim,
    stopped_hours: round2(sim.stopped_hours),
    flagged_hours: round2(sim.flagged_hours),
    days: days.map((d) => ({ ...d, hours: round2(d.hours) })),
  }));
  stops.sort((a, b) => a.at.toMillis() - b.at.toMillis() || a.label.localeCompare(b.label));
  return { from: from.toUTC(), to: to.toUTC(), policies: out, stops };
}
