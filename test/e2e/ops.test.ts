import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readJournal } from "../../src/exec/journal.js";
import { deploymentLockPath } from "../../src/exec/lock.js";
import { runCli, scratchDir, writeConfig } from "../support/cli.js";
import { miniScenario, startSim, type TestSim } from "../support/sim.js";

const NOW = "2026-01-05T20:00:00Z";

/** `n` workspaces running since 15:00, so at 20:00 (quiet hours 18:00–08:00, grace 1 h) all are due. */
function dueScenario(n: number) {
  return miniScenario({
    clock: NOW,
    workspaces: Array.from({ length: n }, (_, i) => ({
      name: `ws${String(i + 1).padStart(2, "0")}`,
      owner: i % 2 ? "bob" : "alice",
      template: "python-dev",
      status: "running" as const,
      started_at: "-5h",
      deadline: "+3h",
    })),
  });
}

function opsConfig(dir: string, extra: Record<string, unknown> = {}) {
  return writeConfig(dir, {
    quiet_hours: { start_time: "18:00", end_time: "08:00", timezone: "Europe/London", grace_period_hours: 1 },
    autostop: { max_concurrent_stops: 2 },
    safety: { max_stops_per_minute: 100 },
    journal: { path: join(dir, "journal.ndjson") },
    ...extra,
  });
}

/** Stop/start builds per workspace, created by the tool (reason cli). */
async function buildsByTool(sim: TestSim, transition: "stop" | "start"): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const w of (await sim.state()).workspaces) out[w.name] = w.builds.filter((b) => b.transition === transition && b.reason === "cli").length;
  return out;
}

async function settle(sim: TestSim): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ws = (await sim.state()).workspaces;
    if (ws.every((w) => w.job_status !== "pending" && w.job_status !== "running")) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("builds did not settle");
}

let sim: TestSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe("operations", () => {
  it("log rotation through the CLI keeps backup_count files of at most max_size_mb, token redacted", async () => {
    sim = await startSim(dueScenario(3));
    const dir = scratchDir();
    const log = join(dir, "agents.log");
    const cfg = opsConfig(dir, { logging: { level: "INFO", file: log, max_size_mb: 0.001, backup_count: 2 } });
    for (let i = 0; i < 4; i++) {
      const r = await runCli(["workspaces", "--verbose", "--url", sim.url, "--config", cfg], { env: { CODER_SESSION_TOKEN: sim.ownerToken }, cwd: dir });
      expect(r.code, r.stderr).toBe(0);
    }
    const files = readdirSync(dir).filter((f) => f.startsWith("agents.log")).sort();
    expect(files).toEqual(["agents.log", "agents.log.1", "agents.log.2"]);
    const max = Math.round(0.001 * 1024 * 1024);
    for (const f of files) {
      const text = readFileSync(join(dir, f), "utf8");
      expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(max);
      expect(text).not.toContain(sim.ownerToken);
      for (const line of text.trim().split("\n")) expect(() => JSON.parse(line)).not.toThrow();
    }
    expect(readFileSync(log, "utf8")).toContain('"msg":"coder api"');
  });

  it("logging.file '~/agents.log' is in HOME, whatever the cwd (cron: HOME, systemd: /)", async () => {
    const home = scratchDir();
    const cwd = scratchDir();
    const cfg = opsConfig(cwd, { logging: { file: "~/agents.log" }, unknown_key_for_a_warning: 1 });
    // --allow-unknown-config: the unknown key is then a warning, which is what reaches the log file.
    const r = await runCli(["rollback", "--config", cfg, "--allow-unknown-config"], { env: { HOME: home }, cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/file logging disabled/);
    expect(readFileSync(join(home, "agents.log"), "utf8")).toMatch(/unknown_key_for_a_warning/);
    expect(existsSync(join(cwd, "~"))).toBe(false);
  });

  it("a run killed with SIGKILL mid-way leaves a readable journal; the next run and rollback finish the job without duplicates", async () => {
    sim = await startSim(dueScenario(8));
    const dir = scratchDir();
    const cfg = opsConfig(dir);
    const env = { CODER_SESSION_TOKEN: sim.ownerToken };
    const qh = (kill?: boolean) =>
      // --verbose: the per-action log line the kill waits for is a debug line.
      runCli(["quiet-hours", "--execute", "--verbose", "--url", sim!.url, "--config", cfg, "--now", NOW], {
        env,
        cwd: dir,
        ...(kill ? { kill: { signal: "SIGKILL" as const, whenStderrMatches: /"msg":"stop stopped"/ } } : {}),
      });

    await sim.setFaults({ latency_ms: 250 });
    const killed = await qh(true);
    expect(killed.signal).toBe("SIGKILL");
    await sim.clearFaults();
    await settle(sim);

    const journalPath = join(dir, "journal.ndjson");
    const j1 = readJournal(journalPath);
    expect(j1.skipped).toBeLessThanOrEqual(1);
    const stoppedFirst = j1.records.filter((r) => r.type === "workspace" && r.outcome === "stopped").length;
    expect(stoppedFirst).toBeGreaterThanOrEqual(1);
    expect(stoppedFirst).toBeLessThan(8);
    expect(j1.records.some((r) => r.type === "run-end")).toBe(false);
    const lockPath = deploymentLockPath(join(dir, ".state", "coder-agents"), sim.url);
    expect(existsSync(lockPath)).toBe(true); // left behind by the dead process

    const next = await qh();
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toContain("no longer running; taking it over");
    await settle(sim);
    const stops = await buildsByTool(sim, "stop");
    expect(Object.values(stops)).toEqual(Array(8).fill(1));
    expect(existsSync(lockPath)).toBe(false);

    // Rollback restarts every workspace the journal says it stopped (a stop in flight at the
    // moment of the kill has no record and is left alone), once.
    const recorded = readJournal(journalPath).records.filter((r) => r.type === "workspace" && r.outcome === "stopped").length;
    const rb = await runCli(["rollback", "--execute", "--json", "--url", sim.url, "--config", cfg], { env, cwd: dir });
    expect(rb.code, rb.stderr).toBe(0);
    expect(rb.json<{ summary: { succeeded: number } }>().summary.succeeded).toBe(recorded);
    const again = await runCli(["rollback", "--execute", "--json", "--url", sim.url, "--config", cfg], { env, cwd: dir });
    expect(again.json<{ summary: { succeeded: number } }>().summary.succeeded).toBe(0);
    const starts = await buildsByTool(sim, "start");
    expect(Object.values(starts).every((n) => n <= 1)).toBe(true);
    expect(Object.values(starts).reduce((a, b) => a + b, 0)).toBe(recorded);
  });

  it("two concurrent quiet-hours --execute runs never issue a duplicate stop", async () => {
    sim = await startSim(dueScenario(6));
    const dir = scratchDir();
    const cfg = opsConfig(dir);
    await sim.setFaults({ latency_ms: 100 });
    // One run in a process of its own, one in this process: the run lock tells runs apart by pid.
    const run = (spawn: boolean) => runCli(["quiet-hours", "--execute", "--json", "--url", sim!.url, "--config", cfg, "--now", NOW], { env: { CODER_SESSION_TOKEN: sim!.ownerToken }, cwd: dir, spawn });
    const [a, b] = await Promise.all([run(true), run(false)]);
    for (const r of [a, b]) {
      expect([0, 7], r.stderr).toContain(r.code);
      if (r.code === 7) {
        expect(r.stderr).toMatch(/holds the run lock .*this run did nothing/);
        expect(r.json<{ error: { code: string } }>().error.code).toBe("E_RUN_LOCKED");
      }
    }
    expect([a.code, b.code]).toContain(0);
    await sim.clearFaults();
    await settle(sim);
    const stops = await buildsByTool(sim, "stop");
    expect(stops).toEqual({ ws01: 1, ws02: 1, ws03: 1, ws04: 1, ws05: 1, ws06: 1 });
    const posts = (await sim.stats()).requests["POST /api/v2/workspaces/{id}/builds"];
    expect(posts).toBe(6);
  });

  it("a live lock makes an execute run exit 7 without touching Coder's workspaces", async () => {
    sim = await startSim(dueScenario(2));
    const dir = scratchDir();
    const cfg = opsConfig(dir);
    const { writeFileSync } = await import("node:fs");
    const { hostname } = await import("node:os");
    // This test process is alive: its pid in the lock means "a run is in progress".
    const lockPath = deploymentLockPath(join(dir, ".state", "coder-agents"), sim.url);
    mkdirSync(dirname(lockPath), { recursive: true });
    writeFileSync(lockPath, JSON.stringify({ pid: process.pid, hostname: hostname(), command: "prune", started_at: "2026-01-05T19:59:00Z" }));
    await sim.resetStats();
    // A process of its own: in this process the lock would be its own (nested use).
    const r = await runCli(["quiet-hours", "--execute", "--url", sim.url, "--config", cfg, "--now", NOW], { env: { CODER_SESSION_TOKEN: sim.ownerToken }, cwd: dir, spawn: true });
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(`prune (pid ${process.pid} on ${hostname()}, started 2026-01-05T19:59:00Z) holds the run lock`);
    expect((await sim.stats()).requests["POST /api/v2/workspaces/{id}/builds"] ?? 0).toBe(0);
  });
});
