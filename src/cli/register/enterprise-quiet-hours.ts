import type { Command } from "commander";
import type { RunFn } from "../program.js";

/** `enterprise-quiet-hours`: deployment policy, licensing, autostop requirements, users' schedules. */
export function registerEnterprise(program: Command, run: RunFn): void {
  program
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
    )
    .action(async (opts: { user?: string; allUsers?: boolean }, cmd: Command) => {
      await run(cmd, async () => {
        const m = await import("../../commands/enterprise-quiet-hours.js");
        return (ctx) => m.enterpriseQuietHoursCommand(ctx, { ...(opts.user ? { user: opts.user } : {}), allUsers: !!opts.allUsers });
      });
    });
}
