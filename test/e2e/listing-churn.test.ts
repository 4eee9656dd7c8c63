/**
 * Listing while the fleet changes: 20,000 workspaces with realistic bulk (~7 KB each), Coder's
 * list order (running first), and churn at 10 start/stop changes per second during the whole run.
 * Every workspace must come back exactly once, with no false exit 7. The simulated clock is fixed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, scratchDir, writeConfig } from "../support/cli.js";
import { startSim, type TestSim } from "../support/sim.js";

const NOW = "2026-01-05T19:30:00Z";
let sim: TestSim;
let dir: string;

beforeAll(async () => {
  sim = await startSim(
    { clock: NOW, generate: { workspaces: 20_000, users: 2_000, templates: 20, organizations: 2, seed: 5 } },
    { frozenClock: true, churnPerSecond: 10, buildDelayMs: 300 },
  );
  dir = scratchDir();
}, 120_000);
afterAll(async () => {
  await sim?.close();
});

const churnChanges = async () => ((await (await fetch(`${sim.url}/__sim/churn`)).json()) as { changes: number }).changes;

describe("workspace listing under churn (20,000 workspaces, 10 changes/s)", () => {
  it.each([
    ["page_size 2000 (10 pages)", 2_000],
    ["default page size", undefined],
  ])("every workspace exactly once: %s", async (_label, pageSize) => {
    const config = writeConfig(dir, pageSize ? { http: { page_size: pageSize } } : {}, `config-${pageSize ?? "default"}.json`);
    const expected = new Set([...sim.sim.store.workspaceById.values()].filter((w) => w.builds.at(-1)?.transition !== "delete").map((w) => w.id));
    expect(expected.size).toBe(20_000);
    const before = await churnChanges();
    await sim.resetStats();
    const r = await runCli(["--url", sim.url, "--config", config, "--now", NOW, "workspaces", "--all", "--json"], {
      env: { CODER_SESSION_TOKEN: sim.ownerToken },
      cwd: dir,
      timeoutMs: 240_000,
      // A process of its own: the simulator keeps churning on this event loop while the CLI reads.
      spawn: true,
    });
    expect(r.code, r.stderr.slice(0, 2000)).toBe(0);
    const ids = (r.json() as { workspaces: { id: string }[] }).workspaces.map((w) => w.id);
    expect(ids.length).toBe(20_000);
    expect(new Set(ids).size).toBe(20_000);
    expect(new Set(ids)).toEqual(expected);
    const changed = (await churnChanges()) - before;
    const stats = await sim.stats();
    console.log(`listing under churn (${_label}): ${changed} state changes during the run, ${stats.requests["GET /api/v2/workspaces"]} listing requests`);
    // The fleet really moved while it was read.
    expect(changed).toBeGreaterThan(5);
  }, 300_000);
});
