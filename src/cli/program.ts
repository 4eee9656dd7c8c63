/**
 * The commander program: global options and every command. Kept free of
 * heavy imports so `--help` starts fast; command implementations load on first use.
 */
import { Argument, Command, Option, type CommandUnknownOpts } from "@commander-js/extra-typings";
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
import { registerApply } from "./register/apply.js";
import { collect, intArg, type FlagsOf } from "./args.js";
import type { SimulateFlags } from "./register/simulate.js";
import { registerConfig } from "./register/config.js";
import { registerSavings } from "./register/savings.js";
import { registerServe } from "./register/serve.js";
import { registerPolicy } from "./register/policy.js";

/** A command bound to its options; `D` is its result's data (`DataOf<command>` where it has a schema). */
export type CommandImpl<D extends object = object> = (ctx: AppContext) => Promise<CommandResult<D> | null>;

/** Runs a command: `load` resolves to the implementation, already bound to the command's options. */
export type RunFn = <D extends object>(cmd: CommandUnknownOpts, load: () => Promise<CommandImpl<D>>, defaultMode?: Mode) => Promise<void>;

export interface ProgramIo {
  writeOut(s: string): void;
  writeErr(s: string): void;
}

/** The global options, declared once: every command's `optsWithGlobals()` carries them. */
function declareGlobals(program: Command) {
  return program
    .option("--url <url>", "Coder URL (default: CODER_URL, then the Coder CLI's saved login)")
    .option("--token-file <path>", "read the session token from a file")
    .option("--config <path>", "config file (default: CODER_AGENTS_CONFIG, ./agents_config.json, $XDG_CONFIG_HOME/coder-agents/agents_config.json)")
    .option("--ca-file <path>", "extra CA bundle for TLS (also CODER_CA_FILE)")
    .addOption(new Option("-o, --output <format>", "output format: table (fitted to the terminal), json (one JSON document), wide (every column, nothing cut)").choices(["table", "json", "wide"]))
    .option("--json", "same as -o json")
    .option("-c, --column <columns>", "table columns to show, comma-separated or repeated, in this order (names as in the table header)", collect)
    .option("--limit <n>", "rows per section (default 20 on a terminal, all otherwise; 0 = all)", intArg("--limit"))
    .option("--allow-unknown-config", "unknown config keys are warnings instead of an error (exit 2)")
    .option("--now <iso>", "evaluate every rule as if the current time were this instant")
    .addOption(new Option("--verbose", "debug logs on stderr").conflicts("quiet"))
    .option("--quiet", "only warnings and errors on stderr")
    .option("--no-color", "no colour (also NO_COLOR, or stdout not a TTY)")
    .option("--metrics-file <path>", "write this run's Prometheus metrics to this file, atomically (for node_exporter's textfile collector)");
}

/** The global options as parsed, plus `--search` (declared by each listing command, read by the runner). */
export type GlobalOpts = FlagsOf<ReturnType<typeof declareGlobals>> & { search?: string | undefined };

export function buildProgram(version: string, run: RunFn, io: ProgramIo, extra: { runSimulate: (cmd: CommandUnknownOpts, opts: SimulateFlags) => Promise<void> }): Command {
  const program = new Command("coder-agents");
  declareGlobals(program.description("Keep a Coder deployment's workspaces in line with working hours.").version(version, "-V, --version", "print the version").helpOption("-h, --help", "show help"))
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
  coder-agents prune --all --include-group developers --cleanup --dry-run
  coder-agents config validate
  coder-agents ls --search "owner:alice" -c workspace,stops-at
  source <(coder-agents completion bash)`,
    );
  const enableExit = (c: CommandUnknownOpts) => {
    c.exitOverride().configureOutput({ writeOut: io.writeOut, writeErr: io.writeErr }).showSuggestionAfterError(true);
  };
  registerWorkspaces(program, run);
  registerQuietHours(program, run);
  registerTtlMonitor(program, run);
  registerAutostop(program, run);
  registerEnterprise(program, run);
  registerPrune(program, run);
  registerRollback(program, run);
  registerApply(program, run);
  registerConfig(program, run);
  registerSavings(program, run);
  registerServe(program, run);
  registerPolicy(program, run);
  registerSimulate(program, extra.runSimulate);
  program
    .command("completion")
    .description("print the shell completion script (bash, zsh or fish)")
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(["bash", "zsh", "fish"]))
    .addHelpText(
      "after",
      `
Examples:
  source <(coder-agents completion bash)
  coder-agents completion zsh > "\${fpath[1]}/_coder-agents"
  coder-agents completion fish > ~/.config/fish/completions/coder-agents.fish`,
    )
    .action(async (shell: "bash" | "zsh" | "fish") => {
      const { completionScript } = await import("./completion.js");
      io.writeOut(completionScript(program, shell));
    });
  const all = (c: CommandUnknownOpts): CommandUnknownOpts[] => [c, ...c.commands.flatMap(all)];
  for (const c of program.commands.flatMap(all)) enableExit(c);
  return program;
}
