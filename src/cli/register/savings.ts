import type { Command } from "@commander-js/extra-typings";
import type { RunFn } from "../program.js";
import { durationArg, type FlagsOf } from "../args.js";

/** `savings`: every flag, declared once; the action's options type is inferred from it. */
function declareSavings(program: Command) {
  return program
    .command("savings")
    .description("workspace-hours and cost saved by this tool's stops (journal + Coder's build history), by policy, template, organization and week")
    .option("--since <duration>", "stops in this period before now (30d, 12h, or hours; default 30d)", durationArg("--since"), 30 * 86400)
    .addHelpText(
      "after",
      `
Each stop saves from the stop until the earliest of: the deadline or max_deadline the workspace had
when it was stopped, the next start (or delete) in Coder's build history, and now. Priced with
cost.per_hour (by template and/or organization) or cost.default_per_hour, in cost.currency.

Examples:
  coder-agents savings                       # last 30 days
  coder-agents savings --since 7d --json`,
    );
}

export type SavingsFlags = FlagsOf<ReturnType<typeof declareSavings>>;

/** What `savingsCommand` is given. */
export function savingsOptions(opts: SavingsFlags) {
  /** Seconds back from `now`. */
  return { sinceSeconds: opts.since };
}
export type SavingsOptions = ReturnType<typeof savingsOptions>;

export function registerSavings(program: Command, run: RunFn): void {
  declareSavings(program).action(async (opts, cmd) => {
      await run(cmd, async () => {
        const m = await import("../../commands/savings.js");
        return (ctx) => m.savingsCommand(ctx, savingsOptions(opts));
      });
    });
}
