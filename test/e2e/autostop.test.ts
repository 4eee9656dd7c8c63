import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, scratchDir, writeConfig } from "../support/cli.js";
import { miniScenario, startSim, type TestSim } from "../support/sim.js";
import { autostopExecuteDoc as executeSchema, autostopExplainDoc as explainSchema, autostopListDoc as listSchema } from "../support/docs.js";

const NOW = "2026-01-05T19:30:00Z"; // a Monday

let sim: TestSim;
let dir: string;
let config: string;

beforeAll(async () => {
  sim = await startSim(
    miniScenario({
      deployment: { version: "v2.24.0", licensed: true, default_quiet_hours: "CRON_TZ=UTC 0 0 * * *", allow_user_custom: true },
      users: [
        { username: "owner", roles: ["owner"], token: "owner-token" },
        { username: "alice", roles: ["member"], token: "alice-token", quiet_hours: "CRON_TZ=UTC 0 0 * * *" },
        { username: "bob", roles: ["member"], token: "bob-token" },
      ],
      templates: [
        { name: "python-dev", organization: "engineering", default_ttl_ms: 8 * 3_600_000 },
        {
          name: "req",
          organization: "engineering",
          default_ttl_ms: 0,
          autostop_requirement: { days_of_week: ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"], weeks: 1 },
        },
      ],
      workspaces: [
        { name: "overdue", owner: "alice", template: "python-dev", started_at: "-9h", deadline: "-20m", max_deadline: null },
        { name: "recent", owner: "alice", template: "python-dev", started_at: "-8h", deadline: "-2m", max_deadline: null },
        { name: "maxsoon", owner: "alice", template: "python-dev", started_at: "-3h", deadline: "+5h", max_deadline: "+30m" },
        { name: "ttl1h", owner: "alice", template: "python-dev", started_at: "-7h", deadline: "+1h", max_deadline: null },
        { name: "manual", owner: "alice", template: "python-dev", started_at: "-1h", deadline: null, max_deadline: null, ttl_ms: null },
        { name: "excl", owner: "bob", template: "python-dev", started_at: "-9h", deadline: "-30m", max_deadline: null },
        { name: "drifty", owner: "alice", template: "req", started_at: "-3h", ttl_ms: null },
        { name: "off", owner: "alice", template: "python-dev", status: "stopped" },
      ],
    }),
  );
  dir = scratchDir();
  config = writeConfig(dir, {
    quiet_hours: { start_time: "22:00", end_time: "06:00", timezone: "UTC", grace_period_hours: 1, excluded_users: [{ name: "bob", reason: "on call" }] },
    prune_workspaces: { exclude_users: [] },
    journal: { path: `${dir}/journal.ndjson` },
  });
});
afterAll(async () => {
  await sim?.close();
});

const cli = (args: string[]) =>
  runCli(["--url", sim.url, "--config", config, "--now", NOW, ...args], { env: { CODER_SESSION_TOKEN: sim.ownerToken }, cwd: dir });

describe("autostop --list-pending", () => {
  it("lists every running workspace with stops_at, cause and seconds_left, soonest first, in few requests", async () => {
    await sim.resetStats();
    const r = await cli(["autostop", "--list-pending", "--json"]);
    expect(r.code).toBe(0);
    const doc = listSchema.parse(r.json());
    const ws = doc.workspaces;
    expect(ws.map((w) => w.name)).toEqual(["excl", "overdue", "recent", "maxsoon", "ttl1h", "drifty", "manual"]);
    const by = Object.fromEntries(ws.map((w) => [w.name, w]));
    expect(by.overdue).toMatchObject({ cause: "ttl", seconds_left: -1200 });
    expect(by.maxsoon).toMatchObject({ cause: "autostop-requirement", seconds_left: 1800 });
    expect(by.ttl1h).toMatchObject({ cause: "ttl", seconds_left: 3600 });
    // No deadline: this tool's quiet hours (22:00 UTC + 1h grace) stop it.
    expect(by.manual).toMatchObject({ cause: "quiet-hours-policy", stops_at: "2026-01-05T23:00:00.000Z" });
    expect(by.excl!.excluded).toMatch(/on call/);
    expect(doc.owner_schedules).toBe("not-fetched");
    const stats = await sim.stats();
    expect(stats.requests["GET /api/v2/workspaces"]).toBe(1);
    expect(stats.requests["GET /api/v2/users/{user}/quiet-hours"] ?? 0).toBe(0);
    expect(stats.total).toBeLessThanOrEqual(5);
  });

  it("--within limits the list", async () => {
    const doc = listSchema.parse((await cli(["autostop", "--within", "45m", "--json"])).json());
    expect(doc.workspaces.map((w) => w.name)).toEqual(["excl", "overdue", "recent", "maxsoon"]);
    const misplaced = await cli(["autostop", "--schedule", "--within", "1h"]);
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toMatch(/--within limits --list-pending/);
  });

  it("flags a workspace whose owner changed quiet hours after its build (drift), with --owner-schedules", async () => {
    const before = listSchema.parse((await cli(["autostop", "--owner-schedules", "--json"])).json());
    const d0 = before.workspaces.find((w) => w.name === "drifty")!;
    expect(d0.drift_check).toBe("ok");
    expect(Date.parse(d0.max_deadline!)).toBe(Date.parse("2026-01-06T00:00:00Z")); // as the API gave it (any fraction digits)
    await sim.setQuietHours("alice", "CRON_TZ=UTC 0 21 * * *");
    try {
      const r = await cli(["autostop", "--owner-schedules", "--json"]);
      const doc = listSchema.parse(r.json());
      const d = doc.workspaces.find((w) => w.name === "drifty")!;
      expect(d.drift_check).toBe("drift");
      expect(d.drift).toEqual({ expected_max_deadline: "2026-01-05T21:00:00.000Z", actual_max_deadline: "2026-01-06T00:00:00.000Z", difference_seconds: -10800 });
      expect(doc.summary.drifted).toBe(1);
      // Owners' schedules also give the prune cause (next window start).
      expect(d.causes.map((c) => c.cause)).toContain("prune");
      const text = await cli(["autostop", "--owner-schedules"]);
      expect(text.stdout).toMatch(/drift/);
    } finally {
      await sim.setQuietHours("alice", "CRON_TZ=UTC 0 0 * * *");
    }
  });
});

describe("autostop --explain", () => {
  it("names every rule and verdict", async () => {
    const r = await cli(["autostop", "--explain", "alice/drifty", "--json"]);
    expect(r.code).toBe(0);
    const doc = explainSchema.parse(r.json());
    expect(doc.trace.map((s) => s.rule)).toEqual([
      "status",
      "exclusions",
      "last build",
      "Coder lifecycle",
      "ttl (Coder deadline)",
      "autostop requirement (Coder max_deadline)",
      "drift check",
      "owner's quiet hours",
      "quiet-hours policy",
      "ttl-monitor",
      "autostop --execute",
    ]);
    expect(doc.coder.recomputed_max_deadline).toBe("2026-01-06T00:00:00.000Z");
    expect(doc.coder.leeway_hours).toBe(2);
    expect(Object.keys(doc.verdicts).sort()).toEqual(["autostop", "prune", "quiet-hours", "ttl-monitor"]);
    expect(doc.verdicts.autostop.cause).toBe("quiet-hours-policy");
    const text = await cli(["autostop", "--explain", "bob/excl"]);
    expect(text.stdout).toMatch(/✔ exclusions: User excluded \(bob\): on call/);
    expect((await cli(["autostop", "--explain", "alice/nope"])).code).toBe(2);
  });
});

describe("autostop --execute", () => {
  it("refuses when autostop.enabled is false", async () => {
    const cfg = writeConfig(dir, { autostop: { enabled: false } }, "off.json");
    const r = await runCli(["--url", sim.url, "--config", cfg, "--now", NOW, "autostop", "--execute"], { env: { CODER_SESSION_TOKEN: sim.ownerToken }, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/autostop.enabled is false/);
  });

  it("dry run stops nothing; execute stops only workspaces overdue beyond the tolerance", async () => {
    const dry = executeSchema.parse((await cli(["autostop", "--execute", "--dry-run", "--json"])).json());
    expect(dry.mode).toBe("dry-run");
    expect(dry.results.map((x) => [x.name, x.outcome])).toEqual([["overdue", "would-stop"]]);
    expect(dry.excluded.map((x) => x.name)).toEqual(["excl"]);
    expect((await sim.stats()).requests["POST /api/v2/workspaces/{id}/builds"] ?? 0).toBe(0);

    const r = await cli(["autostop", "--execute", "--json"]);
    expect(r.code).toBe(0);
    const doc = executeSchema.parse(r.json());
    expect(doc.results.map((x) => [x.name, x.outcome])).toEqual([["overdue", "stopped"]]);
    expect(doc.summary).toMatchObject({ planned: 1, succeeded: 1, failed: 0 });
    const state = await sim.state();
    const builds = (name: string) => state.workspaces.find((w) => w.name === name)!.builds;
    expect(builds("overdue").at(-1)).toMatchObject({ transition: "stop" });
    for (const name of ["recent", "excl", "maxsoon"]) expect(builds(name).at(-1)!.transition).toBe("start");
  });
});
