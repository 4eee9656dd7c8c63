import type { Command } from "commander";
import type { RunFn } from "../program.js";
import { intArg } from "../args.js";
import { checkModifiers, checkOneMode } from "../modes.js";

interface Opts {
  enterprise?: boolean;
  status?: boolean;
  report?: boolean;
  categorize?: boolean;
  execute?: boolean;
  dryRun?: boolean;
  force?: boolean;
  timezone?: string;
  maxStops?: number;
  includePrebuilds?: boolean;
  includeTasks?: boolean;
  planOut?: string;
}

export function registerQuietHours(program: Command, run: RunFn): void {
  program
    .command("quiet-hours")
    .description("the quiet hours agent: stop running workspaces during quiet hours after a grace period")
    .option("--status", "quiet-hours status and the enterprise configuration (the default)")
    .option("--report", "the JSON report (always JSON)")
    .option("--categorize", "running workspaces by category: stopping, grace, past quiet hours end, TTL expired, normal, excluded")
    .option("--execute", "stop the workspaces due for a quiet-hours stop (and TTL-expired ones inside quiet hours)")
    .option("--enterprise", "only the enterprise quiet-hours configuration (the `enterprise-quiet-hours` report)")
    .option("--dry-run", "with --execute: show what would be stopped, stop nothing (also config dry_run / DRY_RUN=true)")
    .option("--force", "with --execute: also stop TTL-expired workspaces outside quiet hours (never excluded ones)")
.option("--search <query>", "Coder's workspace query (owner:, template:, status:, name:, organization: …; bare words match names), passed to the server")
    .option("--timezone <tz>", "IANA time zone of the quiet-hours window for this run (overrides quiet_hours.timezone)")
    .option("--max-stops <n>", "circuit breaker for this run: abort (exit 7) when more stops are planned (default safety.max_stops_per_run)", intArg("--max-stops"))
    .option("--include-prebuilds", "also act on prebuilt workspaces (owner prebuilds), left to Coder's reconciliation by default (lifecycle.include_prebuilds)")
    .option("--include-tasks", "also act on task workspaces, which Coder pauses itself (lifecycle.include_task_workspaces)")
    .option("--plan-out <file>", "write the plan of --execute to FILE (for review and `coder-agents apply`); without --execute nothing is stopped")
    .addHelpText(
      "after",
      `
Modes: --status (default), --report, --categorize, --execute, --enterprise; give at most one.
--dry-run, --force and --max-stops modify --execute and are refused without it. The window is [start, end) in quiet_hours.timezone on quiet_hours.days; a workspace started
during the window gets its own grace period. --execute stops "stopping now" workspaces and
TTL-expired ones whose grace is over inside the window; --force adds every TTL-expired one.
Excluded users, templates (id, name or display name) and workspaces (owner/name) are never
stopped. Dormant workspaces are never stopped; prebuilt and task workspaces are left to Coder
unless included. Every stop is re-checked first, rate-limited and recorded in the journal.

Examples:
  coder-agents quiet-hours                          # status
  coder-agents quiet-hours --categorize --json
  coder-agents quiet-hours --execute --dry-run      # what would be stopped now
  coder-agents quiet-hours --execute --now 2026-01-05T19:30:00Z --dry-run
  coder-agents quiet-hours --execute --max-stops 300
  coder-agents quiet-hours --plan-out tonight.json  # write the plan, stop nothing (apply it later)`,
    )
    .action(async (opts: Opts, cmd: Command) => {
      // --plan-out alone plans the --execute run without acting; with --execute it writes, then acts.
      const plans = !!opts.planOut && !opts.execute;
      await run(
        cmd,
        async () => {
          checkOneMode({ "--enterprise": opts.enterprise, "--status": opts.status, "--report": opts.report, "--categorize": opts.categorize, "--execute": opts.execute, "--plan-out": plans });
          checkModifiers({ "--dry-run": opts.dryRun, "--force": opts.force, "--max-stops": opts.maxStops !== undefined }, opts.execute || plans);
          const m = await import("../../commands/quiet-hours.js");
          const mode = m.pickMode({ ...opts, execute: opts.execute || plans });
          return (ctx) =>
            m.quietHoursCommand(ctx, {
              mode,
              dryRun: !!opts.dryRun || plans,
              planOut: opts.planOut,
              force: !!opts.force,
              timezone: opts.timezone,
              maxStops: opts.maxStops,
              includePrebuilds: opts.includePrebuilds,
              includeTasks: opts.includeTasks,
            });
        },
        (opts.execute || plans) && !opts.enterprise && !opts.status && !opts.report && !opts.categorize ? (opts.dryRun || plans ? "dry-run" : "execute") : "report",
      );
    });
}
