/**
 * Reliability (issue 8): faults on the reads — 5xx bursts, a persistent 503, malformed JSON,
 * unknown extra fields and missing required fields. One simulator for the file; each case checks
 * the exit code, the message, that no workspace was stopped twice and that the journal has a
 * record for every stop the simulator received.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envelopeSchema } from "../../src/output/schema.js";
import { quietHoursExecuteDataSchema } from "../../src/output/schemas/quiet-hours.js";
import { startSim, type TestSim } from "../support/sim.js";
import { assertJournalCovers, cli, dueScenario, journalRecords, POSTS, reliabilityConfig, scratchDir, stoppedOnce } from "./support.js";

const executeDoc = envelopeSchema.extend(quietHoursExecuteDataSchema.shape);
const LIST = "/api/v2/workspaces";

let sim: TestSim;
let dir = "";

beforeAll(async () => {
  sim = await startSim(dueScenario(4), { buildDelayMs: 20 });
  dir = scratchDir();
});
afterAll(async () => {
  await sim?.close();
});

/** The categorisation part of a quiet-hours report (what must not change under faults). */
function categories(stdout: string): unknown {
  const doc = JSON.parse(stdout) as Record<string, unknown>;
  return { categories: doc.categories, counts: doc.counts };
}

describe("reads under faults", () => {
  let baseline: unknown;

  it("baseline: the report without faults", async () => {
    const cfg = reliabilityConfig(dir, {}, "report.json");
    const r = await cli(sim.url, cfg.path, ["quiet-hours", "--categorize", "--json"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    baseline = categories(r.stdout);
    expect(JSON.stringify(baseline)).toContain("alice");
  });

  it("5xx bursts on reads are retried: the same report, then every due workspace stopped exactly once", async () => {
    const cfg = reliabilityConfig(dir, {}, "burst.json");
    // A burst of two 503s on the listing, then one GET in five fails.
    await sim.setFaults({ rules: [{ method: "GET", path: LIST, status: 503, count: 2 }], fault_rate: 0.2, methods: ["GET"] });
    const report = await cli(sim.url, cfg.path, ["quiet-hours", "--categorize", "--json"], { cwd: dir });
    expect(report.code, report.stderr).toBe(0);
    expect(categories(report.stdout)).toEqual(baseline);
    expect(report.stderr).toContain("retrying Coder API request");

    await sim.setFaults({ rules: [{ method: "GET", path: LIST, status: 502, count: 1 }] });
    const r = await cli(sim.url, cfg.path, ["quiet-hours", "--execute", "--json"], { cwd: dir });
    await sim.clearFaults();
    expect(r.code, r.stderr).toBe(0);
    const doc = executeDoc.parse(r.json());
    expect(doc.results.map((x) => x.outcome)).toEqual(["stopped", "stopped", "stopped", "stopped"]);
    const stopped = stoppedOnce(await sim.state());
    expect(stopped).toEqual(["alice/w01", "alice/w02", "alice/w03", "alice/w04"]);
    expect((await sim.stats()).requests[POSTS]).toBe(4);
    assertJournalCovers(journalRecords(cfg.journal), stopped);
  });

  it("a persistent 503 is exit 3 with Coder's message, and nothing is stopped", async () => {
    await sim.addWorkspace({ name: "w05", owner: "alice", template: "python-dev", started_at: "2026-01-05T09:00:00Z" });
    const cfg = reliabilityConfig(dir, {}, "outage.json");
    await sim.resetStats();
    await sim.setFaults({ outage: true });
    const r = await cli(sim.url, cfg.path, ["quiet-hours", "--execute"], { cwd: dir });
    await sim.clearFaults();
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/error: GET \/api\/v2\/[^:]+: 503 Service temporarily unavailable\./);
    expect(r.stdout).toBe("");
    const stats = await sim.stats();
    expect(stats.requests[POSTS] ?? 0).toBe(0);
    // Retried: 1 + 4 attempts of the first read before giving up.
    expect(stats.total).toBe(5);
    stoppedOnce(await sim.state());
    expect(journalRecords(cfg.journal)).toEqual([]);
  });

  it("malformed JSON on reads is retried: the run completes and stops the new workspace once", async () => {
    const cfg = reliabilityConfig(dir, {}, "malformed.json");
    await sim.setFaults({ rules: [{ method: "GET", path: LIST, malformed: true, count: 2 }], malformed_rate: 0.2, methods: ["GET"] });
    const r = await cli(sim.url, cfg.path, ["quiet-hours", "--execute", "--json"], { cwd: dir });
    await sim.clearFaults();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/malformed JSON in the response to GET \/api\/v2\/workspaces/);
    const doc = executeDoc.parse(r.json());
    expect(doc.results.map((x) => `${x.owner}/${x.name} ${x.outcome}`)).toEqual(["alice/w05 stopped"]);
    const stopped = stoppedOnce(await sim.state());
    expect(stopped).toHaveLength(5);
    assertJournalCovers(journalRecords(cfg.journal), ["alice/w05"]);
  });

  it("malformed JSON that persists is exit 8, naming the call, and nothing is stopped", async () => {
    await sim.addWorkspace({ name: "w06", owner: "alice", template: "python-dev", started_at: "2026-01-05T09:00:00Z" });
    const cfg = reliabilityConfig(dir, {}, "malformed-always.json");
    await sim.resetStats();
    await sim.setFaults({ rules: [{ method: "GET", path: LIST, malformed: true }] });
    const r = await cli(sim.url, cfg.path, ["quiet-hours", "--execute"], { cwd: dir });
    await sim.clearFaults();
    expect(r.code, r.stderr).toBe(8);
    expect(r.stderr).toMatch(/error: GET \/api\/v2\/workspaces: the response was not valid JSON, 5 times \(is --url the Coder deployment\?\)/);
    expect((await sim.stats()).requests[POSTS] ?? 0).toBe(0);
    expect((await sim.workspace("alice/w06")).status).toBe("running");
    stoppedOnce(await sim.state());
    expect(journalRecords(cfg.journal)).toEqual([]);
  });
});

describe("response shapes", () => {
  /** The real listing, as the simulator renders it. */
  async function listing(): Promise<{ workspaces: Record<string, unknown>[]; count: number }> {
    const res = await sim.api("/api/v2/workspaces?q=status%3Arunning");
    return (await res.json()) as { workspaces: Record<string, unknown>[]; count: number };
  }

  it("unknown extra fields (top level, workspace, build, job) are tolerated: exit 0, the same stop", async () => {
    const body = await listing();
    expect(body.workspaces.map((w) => w.name)).toEqual(["w06"]);
    const extended = {
      ...body,
      next_cursor: "opaque",
      workspaces: body.workspaces.map((w) => {
        const b = w.latest_build as Record<string, unknown>;
        return {
          ...w,
          shiny_new_field: { nested: [1, 2, 3] },
          latest_build: { ...b, ai_task_sidebar_app_id: null, has_external_agent: true, job: { ...(b.job as object), logs_overflowed: false } },
        };
      }),
    };
    const cfg = reliabilityConfig(dir, {}, "extra-fields.json");
    await sim.setFaults({ rules: [{ method: "GET", path: LIST, status: 200, body: extended, count: 1 }] });
    const r = await cli(sim.url, cfg.path, ["quiet-hours", "--execute", "--json"], { cwd: dir });
    await sim.clearFaults();
    expect(r.code, r.stderr).toBe(0);
    expect(executeDoc.parse(r.json()).results.map((x) => `${x.owner}/${x.name} ${x.outcome}`)).toEqual(["alice/w06 stopped"]);
    const stopped = stoppedOnce(await sim.state());
    expect(stopped).toContain("alice/w06");
    assertJournalCovers(journalRecords(cfg.journal), ["alice/w06"]);
  });

  it("a missing required field is exit 8 naming the field path, and nothing is stopped", async () => {
    await sim.addWorkspace({ name: "w07", owner: "alice", template: "python-dev", started_at: "2026-01-05T09:00:00Z" });
    const body = await listing();
    const broken = {
      ...body,
      workspaces: body.workspaces.map((w) => {
        const { status: _drop, ...b } = w.latest_build as Record<string, unknown>;
        return { ...w, latest_build: b };
      }),
    };
    const cfg = reliabilityConfig(dir, {}, "missing-field.json");
    await sim.resetStats();
    await sim.setFaults({ rules: [{ method: "GET", path: LIST, status: 200, body: broken }] });
    const r = await cli(sim.url, cfg.path, ["quiet-hours", "--execute", "--json"], { cwd: dir });
    await sim.clearFaults();
    expect(r.code, r.stderr).toBe(8);
    expect(r.stderr).toContain("GET /api/v2/workspaces: the Coder API answered with a shape this version does not understand: workspaces[0].latest_build.status");
    expect((r.json() as { error: { code: string } }).error.code).toBe("E_API_SHAPE");
    expect((await sim.stats()).requests[POSTS] ?? 0).toBe(0);
    expect((await sim.workspace("alice/w07")).status).toBe("running");
    stoppedOnce(await sim.state());
    expect(journalRecords(cfg.journal)).toEqual([]);
  });
});
