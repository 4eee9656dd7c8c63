import { InvalidArgumentError, Option, type Command } from "@commander-js/extra-typings";
import type { FlagsOf } from "../args.js";
import { DateTime } from "luxon";
import type { RunFn } from "../program.js";

/** An ISO 8601 instant with a zone ("2026-12-07T00:00:00Z"), or a date ("2026-12-07", midnight UTC). */
function instantArg(flag: string) {
  return (v: string): DateTime => {
    const t = v.trim();
    const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(t);
    const dt = dateOnly ? DateTime.fromISO(t, { zone: "utc" }) : DateTime.fromISO(t, { setZone: true });
    if (!dt.isValid || (!dateOnly && !/(?:[zZ]|[+-]\d\d:?\d\d)$/.test(t)) || dt.year < 1970 || dt.year > 2999) {
      throw new InvalidArgumentError(`${flag}: expected an ISO 8601 instant with a zone (2026-12-07T08:00:00Z) or a date (2026-12-07, midnight UTC), got "${v}"`);
    }
    return dt.toUTC();
  };
}

/** The `policy` group. */
function declarePolicy(program: Command) {
  return program
    .command("policy")
    .description("check the per-team policies against the live deployment (lint), or replay them over a period (simulate)")
    .addHelpText(
      "after",
      `
Examples:
  coder-agents policy lint
  coder-agents policy lint --fail-on warnings --json     # CI gate: exit 6 on any warning
  coder-agents policy simulate --from 2026-12-07 --to 2026-12-14`,
    );
}

/** `policy lint`: every flag, declared once. */
function declarePolicyLint(policy: Command) {
  return policy
    .command("lint")
    .description("report conflicts and mistakes in the policies (ties, overlaps, scopes matching nobody, past holidays, idle rules shorter than the activity bump, windows that never open or close)")
    .addOption(new Option("--fail-on <level>", "exit 6 on findings of this severity or worse: errors (default) or warnings").choices(["errors", "warnings"]).default("errors"))
    .addHelpText(
      "after",
      `
Each finding has a code (PL001…), a rule and a severity. Exit 0 when there are no errors (warnings
and infos are shown), 6 when there is an error finding, or any warning with --fail-on warnings.
A configuration the commands refuse to load is exit 2, as everywhere.

Examples:
  coder-agents policy lint
  coder-agents policy lint --fail-on warnings --json`,
    );
}

/** `policy simulate`: every flag, declared once. */
function declarePolicySimulate(policy: Command) {
  return policy
    .command("simulate")
    .description("replay the policies over a period against the current fleet: workspace-hours each policy would stop, per day")
    .requiredOption("--from <iso>", "start of the period (ISO 8601 instant with a zone, or a date = midnight UTC)", instantArg("--from"))
    .requiredOption("--to <iso>", "end of the period (exclusive; at most 92 days after --from)", instantArg("--to"))
    .addHelpText(
      "after",
      `
The model: a workspace running now keeps running from --from until its policy stops it (quiet time
with its grace over, or the idle rule), then stays stopped; nobody uses it in the meantime. Days
are counted in each policy's zone (UTC for owner_quiet_hours calendars). warn and report policies
stop nothing: their hours are shown as "flagged".

Examples:
  coder-agents policy simulate --from 2026-12-07 --to 2026-12-14
  coder-agents policy simulate --from 2026-12-07T08:00:00Z --to 2026-12-08T08:00:00Z --json`,
    );
}

export type PolicyLintFlags = FlagsOf<ReturnType<typeof declarePolicyLint>>;
export type PolicySimulateFlags = FlagsOf<ReturnType<typeof declarePolicySimulate>>;

/** What `policyLintCommand` is given. */
export function policyLintOptions(opts: PolicyLintFlags) {
  return { failOn: opts.failOn as "errors" | "warnings" };
}
/** What `policySimulateCommand` is given. */
export function policySimulateOptions(opts: PolicySimulateFlags) {
  return { from: opts.from, to: opts.to };
}

/** `policy lint` / `policy simulate`: the policies checked against the deployment, and replayed over a period. */
export function registerPolicy(program: Command, run: RunFn): void {
  const policy = declarePolicy(program);
  declarePolicyLint(policy).action(async (opts, cmd) => {
    await run(cmd, async () => {
      const m = await import("../../commands/policy.js");
      return (ctx) => m.policyLintCommand(ctx, policyLintOptions(opts));
    });
  });
  declarePolicySimulate(policy).action(async (opts, cmd) => {
    await run(cmd, async () => {
      const m = await import("../../commands/policy.js");
      return (ctx) => m.policySimulateCommand(ctx, policySimulateOptions(opts));
    });
  });
}
