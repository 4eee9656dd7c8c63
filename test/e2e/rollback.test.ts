import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJournal } from "../../src/exec/journal.js";
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
