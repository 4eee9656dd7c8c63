import { Option, type Command } from "commander";
import { floatArg, intArg } from "../args.js";

export function registerSimulate(program: Command, runSimulate: (cmd: Command, opts: Record<string, unknown>) => Promise<void>): void {
  program
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
    .addHelpText(
      "after",
      `
Prints one JSON line when ready: {"url": "...", "token": "...", "users": {"alice": "alice-token", ...}}
and serves until SIGINT/SIGTERM.

Examples:
  coder-agents simulate
  coder-agents simulate --scenario my-deployment.json --port 3000 --latency-ms 20`,
    )
    .action(async (opts: Record<string, unknown>, cmd: Command) => {
      await runSimulate(cmd, opts);
    });
}
