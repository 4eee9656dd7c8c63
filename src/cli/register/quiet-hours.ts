import type { Command } from "@commander-js/extra-typings";
import type { RunFn } from "../program.js";
import { intArg, searchOption, type FlagsOf } from "../args.js";
import { checkModifiers, checkOneMode, plansOnly, runMode } from "../modes.js";

/** `quiet-hours`: every flag, declared once; the action's options type is inferred from it. */
function declareQuietHours(program: Command) {
  return program
    .command("quiet-hours")
    .description("the quiet hours agent: stop running workspaces during quiet hours after a grace period")
    .option("--status", "quiet-hours status and the enterprise configuration (the default)")
    .option("--report", "the JSON report (always JSON)")
    .option("--categorize", "running workspaces by category: stopping, grace, past quiet hours end, TTL expired, normal, excluded")
    .option("--execute", "stop the workspaces due for a quiet-hours stop (and TTL-expired ones inside quiet hours)")
    .option("--enterprise", "only the enterprise quiet-hours configuration (the `enterprise-quiet-hours` report)")
    .option("--dry-run", "with --execute: show what would be stopped, stop nothing (also config dry_run / DRY_RUN=true)")
    .option("--force", "with --execute: also stop TTL-expired workspaces outside quiet hours (never excluded ones)")
    .addOption(searchOption())
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
    );
}

export type QuietHoursFlags = FlagsOf<ReturnType<typeof declareQuietHours>>;
export type QuietHoursMode = "enterprise" | "status" | "report" | "categorize" | "execute";

/** The mode the flags ask for (checkOneMode has refused two). */
function pickMode(f: Pick<QuietHoursFlags, "enterprise" | "status" | "report" | "categorize" | "execute" | "planOut">): QuietHoursMode {
  if (f.enterprise) return "enterprise";
  if (f.status) return "status";
  if (f.report) return "report";
  if (f.categorize) return "categorize";
  if (f.execute || plansOnly(f.planOut, f.execute)) return "execute";
  return "status";
}

/** What `quietHoursCommand` is given: the parsed flags, resolved to one mode. */
export function quietHoursOptions(opts: QuietHoursFlags) {
  return {
    mode: pickMode(opts),
    dryRun: !!opts.dryRun || plansOnly(opts.planOut, opts.execute),
    /** --plan-out FILE: write the plan of the execute run there (relative to the working directory). */
    planOut: opts.planOut,
    force: !!opts.force,
    /** --timezone: overrides quiet_hours.timezone for this run. */
    timezone: opts.timezone,
    /** --max-stops: overrides safety.max_stops_per_run for this run. */
    maxStops: opts.maxStops,
    /** --include-prebuilds / --include-tasks (widen lifecycle.*). */
    includePrebuilds: opts.includePrebuilds,
    includeTasks: opts.includeTasks,
  };
}
export type QuietHoursOptions = ReturnType<typeof quietHoursOptions>;

export function registerQuietHours(program: Command, run: RunFn): void {
  declareQuietHours(program).action(async (opts, cmd) => {
      await run(
        cmd,
        async () => {
          const plans = plansOnly(opts.planOut, opts.execute);
          checkOneMode({ "--enterprise": opts.enterprise, "--status": opts.status, "--report": opts.report, "--categorize": opts.categorize, "--execute": opts.execute, "--plan-out": plans });
          checkModifiers({ "--dry-run": opts.dryRun, "--force": opts.force, "--max-stops": opts.maxStops !== undefined }, opts.execute || plans);
          const m = await import("../../commands/quiet-hours.js");
          return (ctx) => m.quietHoursCommand(ctx, quietHoursOptions(opts));
        },
        runMode(quietHoursOptions(opts)),
      );
    });
}
