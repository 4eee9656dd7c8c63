import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envelopeSchema } from "../../src/output/schema.js";
import { pruneDataSchema } from "../../src/output/schemas/prune.js";
import { runCli, scratchDir, writeConfig } from "../support/cli.js";
import { startSim, type TestSim } from "../support/sim.js";

const docSchema = envelopeSchema.extend(pruneDataSchema.shape);
const NOW = "2026-01-05T19:30:00Z";

describe("prune --cleanup", () => {
  let sim: TestSim;
  let home: string;
  beforeAll(async () => {
    sim = await startSim({
      clock: NOW,
      organizations: [{ name: "engineering" }],
      users: [
        { username: "admin", roles: ["owner"], token: "admin-token" },
        { username: "alice", quiet_hours: "CRON_TZ=Europe/London 0 18 * * *" },
        { username: "kiran", quiet_hours: "CRON_TZ=Asia/Kolkata 0 22 * * *" },
        { username: "carl", quiet_hours: "CRON_TZ=America/Chicago 0 18 * * *" },
        { username: "oncall", quiet_hours: "CRON_TZ=Europe/London 0 18 * * *" },
      ],
      templates: [{ name: "python-dev", organization: "engineering" }],
      workspaces: [
        { name: "a-dev", owner: "alice", template: "python-dev", status: "running", started_at: "-2h" },
        { name: "a-old", owner: "alice", template: "python-dev", status: "stopped" },
        { name: "k-dev", owner: "kiran", template: "python-dev", status: "running", started_at: "-2h" },
        { name: "c-dev", owner: "carl", template: "python-dev", status: "running", started_at: "-2h" },
        { name: "o-dev", owner: "oncall", template: "python-dev", status: "running", started_at: "-2h" },
      ],
    });
    home = scratchDir();
  });
  afterAll(async () => sim.close());

  const run = (args: string[], config: unknown = { prune_workspaces: { exclude_users: ["oncall"] } }) => {
    const cfg = writeConfig(home, config, `cfg-${Math.random().toString(36).slice(2)}.json`);
    return runCli(["prune", "--url", sim.url, "--config", cfg, "--all", "--now", NOW, ...args], {
      cwd: home,
      env: { CODER_SESSION_TOKEN: "admin-token" },
    });
  };
  const stopBuilds = async (key: string) => (await sim.workspace(key)).builds.filter((b) => b.transition === "stop");

  it("--dry-run (and config dry_run: true) changes nothing and says what would be stopped", async () => {
    const r = await run(["--cleanup", "--dry-run"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("🧪 [DRY RUN] Cleaning up 2 running workspaces:");
    expect(r.stdout).toMatch(/│ Pruned during quiet hours \(window 18:00–02:00 Europe\/London\) +│/);
    expect(r.stdout).toContain("📊 Dry run: 2 workspace(s) would be stopped; nothing was changed");
    const j = await run(["--cleanup", "--json"], { dry_run: true, prune_workspaces: { exclude_users: ["oncall"] } });
    expect(j.code, j.stderr).toBe(0);
    const d = docSchema.parse(j.json());
    expect(d.mode).toBe("dry-run");
    expect(d.results?.map((x) => [x.owner, x.name, x.outcome])).toEqual([
      ["alice", "a-dev", "would-stop"],
      ["kiran", "k-dev", "would-stop"],
    ]);
    expect((await sim.stats()).requests["POST /api/v2/workspaces/{id}/builds"] ?? 0).toBe(0);
  });

  it("the circuit breaker applies (--max-stops)", async () => {
    const r = await run(["--cleanup", "--max-stops", "1"]);
    expect(r.code).toBe(7);
    expect(await stopBuilds("alice/a-dev")).toHaveLength(0);
  });

  it("twice in a row stops each selected running workspace exactly once", async () => {
    const first = await run(["--cleanup", "--json"]);
    expect(first.code, first.stderr).toBe(0);
    const d = docSchema.parse(first.json());
    expect(d.mode).toBe("execute");
    expect(d.cleanup_executed).toBe(true);
    expect(d.summary).toEqual({ planned: 2, succeeded: 2, skipped: 0, failed: 0 });
    expect(d.results?.every((x) => x.outcome === "stopped" && x.reasons[0]!.startsWith("Pruned during quiet hours"))).toBe(true);

    const second = await run(["--cleanup"]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/No (running )?workspaces/);

    expect(await stopBuilds("alice/a-dev")).toHaveLength(1);
    expect(await stopBuilds("kiran/k-dev")).toHaveLength(1);
    expect((await stopBuilds("alice/a-dev"))[0]!.reason).not.toMatch(/^auto/);
    // Outside their window, or excluded by config: untouched.
    expect(await stopBuilds("carl/c-dev")).toHaveLength(0);
    expect(await stopBuilds("oncall/o-dev")).toHaveLength(0);
    expect((await sim.workspace("alice/a-old")).builds).toHaveLength(1); // only its scenario build
  });
});
