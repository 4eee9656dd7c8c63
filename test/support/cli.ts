/**
 * Runs the CLI for tests, two ways:
 *
 * - In-process (the default): through the composition root's seam, `runCli(deps)` in
 *   src/cli/main.ts, with the same dependencies `main()` builds for a real process (the global
 *   fetch, one undici dispatcher per run, closed afterwards) except that the environment, HOME,
 *   cwd and the terminal come from the test, and the Coder client's retry backoff is a few
 *   milliseconds instead of a quarter second (Retry-After waits are still honoured as sent).
 *   No node start-up per run: most CLI behaviour is tested this way.
 * - As a process (`{ spawn: true }`, any `kill`, NODE_OPTIONS or CODER_AGENTS_REPORT_RSS): spawns
 *   the built bin/coder-agents.js exactly as cron would run it, for what only a process boundary
 *   shows: signals, the bin shim and start-up, the exit code of a real process, output written
 *   straight to its file descriptors, pid-based run locks, module hooks, peak memory, a big
 *   deployment served while the CLI runs on the other core. `npm test` builds dist/ first
 *   (scripts/ensure-built.mjs).
 *
 * Both resolve to the same CliResult; `runBin` is the spawning one by name.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Dispatcher } from "undici";

/**
 * The composition root, imported on the first in-process run: a test file that only spawns the
 * binary (or only needs ROOT and scratchDir) does not load and transform the whole CLI.
 */
let composition: Promise<typeof import("../../src/cli/main.js")> | undefined;
const compositionRoot = () => (composition ??= import("../../src/cli/main.js"));

export const ROOT = resolve(import.meta.dirname, "../..");
export const BIN = join(ROOT, "bin", "coder-agents.js");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as one JSON document (throws if it is not exactly one). */
  json<T = Record<string, unknown>>(): T;
  /** stdout parsed as NDJSON. */
  ndjson<T = Record<string, unknown>>(): T[];
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Kill with this signal after `afterMs` (always spawns: signals need a process). */
  kill?: {
    signal: NodeJS.Signals;
    afterMs?: number;
    whenStdoutMatches?: RegExp;
    whenStderrMatches?: RegExp;
    /** Polled every 20 ms while the CLI runs: kill once it returns true (e.g. a file or the simulator's state shows a request in flight). */
    when?: () => boolean | Promise<boolean>;
  };
  timeoutMs?: number;
  /** Spawn the built binary instead of running in-process. */
  spawn?: boolean;
  /** In-process only: the wall clock the run sees (default: the real one). */
  clockIso?: string;
}

/** The Coder client's backoff base for in-process runs (production: 250 ms). */
const FAST_BACKOFF_MS = 2;

/** A scratch directory with an empty HOME/XDG tree so no real user config leaks into a test. */
export function scratchDir(prefix = "coder-agents-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a config file into `dir` and returns its path. */
export function writeConfig(dir: string, config: unknown, name = "agents_config.json"): string {
  const p = join(dir, name);
  writeFileSync(p, typeof config === "string" ? config : JSON.stringify(config, null, 2));
  return p;
}

/**
 * The runner's clock and zone, passed on to a spawned CLI: under `npm run test:clock` the suite
 * runs with libfaketime (LD_PRELOAD, FAKETIME…) and a TZ, and a spawned run must see the same
 * instant and zone as the in-process runs and the simulator (a journal written by one and read by
 * the other compares their times).
 */
export function clockEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && (k === "TZ" || k === "LD_PRELOAD" || k.startsWith("FAKETIME"))) out[k] = v;
  }
  return out;
}

/**
 * The environment a run sees. By default it is minimal: HOME and XDG dirs point into a scratch
 * dir, NO_COLOR is set, and no CODER_* variables leak in from the test runner; only the runner's
 * clock and zone carry over (clockEnv).
 */
function runEnv(home: string, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {
    ...clockEnv(),
    PATH: process.env.PATH ?? "",
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_STATE_HOME: join(home, ".state"),
    NO_COLOR: "1",
  };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

function result(code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string): CliResult {
  return {
    code,
    signal,
    stdout,
    stderr,
    json<T>() {
      const text = stdout.trim();
      if (!text) throw new Error(`no JSON on stdout; stderr: ${stderr}`);
      return JSON.parse(text) as T;
    },
    ndjson<T>() {
      return stdout
        .split("\n")
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as T);
    },
  };
}

/**
 * Runs `coder-agents ...args`: in-process unless a process is asked for (`spawn`), needed for a
 * signal (`kill`) or for NODE_OPTIONS (they apply to a new node), or measured
 * (CODER_AGENTS_REPORT_RSS: the peak RSS report is a process's).
 */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const needsProcess = opts.spawn || opts.kill || opts.env?.CODER_AGENTS_REPORT_RSS || opts.env?.NODE_OPTIONS;
  return needsProcess ? runBin(args, opts) : runInProcess(args, opts);
}

/** Runs `coder-agents ...args` in this process through the composition root's `runCli(deps)`. */
export async function runInProcess(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const home = opts.cwd ?? scratchDir();
  const env = runEnv(home, opts.env);
  let stdout = "";
  let stderr = "";
  // What main() gives a process: the terminal test seam (CODER_AGENTS_FORCE_TTY=1 makes stdout and
  // stderr terminals, the width then comes from COLUMNS); a pipe otherwise.
  const tty = env.CODER_AGENTS_FORCE_TTY === "1";
  const dispatchers: Dispatcher[] = [];
  const { createDispatcher, runCli: runMain } = await compositionRoot();
  const run = runMain({
    argv: args,
    io: {
      stdout: (s) => void (stdout += s),
      stderr: (s) => void (stderr += s),
      stdoutIsTTY: tty,
      stderrIsTTY: tty,
    },
    env,
    cwd: opts.cwd ?? home,
    // os.homedir() of a process reads HOME (and falls back to the passwd entry).
    home: env.HOME ?? homedir(),
    fetch: (input, init) => fetch(input, init),
    makeDispatcher: (o) => {
      const d = createDispatcher(o);
      dispatchers.push(d);
      return d;
    },
    ...(opts.clockIso ? { clockIso: () => opts.clockIso! } : {}),
    signal: new AbortController().signal,
    interruptedBy: () => null,
    clientOverrides: { backoffBaseMs: FAST_BACKOFF_MS },
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_r, reject) => {
    timer = setTimeout(
      () => reject(new Error(`CLI timed out (in-process): coder-agents ${args.join(" ")}\nstdout: ${stdout}\nstderr: ${stderr}`)),
      opts.timeoutMs ?? 60_000,
    );
  });
  try {
    const code = await Promise.race([run, timeout]);
    return result(code, null, stdout, stderr);
  } finally {
    clearTimeout(timer);
    // A process would drop its keep-alive connections on exit: close them so the simulator's
    // close() does not wait for them and no socket outlives the test.
    await Promise.all(dispatchers.map((d) => d.destroy().catch(() => {})));
  }
}

/** Spawns the built CLI (bin/coder-agents.js) as a separate process, exactly as cron would run it. */
export function runBin(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const home = opts.cwd ?? scratchDir();
  const env = runEnv(home, opts.env);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? home, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let killed = false;
    const doKill = () => {
      if (!killed && opts.kill) {
        killed = true;
        child.kill(opts.kill.signal);
      }
    };
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (opts.kill?.whenStdoutMatches?.test(stdout)) doKill();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (opts.kill?.whenStderrMatches?.test(stderr)) doKill();
    });
    if (opts.kill?.afterMs !== undefined) setTimeout(doKill, opts.kill.afterMs);
    const when = opts.kill?.when;
    let poll: NodeJS.Timeout | null = null;
    if (when) {
      let checking = false;
      poll = setInterval(() => {
        if (checking || killed) return;
        checking = true;
        Promise.resolve(when())
          .then((yes) => {
            if (yes) doKill();
          })
          .catch(() => undefined)
          .finally(() => (checking = false));
      }, 20);
    }
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`CLI timed out: coder-agents ${args.join(" ")}\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      resolvePromise(result(code, signal, stdout, stderr));
    });
  });
}
