/**
 * Runs the CLI in-process through the composition root's seam (`runCli(deps)` in src/cli/main.ts):
 * the same parsing, config loading, client and renderers as the spawned binary, without a Node
 * start per run. The environment is as minimal as test/support/cli.ts's: HOME and XDG dirs in
 * `cwd`, NO_COLOR, no CODER_* variables from the test runner. The wall clock is fixed (`clockIso`).
 */
import { join } from "node:path";
import { runCli } from "../../src/cli/main.js";

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
  json<T = Record<string, unknown>>(): T;
}

export interface InProcessOptions {
  cwd: string;
  env?: Record<string, string>;
  /** The wall clock the run sees (required: nothing may depend on the machine's time). */
  clockIso: string;
}

export async function runInProcess(args: string[], opts: InProcessOptions): Promise<InProcessResult> {
  let stdout = "";
  let stderr = "";
  const controller = new AbortController();
  const code = await runCli({
    argv: args,
    io: { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), stdoutIsTTY: false, stderrIsTTY: false },
    env: {
      HOME: opts.cwd,
      XDG_CONFIG_HOME: join(opts.cwd, ".config"),
      XDG_STATE_HOME: join(opts.cwd, ".state"),
      NO_COLOR: "1",
      ...opts.env,
    },
    cwd: opts.cwd,
    home: opts.cwd,
    fetch: (input, init) => fetch(input, init),
    clockIso: () => opts.clockIso,
    signal: controller.signal,
    interruptedBy: () => null,
  });
  return {
    code,
    stdout,
    stderr,
    json<T>() {
      const text = stdout.trim();
      if (!text) throw new Error(`no JSON on stdout (exit ${code}); stderr: ${stderr}`);
      return JSON.parse(text) as T;
    },
  };
}
