/**
 * `savings`: a demo-like journal (stops by quiet-hours, prune and autostop on the demo fleet,
 * with the stop builds really made on the simulator, owners restarting some) against Coder's
 * build history; the result must match a table computed by hand.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentSchema } from "../../src/output/schema.js";
import { runCli, scratchDir, writeConfig } from "../support/cli.js";
import { startSim, type TestSim } from "../support/sim.js";

const NOW = "2026-01-13T12:00:00Z";

let sim: TestSim;
let dir: string;
let config: string;
const buildIds: Record<string, string> = {};

async function build(key: string, transition: "start" | "stop", token: string): Promise<string> {
  const [owner, name] = key.split("/");
  const ws = (await (await sim.api(`/api/v2/users/${owner}/workspace/${name}`, { token })).json()) as { id: string };
  const res = await sim.api(`/api/v2/workspaces/${ws.id}/builds`, {
    token,
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ transition, reason: "cli" }),
  });
  expect(res.status).toBe(201);
  const b = (await res.json()) as { id: string };
  for (let i = 0; i < 100; i++) {
    const s = await sim.workspace(key);
    if (s.build_id === b.id && s.job_status === "succeeded") break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return b.id;
}

async function wsInfo(key: string) {
  const [owner, name] = key.split("/");
  const w = (await (await sim.api(`/api/v2/users/${owner}/workspace/${name}`)).json()) as {
    id: string;
    owner_name: string;
    name: string;
    template_name: string;
    organization_name: string;
  };
  return { id: w.id, owner: w.owner_name, name: w.name, template: w.template_name, organization: w.organization_name };
}

beforeAll(async () => {
  sim = await startSim("demo", { frozenClock: true });
  const admin = sim.tokens.admin!;
  // Monday 2026-01-05 19:30 UTC (ISO week 2026-W02): this tool stops five workspaces.
  for (const k of ["alice/python-api", "bob/api-gateway", "dana/frontend", "priya/model-training", "erik/ops-console"]) buildIds[k] = await build(k, "stop", admin);
  // 20:00: a rollback (by admin) starts ops-console again; next morning 08:30 alice starts python-api.
  await sim.setClock("2026-01-05T20:00:00Z", true);
  await build("erik/ops-console", "start", admin);
  await sim.setClock("2026-01-06T08:30:00Z", true);
  await build("alice/python-api", "start", sim.tokens.alice!);
  // Monday 2026-01-12 19:00 (2026-W03): autostop stops python-api again.
  await sim.setClock("2026-01-12T19:00:00Z", true);
  buildIds["alice/python-api#2"] = await build("alice/python-api", "stop", admin);
  await sim.setClock(NOW, true);

  dir = scratchDir();
  const journal = join(dir, "journal.ndjson");
  const lines: object[] = [];
  const run = (run_id: string, command: string, mode: string, at: string) =>
    lines.push({ type: "run", v: 1, run_id, command, mode, now: at, config_hash: "x", started_at: at, transition: "stop", planned: 1 });
  const stop = async (run_id: string, key: string, at: string, deadline: string | null, max_deadline: string | null, outcome = "stopped") =>
    lines.push({
      type: "workspace",
      v: 1,
      run_id,
      at,
      action: "stop",
      workspace: await wsInfo(key.replace(/#\d$/, "")),
      category: "quiet_hours_stopping",
      reasons: ["test"],
      outcome,
      error: null,
      build_id: outcome === "stopped" ? buildIds[key]! : null,
      evidence: { status: "running", deadline, max_deadline },
    });
  const end = (run_id: string, at: string) => lines.push({ type: "run-end", v: 1, run_id, at, summary: { planned: 1, succeeded: 1, skipped: 0, failed: 0 }, interrupted: null, journal_error: null });

  // Outside --since 30d (before 2025-12-14): not counted.
  run("20251201T190000Z-aaaaaa", "quiet-hours", "execute", "2025-12-01T19:00:00Z");
  lines.push({ type: "workspace", v: 1, run_id: "20251201T190000Z-aaaaaa", at: "2025-12-01T19:00:00Z", action: "stop", workspace: await wsInfo("alice/scratch"), category: "quiet_hours_stopping", reasons: [], outcome: "stopped", error: null, build_id: "old-build", evidence: { deadline: null, max_deadline: null } });
  const qh = "20260105T193000Z-111111";
  run(qh, "quiet-hours", "execute", "2026-01-05T19:30:00Z");
  await stop(qh, "alice/python-api", "2026-01-05T19:30:00Z", "2026-01-06T09:00:00Z", null);
  await stop(qh, "bob/api-gateway", "2026-01-05T19:30:00Z", null, null);
  await stop(qh, "dana/frontend", "2026-01-05T19:30:00Z", "2026-01-05T19:15:00Z", null);
  await stop(qh, "erik/ops-console", "2026-01-05T19:30:00Z", null, null);
  end(qh, "2026-01-05T19:30:01Z");
  const pr = "20260105T193000Z-222222";
  run(pr, "prune", "execute", "2026-01-05T19:30:00Z");
  await stop(pr, "priya/model-training", "2026-01-05T19:30:00Z", "2026-01-06T17:30:00Z", "2026-01-06T17:30:00Z");
  // A dry run and a failed stop save nothing.
  const dry = "20260106T190000Z-333333";
  run(dry, "quiet-hours", "dry-run", "2026-01-06T19:00:00Z");
  await stop(dry, "mei/notebook", "2026-01-06T19:00:00Z", null, null, "would-stop");
  await stop(qh, "mei/notebook", "2026-01-05T19:30:00Z", null, null, "failed");
  const au = "20260112T190000Z-444444";
  run(au, "autostop", "execute", "2026-01-12T19:00:00Z");
  await stop(au, "alice/python-api#2", "2026-01-12T19:00:00Z", "2026-01-13T10:00:00Z", "2026-01-13T06:00:00Z");
  end(au, "2026-01-12T19:00:01Z");
  writeFileSync(journal, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");

  config = writeConfig(dir, {
    quiet_hours: { timezone: "Europe/London" },
    journal: { path: journal },
    cost: {
      currency: "EUR",
      default_per_hour: 0.1,
      per_hour: [
        { template: "python-dev", rate: 0.5 },
        { organization: "engineering", rate: 0.2 },
        { template: "data-science", organization: "research", rate: 2 },
        { template: "data-science", rate: 1 },
      ],
    },
  });
});
afterAll(async () => {
  await sim.close();
});

interface Total {
  key: string;
  stops: number;
  hours: number;
  cost: number;
}

describe("savings", () => {
  it("matches the hand-computed table (JSON)", async () => {
    const r = await runCli(["--config", config, "--now", NOW, "--json", "savings", "--since", "30d"], { env: sim.env() });
    expect(r.code, r.stderr).toBe(0);
    const doc = documentSchema("savings").parse(r.json()) as Record<string, unknown>;
    const stops = (doc.stops as { workspace: { owner: string; name: string }; policy: string; week: string; hours: number; rate_per_hour: number; cost: number; end_reason: string; restarted_by: string | null; open: boolean }[]).map(
      (s) => [`${s.workspace.owner}/${s.workspace.name}`, s.policy, s.week, s.hours, s.rate_per_hour, s.cost, s.end_reason, s.restarted_by, s.open],
    );
    // stop                      policy        week       hours  rate  cost   ends at           by       open
    expect(stops).toEqual([
      ["alice/python-api",       "quiet-hours", "2026-W02", 13,    0.5,  6.5,   "restarted",      "alice", false], // 19:30 → 08:30 restart (deadline 09:00)
      ["bob/api-gateway",        "quiet-hours", "2026-W02", 184.5, 0.2,  36.9,  "now",            null,    true],  // no deadline: until now (7d 16.5h)
      ["dana/frontend",          "quiet-hours", "2026-W02", 0,     0.2,  0,     "deadline",       null,    false], // already past its deadline
      ["erik/ops-console",       "quiet-hours", "2026-W02", 0.5,   0.1,  0.05,  "restarted",      "admin", false], // rolled back at 20:00
      ["priya/model-training",   "prune",       "2026-W02", 22,    2,    44,    "deadline",       null,    false], // until 17:30 next day
      ["alice/python-api",       "autostop",    "2026-W03", 11,    0.5,  5.5,   "max_deadline",   null,    false], // 19:00 → 06:00 max_deadline
    ]);
    expect(doc.totals).toEqual({ stops: 6, hours: 231, cost: 92.95 });
    const t = (k: string, stops: number, hours: number, cost: number): Total => ({ key: k, stops, hours, cost });
    expect(doc.by_policy).toEqual([t("autostop", 1, 11, 5.5), t("prune", 1, 22, 44), t("quiet-hours", 4, 198, 43.45)]);
    expect(doc.by_template).toEqual([t("data-science", 1, 22, 44), t("node-frontend", 2, 184.5, 36.9), t("ops-toolbox", 1, 0.5, 0.05), t("python-dev", 2, 24, 12)]);
    expect(doc.by_organization).toEqual([t("engineering", 4, 208.5, 48.9), t("platform", 1, 0.5, 0.05), t("research", 1, 22, 44)]);
    expect(doc.by_week).toEqual([t("2026-W02", 5, 220, 87.45), t("2026-W03", 1, 11, 5.5)]);
    expect(doc.currency).toBe("EUR");
    expect(doc.since).toBe("2025-12-14T12:00:00.000Z");
  });

  it("prints the same totals as tables; --since narrows the window; a bad --since is exit 2", async () => {
    const r = await runCli(["--config", config, "--now", NOW, "savings"], { env: sim.env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("6 stop(s), 231.00 workspace-hours, EUR 92.95");
    expect(r.stdout).toMatch(/2026-W02\s*│\s*5\s*│\s*220\.00\s*│\s*EUR 87\.45/);
    expect(r.stdout).toMatch(/restarted by alice/);
    // Only the last 2 days: the 2026-01-12 stop.
    const week = await runCli(["--config", config, "--now", NOW, "--json", "savings", "--since", "2d"], { env: sim.env() });
    expect(week.json<{ totals: unknown }>().totals).toEqual({ stops: 1, hours: 11, cost: 5.5 });
    const bad = await runCli(["--config", config, "--now", NOW, "savings", "--since", "soon"], { env: sim.env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--since");
  });

  it("rejects a cost rate without template or organization (exit 2, key path named)", async () => {
    const badConfig = writeConfig(dir, { cost: { per_hour: [{ rate: 1 }] } }, "bad.json");
    const r = await runCli(["--config", badConfig, "--now", NOW, "savings"], { env: sim.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cost.per_hour");
  });
});
