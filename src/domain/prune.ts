/**
 * prune's plan: given the filtered workspaces, each owner's quiet-hours start and the
 * evaluated instant, which owners are inside their own window `[start, start + duration)` and
 * which of their workspaces are selected. Pure.
 */
import type { DateTime } from "luxon";
import type { Workspace } from "../coder/schemas.js";
import { UsageError } from "../errors.js";
import { quietWindowAt, type QuietStart, type QuietWindow } from "./user-quiet-hours.js";

/** One owner evaluated by the plan. */
export interface OwnerPlan {
  ownerId: string;
  owner: string;
  quietStart: QuietStart;
  window: QuietWindow;
  /** The owner's workspaces (after filters), sorted by name. */
  workspaces: Workspace[];
}

export interface PrunePlan {
  /** Every owner evaluated, sorted by username. */
  owners: OwnerPlan[];
  /** The owners inside their window. */
  inside: OwnerPlan[];
  /** The workspaces of the owners inside their window (what prune lists). */
  selected: Workspace[];
}

/** `--duration` / `default_quiet_hours_duration`: hours, > 0 and < 24 (a window of 24 h or more would always apply). */
export function validateDuration(hours: number, source: string): number {
  if (!Number.isFinite(hours) || hours <= 0 || hours >= 24) {
    throw new UsageError(`${source}: expected a number of hours > 0 and < 24, got ${hours}`);
  }
  return hours;
}

/**
 * Groups `workspaces` by owner and evaluates each owner's window at `now`. Owners without an entry
 * in `starts` are a programming error (every owner gets a start, falling back to a default).
 */
export function planPrune(
  workspaces: Workspace[],
  starts: Map<string, QuietStart>,
  now: DateTime,
  durationHours: number,
  /** A per-owner window length (an owner_quiet_hours policy's duration_hours), else `durationHours`. */
  durationFor?: (ownerId: string) => number | undefined,
): PrunePlan {
  const byOwner = new Map<string, Workspace[]>();
  for (const ws of workspaces) {
    const list = byOwner.get(ws.owner_id);
    if (list) list.push(ws);
    else byOwner.set(ws.owner_id, [ws]);
  }
  const owners: OwnerPlan[] = [];
  for (const [ownerId, list] of byOwner) {
    const quietStart = starts.get(ownerId);
    if (!quietStart) throw new Error(`no quiet-hours start for owner ${list[0]?.owner_name ?? ownerId}`);
    owners.push({
      ownerId,
      owner: list[0]!.owner_name,
      quietStart,
      window: quietWindowAt(quietStart, now, durationFor?.(ownerId) ?? durationHours),
      workspaces: [...list].sort((a, b) => a.name.localeCompare(b.name)),
    });
  }
  owners.sort((a, b) => a.owner.localeCompare(b.owner));
  const inside = owners.filter((o) => o.window.inside);
  return { owners, inside, selected: inside.flatMap((o) => o.workspaces) };
}

/** The stop reason recorded for a pruned workspace: "Pruned during quiet hours (window 18:00–02:00 Europe/London)". */
export function pruneReason(o: Pick<OwnerPlan, "window" | "quietStart">): string {
  return `Pruned during quiet hours (window ${o.window.start.toFormat("HH:mm")}–${o.window.end.toFormat("HH:mm")} ${o.quietStart.timezone})`;
}
