import type { Command } from "@commander-js/extra-typings";
import type { RunFn } from "../program.js";
import { durationArg, type FlagsOf } from "../args.js";

/** `apply FILE`: every flag, declared once; the action's options type is inferred from it. */
function declareApply(program: Command) {
  return program
    .command("apply")
    .description("apply a plan written by --plan-out (quiet-hours, autostop, prune, rollback) after re-checking each step")
    .argument("<file>", "the plan file")
    .option("--max-age <duration>", "refuse a plan made longer ago than this (default safety.max_plan_age_minutes)", durationArg("--max-age"))
    .option("--dry-run", "show what would be done, change nothing (also config dry_run)")
    .addHelpText(
      "after",
      `
The plan is refused (nothing is read or changed) when it is not a plan file of this version
(exit 2), was made for another Coder deployment (exit 2) or is older than the maximum age
(exit 7). Each step is then checked against the workspace as it is now: one whose latest build,
status or job changed since planning is skipped as "changed since planned". The rest go through
the same safety as any run: run lock, circuit breaker, emergency-stop file, re-read before each
action, rate limit, journal, notifications.

Examples:
  coder-agents quiet-hours --plan-out tonight.json --now 2026-01-05T19:30:00Z
  coder-agents apply tonight.json --dry-run
  coder-agents apply tonight.json --max-age 2h --json`,
    );
}

export type ApplyFlags = FlagsOf<ReturnType<typeof declareApply>>;

/** What `applyCommand` is given. */
export function applyOptions(file: string, opts: ApplyFlags) {
  return {
    file,
    /** --max-age in seconds; default safety.max_plan_age_minutes. */
    maxAgeSeconds: opts.maxAge,
    dryRun: !!opts.dryRun,
  };
}
export type ApplyOptions = ReturnType<typeof applyOptions>;

export function registerApply(program: Command, run: RunFn): void {
  declareApply(program).action(async (file, opts, cmd) => {
    await run(
      cmd,
      async () => {
        const m = await import("../../commands/apply.js");
        return (ctx) => m.applyCommand(ctx, applyOptions(file, opts));
      },
      opts.dryRun ? "dry-run" : "execute",
    );
  });
}
