import type { Command } from "@commander-js/extra-typings";
import type { RunFn } from "../program.js";
import type { FlagsOf } from "../args.js";

/** `enterprise-quiet-hours`: deployment policy, licensing, autostop requirements, users' schedules. */
function declareEnterprise(program: Command) {
  return program
    .command("enterprise-quiet-hours")
    .description("show the deployment's quiet-hours policy, licensing, templates with an autostop requirement and users' schedules")
    .option("--user <name>", "show this user's schedule (reading another user's needs the owner or user-admin role)")
    .option("--all-users", "a table of every user's schedule (fetched concurrently, bounded by http.concurrency)")
    .addHelpText(
      "after",
      `
A missing permission or licence is reported as such in its section ("not available: requires the
owner role", "not licensed: advanced template scheduling is an Enterprise feature"), not as "Not set".
Exit 4 when the schedule asked for with --user / --all-users cannot be read with this token.

Examples:
  coder-agents enterprise-quiet-hours                  # policy, licence, your schedule
  coder-agents enterprise-quiet-hours --user alice     # alice's schedule and next quiet-hours start
  coder-agents enterprise-quiet-hours --all-users --json`,
    );
}

export type EnterpriseQuietHoursFlags = FlagsOf<ReturnType<typeof declareEnterprise>>;

/** What `enterpriseQuietHoursCommand` is given: --user shows that user's schedule instead of the caller's; --all-users a table of everyone's. */
export function enterpriseQuietHoursOptions(opts: EnterpriseQuietHoursFlags) {
  return { ...(opts.user ? { user: opts.user } : {}), allUsers: !!opts.allUsers };
}
export type EnterpriseQuietHoursOptions = ReturnType<typeof enterpriseQuietHoursOptions>;

export function registerEnterprise(program: Command, run: RunFn): void {
  declareEnterprise(program).action(async (opts, cmd) => {
      await run(cmd, async () => {
        const m = await import("../../commands/enterprise-quiet-hours.js");
        return (ctx) => m.enterpriseQuietHoursCommand(ctx, enterpriseQuietHoursOptions(opts));
      });
    });
}
