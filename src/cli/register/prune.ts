import type { Command } from "@commander-js/extra-typings";
import { collect, durationArg, intArg, searchOption, type FlagsOf } from "../args.js";

/** A duration (2h, 90m, or hours) → hours. */
const hoursArg = (flag: string) => {
  const parse = durationArg(flag);
  return (v: string): number => parse(v) / 3600;
};
import type { RunFn } from "../program.js";
import { checkModifiers, plansOnly } from "../modes.js";

function declarePrune(program: Command) {
  return program
    .command("prune")
    .description("list (and with --cleanup stop) the workspaces of owners who are inside their own quiet-hours window")
    .option("--user <name>", "only this owner (default: the current user)")
    .option("--all", "every owner visible to the token")
    .option("--duration <duration>", "window length from each owner's quiet-hours start (8h, 90m, 1h30m or hours), > 0 and < 24h (default prune_workspaces.default_quiet_hours_duration, 8)", hoursArg("--duration"))
    .addOption(searchOption())
    .option("--cleanup", "stop the running workspaces found (through the stop engine: re-checked, rate-limited, journaled)")
    .option("--dry-run", "with --cleanup: show what would be stopped, change nothing (also config dry_run: true)")
    .option("--max-stops <n>", "raise the circuit breaker (safety.max_stops_per_run) for this run", intArg("--max-stops"))
    .option("--include-prebuilds", "also act on prebuilt workspaces (owner prebuilds), left to Coder's reconciliation by default (lifecycle.include_prebuilds)")
    .option("--include-tasks", "also act on task workspaces, which Coder pauses itself (lifecycle.include_task_workspaces)")
    .option("--plan-out <file>", "write the plan of --cleanup to FILE (for review and `coder-agents apply`); without --cleanup nothing is stopped")
    .option("--include-stopped", "also list workspaces that are not running (stopped, failed, starting…); --cleanup still stops only running ones")
    .option("--include-org <name>", "only workspaces in this organization (name or id; repeatable)", collect)
    .option("--exclude-org <name>", "never workspaces in this organization (repeatable)", collect)
    .option("--include-group <name>", "only owners in this group (name, display name, org/name or id; repeatable)", collect)
    .option("--exclude-group <name>", "never owners in this group (repeatable)", collect)
    .option("--include-user <name>", "only this owner (repeatable)", collect)
    .option("--exclude-user <name>", "never this owner (repeatable)", collect)
    .option("--include-template <name>", "only this template (id, name or display name; repeatable)", collect)
    .option("--exclude-template <name>", "never this template (repeatable)", collect)
    .addHelpText(
      "after",
      `
Each owner's window is [quiet start, quiet start + duration) in the owner's own time zone. The
quiet start comes from the owner's Coder quiet-hours schedule, else the deployment default, else
midnight in prune_workspaces.timezone.

Filters: AND across dimensions, OR within one, exclude beats include. A CLI --include-* list
replaces the config's list for that dimension; a CLI --exclude-* list is added to the config's.
An unknown organization, group, template or user name is exit 2.

--cleanup is refused (exit 2) when prune_workspaces.enabled is false, unless it is a dry run.

Examples:
  coder-agents prune                                   # your workspaces, if you are in your quiet hours
  coder-agents prune --all --include-group developers --exclude-user on-call
  coder-agents prune --all --include-template python-dev --duration 10 --json
  coder-agents prune --all --cleanup --dry-run         # what would be stopped
  coder-agents prune --all --cleanup --max-stops 300
  coder-agents prune --all --plan-out prune.json      # write the cleanup's plan, stop nothing`,
    );
}

export type PruneFlags = FlagsOf<ReturnType<typeof declarePrune>>;

/** What `pruneCommand` is given: the parsed flags, the filter lists gathered by dimension. */
export function pruneOptions(o: PruneFlags) {
  const plans = plansOnly(o.planOut, o.cleanup);
  return {
    ...(o.user !== undefined ? { user: o.user } : {}),
    all: !!o.all,
    /** Window length in hours; default `prune_workspaces.default_quiet_hours_duration`. */
    ...(o.duration !== undefined ? { duration: o.duration } : {}),
    cleanup: !!o.cleanup || plans,
    dryRun: !!o.dryRun || plans,
    /** --plan-out FILE: write the cleanup's plan there (relative to the working directory). */
    ...(o.planOut !== undefined ? { planOut: o.planOut } : {}),
    ...(o.maxStops !== undefined ? { maxStops: o.maxStops } : {}),
    /** List workspaces of every status, not only running ones. */
    includeStopped: !!o.includeStopped,
    /** --include-prebuilds / --include-tasks (widen lifecycle.*). */
    includePrebuilds: !!o.includePrebuilds,
    includeTasks: !!o.includeTasks,
    include: { organizations: o.includeOrg ?? [], groups: o.includeGroup ?? [], users: o.includeUser ?? [], templates: o.includeTemplate ?? [] },
    exclude: { organizations: o.excludeOrg ?? [], groups: o.excludeGroup ?? [], users: o.excludeUser ?? [], templates: o.excludeTemplate ?? [] },
  };
}
export type PruneOptions = ReturnType<typeof pruneOptions>;

/** `prune`: workspaces of owners inside their own quiet-hours window, with filters and --cleanup. */
export function registerPrune(program: Command, run: RunFn): void {
  declarePrune(program).action(async (o, cmd) => {
      await run(cmd, async () => {
        checkModifiers({ "--dry-run": o.dryRun, "--max-stops": o.maxStops !== undefined }, pruneOptions(o).cleanup, "--cleanup");
        const m = await import("../../commands/prune.js");
        return (ctx) => m.pruneCommand(ctx, pruneOptions(o));
      });
    });
}
