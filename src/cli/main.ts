/**
 * The composition root: the only place that reads process.env, argv and the clock, installs
 * signal handlers, builds real dependencies and sets the exit code.
 */
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { CommanderError, type CommandUnknownOpts } from "@commander-js/extra-typings";
import { ExitCode } from "../errors.js";
import type { FetchLike } from "../coder/http.js";
import type { Io } from "./context.js";
import { buildProgram, type GlobalOpts, type RunFn } from "./program.js";
import type { DispatcherOptions } from "./runner.js";
import type { SimulateFlags } from "./register/simulate.js";

export interface MainDeps {
  argv: string[];
  io: Io;
  env: Record<string, string | undefined>;
  cwd: string;
  home: string;
  fetch: FetchLike;
  makeDispatcher?: (o: DispatcherOptions) => unknown;
  /** Wall clock; defaults to the real one. */
  clockIso?: () => string;
  signal: AbortSignal;
  interruptedBy(): "SIGINT" | "SIGTERM" | null;
  clientOverrides?: Record<string, unknown>;
}

export function packageVersion(): string {
  const req = createRequire(import.meta.url);
  return (req("../../package.json") as { version: string }).version;
}

/** Parses argv and runs the command; resolves to the exit code. Never throws. */
export async function runCli(deps: MainDeps): Promise<number> {
  const state = { exitCode: 0 };
  const run: RunFn = async (cmd, load, defaultMode) => {
    const [{ Runner }, { DateTime }] = await Promise.all([import("./runner.js"), import("luxon")]);
    const clock = deps.clockIso ? () => DateTime.fromISO(deps.clockIso!(), { zone: "utc" }) : () => DateTime.utc();
    const runner = new Runner(
      {
        io: deps.io,
        env: deps.env,
        cwd: deps.cwd,
        home: deps.home,
        clock,
        fetch: deps.fetch,
        signal: deps.signal,
        interruptedBy: deps.interruptedBy,
        ...(deps.makeDispatcher ? { makeDispatcher: deps.makeDispatcher } : {}),
        ...(deps.clientOverrides ? { clientOverrides: deps.clientOverrides } : {}),
      },
      state,
    );
    await runner.run(cmd, async (ctx) => (await load())(ctx), defaultMode);
  };
  const runSimulate = async (cmd: CommandUnknownOpts, opts: SimulateFlags) => {
    if ((cmd.optsWithGlobals() as GlobalOpts).metricsFile) {
      deps.io.stderr("coder-agents simulate: error: --metrics-file applies to the agent commands, not to the simulator\n");
      state.exitCode = ExitCode.Usage;
      return;
    }
    const { runSimulate: sim } = await import("../sim/cli.js");
    state.exitCode = await sim(
      {
        scenario: opts.scenario,
        port: opts.port,
        ...(opts.clock ? { clock: opts.clock } : {}),
        ...(opts.latencyMs !== undefined ? { latencyMs: opts.latencyMs } : {}),
        ...(opts.faultRate !== undefined ? { faultRate: opts.faultRate } : {}),
        ...(opts.rateLimit !== undefined ? { rateLimit: opts.rateLimit } : {}),
        ...(opts.rateLimitMode !== undefined ? { rateLimitMode: opts.rateLimitMode } : {}),
        ...(opts.buildDelayMs !== undefined ? { buildDelayMs: opts.buildDelayMs } : {}),
        ...(opts.lifecycle ? { lifecycle: true } : {}),
        ...(opts.churn !== undefined ? { churn: opts.churn } : {}),
        ...(opts.workspaceBytes !== undefined ? { workspaceBytes: opts.workspaceBytes } : {}),
        frozen: !!opts.frozen,
      },
      { stdout: deps.io.stdout, stderr: deps.io.stderr, signal: deps.signal },
    );
  };
  const program = buildProgram(packageVersion(), run, { writeOut: deps.io.stdout, writeErr: deps.io.stderr }, { runSimulate });
  try {
    // No arguments at all: the help, as `--help` would show it.
    await program.parseAsync(deps.argv.length === 0 ? ["--help"] : deps.argv, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") return 0;
      return ExitCode.Usage;
    }
    deps.io.stderr(`coder-agents: internal error: ${(err as Error).message}\n`);
    return ExitCode.Internal;
  }
  return state.exitCode;
}

/** Entry point used by bin/coder-agents.js. */
export function main(): void {
  const controller = new AbortController();
  let interrupted: "SIGINT" | "SIGTERM" | null = null;
  const onSignal = (sig: "SIGINT" | "SIGTERM") => {
    if (interrupted) {
      // A second signal: stop waiting for in-flight work.
      process.exit(sig === "SIGINT" ? ExitCode.Sigint : ExitCode.Sigterm);
    }
    interrupted = sig;
    if (argv[0] !== "simulate") process.stderr.write(`\ncoder-agents: ${sig} received: no new actions start; waiting for in-flight ones (send again to quit now)\n`);
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  if (process.env.CODER_AGENTS_REPORT_RSS) {
    // Benchmark hook (npm run bench): report this process's peak resident set size and CPU time on
    // exit (CPU time, unlike wall time, compares runs fairly on a shared, loaded machine).
    process.on("exit", () => {
      const u = process.resourceUsage();
      process.stderr.write(`coder-agents-peak-rss-kb=${u.maxRSS}\ncoder-agents-cpu-us=${u.userCPUTime + u.systemCPUTime}\n`);
    });
  }
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  const argv = process.argv.slice(2);
  // `coder-agents … | head` closes stdout early: that is the reader's choice, not an error.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
  // Test seam: CODER_AGENTS_FORCE_TTY=1 makes stdout and stderr count as terminals (the width then
  // comes from COLUMNS), so tests can see what an operator at a terminal sees.
  const forceTty = process.env.CODER_AGENTS_FORCE_TTY === "1";
  const io: Io = {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    stdoutIsTTY: forceTty || !!process.stdout.isTTY,
    stderrIsTTY: forceTty || !!process.stderr.isTTY,
    columns: process.stdout.columns,
    stderrColumns: process.stderr.columns,
  };
  void runCli({
    argv,
    io,
    env: process.env,
    cwd: process.cwd(),
    home: homedir(),
    fetch: (input, init) => fetch(input, init),
    makeDispatcher: (o) => makeUndiciAgent(o),
    signal: controller.signal,
    interruptedBy: () => interrupted,
  }).then((code) => {
    process.exitCode = code;
  });
}

let undiciAgent: unknown;
/** One dispatcher per process (a process runs one command). */
function makeUndiciAgent(o: DispatcherOptions): unknown {
  undiciAgent ??= createDispatcher(o);
  return undiciAgent;
}

/**
 * The production dispatcher: undici's EnvHttpProxyAgent, given the run's proxy settings
 * (HTTP(S)_PROXY / NO_PROXY, resolved by the runner from its environment). Without a proxy it is
 * a plain Agent; with one, requests tunnel through it (CONNECT) and the extra CA (--ca-file) still
 * verifies the Coder server behind it. A new one each call: the in-process test runner builds one
 * per run and closes it afterwards.
 */
export function createDispatcher(o: DispatcherOptions): import("undici").Dispatcher {
  // Loaded lazily: undici is only needed once a command talks to Coder.
  const req = createRequire(import.meta.url);
  const { EnvHttpProxyAgent } = req("undici") as typeof import("undici");
  const tls = { timeout: Math.min(o.timeoutMs, 10_000), ...(o.ca ? { ca: o.ca } : {}) };
  return new EnvHttpProxyAgent({
    httpProxy: o.proxy.httpProxy,
    httpsProxy: o.proxy.httpsProxy,
    noProxy: o.proxy.noProxy,
    connections: o.connections,
    keepAliveTimeout: 10_000,
    connect: tls,
    requestTls: tls,
    headersTimeout: o.timeoutMs,
    bodyTimeout: o.timeoutMs,
  });
}
