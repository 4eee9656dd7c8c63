/**
 * Integrity of what the tool writes and of one deployment's runs: the journal and log file never
 * follow a planted symlink, the state directory is private, the run lock is per Coder deployment
 * (two runs with different journals cannot both act), and a 5xx outage mid-run halts the run the
 * way a timeout outage does (the rest "not attempted", exit 5).
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readJournal } from "../../src/exec/journal.js";
import { envelopeSchema } from "../../src/output/schema.js";
import { quietHoursExecuteDataSchema } from "../../src/output/schemas/quiet-hours.js";
import { runCli } from "../support/cli.js";
import { startSim, type TestSim } from "../support/sim.js";
import { cli, dueScenario, reliabilityConfig, scratchDir, stoppedOnce } from "./support.js";

const executeDoc = envelopeSchema.extend(quietHoursExecuteDataSchema.shape);

let sim: TestSim;
beforeEach(async () => {
  sim = await startSim(dueScenario(12), { buildDelayMs: 20 });
});
afterEach(async () => {
  await sim?.close();
});

describe("files the tool writes", () => {
  it("a symlink at the journal path is refused: the target is untouched and the run exits 5 saying why", async () => {
    const dir = scratchDir();
    const target = join(dir, "victim.txt");
    writeFileSync(target, "precious\n", { mode: 0o644 });
    const cfg = reliabilityConfig(dir, {}, "symlink.json");
    symlinkSync(target, cfg.journal);
    const r = await cli(sim.url, cfg.path, ["quiet-hours", "--execute"], { cwd: dir });
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain(`${cfg.journal} is a symbolic link; refusing to follow it for the journal`);
    expect(readFileSync(target, "utf8")).toBe("precious\n");
    expect(statSync(target).mode & 0o777).toBe(0o644);
  });

  it("a symlink at the log file path is refused: file logging is disabled with one message, the target untouched", async () => {
    const dir = scratchDir();
    const target = join(dir, "victim.log");
    writeFileSync(target, "precious\n", { mode: 0o644 });
    const log = join(dir, "agents.log");
    symlinkSync(target, log);
    const cfg = reliabilityConfig(dir, { logging: { file: log } }, "log.json");
    const r = await cli(sim.url, cfg.path, ["quiet-hours", "--categorize"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`log file ${log}: ${log} is a symbolic link; refusing to follow it for the log file`);
    expect(r.stderr).toContain("file logging disabled for this run");
    expect(readFileSync(target, "utf8")).toBe("precious\n");
    expect(statSync(target).mode & 0o777).toBe(0o644);
  });

  it("an existing state directory that others can read is tightened to 0700", async () => {
    const dir = scratchDir();
    const state = join(dir, ".state", "coder-agents");
    mkdirSync(state, { recursive: true });
    chmodSync(state, 0o755);
    const cfg = reliabilityConfig(dir, {}, "state.json");
    const r = await cli(sim.url, cfg.path, ["quiet-hours", "--categorize"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(state).mode & 0o777).toBe(0o700);
  });
});

describe("the run lock is per deployment", () => {
  it("two concurrent runs with different journals: the second gets E_RUN_LOCKED (exit 7) and stops nothing", async () => {
    const dir = scratchDir();
    const a = reliabilityConfig(dir, { autostop: { max_concurrent_stops: 1 } }, "systemd.json");
    const b = reliabilityConfig(dir, { autostop: { max_concurrent_stops: 1 } }, "shell.json");
    expect(a.journal).not.toBe(b.journal);
    await sim.resetStats();
    // Each stop's answer is held back too, so the first run still holds the lock when the second
    // gets to it, even on a loaded machine.
    await sim.setFaults({ latency_ms: 150, rules: [{ route: "POST /api/v2/workspaces/{id}/builds", hold_ms: 600 }] });
    // The first run in a process of its own (the run lock tells runs apart by pid), the second in
    // this one: it starts at once, while the first still holds the lock.
    const first = cli(sim.url, a.path, ["quiet-hours", "--execute", "--json"], { cwd: dir, spawn: true });
    // Wait until the first run holds the lock of this deployment.
    const locks = join(dir, ".state", "coder-agents", "locks");
    for (let i = 0; i < 400 && !(existsSync(locks) && readdirSync(locks).some((f) => f.endsWith(".lock"))); i++) await new Promise((r) => setTimeout(r, 25));
    expect(readdirSync(locks).filter((f) => f.endsWith(".lock"))).toHaveLength(1);
    const second = await cli(sim.url, b.path, ["quiet-hours", "--execute", "--json"], { cwd: dir });
    // The second run is over: the first need not be held back any more for the rest of its stops.
    await sim.clearFaults();
    const one = await first;
    expect(second.code, second.stderr).toBe(7);
    expect(second.json<{ error: { code: string } }>().error.code).toBe("E_RUN_LOCKED");
    expect(second.stderr).toMatch(/quiet-hours \(pid \d+ on .*\) holds the run lock .*locks\/[0-9a-f]{24}\.lock; this run did nothing/);
    expect(one.code, one.stderr).toBe(0);
    expect(readJournal(b.journal).records).toEqual([]);
    const stopped = stoppedOnce(await sim.state());
    expect(stopped).toHaveLength(12);
    expect((await sim.stats()).requests["POST /api/v2/workspaces/{id}/builds"]).toBe(12);
  }, 60_000);
});

describe("an outage mid-run", () => {
  it("a 503 outage after the listing halts the run like a timeout outage: the rest not attempted, exit 5", async () => {
    const dir = scratchDir();
    const cfg = reliabilityConfig(dir, { autostop: { max_concurrent_stops: 1 } }, "outage503.json");
    await sim.resetStats();
    // The listing works; every per-workspace read answers 503 (the outage starts after planning).
    await sim.setFaults({ rules: [{ method: "GET", route: "GET /api/v2/workspaces/{id}", status: 503 }] });
    const started = performance.now();
    const r = await cli(sim.url, cfg.path, ["quiet-hours", "--execute", "--json"], { cwd: dir });
    const seconds = (performance.now() - started) / 1000;
    await sim.clearFaults();
    expect(r.code, r.stderr).toBe(5);
    const doc = executeDoc.parse(r.json());
    expect(doc.results).toHaveLength(12);
    const failedRead = doc.results.filter((x) => /^could not re-read the workspace/.test(x.error ?? ""));
    const notAttempted = doc.results.filter((x) => /^not attempted: Coder answered 3 re-reads in a row with server errors/.test(x.error ?? ""));
    expect(failedRead).toHaveLength(3);
    expect(notAttempted).toHaveLength(9);
    expect(doc.results.every((x) => x.outcome === "failed")).toBe(true);
    const stats = await sim.stats();
    expect(stats.requests["POST /api/v2/workspaces/{id}/builds"] ?? 0).toBe(0);
    // 3 reads × 5 attempts each, never 12 × 5.
    expect(stats.requests["GET /api/v2/workspaces/{id}"]).toBe(15);
    expect(seconds).toBeLessThan(40);
  }, 60_000);

  it("one workspace's 5xx does not halt the others", async () => {
    const dir = scratchDir();
    const cfg = reliabilityConfig(dir, { autostop: { max_concurrent_stops: 1 } }, "one503.json");
    const ws = (await sim.state()).workspaces.find((w) => w.name === "w01")!;
    await sim.setFaults({ rules: [{ method: "GET", path: `/api/v2/workspaces/${ws.id}`, status: 500 }] });
    const r = await runCli(["--url", sim.url, "--config", cfg.path, "--now", "2026-01-05T19:30:00Z", "quiet-hours", "--execute", "--json"], {
      cwd: dir,
      env: { CODER_SESSION_TOKEN: "owner-token" },
    });
    await sim.clearFaults();
    expect(r.code, r.stderr).toBe(5);
    const doc = executeDoc.parse(r.json());
    expect(doc.results.filter((x) => x.outcome === "stopped")).toHaveLength(11);
    expect(doc.results.filter((x) => (x.error ?? "").startsWith("not attempted"))).toHaveLength(0);
  }, 60_000);
});
