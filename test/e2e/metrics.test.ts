/**
 * --metrics-file: a cron-like run against the simulator writes a Prometheus textfile that a strict
 * exposition check accepts, with the run's real numbers; counters accumulate across runs, a
 * failed run keeps the last success time; the file is 0600 and written without following a symlink.
 */
import { lstatSync, readFileSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli, scratchDir, writeConfig } from "../support/cli.js";
import { checkExposition, sampleValue } from "../support/prom-text.js";
import { startSim, type TestSim } from "../support/sim.js";

const NOW = "2026-01-05T19:30:00Z";
const POSTS = "POST /api/v2/workspaces/{id}/builds";

let sim: TestSim;
let dir: string;
let config: string;

beforeEach(async () => {
  sim = await startSim("demo", { frozenClock: true });
  dir = scratchDir();
  config = writeConfig(dir, {
    quiet_hours: { start_time: "18:00", end_time: "08:00", timezone: "Europe/London", grace_period_hours: 1, excluded_users: ["admin", "on-call-engineer"] },
    journal: { path: join(dir, "journal.ndjson") },
  });
});
afterEach(async () => {
  await sim.close();
});

const run = (args: string[], token?: string) =>
  runCli(["--config", config, "--now", NOW, ...args], { env: { ...sim.env(token), XDG_STATE_HOME: join(dir, "state") } });

describe("--metrics-file", () => {
  it("a quiet-hours --execute run writes valid Prometheus text with its stops, categories and API traffic", async () => {
    const file = join(dir, "textfile", "coder_agents_quiet_hours.prom");
    await sim.resetStats();
    const r = await run(["--json", "--metrics-file", file, "quiet-hours", "--execute"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<{ generated_at: string; summary: { planned: number; succeeded: number; skipped: number; failed: number }; counts: Record<string, number> }>();
    expect(doc.summary.planned).toBeGreaterThan(0);

    const text = readFileSync(file, "utf8");
    const st = lstatSync(file);
    expect(st.isFile()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    const fams = checkExposition(text);
    for (const f of fams) expect(f.name.startsWith("coder_agents_")).toBe(true);
    // No process-wide default metrics (process_cpu…, nodejs_…) in a textfile.
    expect(text).not.toMatch(/^(process|nodejs)_/m);

    const q = { command: "quiet-hours", mode: "execute" };
    expect(sampleValue(fams, "coder_agents_stops_total", { ...q, outcome: "planned" })).toBe(doc.summary.planned);
    expect(sampleValue(fams, "coder_agents_stops_total", { ...q, outcome: "succeeded" })).toBe(doc.summary.succeeded);
    expect(sampleValue(fams, "coder_agents_stops_total", { ...q, outcome: "failed" })).toBe(0);
    expect(sampleValue(fams, "coder_agents_stops_total", { ...q, outcome: "skipped" })).toBe(doc.summary.skipped);
    for (const [category, n] of Object.entries(doc.counts)) {
      expect(sampleValue(fams, "coder_agents_workspaces", { command: "quiet-hours", policy: "default", category })).toBe(n);
    }
    // Every request the simulator saw is counted, by status.
    const stats = await sim.stats();
    const requests = fams.find((f) => f.name === "coder_agents_api_requests_total")!.samples;
    expect(requests.reduce((s, x) => s + x.value, 0)).toBe(stats.total);
    expect(sampleValue(fams, "coder_agents_api_requests_total", { method: "POST", status: "201" })).toBe(stats.requests[POSTS]);
    expect(sampleValue(fams, "coder_agents_runs_total", { command: "quiet-hours", result: "success" })).toBe(1);
    expect(sampleValue(fams, "coder_agents_last_run_exit_code", { command: "quiet-hours" })).toBe(0);
    const last = sampleValue(fams, "coder_agents_last_success_timestamp_seconds", { command: "quiet-hours" })!;
    // The CLI's own clock: the run ended after it started (generated_at), within the test's time.
    const startedAt = Date.parse(doc.generated_at) / 1000;
    expect(last).toBeGreaterThanOrEqual(startedAt);
    expect(last - startedAt).toBeLessThan(60);
    const duration = sampleValue(fams, "coder_agents_run_duration_seconds", { command: "quiet-hours" })!;
    expect(duration).toBeGreaterThan(0);
    expect(duration).toBeLessThan(60);
    // The token never reaches the file.
    expect(text).not.toContain(sim.ownerToken);
  });

  it("counters accumulate across runs; a failed run keeps the last success time; retries are counted by status", async () => {
    const file = join(dir, "ttl.prom");
    const first = await run(["--metrics-file", file, "ttl-monitor", "--all"]);
    expect(first.code, first.stderr).toBe(0);
    const a = checkExposition(readFileSync(file, "utf8"));
    const lastSuccess = sampleValue(a, "coder_agents_last_success_timestamp_seconds", { command: "ttl-monitor" })!;
    const getsA = sampleValue(a, "coder_agents_api_requests_total", { method: "GET", status: "200" })!;
    expect(getsA).toBeGreaterThan(0);
    // The demo at 19:30: dana/frontend is past its deadline; ttl-monitor's own summary is the source.
    const json = await run(["--json", "ttl-monitor", "--all"]);
    const summary = json.json<{ summary: Record<string, number> }>().summary;
    for (const [status, n] of Object.entries(summary)) expect(sampleValue(a, "coder_agents_ttl_workspaces", { status })).toBe(n);
    expect(summary.expired).toBeGreaterThan(0);

    // A 503 once on the listing: retried and counted.
    await sim.setFaults({ rules: [{ method: "GET", path: "/api/v2/workspaces", status: 503, count: 1 }] });
    const second = await run(["--metrics-file", file, "ttl-monitor", "--all"]);
    expect(second.code, second.stderr).toBe(0);
    const b = checkExposition(readFileSync(file, "utf8"));
    expect(sampleValue(b, "coder_agents_api_retries_total", { method: "GET", status: "503" })).toBe(1);
    expect(sampleValue(b, "coder_agents_api_requests_total", { method: "GET", status: "503" })).toBe(1);
    expect(sampleValue(b, "coder_agents_api_requests_total", { method: "GET", status: "200" })).toBe(2 * getsA);
    expect(sampleValue(b, "coder_agents_runs_total", { command: "ttl-monitor", result: "success" })).toBe(2);

    // A run rejected by Coder (bad token, exit 4): failure counted, last success kept from before.
    const failed = await run(["--metrics-file", file, "ttl-monitor", "--all"], "not-a-token");
    expect(failed.code).toBe(4);
    const c = checkExposition(readFileSync(file, "utf8"));
    expect(sampleValue(c, "coder_agents_runs_total", { command: "ttl-monitor", result: "failure" })).toBe(1);
    expect(sampleValue(c, "coder_agents_runs_total", { command: "ttl-monitor", result: "success" })).toBe(2);
    expect(sampleValue(c, "coder_agents_last_run_exit_code", { command: "ttl-monitor" })).toBe(4);
    const keptSuccess = sampleValue(c, "coder_agents_last_success_timestamp_seconds", { command: "ttl-monitor" })!;
    expect(keptSuccess).toBeGreaterThanOrEqual(lastSuccess);
    expect(keptSuccess).toBeLessThanOrEqual(sampleValue(c, "coder_agents_last_run_timestamp_seconds", { command: "ttl-monitor" })!);
    expect(sampleValue(c, "coder_agents_api_requests_total", { method: "GET", status: "401" })).toBeGreaterThan(0);
  });

  it("replaces a symlink at the path instead of writing through it; an unwritable path is exit 5 with the path named", async () => {
    const victim = join(dir, "victim.txt");
    writeFileSync(victim, "keep me\n");
    const link = join(dir, "link.prom");
    symlinkSync(victim, link);
    const r = await run(["--metrics-file", link, "autostop"]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(victim, "utf8")).toBe("keep me\n");
    expect(lstatSync(link).isSymbolicLink()).toBe(false);
    const fams = checkExposition(readFileSync(link, "utf8"));
    expect(fams.find((f) => f.name === "coder_agents_pending_stops")!.samples.length).toBeGreaterThan(0);

    // The target is a directory: the rename fails, the run says so and exits 5.
    const bad = await run(["--metrics-file", dir, "autostop"]);
    expect(bad.code).toBe(5);
    expect(bad.stderr).toContain(`metrics file ${dir}`);
    expect(existsSync(join(dir, "journal.ndjson.lock"))).toBe(false);
  });
});
