/**
 * Spawns the built CLI (bin/coder-agents.js) as a separate process, exactly as cron would run it.
 * `npm test` builds dist/ first (scripts/ensure-built.mjs).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

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
  /** Kill with this signal after `afterMs`. */
  kill?: {
    signal: NodeJS.Signals;
    afterMs?: number;
    whenStdoutMatches?: RegExp;
    whenStderrMatches?: RegExp;
    /** Polled every 20 ms while the CLI runs: kill once it returns true (e.g. a file or the simulator's state shows a request in flight). */
    when?: () => boolean | Promise<boolean>;
  };
  timeoutMs?: number;
}

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
 * Runs `coder-agents ...args`. By default the environment is minimal: HOME and XDG dirs point into
 * a scratch dir, NO_COLOR is set, and no CODER_* variables leak in from the test runner.
 */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const home = opts.cwd ?? scratchDir();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_STATE_HOME: join(home, ".state"),
    NO_COLOR: "1",
  };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
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
      resolvePromise({
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
      });
    });
  });
}
