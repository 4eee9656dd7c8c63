/**
 * Savings: the workspace-hours (and their price) that this tool's stops saved. Pure: takes the
 * journal records, each stopped workspace's build history, the rates and `now`.
 *
 * For each stop this tool made (a `stopped` workspace record of an execute run, with its build):
 * the workspace would otherwise have run until the earlier of its deadline and max_deadline as
 * they were when the stop was planned (the journal's evidence), and it stopped saving when anyone
 * started it again (or deleted it): the first start/delete build after the stop in Coder's build
 * history. Hours saved = from the stop to the earliest of those and `now`, never negative. A
 * workspace with neither deadline would have run until someone stopped it: it saves until it is
 * started again or until now (`open`). The stop time is the stop build's `created_at` in Coder's
 * history (the same clock as the restart), falling back to the journal's time.
 *
 * Prices: `cost.per_hour`, the most specific rate first (template and organization, then
 * template, then organization), else `cost.default_per_hour`.
 */
import { DateTime } from "luxon";
import type { CostRate } from "../config/schema.js";
import type { JournalRecord, JournalRunRecord } from "../exec/journal.js";
import { effectiveStop, parseMs } from "./deadlines.js";

/** The parts of a Coder build the calculation reads. */
export interface HistoryBuild {
  id: string;
  build_number: number;
  transition: string;
  created_at: string;
  initiator_name?: string | undefined;
}

export type SavingsEndReason = "deadline" | "max_deadline" | "restarted" | "deleted" | "now";

export interface SavedStop {
  run_id: string;
  /** The agent that stopped it: the journal run's command (quiet-hours, autostop, prune). */
  policy: string;
  workspace: { id: string; owner: string; name: string; template: string; organization: string };
  stop_build_id: string;
  stopped_at: string;
  /** When Coder would have stopped it (earlier of deadline and max_deadline at the stop); null = never. */
  would_stop_at: string | null;
  would_stop_source: "deadline" | "max_deadline" | null;
  /** The first start (or delete) after the stop, and who made it. */
  restarted_at: string | null;
  restarted_by: string | null;
  /** Where the saving ends, and why. */
  until: string;
  end_reason: SavingsEndReason;
  /** True when the saving is still growing (nothing ends it before now). */
  open: boolean;
  hours: number;
  rate_per_hour: number;
  cost: number;
  /** ISO week of the stop, in the report's zone ("2026-W02"). */
  week: string;
  /** "read": Coder's build history was read; "unavailable": it was not (deleted, 404): restarts unknown. */
  history: "read" | "unavailable";
}

export interface SavingsTotal {
  key: string;
  stops: number;
  hours: number;
  cost: number;
}

export interface SavingsReport {
  stops: SavedStop[];
  totals: { stops: number; hours: number; cost: number };
  by_policy: SavingsTotal[];
  by_template: SavingsTotal[];
  by_organization: SavingsTotal[];
  by_week: SavingsTotal[];
}

/** One stop this tool made, from the journal (before the build history is known). */
export interface JournalStop {
  run_id: string;
  policy: string;
  workspace: SavedStop["workspace"];
  stop_build_id: string;
  journal_at: string;
  deadline: string | null;
  max_deadline: string | null;
}

/** Every stop of an execute run that created a build, once per build, in journal order. */
export function journalStops(records: readonly JournalRecord[]): JournalStop[] {
  const runs = new Map(records.filter((r): r is JournalRunRecord => r.type === "run").map((r) => [r.run_id, r]));
  const seen = new Set<string>();
  const out: JournalStop[] = [];
  for (const r of records) {
    if (r.type !== "workspace" || r.action !== "stop" || r.outcome !== "stopped" || !r.build_id) continue;
    const run = runs.get(r.run_id);
    if (run && run.mode !== "execute") continue;
    if (seen.has(r.build_id)) continue;
    seen.add(r.build_id);
    const ev = r.evidence;
    out.push({
      run_id: r.run_id,
      policy: run?.command ?? "unknown",
      workspace: r.workspace,
      stop_build_id: r.build_id,
      journal_at: r.at,
      deadline: typeof ev.deadline === "string" ? ev.deadline : null,
      max_deadline: typeof ev.max_deadline === "string" ? ev.max_deadline : null,
    });
  }
  return out;
}

/** The price per hour of a workspace of this template in this organization. */
export function rateFor(rates: readonly CostRate[], defaultRate: number, template: string, organization: string): number {
  const both = rates.find((r) => r.template === template && r.organization === organization);
  if (both) return both.rate;
  const byTemplate = rates.find((r) => r.template === template && r.organization === undefined);
  if (byTemplate) return byTemplate.rate;
  const byOrg = rates.find((r) => r.organization === organization && r.template === undefined);
  if (byOrg) return byOrg.rate;
  return defaultRate;
}

export interface SavingsInput {
  stops: readonly JournalStop[];
  /** Workspace id → its build history (any order), or null when it could not be read. */
  history: ReadonlyMap<string, readonly HistoryBuild[] | null>;
  now: DateTime;
  /** Only stops at or after this instant. */
  since: DateTime;
  rates: readonly CostRate[];
  defaultRate: number;
  /** Zone of the ISO weeks. */
  zone: string;
}

const HOUR_MS = 3_600_000;
const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

export function computeSavings(input: SavingsInput): SavingsReport {
  const nowMs = input.now.toMillis();
  const sinceMs = input.since.toMillis();
  const stops: SavedStop[] = [];
  for (const s of input.stops) {
    const builds = input.history.get(s.workspace.id) ?? null;
    const stopBuild = builds?.find((b) => b.id === s.stop_build_id) ?? null;
    const stoppedAt = stopBuild?.created_at ?? s.journal_at;
    const stoppedMs = parseMs(stoppedAt);
    if (stoppedMs === null || stoppedMs < sinceMs || stoppedMs > nowMs) continue;
    const after = (builds ?? [])
      .filter((b) => (stopBuild ? b.build_number > stopBuild.build_number : (parseMs(b.created_at) ?? 0) > stoppedMs))
      .filter((b) => b.transition === "start" || b.transition === "delete")
      .sort((a, b) => a.build_number - b.build_number);
    const next = after[0] ?? null;
    const would = effectiveStop({ deadline: s.deadline, max_deadline: s.max_deadline });
    const candidates: { ms: number; reason: SavingsEndReason }[] = [{ ms: nowMs, reason: "now" }];
    if (would.atMs !== null) candidates.push({ ms: would.atMs, reason: would.source! });
    const nextMs = next ? parseMs(next.created_at) : null;
    if (next && nextMs !== null) candidates.push({ ms: nextMs, reason: next.transition === "delete" ? "deleted" : "restarted" });
    // Earliest wins; on a tie the workspace's own deadline explains it before a restart or `now`.
    const order: SavingsEndReason[] = ["deadline", "max_deadline", "restarted", "deleted", "now"];
    candidates.sort((a, b) => a.ms - b.ms || order.indexOf(a.reason) - order.indexOf(b.reason));
    const end = candidates[0]!;
    const untilMs = Math.max(end.ms, stoppedMs);
    const hours = (untilMs - stoppedMs) / HOUR_MS;
    const rate = rateFor(input.rates, input.defaultRate, s.workspace.template, s.workspace.organization);
    stops.push({
      run_id: s.run_id,
      policy: s.policy,
      workspace: s.workspace,
      stop_build_id: s.stop_build_id,
      stopped_at: new Date(stoppedMs).toISOString(),
      would_stop_at: would.atMs === null ? null : new Date(would.atMs).toISOString(),
      would_stop_source: would.source,
      restarted_at: nextMs === null ? null : new Date(nextMs).toISOString(),
      restarted_by: next?.initiator_name ?? null,
      until: new Date(untilMs).toISOString(),
      end_reason: end.reason,
      open: end.reason === "now",
      hours,
      rate_per_hour: rate,
      cost: hours * rate,
      week: DateTime.fromMillis(stoppedMs, { zone: input.zone }).toFormat("kkkk-'W'WW"),
      history: builds === null ? "unavailable" : "read",
    });
  }
  stops.sort((a, b) => Date.parse(a.stopped_at) - Date.parse(b.stopped_at) || a.workspace.owner.localeCompare(b.workspace.owner) || a.workspace.name.localeCompare(b.workspace.name));
  const group = (key: (s: SavedStop) => string): SavingsTotal[] => {
    const m = new Map<string, SavingsTotal>();
    for (const s of stops) {
      const k = key(s);
      const t = m.get(k) ?? { key: k, stops: 0, hours: 0, cost: 0 };
      t.stops++;
      t.hours += s.hours;
      t.cost += s.cost;
      m.set(k, t);
    }
    return [...m.values()].sort((a, b) => a.key.localeCompare(b.key)).map(finish);
  };
  const finish = (t: SavingsTotal): SavingsTotal => ({ ...t, hours: round(t.hours, 3), cost: round(t.cost, 2) });
  const totals = finish({ key: "", stops: stops.length, hours: stops.reduce((n, s) => n + s.hours, 0), cost: stops.reduce((n, s) => n + s.cost, 0) });
  return {
    stops: stops.map((s) => ({ ...s, hours: round(s.hours, 3), cost: round(s.cost, 2) })),
    totals: { stops: totals.stops, hours: totals.hours, cost: totals.cost },
    by_policy: group((s) => s.policy),
    by_template: group((s) => s.workspace.template),
    by_organization: group((s) => s.workspace.organization),
    by_week: group((s) => s.week),
  };
}
