import type { Command } from "commander";
import type { RunFn } from "../program.js";
import { durationArg } from "../args.js";

export function registerSavings(program: Command, run: RunFn): void {
  program
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
    )
    .action(async (opts: { since: number }, cmd: Command) => {
      await run(cmd, async () => {
        const m = await import("../../commands/savings.js");
        return (ctx) => m.savingsCommand(ctx, { sinceSeconds: opts.since });
      });
    });
}
