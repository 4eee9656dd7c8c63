/**
 * Runs the CLI in-process (test/support/cli.ts's `runInProcess`, through the composition root's
 * `runCli(deps)`) with the wall clock fixed (`clockIso`): the same parsing, config loading, client
 * and renderers as the spawned binary, without a Node start per run, and nothing that depends on
 * the machine's time.
 */
import { runInProcess as run, type CliResult } from "./cli.js";

export type InProcessResult = CliResult;

export interface InProcessOptions {
  cwd: string;
  env?: Record<string, string>;
  /** The wall clock the run sees (required: nothing may depend on the machine's time). */
  clockIso: string;
}

export function runInProcess(args: string[], opts: InProcessOptions): Promise<InProcessResult> {
  return run(args, { cwd: opts.cwd, clockIso: opts.clockIso, ...(opts.env ? { env: opts.env } : {}) });
}
