import { InvalidArgumentError, Option, type Command } from "@commander-js/extra-typings";
import type { RunFn } from "../program.js";
import { checkOneMode } from "../modes.js";
import { collect, durationArg, searchOption, type FlagsOf } from "../args.js";
import { INTERVAL_MINUTES } from "../../config/limits.js";

function minutesArg(v: string): number {
  const n = Number(v);
  const { min, max } = INTERVAL_MINUTES;
  if (v.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
    throw new InvalidArgumentError(`--interval: expected minutes between ${min} and ${max} (one week), fractions allowed, got "${v}"`);
  }
  return n;
}

/** `ttl-monitor`: every flag, declared once; the action's options type is inferred from it. */
function declareTtlMonitor(program: Command) {
  return program
    .command("ttl-monitor")
    .description("TTL compliance: running workspaces past their deadline, expiring soon, or with no deadline")
    .option("--report", "text report (the default)")
    .option("--user <name>", "only this user's workspaces (wins over --all-users / --all)")
    .option("--all-users", "every user's workspaces (default: only yours)")
    .option("--org <name>", "only workspaces in this organization (repeatable; server-side filter)", collect)
    .option("--all-orgs", "every organization (the default; shown in the scope line)")
    .option("--all", "shorthand for --all-users --all-orgs")
    .option("--threshold <duration>", "warn about workspaces stopping within this (2h, 90m, or hours; default ttl_monitor.warning_threshold_hours)", durationArg("--threshold"))
    .addOption(searchOption())
    .option("--show-all", "also list the running and stopped workspaces")
    .addOption(new Option("--fail-on <what>", "exit 6 when any workspace is expired (expired) or expired/expiring soon (expiring)").choices(["expired", "expiring"]))
    .option("--monitor", "check continuously, one report per interval (NDJSON with --json)")
    .option("--interval <minutes>", "monitor interval in minutes, fractions allowed (default ttl_monitor.check_interval_minutes)", minutesArg)
    .addHelpText(
      "after",
      `
Statuses: EXPIRED (running, at or past deadline or max_deadline), EXPIRING_SOON (0 < time left <=
threshold), BUMPED_BY_ACTIVITY (would be expiring soon, but the owner used it in the last 15 min and
Coder keeps bumping the deadline by the template's activity bump; not counted by --fail-on),
RUNNING (flagged "stops only manually" without any deadline), STOPPED; other states (STARTING,
STOPPING, PENDING, FAILED, ...) are listed as themselves. ttl_monitor.report_expired /
report_expiring_soon = false hide those tables (counts stay; --fail-on still evaluates them).

Examples:
  coder-agents ttl-monitor                          # your workspaces
  coder-agents ttl-monitor --all --threshold 90m    # everyone, warn 90 minutes ahead
  coder-agents ttl-monitor --all --json --fail-on expired   # CI gate: exit 6 if any expired
  coder-agents ttl-monitor --org engineering --show-all
  coder-agents ttl-monitor --all --monitor --interval 15 --json   # NDJSON, one line per cycle`,
    );
}

export type TtlMonitorFlags = FlagsOf<ReturnType<typeof declareTtlMonitor>>;

/** What `ttlMonitorCommand` is given: the parsed flags with their absent values filled in. */
export function ttlMonitorOptions(opts: TtlMonitorFlags) {
  return {
    user: opts.user,
    allUsers: !!opts.allUsers,
    orgs: opts.org ?? [],
    allOrgs: !!opts.allOrgs,
    all: !!opts.all,
    /** --threshold in seconds; default ttl_monitor.warning_threshold_hours. */
    thresholdSeconds: opts.threshold,
    showAll: !!opts.showAll,
    failOn: opts.failOn ?? null,
    monitor: !!opts.monitor,
    /** --interval in minutes (fractions allowed); default ttl_monitor.check_interval_minutes. */
    intervalMinutes: opts.interval,
  };
}
export type TtlMonitorOptions = ReturnType<typeof ttlMonitorOptions>;

export function registerTtlMonitor(program: Command, run: RunFn): void {
  declareTtlMonitor(program).action(async (opts, cmd) => {
      await run(cmd, async () => {
        checkOneMode({ "--report": opts.report, "--monitor": opts.monitor });
        const m = await import("../../commands/ttl-monitor.js");
        return (ctx) => m.ttlMonitorCommand(ctx, ttlMonitorOptions(opts));
      });
    });
}
