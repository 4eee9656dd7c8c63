/**
 * `policy simulate` against the demo fleet (clock frozen at Monday 2026-01-05 19:30 UTC): figures
 * computed by hand from the demo's start and last-use times, across a DST change, with quiet-time
 * stops, idle stops and the report/warn what-if.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentSchema } from "../../src/output/schema.js";
import { runCli, scratchDir, writeConfig } from "../support/cli.js";
import { startSim, type TestSim } from "../support/sim.js";

const NOW = "2026-01-05T19:30:00Z";
const WEEKDAYS = (range: string) => ({ mon: [range], tue: [range], wed: [range], thu: [range], fri: [range] });
const ALL_DAY = { ...WEEKDAYS("00:00-24:00"), sat: ["00:00-24:00"], sun: ["00:00-24:00"] };
const QUIET_HOURS = { start_time: "18:00", end_time: "08:00", timezone: "Europe/London", grace_period_hours: 1, excluded_users: ["admin", "on-call-engineer"] };
const ENG_LONDON = { name: "eng-london", scope: { organizations: { include: ["engineering"] } }, calendar: { timezone: "Europe/London", working_hours: WEEKDAYS("08:00-18:00") }, grace_period_minutes: 30, action: "stop" };

interface Doc {
  policies: { name: string; action: string; zone: string; workspaces: number; running: number; excluded: number; stopped: number; stopped_hours: number; flagged_hours: number; days: { date: string; hours: number; stops: number }[] }[];
  stops: { workspace: string; policy: string; at: string; cause: string; hours: number }[];
  totals: { stopped_hours: number; flagged_hours: number; stops: number };
}

let sim: TestSim;
let dir: string;
beforeAll(async () => {
  sim = await startSim("demo", { frozenClock: true });
  dir = scratchDir();
});
afterAll(async () => {
  await sim?.close();
});

async function simulate(policies: unknown[], from: string, to: string, extra: string[] = []) {
  const cfg = writeConfig(dir, { quiet_hours: QUIET_HOURS, policies }, `cfg-${Math.random().toString(36).slice(2)}.json`);
  return runCli(["--config", cfg, "--now", NOW, "policy", "simulate", "--from", from, "--to", to, ...extra], { env: sim.env() });
}
async function simulateJson(policies: unknown[], from: string, to: string): Promise<Doc> {
  const r = await simulate(policies, from, to, ["--json"]);
  expect(r.code, r.stderr).toBe(0);
  const doc = r.json<Doc>();
  expect(documentSchema("policy simulate").safeParse(doc).success).toBe(true);
  return doc;
}
const policyOf = (d: Doc, name: string) => d.policies.find((p) => p.name === name)!;
const ENG = ["alice/python-api", "alice/scratch", "bob/api-gateway", "dana/frontend", "mei/notebook"];

describe("policy simulate", () => {
  it("quiet-time stops: grace from the quiet start (or the workspace's own start), hours per day in the policy's zone", async () => {
    const research = { name: "research-report", scope: { organizations: { include: ["research"] } }, calendar: { timezone: "Asia/Kolkata", working_hours: { mon: ["09:00-23:30"], tue: ["09:00-23:30"] } }, grace_period_minutes: 60, action: "report" };
    const d = await simulateJson([ENG_LONDON, research], NOW, "2026-01-07T00:00:00Z");
    // eng-london: quiet since 18:00; every engineering workspace's grace is over by 19:30 (mei's
    // notebook started 19:00 + 30 min): stopped at the start, 28.5 h each.
    expect(d.stops.filter((s) => s.policy === "eng-london")).toEqual(ENG.map((w) => ({ workspace: w, policy: "eng-london", at: "2026-01-05T19:30:00.000Z", cause: "quiet", hours: 28.5 })));
    expect(policyOf(d, "eng-london")).toMatchObject({ action: "stop", zone: "Europe/London", running: 5, stopped: 5, stopped_hours: 142.5, flagged_hours: 0 });
    expect(policyOf(d, "eng-london").days).toEqual([
      { date: "2026-01-05", hours: 22.5, stops: 5 },
      { date: "2026-01-06", hours: 120, stops: 0 },
    ]);
    // research-report: 19:30Z is 01:00 IST; quiet since 23:30 IST (18:00Z) + 1 h: flagged, not stopped; days in Kolkata.
    expect(policyOf(d, "research-report")).toMatchObject({ zone: "Asia/Kolkata", stopped: 1, stopped_hours: 0, flagged_hours: 28.5 });
    expect(policyOf(d, "research-report").days).toEqual([
      { date: "2026-01-06", hours: 23, stops: 1 },
      { date: "2026-01-07", hours: 5.5, stops: 0 },
    ]);
    // The quiet_hours section decides the rest: erik's ops-console started 18:45 → due 19:45; admin and on-call-engineer are excluded.
    expect(d.stops.find((s) => s.workspace === "erik/ops-console")).toEqual({ workspace: "erik/ops-console", policy: "quiet_hours", at: "2026-01-05T19:45:00.000Z", cause: "quiet", hours: 28.25 });
    expect(policyOf(d, "quiet_hours")).toMatchObject({ running: 3, excluded: 2, stopped: 1, stopped_hours: 28.25 });
    expect(d.totals).toEqual({ stopped_hours: 170.75, flagged_hours: 28.5, stops: 7 });
  });

  it("across the spring DST change (London, 2026-03-29): the Sunday has 23 hours", async () => {
    const d = await simulateJson([ENG_LONDON], "2026-03-28T12:00:00Z", "2026-03-30T00:00:00Z");
    expect(policyOf(d, "eng-london").days).toEqual([
      { date: "2026-03-28", hours: 60, stops: 5 },
      { date: "2026-03-29", hours: 115, stops: 0 },
      { date: "2026-03-30", hours: 5, stops: 0 },
    ]);
    // quiet_hours: the Saturday window opens 18:00 GMT, grace 1 h: priya's and erik's stop at 19:00Z.
    expect(d.stops.filter((s) => s.policy === "quiet_hours").map((s) => [s.workspace, s.at, s.hours])).toEqual([
      ["erik/ops-console", "2026-03-28T19:00:00.000Z", 29],
      ["priya/model-training", "2026-03-28T19:00:00.000Z", 29],
    ]);
    expect(policyOf(d, "quiet_hours").days.map((x) => x.hours)).toEqual([10, 46, 2]);
  });

  it("idle stops: from last use + after_hours, always or only inside working hours", async () => {
    const always = { name: "eng-idle", scope: { organizations: { include: ["engineering"] } }, calendar: { timezone: "UTC", working_hours: ALL_DAY }, idle: { after_hours: 2, when: "always" }, action: "stop" };
    const d = await simulateJson([always], NOW, "2026-01-06T00:00:00Z");
    // Last used 19:10, 18:30, 16:30, 18:30, 19:25 (demo): idle at +2 h, bob's already at the start.
    expect(d.stops.filter((s) => s.policy === "eng-idle").map((s) => [s.workspace, s.at, s.cause])).toEqual([
      ["bob/api-gateway", "2026-01-05T19:30:00.000Z", "idle"],
      ["alice/scratch", "2026-01-05T20:30:00.000Z", "idle"],
      ["dana/frontend", "2026-01-05T20:30:00.000Z", "idle"],
      ["alice/python-api", "2026-01-05T21:10:00.000Z", "idle"],
      ["mei/notebook", "2026-01-05T21:25:00.000Z", "idle"],
    ]);
    expect(policyOf(d, "eng-idle").stopped_hours).toBe(16.92);
    // Inside working hours only (and a grace so long quiet time never stops): all stop when work starts, 08:00.
    const inside = { ...always, name: "eng-idle-day", calendar: { timezone: "Europe/London", working_hours: WEEKDAYS("08:00-18:00") }, idle: { after_hours: 2, when: "inside_working_hours" }, grace_period_minutes: 10080 };
    const d2 = await simulateJson([inside], NOW, "2026-01-06T12:00:00Z");
    expect(d2.stops.filter((s) => s.policy === "eng-idle-day").map((s) => [s.at, s.cause, s.hours])).toEqual(ENG.map(() => ["2026-01-06T08:00:00.000Z", "idle", 4]));
  });

  it("owner_quiet_hours calendars: each owner's own Coder quiet hours, read from the deployment; days in UTC", async () => {
    const own = { name: "own-hours", scope: { organizations: { include: ["research", "platform"] } }, calendar: { owner_quiet_hours: true }, grace_period_minutes: 60, action: "stop" };
    const d = await simulateJson([own], NOW, "2026-01-06T12:00:00Z");
    // priya: 23:00 Asia/Kolkata = 17:30Z, grace over 18:30Z → at the start; erik: 23:00 Australia/Sydney
    // = 12:00Z, but his workspace started 18:45Z (inside the window) → its own grace, 19:45Z.
    expect(d.stops.filter((s) => s.policy === "own-hours").map((s) => [s.workspace, s.policy, s.at, s.hours])).toEqual([
      ["priya/model-training", "own-hours", "2026-01-05T19:30:00.000Z", 16.5],
      ["erik/ops-console", "own-hours", "2026-01-05T19:45:00.000Z", 16.25],
    ]);
    expect(policyOf(d, "own-hours")).toMatchObject({ zone: "UTC", running: 4, excluded: 2, stopped: 2, stopped_hours: 32.75 });
    expect(policyOf(d, "own-hours").days).toEqual([
      { date: "2026-01-05", hours: 8.75, stops: 2 },
      { date: "2026-01-06", hours: 24, stops: 0 },
    ]);
  });

  it("a human table per policy and day; usage errors and ties are exit 2", async () => {
    const r = await simulate([ENG_LONDON], NOW, "2026-01-07T00:00:00Z", ["-o", "wide"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/eng-london +│ stop +│ 2026-01-05 \(Europe\/London\) +│ 5 +│ 22\.5 +│ 0/);
    // 142.5 h (eng-london) + 28.5 h (priya, quiet_hours) + 28.25 h (erik, quiet_hours)
    expect(r.stdout).toContain("Total: 7 stop(s), 199.25 workspace-hours stopped, 0 flagged by warn/report policies.");
    expect((await simulate([ENG_LONDON], "2026-01-07T00:00:00Z", NOW)).stderr).toMatch(/--to .* must be after --from/);
    expect((await simulate([ENG_LONDON], "2026-01-01", "2026-06-01")).code).toBe(2);
    const bad = await simulate([ENG_LONDON], "yesterday", NOW);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--from: expected an ISO 8601 instant/);
    const tie = await simulate([ENG_LONDON, { ...ENG_LONDON, name: "eng-2" }], NOW, "2026-01-06T00:00:00Z");
    expect(tie.code).toBe(2);
    expect(tie.stderr).toMatch(/policies "eng-london" and "eng-2" both apply/);
  });
});
