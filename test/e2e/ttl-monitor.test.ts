import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, clockEnv, runCli, scratchDir, writeConfig } from "../support/cli.js";
import { miniScenario, startSim, type TestSim } from "../support/sim.js";
import { envelopeSchema } from "../../src/output/schema.js";
import { ttlMonitorDataSchema, ttlMonitorFailedCycleDataSchema } from "../../src/output/schemas/ttl-monitor.js";

const NOW = "2026-01-05T19:30:00Z";
const docSchema = envelopeSchema.extend(ttlMonitorDataSchema.shape);
const failedSchema = envelopeSchema.extend(ttlMonitorFailedCycleDataSchema.shape);

let sim: TestSim;
let dir: string;
let config: string;

beforeAll(async () => {
  sim = await startSim(
    miniScenario({
      organizations: [{ name: "engineering" }, { name: "research" }],
      templates: [
        { name: "python-dev", organization: "engineering", default_ttl_ms: 8 * 3_600_000 },
        { name: "ml", organization: "research", default_ttl_ms: 8 * 3_600_000 },
      ],
      workspaces: [
        { name: "exp", owner: "alice", template: "python-dev", status: "running", started_at: "-10h", deadline: "-2h", max_deadline: null },
        { name: "maxexp", owner: "alice", template: "python-dev", status: "running", started_at: "-10h", deadline: "+5h", max_deadline: "-5m" },
        { name: "soon", owner: "alice", template: "python-dev", status: "running", started_at: "-7h", deadline: "+30m", max_deadline: null },
        { name: "edge", owner: "alice", template: "python-dev", status: "running", started_at: "-7h", deadline: "+0m", max_deadline: null },
        { name: "later", owner: "bob", template: "ml", status: "running", started_at: "-7h", deadline: "+80m", max_deadline: null },
        { name: "manual", owner: "bob", template: "python-dev", status: "running", started_at: "-7h", deadline: null, max_deadline: null },
        { name: "off", owner: "bob", template: "python-dev", status: "stopped" },
        { name: "boot", owner: "bob", template: "python-dev", status: "starting" },
        { name: "broken", owner: "bob", template: "python-dev", status: "failed" },
        { name: "own", owner: "owner", template: "python-dev", status: "running", started_at: "-1h", deadline: "+7h", max_deadline: null },
      ],
    }),
  );
  dir = scratchDir();
  config = writeConfig(dir, { ttl_monitor: { warning_threshold_hours: 1 } });
});
afterAll(async () => {
  await sim?.close();
});

const cli = (args: string[], token = sim.ownerToken) =>
  runCli(["--url", sim.url, "--config", config, "--now", NOW, ...args], { env: { CODER_SESSION_TOKEN: token }, cwd: dir });

const names = (xs: { owner: string; name: string }[]) => xs.map((w) => `${w.owner}/${w.name}`);

describe("ttl-monitor", () => {
  it("--all --json classifies every status, sorted, with deadline and max_deadline", async () => {
    const r = await cli(["ttl-monitor", "--all", "--json"]);
    expect(r.code).toBe(0);
    const doc = docSchema.parse(r.json());
    expect(doc.scope).toMatchObject({ users: "all", organizations: null });
    expect(doc.threshold_seconds).toBe(3600);
    expect(names(doc.workspaces.expired)).toEqual(["alice/exp", "alice/maxexp", "alice/edge"]);
    expect(doc.workspaces.expired[1]).toMatchObject({ stop_source: "max_deadline", seconds_remaining: -300, compliance_status: "EXPIRED" });
    // Exactly 0 s left is EXPIRED: Coder stops a workspace when its tick is not before the deadline.
    expect(doc.workspaces.expired[2]).toMatchObject({ seconds_remaining: 0, compliance_status: "EXPIRED" });
    expect(names(doc.workspaces.expiring_soon)).toEqual(["alice/soon"]);
    const manual = doc.workspaces.running.find((w) => w.name === "manual")!;
    expect(manual).toMatchObject({ compliance_status: "RUNNING", stops_only_manually: true, seconds_remaining: null });
    expect(names(doc.workspaces.stopped)).toEqual(["bob/off"]);
    expect(doc.workspaces.transitional.map((w) => w.compliance_status).sort()).toEqual(["FAILED", "STARTING"]);
    expect(doc.summary).toEqual({ expired: 3, expiring_soon: 1, running: 3, stopped: 1, transitional: 2, stops_only_manually: 1, bumped_by_activity: 0 });
    expect(doc.total_workspaces).toBe(10);
  });

  it("--threshold 90m widens EXPIRING_SOON (D13)", async () => {
    const r = await cli(["ttl-monitor", "--all", "--json", "--threshold", "90m"]);
    const doc = docSchema.parse(r.json());
    expect(doc.threshold_seconds).toBe(5400);
    expect(names(doc.workspaces.expiring_soon)).toEqual(["alice/soon", "bob/later"]);
  });

  it("defaults to the current user's workspaces, server-side", async () => {
    await sim.resetStats();
    const r = await cli(["ttl-monitor", "--json"], sim.tokens["alice"]!);
    const doc = docSchema.parse(r.json());
    expect(doc.scope).toMatchObject({ users: "current", username: "alice", queries: ["owner:me"] });
    expect(new Set(doc.workspaces.expired.concat(doc.workspaces.expiring_soon).map((w) => w.owner))).toEqual(new Set(["alice"]));
    expect(doc.total_workspaces).toBe(4);
  });

  it("warns when a member's token asks about another user (Coder hides their workspaces)", async () => {
    const blind = await cli(["ttl-monitor", "--user", "bob", "--json"], sim.tokens["alice"]!);
    expect(blind.code).toBe(0);
    expect(docSchema.parse(blind.json()).total_workspaces).toBe(0);
    expect(blind.stderr).toMatch(/token belongs to alice, who has no role that can see bob's workspaces/);
    const owner = await cli(["ttl-monitor", "--user", "bob", "--json"]);
    expect(docSchema.parse(owner.json()).total_workspaces).toBeGreaterThan(0);
    expect(owner.stderr).not.toMatch(/may be incomplete/);
  });

  it("fails instead of widening the scope when /users/me fails (D9)", async () => {
    await sim.setFaults({ rules: [{ method: "GET", path: "/api/v2/users/me", status: 500, count: 20 }] });
    try {
      const r = await cli(["ttl-monitor", "--json"]);
      expect(r.code).toBe(3);
      expect(r.json()).toHaveProperty("error");
    } finally {
      await sim.clearFaults();
    }
  });

  it("--user and --org filter; an unknown org is exit 2 listing the known ones", async () => {
    const byUser = docSchema.parse((await cli(["ttl-monitor", "--user", "bob", "--json"])).json());
    expect(byUser.user_filter).toBe("bob");
    expect(byUser.total_workspaces).toBe(5);
    const byOrg = docSchema.parse((await cli(["ttl-monitor", "--all", "--org", "research", "--json"])).json());
    expect(byOrg.scope.organizations).toEqual(["research"]);
    expect(names([...byOrg.workspaces.running, ...byOrg.workspaces.expiring_soon])).toEqual(["bob/later"]);
    const bad = await cli(["ttl-monitor", "--all", "--org", "nope"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/engineering, research/);
  });

  it("--fail-on expired exits 6 only when one exists", async () => {
    expect((await cli(["ttl-monitor", "--all", "--fail-on", "expired"])).code).toBe(6);
    expect((await cli(["ttl-monitor", "--user", "bob", "--fail-on", "expired"])).code).toBe(0);
    expect((await cli(["ttl-monitor", "--user", "bob", "--fail-on", "expiring", "--threshold", "2h"])).code).toBe(6);
  });

  it("text report keeps the Python layout", async () => {
    const r = await cli(["ttl-monitor", "--all", "--show-all"]);
    expect(r.code).toBe(0);
    for (const s of [
      "TTL COMPLIANCE REPORT",
      "Scope: Users: All Users, Organizations: All",
      "SUMMARY:",
      "  Expired: 3",
      "🔴 RUNNING WORKSPACES THAT SHOULD BE STOPPED (TTL EXPIRED):",
      "🟡 RUNNING WORKSPACES EXPIRING SOON:",
      "🟢 RUNNING WORKSPACES:",
      "⚫ STOPPED WORKSPACES:",
      "stops only manually",
      "RECOMMENDATIONS:",
      "  • 3 RUNNING workspace(s) have exceeded their TTL and should be stopped",
    ]) {
      expect(r.stdout).toContain(s);
    }
  });

  it("report_expired: false hides the section but --fail-on still sees it", async () => {
    const cfg = writeConfig(dir, { ttl_monitor: { report_expired: false } }, "hide.json");
    const r = await runCli(["--url", sim.url, "--config", cfg, "--now", NOW, "ttl-monitor", "--all", "--json", "--fail-on", "expired"], {
      env: { CODER_SESSION_TOKEN: sim.ownerToken },
      cwd: dir,
    });
    expect(r.code).toBe(6);
    const doc = docSchema.parse(r.json());
    expect(doc.workspaces.expired).toEqual([]);
    expect(doc.summary.expired).toBe(3);
    expect(doc.hidden_sections).toEqual(["expired"]);
  });
});

describe("ttl_monitor.enabled: false", () => {
  it("refuses --monitor with exit 2 and still answers a one-shot report", async () => {
    const cfg = writeConfig(dir, { ttl_monitor: { enabled: false } }, "disabled.json");
    const run = (args: string[]) =>
      runCli(["--url", sim.url, "--config", cfg, "--now", NOW, "ttl-monitor", ...args], { env: { CODER_SESSION_TOKEN: sim.ownerToken }, cwd: dir });
    const monitor = await run(["--all", "--monitor", "--interval", "0.02"]);
    expect(monitor.code).toBe(2);
    expect(monitor.stderr).toMatch(/ttl_monitor\.enabled is false .*--monitor refuses to run/);
    expect(monitor.stdout).toBe("");
    const once = await run(["--all", "--json"]);
    expect(once.code).toBe(0);
    expect(docSchema.parse(once.json()).summary.expired).toBe(3);
  });
});

describe("ttl-monitor --monitor", () => {
  it("reports an outage as a failed cycle, recovers, and ends on SIGTERM with 143", async () => {
    const child = spawn(process.execPath, [BIN, "--url", sim.url, "--config", config, "--now", NOW, "ttl-monitor", "--all", "--json", "--monitor", "--interval", "0.02"], {
      env: { ...clockEnv(), PATH: process.env.PATH ?? "", HOME: dir, NO_COLOR: "1", CODER_SESSION_TOKEN: sim.ownerToken },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: Record<string, unknown>[] = [];
    let buf = "";
    let step = 0;
    const done = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.on("close", () => reject(new Error(`monitor ended early: ${buf}`)));
      child.stdout.on("data", (d: Buffer) => {
        buf += d.toString();
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          const doc = JSON.parse(line) as Record<string, unknown>;
          lines.push(doc);
          if (step === 0 && doc.ok === true) {
            step = 1;
            void sim.setFaults({ outage: true });
          } else if (step === 1 && doc.ok === false) {
            step = 2;
            void sim.clearFaults();
          } else if (step === 2 && doc.ok === true) {
            step = 3;
            resolve();
          }
        }
      });
    });
    child.kill("SIGTERM");
    expect(await done).toBe(143);
    const failed = lines.find((l) => l.ok === false)!;
    const parsedFailed = failedSchema.parse(failed);
    expect(parsedFailed.error.exit_code).toBe(3);
    expect(failed).not.toHaveProperty("summary");
    const ok = lines.filter((l) => l.ok === true).map((l) => docSchema.parse(l));
    // The clock moves on between cycles (--now keeps its offset), so "edge" may have expired by now.
    expect(ok.at(-1)!.summary.expired).toBeGreaterThanOrEqual(2);
    // Cycles are numbered consecutively across failures.
    expect(lines.map((l) => l.cycle)).toEqual(lines.map((_, i) => i + 1));
  }, 60_000);
});
