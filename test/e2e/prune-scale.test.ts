import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envelopeSchema } from "../../src/output/schema.js";
import { pruneDataSchema } from "../../src/output/schemas/prune.js";
import { runCli, scratchDir, writeConfig } from "../support/cli.js";
import { startSim, type TestSim } from "../support/sim.js";

const docSchema = envelopeSchema.extend(pruneDataSchema.shape);

/** Request budget on a generated deployment: listing pages + one per selected owner + a small constant (D17, D18). */
describe("prune request count at scale (10,000 workspaces, 2,000 users, 50 groups)", () => {
  let sim: TestSim;
  let cfg: string;
  beforeAll(async () => {
    sim = await startSim({
      clock: "2026-01-05T19:30:00Z",
      generate: { workspaces: 10_000, users: 2_000, groups: 50, organizations: 3, templates: 20, seed: 7 },
    });
    cfg = writeConfig(scratchDir(), {});
  }, 60_000);
  afterAll(async () => sim.close());

  const prune = (args: string[]) =>
    runCli(["prune", "--url", sim.url, "--config", cfg, "--now", "2026-01-05T19:30:00Z", "--json", ...args], {
      env: { CODER_SESSION_TOKEN: sim.ownerToken },
      timeoutMs: 120_000,
      // A process of its own: the large simulator answers on this event loop while the CLI runs.
      spawn: true,
    });

  it("--all --include-group: one listing, one groups call, one quiet-hours call per surviving owner", async () => {
    await sim.resetStats();
    const r = await prune(["--all", "--include-group", "group-07"]);
    expect(r.code, r.stderr).toBe(0);
    const d = docSchema.parse(r.json());
    const s = await sim.stats();
    const pages = s.requests["GET /api/v2/workspaces"] ?? 0;
    expect(d.workspaces_listed).toBeGreaterThan(1000);
    expect(pages).toBeGreaterThanOrEqual(1);
    expect(pages).toBeLessThanOrEqual(Math.ceil(d.workspaces_listed / 1000));
    expect(s.requests["GET /api/v2/groups"]).toBe(1);
    expect(s.requests["GET /api/v2/users/{user}/quiet-hours"]).toBe(d.owners_checked);
    expect(d.owners_checked).toBeGreaterThan(0);
    expect(d.owners_checked).toBeLessThan(200);
    expect(s.requests["GET /api/v2/users"] ?? 0).toBe(0); // no user listing (D28)
    expect(s.total).toBeLessThanOrEqual(pages + d.owners_checked + 3);
  }, 120_000);

  it("--user NAME: a server-side owner filter, a handful of requests", async () => {
    await sim.resetStats();
    const r = await prune(["--user", "user-0007", "--include-stopped"]);
    expect(r.code, r.stderr).toBe(0);
    const d = docSchema.parse(r.json());
    expect(d.owners_checked).toBe(1);
    const s = await sim.stats();
    expect(s.requests["GET /api/v2/workspaces"]).toBe(1);
    expect(s.total).toBeLessThanOrEqual(3);
  }, 120_000);
});
