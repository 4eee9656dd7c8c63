import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DateTime } from "luxon";
import type { Workspace } from "../../src/coder/schemas.js";
import { alreadyUndone, selectRuns, stopsToUndo, verdict } from "../../src/commands/rollback.js";
import { readJournal, type JournalRecord, type JournalWorkspaceRecord } from "../../src/exec/journal.js";
import { envelopeSchema } from "../../src/output/schema.js";
import { rollbackDataSchema } from "../../src/output/schemas/rollback.js";
import { runCli, scratchDir, writeConfig } from "../support/cli.js";
import { miniScenario, startSim, type TestSim } from "../support/sim.js";

const docSchema = envelopeSchema.extend(rollbackDataSchema.shape);
const NOW = "2026-01-05T19:30:00Z";

/** Three running workspaces well past Coder's deadline: `autostop --execute` stops all three. */
function scenario() {
  return miniScenario({
    workspaces: ["one", "two", "three"].map((name) => ({
      name,
      owner: "alice",
      template: "python-dev",
      status: "running" as const,
      started_at: "-9h",
      deadline: "-1h",
    })),
  });
}

describe("rollback from the journal", () => {
  let sim: TestSim;
  let dir: string;
  let config: string;
  beforeAll(async () => {
    sim = await startSim(scenario());
    dir = scratchDir();
    config = writeConfig(dir, { journal: { path: join(dir, "journal.ndjson") } });
  });
  afterAll(async () => sim.close());

  const cli = (args: string[]) => runCli([...args, "--url", sim.url, "--config", config, "--now", NOW], { env: { CODER_SESSION_TOKEN: sim.ownerToken }, cwd: dir });
  const id = async (name: string) => (await sim.workspace(`alice/${name}`)).id;
  const waitStopped = async (names: string[]) => {
    for (let i = 0; i < 100; i++) {
      const ws = await Promise.all(names.map((n) => sim.workspace(`alice/${n}`)));
      if (ws.every((w) => w.status === "stopped")) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error("stops did not complete");
  };

  it("restarts only the workspace nobody touched since, and a second rollback starts nothing", async () => {
    const stop = await cli(["autostop", "--execute", "--json"]);
    expect(stop.code, stop.stderr).toBe(0);
    const stopDoc = stop.json<{ run_id: string; summary: { succeeded: number } }>();
    expect(stopDoc.summary.succeeded).toBe(3);
    await waitStopped(["one", "two", "three"]);

    // The owner starts "one" again; "two" is deleted (real API calls with alice's token).
    const start = await sim.api(`/api/v2/workspaces/${await id("one")}/builds`, { method: "POST", token: "alice-token", body: JSON.stringify({ transition: "start" }), headers: { "Content-Type": "application/json" } });
    expect(start.status).toBe(201);
    const idTwo = await id("two");
    const del = await sim.api(`/api/v2/workspaces/${idTwo}/builds`, { method: "POST", token: "alice-token", body: JSON.stringify({ transition: "delete" }), headers: { "Content-Type": "application/json" } });
    expect(del.status).toBe(201);

    // Dry run first (the default): shows exactly one would-start, changes nothing.
    const dry = await cli(["rollback", "--json"]);
    expect(dry.code, dry.stderr).toBe(0);
    const dryDoc = docSchema.parse(dry.json());
    expect(dryDoc.mode).toBe("dry-run");
    expect(dryDoc.results.filter((r) => r.outcome === "would-start").map((r) => r.name)).toEqual(["three"]);
    expect((await sim.workspace("alice/three")).status).toBe("stopped");

    await sim.resetStats();
    const rb = await cli(["rollback", "--execute", "--json"]);
    expect(rb.code, rb.stderr).toBe(0);
    const doc = docSchema.parse(rb.json());
    expect(doc.mode).toBe("execute");
    expect(doc.runs.map((r) => r.run_id)).toEqual([stopDoc.run_id]);
    const byName = Object.fromEntries(doc.results.map((r) => [r.name, r]));
    expect(byName.three).toMatchObject({ outcome: "started", stopped_by_run: stopDoc.run_id, stopped_by_command: "autostop" });
    expect(byName.one).toMatchObject({ outcome: "skipped" });
    expect(byName.one!.error).toMatch(/started by alice since/);
    expect(byName.two).toMatchObject({ outcome: "skipped" });
    expect(byName.two!.error).toMatch(/deleted/);
    expect(doc.summary).toEqual({ planned: 3, succeeded: 1, skipped: 2, failed: 0 });
    expect((await sim.stats()).requests["POST /api/v2/workspaces/{id}/builds"]).toBe(1);

    const three = await sim.workspace("alice/three");
    const last = three.builds.at(-1)!;
    expect(last).toMatchObject({ transition: "start", reason: "cli", initiator: sim.ownerUsername });

    // Second rollback: the journal says "three" was already started again; nothing is posted.
    await sim.resetStats();
    const again = await cli(["rollback", "--execute", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    const againDoc = docSchema.parse(again.json());
    expect(againDoc.summary.succeeded).toBe(0);
    expect(againDoc.results.find((r) => r.name === "three")!.error).toMatch(/already started again by rollback run/);
    expect((await sim.stats()).requests["POST /api/v2/workspaces/{id}/builds"] ?? 0).toBe(0);

    // The journal holds the stop run, the rollback run and its start record.
    const j = readJournal(join(dir, "journal.ndjson"));
    expect(j.skipped).toBe(0);
    const starts = j.records.filter((r) => r.type === "workspace" && r.action === "start" && r.outcome === "started");
    expect(starts).toHaveLength(1);
  });

  it("--run of an unknown id is a usage error listing recent runs; human output names the runs", async () => {
    const bad = await cli(["rollback", "--run", "nope"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--run nope: no such run in the journal; recent stopping runs: .* \(autostop\)/);
    const human = await cli(["rollback"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("ROLLBACK - runs since");
    expect(human.stdout).toMatch(/Stopped by autostop run \S+ at 20\d\d-/);
  });

  it("a journal that cannot be read is a clear exit 2, not an internal error", async () => {
    const unreadable = writeConfig(dir, { journal: { path: dir } }, "journal-is-a-dir.json"); // a directory: EISDIR
    const r = await runCli(["rollback", "--json", "--url", sim.url, "--config", unreadable], { env: { CODER_SESSION_TOKEN: sim.ownerToken } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/error: the journal .* cannot be read \(EISDIR[^)]*\); nothing was started/);
    expect(r.stderr).not.toContain("internal error");
    expect(r.json<{ error: { code: string } }>().error.code).toBe("E_CONFIG");
  });

  it("safety.rollback_enabled: false refuses with exit 2", async () => {
    const off = writeConfig(dir, { journal: { path: join(dir, "journal.ndjson") }, safety: { rollback_enabled: false } }, "off.json");
    const before = readFileSync(join(dir, "journal.ndjson"), "utf8");
    await sim.resetStats();
    const r = await runCli(["rollback", "--execute", "--url", sim.url, "--config", off], { env: { CODER_SESSION_TOKEN: sim.ownerToken } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("rollback is disabled by safety.rollback_enabled");
    expect(readFileSync(join(dir, "journal.ndjson"), "utf8")).toBe(before);
    expect((await sim.stats()).total).toBe(0);
  });
});

describe("rollback planning (pure)", () => {
  const ws = { id: "w1", owner: "alice", name: "dev", template: "t", organization: "o" };
  const runRec = (id: string, started: string, command = "quiet-hours", transition: "stop" | "start" = "stop", mode = "execute"): JournalRecord => ({
    type: "run", v: 1, run_id: id, command, mode, now: started, config_hash: "h", started_at: started, transition, planned: 1,
  });
  const wsRec = (run: string, at: string, outcome: JournalWorkspaceRecord["outcome"], build: string | null, action: "stop" | "start" = "stop", evidence: Record<string, unknown> = {}): JournalRecord => ({
    type: "workspace", v: 1, run_id: run, at, action, workspace: ws, category: "c", reasons: [], outcome, error: null, build_id: build, evidence,
  });
  const records = [
    runRec("r1", "2026-01-05T19:00:00Z"),
    wsRec("r1", "2026-01-05T19:00:01Z", "stopped", "b1"),
    runRec("r2", "2026-01-05T20:00:00Z"),
    wsRec("r2", "2026-01-05T20:00:01Z", "stopped", "b2"),
    runRec("dry", "2026-01-05T20:30:00Z", "quiet-hours", "stop", "dry-run"),
    wsRec("dry", "2026-01-05T20:30:01Z", "would-stop", null),
    runRec("rb", "2026-01-05T21:00:00Z", "rollback", "start"),
    wsRec("rb", "2026-01-05T21:00:01Z", "started", "b3", "start", { stop_build_id: "b2" }),
  ];

  it("takes each workspace's newest stop of the selected runs, and knows what was already undone", () => {
    const since = DateTime.fromISO("2026-01-05T18:00:00Z", { zone: "utc" });
    const runs = selectRuns(records, { since });
    expect(runs.map((r) => r.run_id)).toEqual(["r1", "r2"]); // not the dry run, not the rollback
    const stops = stopsToUndo(records, new Set(runs.map((r) => r.run_id)));
    expect(stops.map((s) => s.stop_build_id)).toEqual(["b2"]);
    expect(alreadyUndone(records).get("b2")).toBe("rb");
    expect(() => selectRuns(records, { run: "rb", since })).toThrow(/only runs that stopped workspaces can be rolled back/);
    expect(() => selectRuns(records, { run: "zz", since })).toThrow(/recent stopping runs: r1 \(quiet-hours\), r2 \(quiet-hours\)/);
  });

  it("verdict: only our own, succeeded, still-latest stop build is started", () => {
    const stop = stopsToUndo(records, new Set(["r1"]))[0]!;
    const build = (over: Record<string, unknown>) =>
      ({ latest_build: { id: "b1", transition: "stop", status: "stopped", build_number: 5, job: { status: "succeeded" }, ...over } }) as unknown as Workspace;
    expect(verdict(stop, build({}))).toBeNull();
    expect(verdict(stop, build({ id: "b9", transition: "start", status: "running", initiator_name: "alice", build_number: 6 }))).toBe("started by alice since (build #6, running)");
    expect(verdict(stop, build({ id: "b9", transition: "stop", initiator_name: "bob", build_number: 6 }))).toMatch(/^stopped again by bob since/);
    expect(verdict(stop, build({ id: "b9", transition: "delete", build_number: 6 }))).toMatch(/deleted/);
    expect(verdict(stop, build({ status: "failed", job: { status: "failed" } }))).toMatch(/did not finish cleanly/);
  });
});
