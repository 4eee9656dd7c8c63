import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envelopeSchema } from "../../src/output/schema.js";
import { quietHoursExecuteDataSchema } from "../../src/output/schemas/quiet-hours.js";
import { runCli, scratchDir, writeConfig } from "../support/cli.js";
import { startSim, type TestSim } from "../support/sim.js";

const executeDoc = envelopeSchema.extend(quietHoursExecuteDataSchema.shape);
const POSTS = "POST /api/v2/workspaces/{id}/builds";
const NOW = "2026-01-05T19:30:00Z"; // Monday, 19:30 GMT: inside 18:00–08:00 Europe/London, grace over

const scenario = {
  clock: NOW,
  organizations: [{ name: "engineering" }],
  users: [
    { username: "owner", roles: ["owner"], token: "owner-token" },
    { username: "alice", token: "alice-token" },
  ],
  templates: [{ name: "python-dev", organization: "engineering" }],
  workspaces: ["a", "b", "c", "d"].map((n) => ({ name: n, owner: "alice", template: "python-dev", started_at: "2026-01-05T09:00:00Z", deadline: null })),
};

function setup() {
  let sim: TestSim;
  let dir = "";
  let config = "";
  const ctx = {
    get sim() {
      return sim;
    },
    get dir() {
      return dir;
    },
    cli: (args: string[], opts: Parameters<typeof runCli>[1] = {}) =>
      runCli(["--url", sim.url, "--config", config, "--now", NOW, ...args], { ...opts, env: { CODER_SESSION_TOKEN: sim.ownerToken, ...opts.env }, cwd: dir }),
  };
  beforeAll(async () => {
    sim = await startSim(scenario);
    dir = scratchDir();
    config = writeConfig(dir, {
      quiet_hours: { start_time: "18:00", end_time: "08:00", timezone: "Europe/London", grace_period_hours: 1 },
      safety: { max_stops_per_minute: 1 },
      journal: { path: join(dir, "journal.ndjson") },
    });
  });
  afterAll(async () => {
    await sim?.close();
  });
  return ctx;
}

describe("quiet-hours --execute with 20 % of reads failing", () => {
  const t = setup();
  it("stops each workspace once, and a second run stops none", async () => {
    await t.sim.setFaults({ fault_rate: 0.2, methods: ["GET"] });
    const cfg = writeConfig(t.dir, { quiet_hours: { start_time: "18:00", end_time: "08:00", timezone: "Europe/London" }, journal: { path: join(t.dir, "j.ndjson") } }, "fast.json");
    const r = await t.cli(["--config", cfg, "quiet-hours", "--execute", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = executeDoc.parse(r.json());
    expect(doc.results.map((x) => x.outcome)).toEqual(["stopped", "stopped", "stopped", "stopped"]);
    expect((await t.sim.stats()).requests[POSTS]).toBe(4);
    const again = await t.cli(["--config", cfg, "quiet-hours", "--execute", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(executeDoc.parse(again.json()).results).toEqual([]);
    expect((await t.sim.stats()).requests[POSTS]).toBe(4);
    for (const n of ["a", "b", "c", "d"]) {
      expect((await t.sim.workspace(`alice/${n}`)).builds.filter((b) => b.transition === "stop")).toHaveLength(1);
    }
  });
});

describe("quiet-hours --execute safety nets", () => {
  const t = setup();
  it("the emergency-stop file aborts with exit 7 before any POST", async () => {
    mkdirSync(join(t.dir, ".state", "coder-agents"), { recursive: true });
    const stop = join(t.dir, ".state", "coder-agents", "EMERGENCY_STOP");
    writeFileSync(stop, "");
    const r = await t.cli(["quiet-hours", "--execute"]);
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(`emergency stop is on (${stop} exists)`);
    expect((await t.sim.stats()).requests[POSTS] ?? 0).toBe(0);
    rmSync(stop);
  });

  it("a journal that cannot be written: stops still happen, the records go to the error log, exit 5", async () => {
    writeFileSync(join(t.dir, "plain-file"), "");
    const cfg = writeConfig(
      t.dir,
      { quiet_hours: { start_time: "18:00", end_time: "08:00", timezone: "Europe/London" }, journal: { path: join(t.dir, "plain-file", "journal.ndjson") } },
      "broken-journal.json",
    );
    const r = await t.cli(["--config", cfg, "quiet-hours", "--execute", "--json"]);
    expect(r.code).toBe(5);
    const doc = executeDoc.parse(r.json());
    expect(doc.summary.succeeded).toBe(4);
    expect(doc.journal_error).toMatch(/plain-file\/journal.ndjson/);
    expect(r.stderr).toContain("journal write failed");
    expect(r.stderr.match(/"outcome":"stopped"/g)?.length).toBeGreaterThanOrEqual(4);
  });
});

describe("quiet-hours --execute with one failing stop, and SIGINT", () => {
  const t = setup();
  it("a failed stop gives exit 5, every other stop is done and each outcome is listed", async () => {
    const b = await t.sim.workspace("alice/b");
    await t.sim.setFaults({ rules: [{ method: "POST", path: `/api/v2/workspaces/${b.id}/builds`, status: 500, body: { message: "Internal error creating workspace build." } }] });
    const cfg = writeConfig(t.dir, { quiet_hours: { start_time: "18:00", end_time: "08:00", timezone: "Europe/London" }, journal: { path: join(t.dir, "j.ndjson") } }, "fast.json");
    const r = await t.cli(["--config", cfg, "quiet-hours", "--execute"]);
    expect(r.code, r.stderr).toBe(5);
    // The results table lists failures first.
    expect(r.stdout).toMatch(/🛑 Stopping 4 workspaces:\n┌[^\n]*\n│ Workspace[^\n]*\n├[^\n]*\n│ alice\/b +│ ❌ Failed: POST \/api\/v2\/workspaces\/[^ ]+\/builds: 500 Internal error creating workspace build\.; the workspace is unchanged/);
    expect(r.stdout).toContain("📊 Operation completed: 3/4 workspaces stopped successfully (1 failed)");
    expect(r.stdout).toContain("⚠️  1 stop failed; each error is listed above.");
    expect((await t.sim.stats()).requests[POSTS]).toBe(4); // never retried blindly
    await t.sim.clearFaults();
  });

  it("SIGINT during a rate-limited run: in-flight stops finish, the rest are skipped, exit 130", async () => {
    await t.sim.resetStats();
    // alice/b is the only one left running: add two more so the bucket (1/min) makes the run wait.
    await t.sim.addWorkspace({ name: "e", owner: "alice", template: "python-dev", started_at: "2026-01-05T09:00:00Z" });
    await t.sim.addWorkspace({ name: "f", owner: "alice", template: "python-dev", started_at: "2026-01-05T09:00:00Z" });
    const r = await t.cli(["quiet-hours", "--execute", "--json", "--verbose"], { kill: { signal: "SIGINT", whenStderrMatches: /stop stopped/ } });
    expect(r.code, r.stderr).toBe(130);
    const doc = executeDoc.parse(r.json());
    expect(doc.interrupted).toBe("SIGINT");
    expect(doc.results.map((x) => x.outcome)).toEqual(["stopped", "skipped", "skipped"]);
    expect(doc.results.slice(1).every((x) => /interrupted by SIGINT/.test(x.error ?? ""))).toBe(true);
    expect((await t.sim.stats()).requests[POSTS]).toBe(1);
  });
});
