/**
 * When will a running workspace stop, and why? Each rule that can stop a workspace
 * contributes a candidate instant; the earliest one is the prediction. Pure: `now` is an input.
 *
 * Causes:
 * - `ttl`: Coder's `deadline` (the TTL, bumped by activity) when it comes before `max_deadline`;
 * - `autostop-requirement`: Coder's `max_deadline` (the template's autostop requirement at the owner's
 *   quiet hours), also when the deadline was capped to it;
 * - `quiet-hours-policy`: when this tool's quiet-hours agent would stop it (window start + grace);
 * - `prune`: the start of the owner's prune window (`prune --cleanup` stops running workspaces inside
 *   `[quiet start, quiet start + duration)`);
 * - `suspended-owner`, `failure-ttl`, `dormancy`: Coder's lifecycle executor stops a workspace whose
 *   owner is suspended, a failed build past the template's failure TTL, and a workspace idle past the
 *   template's time_til_dormant, at the tick these hold (see ./lifecycle.ts).
 * Ties go to Coder's own causes first (they happen without anyone running this tool). Coder's
 * executor never stops a prebuilt or a dormant workspace: neither has Coder causes.
 */
import { effectiveStop, parseMs } from "./deadlines.js";
import { coderLifecycleStops, isDormant, isPrebuild, type LifecycleWorkspace, type TemplateLifecycle } from "./lifecycle.js";
export type StopCause = "ttl" | "autostop-requirement" | "suspended-owner" | "failure-ttl" | "dormancy" | "quiet-hours-policy" | "prune";

/** Ordering of causes when two fall on the same instant (Coder's executor checks autostop, then failed cleanup, then dormancy). */
export const CAUSE_ORDER: readonly StopCause[] = ["ttl", "autostop-requirement", "suspended-owner", "failure-ttl", "dormancy", "quiet-hours-policy", "prune"];

export interface CauseTime {
  cause: StopCause;
  atMs: number;
  /** One line saying where the instant comes from. */
  detail: string;
}

/** Coder's own stop instants of a running build: its deadline (`ttl`) and max_deadline (`autostop-requirement`). */
export function coderCauses(build: { deadline: string | null; max_deadline: string | null }): CauseTime[] {
  const d = parseMs(build.deadline);
  const m = parseMs(build.max_deadline);
  const out: CauseTime[] = [];
  if (d !== null && (m === null || d < m)) out.push({ cause: "ttl", atMs: d, detail: "Coder's deadline (workspace TTL, extended by activity)" });
  if (m !== null) {
    out.push({
      cause: "autostop-requirement",
      atMs: m,
      detail:
        d !== null && d >= m
          ? "Coder's max_deadline (template autostop requirement at the owner's quiet hours); the deadline is capped to it"
          : "Coder's max_deadline (template autostop requirement at the owner's quiet hours)",
    });
  }
  return out;
}

/**
 * Every stop Coder itself will make: the build's deadline and max_deadline, and the lifecycle
 * executor's other stops (suspended owner, failure TTL, dormancy). None for a prebuilt workspace
 * (the reconciliation loop's business) or a dormant one (never autostopped).
 */
export function coderStopCauses(
  ws: LifecycleWorkspace,
  opts: { nowMs: number; template: TemplateLifecycle | null; ownerSuspended: boolean | null },
): CauseTime[] {
  if (isPrebuild(ws) || isDormant(ws)) return [];
  const out = ws.latest_build.job.status === "failed" ? [] : coderCauses(ws.latest_build);
  for (const s of coderLifecycleStops(ws, opts)) out.push({ cause: s.cause, atMs: s.atMs, detail: `${s.detail} (build reason ${s.reason})` });
  return out;
}

/** The earliest cause (ties: {@link CAUSE_ORDER}), or null when nothing will stop the workspace. */
export function earliestCause(causes: readonly CauseTime[]): CauseTime | null {
  let best: CauseTime | null = null;
  for (const c of causes) {
    if (
      best === null ||
      c.atMs < best.atMs ||
      (c.atMs === best.atMs && CAUSE_ORDER.indexOf(c.cause) < CAUSE_ORDER.indexOf(best.cause))
    ) {
      best = c;
    }
  }
  return best;
}

/** An owner's prune window around `now` (see `quietWindowAt` in ./user-quiet-hours.ts), as epoch ms. */
export interface PruneWindowMs {
  startMs: number;
  endMs: number;
  /** `start <= now < end`. */
  inside: boolean;
  nextStartMs: number;
}

/** The prune cause: the current window's start when inside it (due at the next `prune --cleanup`), else the next window start. */
export function pruneCause(window: PruneWindowMs, label: string): CauseTime {
  if (window.inside) {
    return { cause: "prune", atMs: window.startMs, detail: `inside the owner's prune window (${label}); stopped by the next prune --cleanup` };
  }
  return { cause: "prune", atMs: window.nextStartMs, detail: `start of the owner's next prune window (${label})` };
}

/** A prediction ready to sort: null `atMs` means no rule will stop the workspace (manual stop only). */
export interface Prediction {
  atMs: number | null;
  owner: string;
  name: string;
}

/** Soonest first; workspaces with no stop time last; ties by owner, then name. */
export function comparePredictions(a: Prediction, b: Prediction): number {
  if (a.atMs !== b.atMs) {
    if (a.atMs === null) return 1;
    if (b.atMs === null) return -1;
    return a.atMs - b.atMs;
  }
  return a.owner.localeCompare(b.owner) || a.name.localeCompare(b.name);
}

/** How far a running build is past Coder's own stop time (the earlier of deadline and max_deadline). */
export interface Overdue {
  source: "deadline" | "max_deadline";
  atMs: number;
  overdueSeconds: number;
}

/**
 * The build's overdue state at `nowMs`, or null when it has no deadline or is not past it. Coder's
 * lifecycle executor stops a workspace within a poll interval (1 min) of its deadline; `autostop
 * --execute` acts only on those more than the tolerance past it.
 */
export function overdue(build: { deadline: string | null; max_deadline: string | null }, nowMs: number): Overdue | null {
  const { source, atMs } = effectiveStop(build);
  if (source === null || atMs === null || nowMs <= atMs) return null;
  return { source, atMs, overdueSeconds: Math.floor((nowMs - atMs) / 1000) };
}

/** True when `o` is strictly more than `toleranceMinutes` past the stop time. */
export function beyondTolerance(o: Overdue | null, toleranceMinutes: number): boolean {
  return o !== null && o.overdueSeconds * 1000 > toleranceMinutes * 60_000;
}
