/**
 * The write-ahead journal across the process boundary: an `intent` is on disk before each stop
 * POST, so a run killed (SIGKILL) while the POST is in flight leaves a fact the next run verifies
 * by reading the workspace, and `rollback` can undo. A proxy's 502 is never taken as "no build
 * was created" without a read. The simulator's `hold_ms` / `applied` fault rules do the timing:
 * the build is created at once, its answer held back or replaced.
 */
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { readJournal, type JournalIntentRecord, type JournalWorkspaceRecord } from "../../src/exec/journal.js";
import { pendingIntents } from "../../src/exec/recovery.js";
import { envelopeSchema } from "../../src/output/schema.js";
import { quietHoursExecuteDataSchema } from "../../src/output/schemas/quiet-hours.js";
import { rollbackDataSchema } from "../../src/output/schemas/rollback.js";
import { startSim, type TestSim } from "../support/sim.js";
import { addDue, buildsPath, cli, dueScenario, POSTS, reliabilityConfig, scratchDir, stopBuilds, stoppedOnce } from "./support.js";

// Each case spawns the CLI three to five times: allow for a loaded machine.
vi.setConfig({ testTimeout: 120_000 });

const executeDoc = envelopeSchema.extend(quietHoursExecuteDataSchema.shape);
const rollbackDoc = envelopeSchema.extend(rollbackDataSchema.shape);

let sim: TestSim;
let dir = "";

beforeAll(async () => {
  sim = await startSim(dueScenario(0), { buildDelayMs: 20 });
  dir = scratchDir();
});
afterAll(async () => {
  await sim?.close();
});


async function waitStatus(key: string, status: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await sim.workspace(key)).status === status) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${key} never reached ${status}`);
}

const records = (path: string) => readJournal(path).records;
const outcomesOf = (path: string, name: string) => records(path).filter((r): r is JournalWorkspaceRecord => r.type === "workspace" && r.workspace.name === name);
const intentsOf = (path: string, name: string) => records(path).filter((r): r is JournalIntentRecord => r.type === "intent" && r.workspace.name === name);

/**
 * Runs `quiet-hours --execute` with `name`'s stop answer held back 30 s (Coder creates the build
 * at once) and kills the CLI with SIGKILL once the intent is journaled and the build exists.
 */
async function killDuringStop(name: string, journal: string, config: string): Promise<void> {
  const id = (await sim.workspace(`alice/${name}`)).id;
  await sim.setFaults({ rules: [{ method: "POST", path: buildsPath(id), hold_ms: 30_000 }] });
  const killed = await cli(sim.url, config, ["quiet-hours", "--execute", "--json"], {
    cwd: dir,
    kill: {
      signal: "SIGKILL",
      when: async () =>
        existsSync(journal) &&
        readFileSync(journal, "utf8").includes('"type":"intent"') &&
        (await sim.workspace(`alice/${name}`)).builds.some((b) => b.transition === "stop" && b.reason === "cli"),
    },
  });
  await sim.clearFaults();
  expect(killed.signal, killed.stderr).toBe("SIGKILL");
  expect(killed.stdout).toBe("");
  await waitStatus(`alice/${name}`, "stopped");
}

describe("SIGKILL while a stop POST is in flight", () => {
  it("the intent is on disk; the next run verifies it (recovered stop), and rollback --execute starts that workspace again", async () => {
    const ids = await addDue(sim, "k1");
    const cfg = reliabilityConfig(dir, {}, "sigkill.json");
    await sim.resetStats();
    await killDuringStop("k1", cfg.journal, cfg.path);

    // The killed run left its run record and the intent, with the build it was planned against, and no outcome.
    const [intent] = intentsOf(cfg.journal, "k1");
    const k1 = (await sim.workspace("alice/k1"))!;
    const stopBuild = k1.builds.find((b) => b.transition === "stop" && b.reason === "cli")!;
    expect(intent).toMatchObject({ v: 2, action: "stop", workspace: { id: ids.k1, owner: "alice", name: "k1" }, planned_build: { build_number: stopBuild.build_number - 1 } });
    expect(outcomesOf(cfg.journal, "k1")).toEqual([]);
    expect(pendingIntents(cfg.journal, 0).pending.map((p) => p.intent.intent_id)).toEqual([intent!.intent_id]);
    const killedRun = records(cfg.journal).find((r) => r.type === "run")!;
    expect(killedRun.run_id).toBe(intent!.run_id);
    expect(records(cfg.journal).some((r) => r.type === "run-end")).toBe(false);

    // The next run has nothing to stop (k1 is stopped) but verifies the unanswered stop: stopped by the killed run.
    const again = await cli(sim.url, cfg.path, ["quiet-hours", "--execute", "--json"], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(executeDoc.parse(again.json()).results.map((r) => r.name)).not.toContain("k1");
    expect(again.stderr).toMatch(/"msg":"unanswered stop of run [^ ]+ verified: stopped"/);
    const [recovered, ...more] = outcomesOf(cfg.journal, "k1");
    expect(more).toEqual([]);
    expect(recovered).toMatchObject({
      run_id: intent!.run_id,
      intent_id: intent!.intent_id,
      outcome: "stopped",
      build_id: k1.build_id,
      recovered: { by_command: "quiet-hours", intent_at: intent!.at },
    });
    expect(pendingIntents(cfg.journal, 0).pending).toEqual([]);
    expect((await sim.stats()).requests[POSTS]).toBe(1);

    // A third run finds nothing pending and appends no second outcome.
    const third = await cli(sim.url, cfg.path, ["quiet-hours", "--execute", "--json"], { cwd: dir });
    expect(third.code, third.stderr).toBe(0);
    expect(outcomesOf(cfg.journal, "k1")).toHaveLength(1);

    // The recovered stop is undoable.
    const rb = await cli(sim.url, cfg.path, ["rollback", "--execute", "--json"], { cwd: dir });
    expect(rb.code, rb.stderr).toBe(0);
    const doc = rollbackDoc.parse(rb.json());
    expect(doc.runs.map((r) => r.run_id)).toContain(intent!.run_id);
    expect(doc.results.find((r) => r.name === "k1")).toMatchObject({ outcome: "started", stopped_by_run: intent!.run_id, stop_build_id: k1.build_id });
    await waitStatus("alice/k1", "running");
    const after = await sim.workspace("alice/k1");
    expect(after.builds.filter((b) => b.reason === "cli").map((b) => b.transition)).toEqual(["stop", "start"]);
  });

  it("rollback --execute straight after the kill verifies the unanswered stop, journals it, and starts the workspace", async () => {
    await addDue(sim, "k2");
    const cfg = reliabilityConfig(dir, {}, "sigkill-rollback.json");
    await killDuringStop("k2", cfg.journal, cfg.path);
    const [intent] = intentsOf(cfg.journal, "k2");
    const k2 = await sim.workspace("alice/k2");
    const rb = await cli(sim.url, cfg.path, ["rollback", "--execute", "--json"], { cwd: dir });
    expect(rb.code, rb.stderr).toBe(0);
    expect(rollbackDoc.parse(rb.json()).results.find((r) => r.name === "k2")).toMatchObject({ outcome: "started", stopped_by_run: intent!.run_id, stop_build_id: k2.build_id });
    await waitStatus("alice/k2", "running");
    // In the journal: the recovered stop (the killed run's), then the rollback's start of it.
    const k2Records = records(cfg.journal).filter((r): r is JournalWorkspaceRecord | JournalIntentRecord => (r.type === "workspace" || r.type === "intent") && r.workspace.name === "k2");
    expect(k2Records.map((r) => (r.type === "workspace" ? `${r.action} ${r.outcome}${r.recovered ? " recovered" : ""}` : `intent ${r.action}`))).toEqual([
      "intent stop",
      "stop stopped recovered",
      "intent start",
      "start started",
    ]);
    // A second rollback has nothing left to start.
    const again = await cli(sim.url, cfg.path, ["rollback", "--execute", "--json"], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(rollbackDoc.parse(again.json()).results.find((r) => r.name === "k2")).toMatchObject({ outcome: "skipped", error: expect.stringMatching(/already started again by rollback run/) });
  });
});

describe("a proxy's 502 answer to a stop POST", () => {
  it("after the build was created: verified by a read and counted as stopped; where none was created: failed, checked again by the next run", async () => {
    const ids = await addDue(sim, "g1", "g2");
    const cfg = reliabilityConfig(dir, {}, "bad-gateway.json");
    const badGateway = { message: "Bad Gateway" };
    await sim.setFaults({
      rules: [
        // g1: Coder creates the build; the proxy in front of it answers 502 anyway.
        { method: "POST", path: buildsPath(ids.g1!), applied: true, status: 502, body: badGateway, count: 1 },
        // g2: the proxy answers 502 without Coder ever seeing the POST.
        { method: "POST", path: buildsPath(ids.g2!), status: 502, body: badGateway, count: 1 },
      ],
    });
    await sim.resetStats();
    const r = await cli(sim.url, cfg.path, ["quiet-hours", "--execute", "--json"], { cwd: dir });
    await sim.clearFaults();
    expect(r.code, r.stderr).toBe(5);
    const doc = executeDoc.parse(r.json());
    const g1 = doc.results.find((x) => x.name === "g1")!;
    const g2 = doc.results.find((x) => x.name === "g2")!;
    const g1State = await sim.workspace("alice/g1");
    expect(g1).toMatchObject({ outcome: "stopped", build_id: g1State.build_id, error: null });
    expect(g2).toMatchObject({ outcome: "failed", build_id: null });
    expect(g2.error).toMatch(/^POST \/api\/v2\/workspaces\/[^/]+\/builds: 502 Bad Gateway; the workspace was unchanged when checked, but the stop may still reach Coder/);
    expect(g2.error).not.toContain("no build was created");
    expect(doc.summary).toMatchObject({ succeeded: 1, failed: 1 });
    expect((await sim.workspace("alice/g2")).status).toBe("running");
    // Journal: each outcome names its intent; g2's is marked uncertain.
    const [g1Intent] = intentsOf(cfg.journal, "g1");
    const [g2Intent] = intentsOf(cfg.journal, "g2");
    expect(outcomesOf(cfg.journal, "g1")).toMatchObject([{ outcome: "stopped", intent_id: g1Intent!.intent_id }]);
    expect(outcomesOf(cfg.journal, "g1")[0]!.uncertain).toBeUndefined();
    expect(outcomesOf(cfg.journal, "g2")).toMatchObject([{ outcome: "failed", intent_id: g2Intent!.intent_id, uncertain: true }]);

    // The next run verifies g2's intent (not applied), then stops g2 for real, once.
    await waitStatus("alice/g1", "stopped");
    const again = await cli(sim.url, cfg.path, ["quiet-hours", "--execute", "--json"], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(executeDoc.parse(again.json()).results.map((x) => `${x.name} ${x.outcome}`)).toEqual(["g2 stopped"]);
    const g2Outcomes = outcomesOf(cfg.journal, "g2");
    expect(g2Outcomes.map((o) => [o.outcome, o.intent_id === g2Intent!.intent_id, !!o.recovered])).toEqual([
      ["failed", true, false],
      ["failed", true, true],
      ["stopped", false, false],
    ]);
    expect(g2Outcomes[1]!.error).toMatch(/latest build is still the planned #\d+, so it did not take effect/);
    expect(stopBuilds(await sim.state()).get("alice/g2")).toBe(1);
    stoppedOnce(await sim.state());
  });
});
