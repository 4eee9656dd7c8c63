/**
 * Coder's own lifecycle rules, end to end: the spawned CLI against the simulator, one scenario per
 * rule (prebuilt, dormant and task workspaces left alone; suspended-owner, dormancy and failure-TTL
 * stops predicted at the next tick; activity bump; drift on Coder's template-update rule; one
 * owner-schedule fallback; build reasons). Every run fixes its instant (--now and the sim's clock).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, scratchDir, writeConfig } from "../support/cli.js";
import { miniScenario, startSim, type TestSim } from "../support/sim.js";
import { autostopExecuteDoc as executeSchema, autostopExplainDoc as explainSchema, autostopListDoc as listSchema, pruneDoc as pruneSchema, ttlMonitorDoc as ttlSchema } from "../support/docs.js";

const NOW = "2026-01-05T19:30:00Z"; // a Monday
const NEXT_TICK = "2026-01-05T19:31:00.000Z";
const TASK = "7d1e2f3a-1111-4222-8333-944455556666";
const EVERY_DAY = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] as const;

let sim: TestSim;
let dir: string;
let config: string;

beforeAll(async () => {
  sim = await startSim(
    miniScenario({
      deployment: { version: "v2.24.0", licensed: true, default_quiet_hours: "CRON_TZ=UTC 0 0 * * *", allow_user_custom: true },
      users: [
        { username: "owner", roles: ["owner"], token: "owner-token" },
        { username: "alice", roles: ["member"], token: "alice-token", quiet_hours: "CRON_TZ=UTC 0 18 * * *" },
        { username: "sam", roles: ["member"], token: "sam-token", status: "suspended" },
        { username: "carol", roles: ["member"], token: "carol-token" },
        { username: "dave", roles: ["member"], token: "dave-token" },
        { username: "dana", roles: ["member"], token: "dana-token", quiet_hours: "CRON_TZ=UTC 0 0 * * *" },
      ],
      templates: [
        { name: "python-dev", organization: "engineering", default_ttl_ms: 8 * 3_600_000, activity_bump_ms: 3_600_000 },
        { name: "idle", organization: "engineering", default_ttl_ms: 0, time_til_dormant_ms: 24 * 3_600_000, time_til_dormant_autodelete_ms: 7 * 86_400_000 },
        { name: "flaky", organization: "engineering", default_ttl_ms: 8 * 3_600_000, failure_ttl_ms: 10 * 60_000 },
        { name: "req", organization: "engineering", default_ttl_ms: 0, autostop_requirement: { days_of_week: [...EVERY_DAY], weeks: 1 } },
      ],
      workspaces: [
        // (a) prebuilt, overdue by its deadline: Coder's reconciliation loop owns it.
        { name: "pb1", template: "python-dev", is_prebuild: true, started_at: "-5h", deadline: "-30m", max_deadline: null },
        // (b) dormant and still running, overdue: Coder never autostops it; deletion scheduled.
        { name: "sleepy", owner: "alice", template: "python-dev", started_at: "-5h", deadline: "-30m", max_deadline: null, dormant_at: "-2h", deleting_at: "+6d" },
        // (h) a task workspace, overdue: Coder pauses it itself.
        { name: "agent", owner: "alice", template: "python-dev", started_at: "-5h", deadline: "-20m", max_deadline: null, task_id: TASK },
        // control: an ordinary overdue workspace.
        { name: "plain", owner: "alice", template: "python-dev", started_at: "-9h", deadline: "-20m", max_deadline: null },
        // (c) suspended owner, far from its deadline.
        { name: "dev", owner: "sam", template: "python-dev", started_at: "-10m", deadline: "+7h", max_deadline: null },
        // (c) idle 25 h on a template that makes workspaces dormant after 24 h.
        { name: "stale", owner: "alice", template: "idle", started_at: "-30h", deadline: null, max_deadline: null, last_used_at: "-25h" },
        // (c) a failed start 30 min ago on a template with a 10-minute failure TTL.
        { name: "broken", owner: "alice", template: "flaky", status: "failed", started_at: "-30m" },
        // (d) carol is active (used 2 min ago, deadline just bumped to +58 min); dave is not.
        { name: "busy", owner: "carol", template: "python-dev", started_at: "-3h", deadline: "+58m", max_deadline: null, last_used_at: "-2m" },
        { name: "lazy", owner: "dave", template: "python-dev", started_at: "-7h", deadline: "+50m", max_deadline: null, last_used_at: "-3h" },
        // (e) Coder's template-update rule: built yesterday, the template changed at 18:00 today, so
        // Coder moved the max_deadline to 18:00 + 2 h (the recomputed one, 00:00 today, had passed).
        { name: "clamped", owner: "dana", template: "req", started_at: "-30h", ttl_ms: null, deadline: "+30m", max_deadline: "+30m" },
        // (e) skipped by the template update: its max_deadline was within 2 h of the change.
        { name: "skipped", owner: "dana", template: "req", started_at: "-3h", ttl_ms: null, deadline: "+20m", max_deadline: "+20m" },
        // (h) stopped by Coder itself (dormancy) and by this tool (cli).
        { name: "napped", owner: "carol", template: "python-dev", status: "stopped", reason: "dormancy", dormant_at: "-1h" },
        { name: "halted", owner: "carol", template: "python-dev", status: "stopped", reason: "cli" },
      ],
    }),
  );
  await sim.setClock(NOW, true);
  dir = scratchDir();
  config = writeConfig(dir, {
    // The idle template is left to Coder's dormancy (so its stop is Coder's, not this tool's quiet hours or prune).
    quiet_hours: { start_time: "18:00", end_time: "08:00", timezone: "UTC", grace_period_hours: 1, excluded_templates: [{ name: "idle", reason: "Coder's dormancy handles it" }] },
    prune_workspaces: { timezone: "UTC", exclude_templates: ["idle"] },
    journal: { path: `${dir}/journal.ndjson` },
  });
});
afterAll(async () => {
  await sim?.close();
});

const cli = (args: string[], token = sim.ownerToken) =>
  runCli(["--url", sim.url, "--config", config, "--now", NOW, ...args], { env: { CODER_SESSION_TOKEN: token }, cwd: dir });

describe("autostop --list-pending predicts Coder's lifecycle stops at the next tick", () => {
  it("suspended owner, dormancy and failure TTL, each with its cause; guarded workspaces get no tool cause", async () => {
    const r = await cli(["autostop", "--list-pending", "--json"]);
    expect(r.code).toBe(0);
    const doc = listSchema.parse(r.json());
    const by = Object.fromEntries(doc.workspaces.map((w) => [`${w.owner}/${w.name}`, w]));
    expect(by["sam/dev"]).toMatchObject({ cause: "suspended-owner", stops_at: NEXT_TICK, seconds_left: 60 });
    expect(by["alice/stale"]).toMatchObject({ cause: "dormancy", stops_at: NEXT_TICK });
    expect(by["alice/stale"]!.cause_detail).toMatch(/time_til_dormant \(24 h\).*build reason dormancy/);
    expect(by["alice/broken"]).toMatchObject({ cause: "failure-ttl", stops_at: NEXT_TICK, status: "failed" });
    expect(doc.total_failed).toBe(1);
    // Prebuilt: no Coder stop (the executor skips it), no tool stop (left to Coder by default).
    expect(by["prebuilds/pb1"]).toMatchObject({ cause: null, is_prebuild: true, lifecycle_guard: { kind: "prebuild" } });
    // Dormant: Coder never autostops it, even past its deadline; the report shows the deletion.
    expect(by["alice/sleepy"]).toMatchObject({ cause: null, lifecycle_guard: { kind: "dormant" } });
    expect(Date.parse(by["alice/sleepy"]!.dormant_at!)).toBe(Date.parse(NOW) - 2 * 3_600_000);
    expect(Date.parse(by["alice/sleepy"]!.deleting_at!)).toBe(Date.parse(NOW) + 6 * 86_400_000);
    expect(by["alice/sleepy"]!.excluded).toMatch(/Coder deletes it at/);
    // Task: Coder's own deadline stop still applies (task_auto_pause); this tool's do not.
    expect(by["alice/agent"]).toMatchObject({ cause: "ttl", lifecycle_guard: { kind: "task" } });
    expect(by["alice/agent"]!.causes.map((c) => c.cause)).toEqual(["ttl"]);
    // The ordinary workspace keeps this tool's quiet-hours cause.
    expect(by["alice/plain"]!.causes.map((c) => c.cause)).toContain("quiet-hours-policy");
    const text = await cli(["autostop", "--list-pending"]);
    expect(text.stdout).toMatch(/suspended-owner/);
    expect(text.stdout).toMatch(/dormancy/);
    expect(text.stdout).toMatch(/failure-ttl/);
  });

  it("--explain names the cause and the owner's suspension", async () => {
    const r = await cli(["autostop", "--explain", "sam/dev", "--json"]);
    expect(r.code).toBe(0);
    const doc = explainSchema.parse(r.json());
    expect(doc.verdicts.autostop).toMatchObject({ cause: "suspended-owner", stops_at: NEXT_TICK, seconds_left: 60 });
    expect(doc.lifecycle).toMatchObject({ owner_suspended: true, guard: null });
    expect(doc.lifecycle.coder_stops.map((c) => c.cause)).toEqual(["suspended-owner"]);
    const stale = explainSchema.parse((await cli(["autostop", "--explain", "alice/stale", "--json"])).json());
    expect(stale.verdicts.autostop).toMatchObject({ cause: "dormancy", stops_at: NEXT_TICK });
    const broken = explainSchema.parse((await cli(["autostop", "--explain", "alice/broken", "--json"])).json());
    expect(broken.verdicts.autostop).toMatchObject({ cause: "failure-ttl", stops_at: NEXT_TICK });
    const text = await cli(["autostop", "--explain", "alice/sleepy"]);
    expect(text.stdout).toMatch(/Coder lifecycle: dormant since/);
    expect(text.stdout).toMatch(/left alone \(dormant\)/);
  });
});

describe("acting commands leave prebuilt, dormant and task workspaces to Coder", () => {
  it("autostop --execute --dry-run plans only the ordinary overdue workspace; --include-tasks adds the task one, never the dormant one", async () => {
    const r = await cli(["autostop", "--execute", "--dry-run", "--json"]);
    expect(r.code).toBe(0);
    const doc = executeSchema.parse(r.json());
    expect(doc.workspaces.map((w) => `${w.owner}/${w.name}`)).toEqual(["alice/plain"]);
    expect(doc.excluded.map((e) => `${e.owner}/${e.name}`).sort()).toEqual(["alice/agent", "alice/sleepy", "prebuilds/pb1"]);
    const wide = executeSchema.parse((await cli(["autostop", "--execute", "--dry-run", "--include-tasks", "--include-prebuilds", "--json"])).json());
    expect(wide.workspaces.map((w) => `${w.owner}/${w.name}`).sort()).toEqual(["alice/agent", "alice/plain", "prebuilds/pb1"]);
    expect(wide.excluded.map((e) => e.name)).toEqual(["sleepy"]);
  });

  it("autostop --execute stops nothing but the ordinary one", async () => {
    const before = await sim.state();
    const r = await cli(["autostop", "--execute", "--json"]);
    expect(r.code).toBe(0);
    const after = await sim.state();
    const changed = after.workspaces.filter((w) => before.workspaces.find((b) => b.id === w.id)!.build_number !== w.build_number);
    expect(changed.map((w) => `${w.owner}/${w.name}`)).toEqual(["alice/plain"]);
    expect((await sim.workspace("alice/sleepy")).status).toBe("running");
  });

  it("quiet-hours --execute --dry-run excludes them with the reason, even with --force; --include-prebuilds brings the prebuild back", async () => {
    const r = await cli(["quiet-hours", "--categorize", "--json"]);
    const doc = r.json() as { categories: Record<string, { owner: string; name: string; lifecycle_guard: { kind: string } | null; reasons: string[] }[]> };
    const excluded = Object.fromEntries(doc.categories["excluded"]!.map((e) => [`${e.owner}/${e.name}`, e]));
    expect(excluded["prebuilds/pb1"]!.lifecycle_guard).toMatchObject({ kind: "prebuild" });
    expect(excluded["alice/sleepy"]!.lifecycle_guard).toMatchObject({ kind: "dormant" });
    expect(excluded["alice/agent"]!.lifecycle_guard).toMatchObject({ kind: "task" });
    expect(excluded["prebuilds/pb1"]!.reasons[0]).toMatch(/--include-prebuilds/);
    const dry = (await cli(["quiet-hours", "--execute", "--dry-run", "--force", "--json"])).json() as { results: { owner: string; name: string }[] };
    const names = dry.results.map((x) => `${x.owner}/${x.name}`);
    for (const n of ["prebuilds/pb1", "alice/sleepy", "alice/agent"]) expect(names).not.toContain(n);
    const wide = (await cli(["quiet-hours", "--execute", "--dry-run", "--include-prebuilds", "--json"])).json() as { results: { owner: string; name: string }[] };
    expect(wide.results.map((x) => `${x.owner}/${x.name}`)).toContain("prebuilds/pb1");
  });

  it("prune lists them as lifecycle_excluded and never selects them", async () => {
    const r = await cli(["prune", "--all", "--json"]);
    expect(r.code).toBe(0);
    const doc = pruneSchema.parse(r.json());
    const selected = doc.workspaces.map((w) => `${w.owner}/${w.name}`);
    expect(doc.lifecycle_excluded.map((w) => [`${w.owner}/${w.name}`, w.kind]).sort()).toEqual([
      ["alice/agent", "task"],
      ["alice/sleepy", "dormant"],
      ["prebuilds/pb1", "prebuild"],
    ]);
    for (const n of ["prebuilds/pb1", "alice/sleepy", "alice/agent"]) expect(selected).not.toContain(n);
    const cleanup = (await cli(["prune", "--all", "--cleanup", "--dry-run", "--include-tasks", "--json"])).json() as { results: { owner: string; name: string }[] };
    expect(cleanup.results.map((x) => `${x.owner}/${x.name}`)).toContain("alice/agent");
    expect(cleanup.results.map((x) => `${x.owner}/${x.name}`)).not.toContain("alice/sleepy");
  });
});

describe("activity bump", () => {
  it("an active owner's bumped workspace does not trip --fail-on expiring; an idle one does", async () => {
    const active = await cli(["ttl-monitor", "--user", "carol", "--fail-on", "expiring", "--json"]);
    expect(active.code).toBe(0);
    const doc = ttlSchema.parse(active.json());
    const busy = doc.workspaces.running.find((w) => w.name === "busy")!;
    expect(busy).toMatchObject({ compliance_status: "BUMPED_BY_ACTIVITY", bumped_deadline: "2026-01-05T20:30:00.000Z" });
    expect(doc.summary).toMatchObject({ expiring_soon: 0, bumped_by_activity: 1 });
    // --explain gives the same verdict.
    const explained = explainSchema.parse((await cli(["autostop", "--explain", "carol/busy", "--json"])).json());
    expect(explained.verdicts["ttl-monitor"].compliance_status).toBe("BUMPED_BY_ACTIVITY");
    const idle = await cli(["ttl-monitor", "--user", "dave", "--fail-on", "expiring", "--json"]);
    expect(idle.code).toBe(6);
    expect(ttlSchema.parse(idle.json()).workspaces.expiring_soon.map((w) => w.name)).toEqual(["lazy"]);
  });

  it("build reasons tell Coder's own stops from this tool's", async () => {
    const doc = ttlSchema.parse((await cli(["ttl-monitor", "--user", "carol", "--json"])).json());
    const by = Object.fromEntries(doc.workspaces.stopped.map((w) => [w.name, w]));
    expect(by["napped"]).toMatchObject({ last_build_reason: "dormancy", last_build_by: "coder" });
    expect(by["halted"]).toMatchObject({ last_build_reason: "cli", last_build_by: "cli" });
    const text = await cli(["ttl-monitor", "--user", "carol", "--show-all"]);
    expect(text.stdout).toMatch(/Coder's lifecycle executor \(dormancy\)/);
    expect(text.stdout).toMatch(/this tool or coder stop/);
  });
});

describe("drift check", () => {
  it("is silent on Coder's template-update rule (moved to change + 2 h, or skipped within 2 h of it)", async () => {
    // Coder sets the template's updated_at when its schedule changes; the simulator's templates
    // keep their creation time, so the listing is served with req updated at 18:00 today.
    const templates = (await (await sim.api("/api/v2/templates")).json()) as { name: string; updated_at: string }[];
    const updated = templates.map((t) => (t.name === "req" ? { ...t, updated_at: "2026-01-05T18:00:00Z" } : t));
    const listing = async () => listSchema.parse((await cli(["autostop", "--list-pending", "--owner-schedules", "--json"])).json());
    // As the simulator has it (no schedule change since the builds): both are drift.
    const plain = await listing();
    expect(plain.workspaces.filter((w) => w.drift !== null).map((w) => w.name).sort()).toEqual(["clamped", "skipped"]);
    await sim.setFaults({ rules: [{ method: "GET", path: "/api/v2/templates", status: 200, body: updated }] });
    let doc: Awaited<ReturnType<typeof listing>>;
    try {
      doc = await listing();
    } finally {
      await sim.clearFaults();
    }
    const clamped = doc.workspaces.find((w) => w.name === "clamped")!;
    const skipped = doc.workspaces.find((w) => w.name === "skipped")!;
    expect(clamped).toMatchObject({ drift: null, drift_check: "ok" });
    expect(clamped.drift_note).toMatch(/template-update rule/);
    expect(skipped).toMatchObject({ drift: null, drift_check: "unknown" });
    expect(skipped.drift_note).toMatch(/Coder skips/);
    expect(doc.summary.drifted).toBe(0);
  });
});

describe("owner-schedule fallback: one rule for autostop and prune", () => {
  it("licensed, no default configured, the owner's schedule unreadable: Coder's own midnight UTC in both", async () => {
    const tokyo = writeConfig(dir, { quiet_hours: { start_time: "18:00", end_time: "08:00", timezone: "UTC" }, prune_workspaces: { timezone: "Asia/Tokyo" } }, "tokyo.json");
    await sim.setFaults({
      rules: [
        { method: "GET", route: "GET /api/v2/users/{user}/quiet-hours", status: 404, body: { message: "Resource not found or you do not have access to this resource" } },
        { method: "GET", path: "/api/v2/deployment/config", status: 200, body: { config: { user_quiet_hours_schedule: { default_schedule: "", allow_user_custom: true } }, options: [] } },
      ],
    });
    try {
      const run = (args: string[]) => runCli(["--url", sim.url, "--config", tokyo, "--now", NOW, ...args], { env: { CODER_SESSION_TOKEN: sim.ownerToken }, cwd: dir });
      const prune = pruneSchema.parse((await run(["prune", "--user", "carol", "--include-stopped", "--json"])).json());
      expect(prune.owners.map((o) => [o.owner, o.quiet_hours.start_time, o.quiet_hours.timezone, o.quiet_hours.source])).toEqual([["carol", "00:00", "UTC", "deployment-default"]]);
      const explain = explainSchema.parse((await run(["autostop", "--explain", "carol/busy", "--json"])).json());
      expect(explain.owner_quiet_hours).toMatchObject({ time: "00:00", timezone: "UTC", source: "deployment-default" });
    } finally {
      await sim.clearFaults();
    }
  });
});
