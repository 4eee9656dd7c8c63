import { Option, type Command } from "@commander-js/extra-typings";
import type { RunFn } from "../program.js";
import { checkModifiers, checkOneMode, plansOnly, runMode } from "../modes.js";
import { durationArg, intArg, searchOption, type FlagsOf } from "../args.js";

/** `autostop`: every flag, declared once; the action's options type is inferred from it. */
function declareAutostop(program: Command) {
  return program
    .command("autostop")
    .description("workspaces bound to be stopped: when, and why (Coder's deadline, max_deadline, quiet hours, prune)")
    .option("--list-pending", "every running workspace with its next stop, cause and time left, soonest first (default)")
    .option("--within <duration>", "only those stopping within this (2h, 90m, or hours)", durationArg("--within"))
    .addOption(new Option("--duration <duration>", "same as --within").argParser(durationArg("--duration")).hideHelp())
    .addOption(searchOption())
    .option("--owner-schedules", "read every owner's quiet hours (one request per owner): adds the prune cause and the max_deadline drift check")
    .option("--schedule", "per workspace: autostart and next start, TTL, deadline, max_deadline, owner's quiet hours, template autostop requirement")
    .option("--explain <owner/name>", "decision trace for one workspace: every rule, where deadline and max_deadline come from, every command's verdict")
    .option("--execute", "stop workspaces still running more than autostop.overdue_tolerance_minutes past Coder's own deadline/max_deadline")
    .option("--dry-run", "with --execute: show what would be stopped, stop nothing")
    .option("--max-stops <n>", "with --execute: raise the circuit breaker (safety.max_stops_per_run) for this run", intArg("--max-stops"))
    .option("--include-prebuilds", "also act on (and predict this tool's stops of) prebuilt workspaces, left to Coder's reconciliation by default (lifecycle.include_prebuilds)")
    .option("--include-tasks", "also act on task workspaces, which Coder pauses itself (lifecycle.include_task_workspaces)")
    .option("--plan-out <file>", "write the plan of --execute to FILE (for review and `coder-agents apply`); without --execute nothing is stopped")
    .addHelpText(
      "after",
      `
Causes: ttl (Coder's deadline), autostop-requirement (Coder's max_deadline from the template's
requirement at the owner's quiet hours), quiet-hours-policy (this tool's quiet-hours agent: window
start + grace), prune (the owner's prune window; needs the owner's quiet hours: --owner-schedules),
and Coder's lifecycle executor's other stops at its next minute tick: suspended-owner, failure-ttl
(a failed build past the template's failure TTL), dormancy (idle past time_til_dormant). Dormant
workspaces are never stopped; prebuilt and task workspaces are left to Coder unless included.
Owners' quiet hours cost one request per owner; without --owner-schedules they are only known when
the deployment does not allow custom schedules (everyone has the default).

Examples:
  coder-agents autostop                               # what stops next, soonest first
  coder-agents autostop --within 2h --json
  coder-agents autostop --owner-schedules             # + prune cause and drift check
  coder-agents autostop --schedule
  coder-agents autostop --explain alice/dev
  coder-agents autostop --execute --dry-run           # overdue beyond the tolerance
  coder-agents autostop --plan-out overdue.json       # write the plan, stop nothing`,
    );
}

export type AutostopFlags = FlagsOf<ReturnType<typeof declareAutostop>>;

/** What `autostopCommand` is given: the parsed flags, resolved (one mode, --within or --duration). */
export function autostopOptions(opts: AutostopFlags) {
  const plans = plansOnly(opts.planOut, opts.execute);
  const mode: "list" | "schedule" | "explain" | "execute" = opts.schedule ? "schedule" : opts.explain !== undefined ? "explain" : opts.execute || plans ? "execute" : "list";
  return {
    mode,
    withinSeconds: opts.within ?? opts.duration,
    /** OWNER/NAME for --explain. */
    target: opts.explain,
    dryRun: !!opts.dryRun || plans,
    /** --plan-out FILE: write the plan of the execute run there (relative to the working directory). */
    planOut: opts.planOut,
    maxStops: opts.maxStops,
    /** Fetch every owner's quiet hours (prune cause and drift check in the list). */
    ownerSchedules: !!opts.ownerSchedules,
    /** --include-prebuilds / --include-tasks (widen lifecycle.*). */
    includePrebuilds: opts.includePrebuilds,
    includeTasks: opts.includeTasks,
  };
}
export type AutostopOptions = ReturnType<typeof autostopOptions>;

export function registerAutostop(program: Command, run: RunFn): void {
  declareAutostop(program).action(async (opts, cmd) => {
      const modes = [opts.listPending && "--list-pending", opts.schedule && "--schedule", opts.explain !== undefined && "--explain", opts.execute && "--execute", plansOnly(opts.planOut, opts.execute) && "--plan-out"].filter(
        (m): m is string => typeof m === "string",
      );
      const options = autostopOptions(opts);
      await run(
        cmd,
        async () => {
          const m = await import("../../commands/autostop.js");
          checkOneMode(Object.fromEntries(modes.map((f) => [f, true])));
          checkModifiers({ "--dry-run": opts.dryRun, "--max-stops": opts.maxStops !== undefined }, opts.execute || plansOnly(opts.planOut, opts.execute));
          return (ctx) => m.autostopCommand(ctx, options);
        },
        runMode(options),
      );
    });
}
