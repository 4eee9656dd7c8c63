import { Option, type Command } from "commander";
import { durationArg, intArg } from "../args.js";
import type { RunFn } from "../program.js";
import { checkModifiers } from "../modes.js";

interface RollbackFlags {
  run?: string;
  since?: number;
  execute?: boolean;
  dryRun?: boolean;
  maxStarts?: number;
  maxStops?: number;
  planOut?: string;
}

/** `rollback`: restart the workspaces this tool stopped, from the journal. */
export function registerRollback(program: Command, run: RunFn): void {
  program
    .command("rollback")
    .description("restart workspaces this tool stopped (from the journal); dry run unless --execute")
    .option("--run <run-id>", "undo one run (its id is in the output of the run, its notification and the journal)")
    .option("--since <duration>", "undo every stopping run started within this long (default: safety.rollback_window_hours)", durationArg("--since"))
    .option("--execute", "start the workspaces (without it: show what would be started)")
    .option("--dry-run", "with --execute: show what would be started, start nothing")
    .option("--max-starts <n>", "circuit breaker for this run (default: safety.max_stops_per_run)", intArg("--max-starts"))
    .option("--plan-out <file>", "write the rollback's plan to FILE (for review and `coder-agents apply`); without --execute nothing is started")
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
  coder-agents rollback --run 20260105T190000Z-3f9a1c --execute --json
  coder-agents rollback --since 30m --plan-out undo.json   # write the plan, start nothing`,
    )
    .action(async (opts: RollbackFlags, cmd: Command) => {
      await run(
        cmd,
        async () => {
          checkModifiers({ "--dry-run": opts.dryRun }, opts.execute);
          const m = await import("../../commands/rollback.js");
          return (ctx) =>
            m.rollbackCommand(ctx, {
              run: opts.run,
              sinceSeconds: opts.since,
              execute: !!opts.execute,
              dryRun: !!opts.dryRun,
              maxStarts: opts.maxStarts ?? opts.maxStops,
              planOut: opts.planOut,
            });
        },
        opts.execute && !opts.dryRun ? "execute" : "dry-run",
      );
    });
}
