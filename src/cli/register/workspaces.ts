import type { Command } from "@commander-js/extra-typings";
import type { RunFn } from "../program.js";
import { searchOption, type FlagsOf } from "../args.js";

/** `workspaces`: every flag, declared once; the action's options type is inferred from it. */
function declareWorkspaces(program: Command) {
  return program
    .command("workspaces")
    .aliases(["list", "ls"])
    .description("check the connection: server version, who you are, and the running workspaces")
    .option("--all", "list workspaces of every status, not only running ones")
    .addOption(searchOption())
    .addHelpText(
      "after",
      `
Examples:
  coder-agents workspaces                 # server, user, running workspaces
  coder-agents workspaces --all --json    # every workspace as JSON
  coder-agents ls --search "owner:alice template:python-dev"
  coder-agents workspaces -c workspace,stops-at --limit 0`,
    );
}

export type WorkspacesFlags = FlagsOf<ReturnType<typeof declareWorkspaces>>;

/** What `workspacesCommand` is given. */
export function workspacesOptions(opts: WorkspacesFlags) {
  return { all: !!opts.all };
}
export type WorkspacesOptions = ReturnType<typeof workspacesOptions>;

export function registerWorkspaces(program: Command, run: RunFn): void {
  declareWorkspaces(program).action(async (opts, cmd) => {
      await run(cmd, async () => {
        const m = await import("../../commands/workspaces.js");
        return (ctx) => m.workspacesCommand(ctx, workspacesOptions(opts));
      });
    });
}
