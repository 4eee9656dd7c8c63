/**
 * The commander program: global options (SPEC §3) and every command of SPEC §7. Kept free of
 * heavy imports so `--help` starts fast; command implementations load on first use.
 */
import { Command, Option } from "commander";
import type { AppContext } from "./context.js";
import type { CommandResult, Mode } from "../output/envelope.js";
import { registerWorkspaces } from "./register/workspaces.js";
import { registerSimulate } from "./register/simulate.js";
import { registerQuietHours } from "./register/quiet-hours.js";
import { registerTtlMonitor } from "./register/ttl-monitor.js";
import { registerAutostop } from "./register/autostop.js";
import { registerEnterprise } from "./register/enterprise-quiet-hours.js";
import { registerPrune } from "./register/prune.js";
import { registerRollback } from "./register/rollback.js";
import { registerSavings } from "./register/savings.js";
import { registerServe } from "./register/serve.js";

export type CommandImpl = (ctx: AppContext) => Promise<CommandResult | null>;

/** Runs a command: `load` resolves to the implementation, already bound to the command's options. */
export type RunFn = (cmd: Command, load: () => Promise<CommandImpl>, defaultMode?: Mode) => Promise<void>;

export interface ProgramIo {
  writeOut(s: string): void;
  writeErr(s: string): void;
}

export function buildProgram(version: string, run: RunFn, io: ProgramIo, extra: { runSimulate: (cmd: Command, opts: Record<string, unknown>) => Promise<void> }): Command {
  const program = new Command("coder-agents");
  program
    .description("Keep a Coder deployment's workspaces in line with working hours.")
    .version(version, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .option("--url <url>", "Coder URL (default: CODER_URL, then the Coder CLI's saved login)")
    .option("--token-file <path>", "read the session token from a file")
    .option("--config <path>", "config file (default: CODER_AGENTS_CONFIG, ./agents_config.json, $XDG_CONFIG_HOME/coder-agents/agents_config.json)")
    .option("--ca-file <path>", "extra CA bundle for TLS (also CODER_CA_FILE)")
    .option("--json", "machine output on stdout (one JSON document)")
    .option("--now <iso>", "evaluate every rule as if the current time were this instant")
    .addOption(new Option("--verbose", "debug logs on stderr").conflicts("quiet"))
    .option("--quiet", "only warnings and errors on stderr")
    .option("--no-color", "no colour (also NO_COLOR, or stdout not a TTY)")
    .option("--metrics-file <path>", "write this run's Prometheus metrics to this file, atomically (for node_exporter's textfile collector)")
    .exitOverride()
    .configureOutput({ writeOut: io.writeOut, writeErr: io.writeErr })
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showSuggestionAfterError(true)
    .addHelpText(
      "after",
      `
Exit codes: 0 ok, 1 internal error, 2 usage/config, 3 Coder unreachable, 4 auth/permission,
5 partial failure, 6 findings gate (--fail-on), 7 safety abort, 8 unexpected API shape,
130/143 interrupted.

Examples:
  coder-agents workspaces
  coder-agents quiet-hours --categorize
  coder-agents quiet-hours --execute --dry-run
  coder-agents ttl-monitor --all --json
  coder-agents autostop --list-pending --within 2h
  coder-agents prune --all --include-group developers --cleanup --dry-run`,
    );
  const enableExit = (c: Command) => {
    c.exitOverride().configureOutput({ writeOut: io.writeOut, writeErr: io.writeErr }).showSuggestionAfterError(true);
  };
  registerWorkspaces(program, run);
  registerQuietHours(program, run);
  registerTtlMonitor(program, run);
  registerAutostop(program, run);
  registerEnterprise(program, run);
  registerPrune(program, run);
  registerRollback(program, run);
  registerSavings(program, run);
  registerServe(program, run);
  registerSimulate(program, extra.runSimulate);
  for (const c of program.commands) enableExit(c);
  return program;
}
