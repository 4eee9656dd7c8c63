import type { Command } from "commander";
import type { RunFn } from "../program.js";

export function registerWorkspaces(program: Command, run: RunFn): void {
  program
    .command("workspaces")
    .aliases(["list", "ls"])
    .description("check the connection: server version, who you are, and the running workspaces")
    .option("--all", "list workspaces of every status, not only running ones")
    .option("--search <query>", "Coder's workspace query (owner:, template:, status:, name:, organization: …; bare words match names), passed to the server")
    .addHelpText(
      "after",
      `
Examples:
  coder-agents workspaces                 # server, user, running workspaces
  coder-agents workspaces --all --json    # every workspace as JSON
  coder-agents ls --search "owner:alice template:python-dev"
  coder-agents workspaces -c workspace,stops-at --limit 0`,
    )
    .action(async (opts: { all?: boolean }, cmd: Command) => {
      await run(cmd, async () => {
        const m = await import("../../commands/workspaces.js");
        return (ctx) => m.workspacesCommand(ctx, { all: !!opts.all });
      });
    });
}
