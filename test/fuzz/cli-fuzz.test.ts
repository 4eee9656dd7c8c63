/**
 * A permanent, bounded fuzz harness over the CLI's inputs: config values (any key, any JSON value,
 * hostile keys, deep nesting, garbage text), environment overrides, `--now`, and combinations of
 * every command's flags (read from the commander program itself, so a new flag is fuzzed too).
 * It runs the real CLI in-process (runCli, the composition root's entry) against the simulator on
 * loopback, with a fixed instant, and asserts for every case:
 *
 * - the exit code is never 1 (an internal error is a bug; every bad input has its own code),
 * - no case hangs (each must settle within CASE_TIMEOUT_MS),
 * - no stack trace (and no "internal error") reaches stdout or stderr.
 *
 * `npm test` runs FUZZ_RUNS (default 400) cases with a fixed seed; `npm run fuzz` runs 10,000
 * (FUZZ_RUNS=10000, FUZZ_SEED to pick another sequence).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/program.js";
import { runCli } from "../../src/cli/main.js";
import { DEFAULT_CONFIG } from "../../src/config/schema.js";
import { miniScenario, startSim, type TestSim } from "../support/sim.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const SEED = Number(process.env.FUZZ_SEED ?? 20260105);
const CASE_TIMEOUT_MS = 15_000;
const NOW = "2026-01-05T19:30:00Z";
const STACK = /\n\s+at .+[:(]\d+:\d+\)?|internal error|Maximum call stack/;

/** Every command (but the simulator itself) with its long flags and whether each takes a value. */
function commandFlags(): Map<string, { flag: string; takesValue: boolean }[]> {
  const noop = async () => {};
  const program = buildProgram("0.0.0", noop, { writeOut() {}, writeErr() {} }, { runSimulate: noop });
  const out = new Map<string, { flag: string; takesValue: boolean }[]>();
  const add = (name: string, c: (typeof program.commands)[number]) =>
    out.set(
      name,
      c.options.filter((o) => o.long && o.long !== "--help").map((o) => ({ flag: o.long!, takesValue: o.required || o.optional })),
    );
  for (const c of program.commands) {
    // Long-running servers (the simulator, the dashboard) are not one-shot runs: fuzzed elsewhere or not at all.
    if (c.name() === "simulate" || c.name() === "serve") continue;
    add(c.name(), c);
    for (const sub of c.commands) add(`${c.name()} ${sub.name()}`, sub);
  }
  return out;
}

/** Every leaf key path of the configuration. */
function configPaths(o: unknown = DEFAULT_CONFIG, prefix: string[] = []): string[][] {
  if (typeof o !== "object" || o === null || Array.isArray(o)) return [prefix];
  return Object.entries(o).flatMap(([k, v]) => configPaths(v, [...prefix, k]));
}

const edgeNumbers = fc.constantFrom(0, -0, -5, 1, 0.5, 1e-12, 1e-3, 24, 168, 3600, 4_294_968, 1e15, 1e308, -1e308, Number.MAX_SAFE_INTEGER, 2 ** 31);
const edgeStrings = fc.constantFrom("", "   ", "0x10", "1e308", "18:00", "25:00", "UTC", "Mars/Olympus", "Europe/London", "~/x", "/dev/zero", "http://x", "ftp://x", "__proto__", "\u0000", "é");
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: edgeNumbers },
  { weight: 2, arbitrary: edgeStrings },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(fc.oneof(edgeStrings, edgeNumbers, fc.record({ name: edgeStrings, expires: edgeStrings })), { maxLength: 3 }) },
);

/** Sets `path` in `root` as an own, enumerable property (so "__proto__" is a key, not a prototype). */
function setPath(root: Record<string, unknown>, path: string[], v: unknown): void {
  let o = root;
  for (const k of path.slice(0, -1)) {
    const next = Object.getOwnPropertyDescriptor(o, k)?.value;
    if (typeof next !== "object" || next === null || Array.isArray(next)) {
      Object.defineProperty(o, k, { value: {}, enumerable: true, writable: true, configurable: true });
    }
    o = Object.getOwnPropertyDescriptor(o, k)!.value as Record<string, unknown>;
  }
  Object.defineProperty(o, path.at(-1)!, { value: v, enumerable: true, writable: true, configurable: true });
}

const PATHS = configPaths();
const path = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...PATHS) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("quiet_hours", "safety", "http"), fc.constantFrom("__proto__", "constructor", "prototype", "unknown_key")).map((t) => [...t]) },
);

/** A config file's text: mostly valid JSON objects with fuzzed entries, sometimes deep nesting or garbage. */
const configText = fc.oneof(
  { weight: 10, arbitrary: fc.constant("{}") },
  { weight: 10, arbitrary: fc.array(fc.tuple(path, value), { maxLength: 4 }).map((entries) => {
    const root: Record<string, unknown> = {};
    for (const [p, v] of entries) setPath(root, p, v);
    return JSON.stringify(root);
  }) },
  { weight: 1, arbitrary: fc.integer({ min: 30, max: 30_000 }).map((d) => `{"quiet_hours":{"days":${"[".repeat(d)}1${"]".repeat(d)}}}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom("[]", "null", "1", '"x"', "{", "") },
);

const envValue = fc.oneof(edgeStrings, fc.string({ maxLength: 12 }), edgeNumbers.map(String));
const envRecord = fc.record(
  {
    GRACE_PERIOD_HOURS: envValue,
    QUIET_HOURS_START: envValue,
    QUIET_HOURS_END: envValue,
    QUIET_HOURS_TIMEZONE: envValue,
    DRY_RUN: fc.oneof(envValue, fc.constantFrom("true", "false", "yes", "0")),
  },
  { requiredKeys: [] },
);
const env = fc.option(envRecord, { freq: 2, nil: {} });

const nowArg = fc.oneof(
  { weight: 6, arbitrary: fc.constant(NOW) },
  { weight: 1, arbitrary: fc.constantFrom("2026-01-05T19:30:00+25:00", "0000-01-01T00:00:00Z", "+275760-01-01T00:00:00Z", "2026-03-29T01:30:00+01:00", "2026-13-01T00:00:00Z", "now", "", "2026-01-05", "1970-01-01T00:00:00Z", "2999-12-31T23:59:59Z") },
  { weight: 2, arbitrary: fc.date({ min: new Date("1900-01-01T00:00:00Z"), max: new Date("3100-01-01T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString()) },
  { weight: 1, arbitrary: fc.string({ maxLength: 25 }) },
);

const flagValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("2h", "90m", "1h30m", "1", "5", "alice", "bob", "alice/a", "engineering", "python-dev", "expired", "expiring", "0.02", "developers") },
  { weight: 1, arbitrary: edgeStrings },
  { weight: 1, arbitrary: edgeNumbers.map(String) },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
);

describe("CLI fuzz: never exit 1, never a hang, never a stack trace", () => {
  let sim: TestSim;
  const flags = commandFlags();
  const commands = [...flags.keys()];
  const base = mkdtempSync(join(tmpdir(), "coder-agents-fuzz-"));
  beforeAll(async () => {
    sim = await startSim(
      miniScenario({
        workspaces: ["a", "b", "c"].map((n, i) => ({ name: n, owner: i ? "bob" : "alice", template: "python-dev", status: "running" as const, started_at: "-5h", deadline: "+1h" })),
      }),
      // No per-user rate limit: the harness sends thousands of requests a minute, and a 429's
      // Retry-After wait (tested on its own elsewhere) would read as a hang here.
      { buildDelayMs: 1, rateLimit: 0 },
    );
  });
  afterAll(async () => {
    await sim?.close();
  });

  const argv = fc
    .constantFrom(...commands)
    .chain((cmd) =>
      fc.tuple(
        fc.constant(cmd),
        fc.subarray(flags.get(cmd)!, { maxLength: Math.min(3, flags.get(cmd)!.length) }).chain((chosen) => fc.tuple(...chosen.map((f) => (f.takesValue ? flagValue.map((v) => [f.flag, v]) : fc.constant([f.flag]))))),
        fc.subarray(["--json", "--verbose", "--quiet", "--no-color"], { maxLength: 2 }),
      ),
    );

  it(`${RUNS} cases (seed ${SEED})`, { timeout: Math.max(60_000, RUNS * 2_000) }, async () => {
    let n = 0;
    const stats = { cases: 0, byExit: {} as Record<string, number> };
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(configText, env, nowArg, argv, async (config, envOver, now, [cmd, cmdFlags, globals]) => {
        const dir = join(base, String(n++));
        mkdirSync(dir);
        const cfg = join(dir, "agents_config.json");
        writeFileSync(cfg, config);
        const args = ["--config", cfg, "--url", sim.url, "--now", now, ...globals, ...cmd.split(" "), ...cmdFlags.flat()];
        let out = "";
        let err = "";
        const controller = new AbortController();
        // --monitor runs until interrupted: interrupt it as an operator would.
        const monitorTimer = args.includes("--monitor") ? setTimeout(() => controller.abort(new Error("interrupted by SIGTERM")), 300) : undefined;
        const run = runCli({
          argv: args,
          io: { stdout: (s) => void (out += s), stderr: (s) => void (err += s), stdoutIsTTY: false, stderrIsTTY: false },
          env: { HOME: dir, XDG_CONFIG_HOME: join(dir, ".config"), XDG_STATE_HOME: join(dir, ".state"), NO_COLOR: "1", CODER_SESSION_TOKEN: sim.ownerToken, ...envOver },
          cwd: dir,
          home: dir,
          fetch: (input, init) => fetch(input, init),
          clockIso: () => NOW,
          signal: controller.signal,
          interruptedBy: () => (controller.signal.aborted ? "SIGTERM" : null),
          clientOverrides: { maxRetries: 1, backoffBaseMs: 1, maxRetryWaitMs: 1_000, timeoutMs: 5_000 },
        });
        let timer: NodeJS.Timeout | undefined;
        const hang = new Promise<"hang">((resolve) => (timer = setTimeout(() => resolve("hang"), CASE_TIMEOUT_MS)));
        const code = await Promise.race([run, hang]);
        clearTimeout(timer);
        clearTimeout(monitorTimer);
        stats.cases++;
        stats.byExit[String(code)] = (stats.byExit[String(code)] ?? 0) + 1;
        const shown = `coder-agents ${args.join(" ")}\nenv ${JSON.stringify(envOver)}\nconfig ${config.slice(0, 300)}\n`;
        expect(code, `hang: ${shown}`).not.toBe("hang");
        expect(code, `exit 1: ${shown}${err}`).not.toBe(1);
        expect(typeof code === "number" && [0, 2, 3, 4, 5, 6, 7, 8, 130, 143].includes(code), `unexpected exit ${String(code)}: ${shown}${err}`).toBe(true);
        expect(out, shown).not.toMatch(STACK);
        expect(err, shown).not.toMatch(STACK);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    // The figures `npm run fuzz` reports.
    console.log(`fuzz: ${stats.cases} cases, seed ${SEED}, ${seconds} s, exit codes ${JSON.stringify(stats.byExit)}, exit-1s 0, hangs 0`);
    expect(stats.cases).toBe(RUNS);
  });
});
