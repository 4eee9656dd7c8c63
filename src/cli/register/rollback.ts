import { Option, type Command } from "@commander-js/extra-typings";
import { durationArg, intArg, type FlagsOf } from "../args.js";
import type { RunFn } from "../program.js";
import { checkModifiers } from "../modes.js";

/** `rollback`: restart the workspaces this tool stopped, from the journal. */
function declareRollback(program: Command) {
  return program
    .command("rollback")
    .description("restart workspaces this tool stopped (from the journal); dry run unless --execute")
    .option("--run <run-id>", "undo one run (its id is in the output of the run, its notification and the journal)")
    .option("--since <duration>", "undo every stopping run started within this long (default: safety.rollback_window_hours)", durationArg("--since"))
    .option("--execute", "start the workspaces (without it: show what would be started)")
    .option("--dry-run", "with --execute: show what would be started, start nothing")
    .option("--max-starts <n>", "circuit breaker for this run (default: safety.max_stops_per_run)", intArg("--max-starts"))
    .addOption(new Option("--max-stops <n>", "same as --max-starts").argParser(intArg("--max-stops")).hideHelp())
    .addHelpText(
      "after",
      `
Only workspaces that are still stopped by this tool's own stop build are started: not ones that
were deleted, started by their owner, or stopped again by anyone since. Safety: re-read before
each start, bounded concurrency, safety.max_stops_per_minute, the circuit breaker, the
emergency-stop file and the run lock apply as for stops. safety.rollback_enabled: false refuses.

Examples:
  coder-agents rollback                             # what undoing the stops of the rollback window would start
  coder-agents rollback --since 30m --execute       # undo the last 30 minutes of stops
  coder-agents rollback --run 20260105T190000Z-3f9a1c --execute --json`,
    );
}

export type RollbackFlags = FlagsOf<ReturnType<typeof declareRollback>>;

/** What `rollbackCommand` is given: the parsed flags (--max-stops is --max-starts). */
export function rollbackOptions(opts: RollbackFlags) {
  return {
    run: opts.run,
    /** Seconds back from now. */
    sinceSeconds: opts.since,
    execute: !!opts.execute,
    dryRun: !!opts.dryRun,
    maxStarts: opts.maxStarts ?? opts.maxStops,
  };
}
export type RollbackOptions = ReturnType<typeof rollbackOptions>;

export function registerRollback(program: Command, run: RunFn): void {
  declareRollback(program).action(async (opts, cmd) => {
      await run(
        cmd,
        async () => {
          checkModifiers({ "--dry-run": opts.dryRun }, opts.execute);
          const m = await import("../../commands/rollback.js");
          return (ctx) => m.rollbackCommand(ctx, rollbackOptions(opts));
        },
        opts.execute && !opts.dryRun ? "execute" : "dry-run",
      );
    });
}
