/**
 * `coder-agents simulate`: starts the simulator in the foreground, prints one JSON line
 * {"url", "token", "users"} to stdout when ready, serves until SIGINT/SIGTERM or the abort signal.
 */
import { ScenarioError, loadScenario } from "./scenario.js";
import { startSimulator } from "./server.js";
import { isIsoInstant } from "./time.js";

export interface SimulateOptions {
  scenario?: string;
  port?: number;
  clock?: string;
  latencyMs?: number;
  faultRate?: number;
  rateLimit?: number;
  rateLimitMode?: string;
  frozen?: boolean;
  buildDelayMs?: number;
  host?: string;
}

export interface SimulateIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  signal?: AbortSignal;
}

export async function runSimulate(opts: SimulateOptions, io: SimulateIo): Promise<number> {
  if (opts.clock !== undefined && !isIsoInstant(opts.clock)) {
    io.stderr(`simulate: --clock must be an ISO-8601 instant, got ${JSON.stringify(opts.clock)}\n`);
    return 2;
  }
  if (opts.faultRate !== undefined && !(opts.faultRate >= 0 && opts.faultRate <= 1)) {
    io.stderr(`simulate: --fault-rate must be between 0 and 1\n`);
    return 2;
  }
  if (opts.port !== undefined && !(Number.isInteger(opts.port) && opts.port >= 0 && opts.port <= 65535)) {
    io.stderr(`simulate: --port must be 0 (any free port) to 65535, got ${opts.port}\n`);
    return 2;
  }
  if (opts.rateLimitMode !== undefined && opts.rateLimitMode !== "user" && opts.rateLimitMode !== "ip-path") {
    io.stderr(`simulate: --rate-limit-mode must be "user" or "ip-path", got ${JSON.stringify(opts.rateLimitMode)}\n`);
    return 2;
  }
  let sim;
  try {
    const scenario = await loadScenario(opts.scenario ?? "demo");
    sim = await startSimulator({
      scenario,
      port: opts.port ?? 0,
      ...(opts.host !== undefined ? { host: opts.host } : {}),
      ...(opts.clock !== undefined ? { clock: opts.clock } : {}),
      ...(opts.latencyMs !== undefined ? { latencyMs: opts.latencyMs } : {}),
      ...(opts.faultRate !== undefined ? { faultRate: opts.faultRate } : {}),
      ...(opts.rateLimit !== undefined ? { rateLimit: opts.rateLimit } : {}),
      ...(opts.rateLimitMode !== undefined ? { rateLimitMode: opts.rateLimitMode as "user" | "ip-path" } : {}),
      ...(opts.frozen !== undefined ? { frozenClock: opts.frozen } : {}),
      ...(opts.buildDelayMs !== undefined ? { buildDelayMs: opts.buildDelayMs } : {}),
    });
  } catch (err) {
    // A port that is taken or not ours to bind is the operator's choice to change (exit 2), not a bug.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES") {
      const why = code === "EADDRINUSE" ? "is already in use" : "cannot be opened by this user";
      io.stderr(`simulate: port ${opts.port ?? 0} ${why}; choose another with --port N, or --port 0 for any free port\n`);
      return 2;
    }
    io.stderr(`simulate: ${(err as Error).message}\n`);
    return err instanceof ScenarioError ? 2 : 1;
  }
  io.stdout(`${JSON.stringify({ url: sim.url, token: sim.ownerToken, users: sim.tokens })}\n`);

  await new Promise<void>((resolve) => {
    const done = () => {
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      io.signal?.removeEventListener("abort", done);
      resolve();
    };
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
    if (io.signal?.aborted) done();
    else io.signal?.addEventListener("abort", done, { once: true });
  });
  await sim.close();
  return 0;
}
