import { Option, type Command, type CommandUnknownOpts } from "@commander-js/extra-typings";
import { floatArg, intArg, type FlagsOf } from "../args.js";

/** `simulate`: every flag, declared once; the options type is inferred from it. */
function declareSimulate(program: Command) {
  return program
    .command("simulate")
    .description("start the embedded Coder simulator in the foreground (for demos, tests and what-if runs)")
    .option("--scenario <demo|file>", "scenario name or JSON file", "demo")
    .addOption(new Option("--port <n>", "port to listen on (0 = any free port)").default(0).argParser(intArg("--port")))
    .option("--clock <iso>", "start the simulated clock at this instant (overrides the scenario's clock)")
    .addOption(new Option("--latency-ms <n>", "added latency per API request").argParser(intArg("--latency-ms")))
    .addOption(new Option("--fault-rate <p>", "fraction of API requests answered with 503 (0..1)").argParser(floatArg("--fault-rate")))
    .addOption(new Option("--rate-limit <n>", "API requests per user per path per minute (0 disables)").argParser(intArg("--rate-limit")))
    .addOption(
      new Option("--rate-limit-mode <mode>", "key the rate limit by user (bypass header honoured for owners) or by client address and path (Coder v2.15–v2.28)").choices(["user", "ip-path"]),
    )
    .addOption(new Option("--build-delay-ms <n>", "how long a build takes to complete").argParser(intArg("--build-delay-ms")))
    .option("--frozen", "keep the simulated clock still instead of advancing with real time")
    .option("--lifecycle", "run Coder's lifecycle executor: autostop at deadlines, dormancy, failure TTL, suspended owners, activity bump (a tick per simulated minute)")
    .addOption(new Option("--churn <n>", "start/stop random workspaces at n changes per second").argParser(floatArg("--churn")))
    .addOption(new Option("--workspace-bytes <n>", "approximate JSON size of one running workspace (resources, agents, apps; 0 = none; default 7000)").argParser(intArg("--workspace-bytes")))
    .addHelpText(
      "after",
      `
Prints one JSON line when ready: {"url": "...", "token": "...", "users": {"alice": "alice-token", ...}}
and serves until SIGINT/SIGTERM.

Evaluate at the scenario's instant: the simulator's clock starts at the scenario's "clock" (the
demo's is 2026-01-05T19:30:00Z), but coder-agents evaluates its rules at the machine's time
unless given --now. Pass the scenario's clock with --now (and --frozen keeps the simulator there):
  coder-agents simulate --scenario demo --frozen
  CODER_URL=<url> CODER_SESSION_TOKEN=admin-token coder-agents --now 2026-01-05T19:30:00Z quiet-hours --categorize
Scenario keys and "generate" (deployments at scale): scenarios/README.md.

Examples:
  coder-agents simulate
  coder-agents simulate --scenario my-deployment.json --port 3000 --latency-ms 20
  coder-agents simulate --scenario big.json --latency-ms 20 --churn 10 --lifecycle --rate-limit-mode ip-path`,
    );
}

export type SimulateFlags = FlagsOf<ReturnType<typeof declareSimulate>>;

export function registerSimulate(program: Command, runSimulate: (cmd: CommandUnknownOpts, opts: SimulateFlags) => Promise<void>): void {
  declareSimulate(program).action(async (opts, cmd) => {
    await runSimulate(cmd, opts);
  });
}
