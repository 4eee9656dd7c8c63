import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envelopeSchema } from "../../src/output/schema.js";
import { quietHoursCategorizeDataSchema } from "../../src/output/schemas/quiet-hours.js";
import { runCli, scratchDir, writeConfig } from "../support/cli.js";
import { startSim, type TestSim } from "../support/sim.js";

const categorizeDoc = envelopeSchema.extend(quietHoursCategorizeDataSchema.shape);

let sim: TestSim;
let dir: string;
let config: string;

beforeAll(async () => {
  sim = await startSim({ clock: "2026-01-05T19:30:00Z", generate: { workspaces: 10_000, users: 400, templates: 12, organizations: 3, groups: 10, seed: 1 } });
  dir = scratchDir();
  config = writeConfig(dir, {
    quiet_hours: { start_time: "18:00", end_time: "08:00", timezone: "Europe/London", excluded_users: ["admin"], excluded_templates: ["template-1"] },
  });
}, 60_000);
afterAll(async () => {
  await sim?.close();
});

describe("quiet-hours --categorize on 10,000 workspaces", () => {
  it("reads only the running listing: its pages and nothing else", async () => {
    await sim.resetStats();
    const r = await runCli(["--url", sim.url, "--config", config, "--now", "2026-01-05T19:30:00Z", "quiet-hours", "--categorize", "--json"], {
      env: { CODER_SESSION_TOKEN: sim.ownerToken },
      cwd: dir,
      // A process of its own: the large simulator answers on this event loop while the CLI runs.
      spawn: true,
    });
    expect(r.code, r.stderr).toBe(0);
    const doc = categorizeDoc.parse(r.json());
    const total = Object.values(doc.counts).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(5000);
    const stats = await sim.stats();
    const pages = stats.requests["GET /api/v2/workspaces"] ?? 0;
    // Listing pages only (the bound allowed by the issue is pages + 2).
    expect(stats.total).toBe(pages);
    expect(pages).toBeLessThanOrEqual(Math.ceil(total / 1000));
    console.log(`quiet-hours --categorize on 10,000 workspaces (${total} running): ${stats.total} requests, ${pages} listing pages`);
  });
});
