import type { Command } from "@commander-js/extra-typings";
import type { RunFn } from "../program.js";

/** `config show` / `config validate`: the effective configuration and a check of the file. */
export function registerConfig(program: Command, run: RunFn): void {
  const config = program
    .command("config")
    .description("show the effective configuration (each value with its source) or validate the config file")
    .addHelpText(
      "after",
      `
The file is --config, else CODER_AGENTS_CONFIG, else ./agents_config.json, else
$XDG_CONFIG_HOME/coder-agents/agents_config.json. Unknown keys are an error (exit 2) naming the
closest known key, unless --allow-unknown-config is given.

Examples:
  coder-agents config show
  coder-agents config show -o json
  coder-agents config validate --config /etc/coder-agents/agents_config.json`,
    );
  config
    .command("show")
    .description("every configuration value with its source: default, file, env or flag (secrets redacted)")
    .action(async (_o: unknown, cmd: Command) => {
      await run(cmd, async () => (await import("../../commands/config.js")).configShowCommand);
    });
  config
    .command("validate")
    .description("check the config file (and environment overrides): exit 0 when valid, 2 naming the problem")
    .action(async (_o: unknown, cmd: Command) => {
      await run(cmd, async () => (await import("../../commands/config.js")).configValidateCommand);
    });
}
