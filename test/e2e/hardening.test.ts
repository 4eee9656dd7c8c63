/**
 * Inputs that used to crash (exit 1), hang or be silently accepted: each is now exit 2 with a
 * message naming the input, quickly. No Coder is needed: every case fails before the first request.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, scratchDir, writeConfig, type CliResult } from "../support/cli.js";
import { miniScenario, startSim } from "../support/sim.js";

const NOW = "2026-01-05T19:30:00Z";
/** Nothing listens here: a case that got as far as a request would fail with exit 3, not 2. */
const URL = "http://127.0.0.1:9";

function expectUsage(r: CliResult, message: RegExp | string): void {
  expect(r.code, r.stderr).toBe(2);
  if (typeof message === "string") expect(r.stderr).toContain(message);
  else expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/internal error|Maximum call stack|\n\s+at .+:\d+:\d+/);
}

async function withConfig(config: unknown, args: string[] = ["workspaces"], env: Record<string, string> = {}): Promise<CliResult> {
  const dir = scratchDir();
  const path = writeConfig(dir, config);
  return runCli(["--config", path, "--now", NOW, "--url", URL, ...args], { cwd: dir, env: { CODER_SESSION_TOKEN: "t0ken-value", ...env }, timeoutMs: 20_000 });
}

describe("config values that used to crash", () => {
  it("a 20,000-deep nested value is exit 2, not a stack overflow", async () => {
    let deep = "1";
    for (let i = 0; i < 20_000; i++) deep = `[${deep}]`;
    const r = await withConfig(`{"quiet_hours": {"days": ${deep}}}`);
    expectUsage(r, /quiet_hours\.days\[0\](\[0\])+: nested more than 32 levels deep/);
  });

  it.each([
    [{ http: { timeout_seconds: 4_294_968 } }, "http.timeout_seconds: expected seconds >= 0.1 and <= 3600 (got 4294968)"],
    [{ http: { timeout_seconds: 0.0001 } }, "http.timeout_seconds: expected seconds >= 0.1 and <= 3600 (got 0.0001)"],
    [{ quiet_hours: { grace_period_hours: 1e308 } }, "quiet_hours.grace_period_hours: expected hours >= 0 and <= 168 (got 1e+308)"],
    [{ safety: { rollback_window_hours: 1e308 } }, "safety.rollback_window_hours: expected hours > 0 and <= 8760 (got 1e+308)"],
    [{ ttl_monitor: { warning_threshold_hours: 1e308 } }, "ttl_monitor.warning_threshold_hours: expected hours >= 0 and <= 8760"],
    [{ ttl_monitor: { check_interval_minutes: 1e9 } }, "ttl_monitor.check_interval_minutes: expected minutes >= 0.01 and <= 10080"],
    [{ ttl_monitor: { check_interval_minutes: 1e-9 } }, "ttl_monitor.check_interval_minutes: expected minutes >= 0.01 and <= 10080"],
    [{ autostop: { overdue_tolerance_minutes: 1e308 } }, "autostop.overdue_tolerance_minutes: expected minutes >= 0 and <= 10080"],
    [{ notifications: { notification_threshold_minutes: 1e308 } }, "notifications.notification_threshold_minutes: expected minutes >= 0 and <= 10080"],
    [{ logging: { max_size_mb: 1e308 } }, "logging.max_size_mb: expected megabytes >= 0.001 and <= 102400"],
    [{ logging: { max_size_mb: 1e-12 } }, "logging.max_size_mb: expected megabytes >= 0.001 and <= 102400"],
    [{ http: { concurrency: 1e15 } }, "http.concurrency: expected a whole number >= 1 and <= 256"],
    [{ autostop: { batch_size: 1e300 } }, "autostop.batch_size: expected a whole number >= 1 and <= 100000"],
  ])("%j is exit 2 with its range", async (config, message) => {
    expectUsage(await withConfig(config), message);
  });

  it.each(["__proto__", "constructor", "prototype"])('a "%s" key is refused (exit 2), never merged', async (key) => {
    const r = await withConfig(`{"quiet_hours": {"${key}": {"grace_period_hours": 5}}}`);
    expectUsage(r, `key "quiet_hours.${key}" is not allowed`);
  });
});

describe("environment overrides", () => {
  it.each([
    ["1e308", /environment GRACE_PERIOD_HOURS \(key quiet_hours\.grace_period_hours\): expected hours >= 0 and <= 168|GRACE_PERIOD_HOURS: expected a decimal number/],
    ["   ", 'environment GRACE_PERIOD_HOURS: expected a decimal number of hours such as 1 or 0.5, got "   "'],
    ["0x10", 'environment GRACE_PERIOD_HOURS: expected a decimal number of hours such as 1 or 0.5, got "0x10"'],
    ["200", "environment GRACE_PERIOD_HOURS (key quiet_hours.grace_period_hours): expected hours >= 0 and <= 168 (got 200)"],
  ])("GRACE_PERIOD_HOURS=%j is exit 2", async (value, message) => {
    expectUsage(await withConfig({}, ["workspaces"], { GRACE_PERIOD_HOURS: value }), message);
  });

  it("plain decimal hours are still accepted", async () => {
    // rollback with an empty journal needs no Coder: exit 0 means the configuration was accepted.
    const r = await withConfig({}, ["rollback"], { GRACE_PERIOD_HOURS: " 1.5 " });
    expect(r.code, r.stderr).toBe(0);
  });
});

describe("--now", () => {
  it.each([
    ["2026-01-05T19:30:00+25:00", "--now: the UTC offset +25:00 is out of range"],
    ["2026-01-05T19:30:00-14:30", "--now: the UTC offset -14:30 is out of range"],
    ["0000-01-01T00:00:00Z", '--now: expected an instant between 1970-01-01 and 2999-12-31 (got "0000-01-01T00:00:00Z")'],
    ["+275760-01-01T00:00:00Z", "--now: expected an instant between 1970-01-01 and 2999-12-31"],
  ])("%s is exit 2", async (now, message) => {
    const r = await runCli(["--now", now, "--url", URL, "quiet-hours", "--categorize"], { env: { CODER_SESSION_TOKEN: "t0ken-value" } });
    expectUsage(r, message);
    expect(r.stdout).not.toContain("Invalid DateTime");
  });
});

describe("files that are not regular files", () => {
  const dir = scratchDir();
  const fifo = join(dir, "fifo");
  execFileSync("mkfifo", [fifo]);
  const zeroLink = join(dir, "zero.json");
  symlinkSync("/dev/zero", zeroLink);
  const big = join(dir, "big.json");
  writeFileSync(big, `{"x": "${"a".repeat(5 * 1024 * 1024)}"}`);
  mkdirSync(join(dir, "a-dir"));

  it.each([
    ["a symlink to /dev/zero", zeroLink, "is a character device; expected a regular file"],
    ["a FIFO", fifo, "is a FIFO (named pipe); expected a regular file"],
    ["a directory", join(dir, "a-dir"), "is a directory; expected a regular file"],
    ["a 5 MiB file", big, "is 5242889 bytes, larger than the limit of 4194304 bytes"],
  ])("a config file that is %s: exit 2 at once", async (_what, path, message) => {
    const started = performance.now();
    const r = await runCli(["--config", path, "--now", NOW, "workspaces"], { cwd: dir, timeoutMs: 15_000 });
    expectUsage(r, `config file ${path}: ${message}`);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it.each([
    ["a symlink to /dev/zero", zeroLink, "is a character device; expected a regular file"],
    ["a FIFO", fifo, "is a FIFO (named pipe); expected a regular file"],
  ])("a token file that is %s: exit 2 at once", async (_what, path, message) => {
    const r = await runCli(["--token-file", path, "--url", URL, "--now", NOW, "workspaces"], { cwd: dir, timeoutMs: 15_000 });
    expectUsage(r, `${path}: ${message}`);
  });
});

describe("ttl-monitor --interval", () => {
  it.each(["40000", "1e9", "0.0001"])("--interval %s is exit 2 (bounded: 0.01 to 10080 minutes)", async (v) => {
    const r = await runCli(["--url", URL, "--now", NOW, "ttl-monitor", "--monitor", "--interval", v], { env: { CODER_SESSION_TOKEN: "t0ken-value" } });
    expectUsage(r, `--interval: expected minutes between 0.01 and 10080 (one week), fractions allowed, got "${v}"`);
  });
});

describe("found by the fuzz harness", () => {
  it('prune --user with a name Coder cannot search for ("a:b") is exit 2 naming the flag, not exit 1', async () => {
    const sim = await startSim(miniScenario());
    try {
      const r = await runCli(["--url", sim.url, "--now", NOW, "prune", "--user", "a:b"], { env: { CODER_SESSION_TOKEN: sim.ownerToken } });
      expectUsage(r, /--user a:b: not a valid Coder username \(GET \/api\/v2\/workspaces: 400/);
    } finally {
      await sim.close();
    }
  });
});
