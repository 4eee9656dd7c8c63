/**
 * One rule for modes, used by every command (usage errors, exit 2):
 * - a command runs one mode: two mode flags are refused with the same message everywhere;
 * - `--dry-run` modifies an acting run (`--execute`, or `--cleanup` for prune): without one it is
 *   refused, because a report never changes anything and the flag would only hide a typo.
 */
import { UsageError } from "../errors.js";
import type { Mode } from "../output/envelope.js";

/** Throws when more than one of the given mode flags is set. */
export function checkOneMode(flags: Record<string, boolean | undefined>): void {
  const set = Object.entries(flags)
    .filter(([, on]) => on)
    .map(([name]) => name);
  if (set.length > 1) throw new UsageError(`conflicting modes ${set.join(" and ")}: choose one`);
}

/**
 * Throws when a modifier of the acting flag (--dry-run, --force, --max-stops…) is given without it
 * (--execute, or --cleanup for prune).
 */
export function checkModifiers(modifiers: Record<string, boolean | undefined>, acting: boolean | undefined, actFlag = "--execute"): void {
  if (acting) return;
  const set = Object.entries(modifiers)
    .filter(([, on]) => on)
    .map(([name]) => name);
  if (set.length === 0) return;
  const hint = set.includes("--dry-run") ? ` (${actFlag} --dry-run shows what would be done)` : "";
  throw new UsageError(`${set.join(", ")} only ${set.length > 1 ? "modify" : "modifies"} ${actFlag}, which was not given${hint}`);
}

/**
 * `--plan-out` without the acting flag (--execute, or --cleanup for prune): the acting run is
 * planned and written, as a dry run, and nothing is done; with the acting flag the plan is
 * written, then acted on.
 */
export function plansOnly(planOut: string | undefined, acting: boolean | undefined): boolean {
  return !!planOut && !acting;
}

/** The document mode of a command resolved to one mode: its acting mode is "execute" or "dry-run", any other "report". */
export function runMode(o: { mode: string; dryRun: boolean }): Mode {
  return o.mode === "execute" ? (o.dryRun ? "dry-run" : "execute") : "report";
}
