/**
 * Policies per team, end to end against the simulator over loopback: three teams in three zones
 * (emea: Europe/London, amer: America/New_York, apac: Asia/Tokyo), an on-call group that is
 * never quiet, a holiday from an ICS file, an idle rule, and warn/report policies
 * (test/fixtures/policy-teams/: scenario.json, config.json, holidays.ics).
 *
 * Instants span the week from Friday 2026-10-23 to Monday 2026-11-02: London leaves summer time on
 * Sunday 25 October, New York on Sunday 1 November, Tokyo has no DST. Each instant gets a fresh
 * simulator whose clock is that instant (the scenario's times are offsets from it) and the CLI's
 * --now; `quiet-hours --execute` really stops, and the simulator's builds say what was stopped.
 */
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, scratchDir, writeConfig } from "../support/cli.js";
import { runInProcess } from "../support/inproc.js";
import { startSim, type TestSim } from "../support/sim.js";
import { startWebhook, type TestWebhook } from "../support/webhook.js";

const FIXTURES = join(ROOT, "test/fixtures/policy-teams");
const scenario = JSON.parse(readFileSync(join(FIXTURES, "scenario.json"), "utf8")) as Record<string, unknown>;
const baseConfig = JSON.parse(readFileSync(join(FIXTURES, "config.json"), "utf8")) as Record<string, unknown>;

interface Entry {
  owner: string;
  name: string;
  category: string;
  policy: string;
  policy_action: string;
  reasons: string[];
}
interface ExecuteDoc {
  categories: Record<string, Entry[]>;
  results: { owner: string; name: string; outcome: string }[];
  stop_warnings: { warned: { owner: string; name: string; warn_policy?: string }[] };
}

let hook: TestWebhook;
const sims: TestSim[] = [];
beforeAll(async () => {
  hook = await startWebhook();
});
afterAll(async () => {
  await Promise.all(sims.map((s) => s.close()));
  await hook?.close();
});

let runs = 0;

/** A fresh simulator at `at` and a scratch dir with the config (and its ICS file beside it); notices go to /slack-N. */
async function setup(at: string) {
  const hookPath = `/slack-${++runs}`;
  const sim = await startSim({ ...scenario, clock: at }, { frozenClock: true });
  sims.push(sim);
  const dir = scratchDir("policy-teams-");
  copyFileSync(join(FIXTURES, "holidays.ics"), join(dir, "holidays.ics"));
  const config = writeConfig(dir, { ...baseConfig, notifications: { slack_webhook: `${hook.url}${hookPath}` } });
  const cli = (args: string[]) => runInProcess(["--url", sim.url, "--config", config, "--now", at, ...args], { cwd: dir, env: { CODER_SESSION_TOKEN: sim.ownerToken }, clockIso: at });
  return { sim, dir, cli, hookPath };
}

/** quiet-hours --execute at `at`: the JSON, and the workspaces the simulator saw this tool stop. */
async function executeAt(at: string) {
  const { sim, cli, hookPath } = await setup(at);
  const r = await cli(["quiet-hours", "--execute", "--json"]);
  expect(r.code, r.stderr).toBe(0);
  const doc = r.json<ExecuteDoc>();
  const state = await sim.state();
  const stopped = state.workspaces
    .filter((w) => w.builds.some((b) => b.transition === "stop" && b.reason === "cli"))
    .map((w) => `${w.owner}/${w.name}`)
    .sort();
  const entry = (key: string): Entry => {
    for (const list of Object.values(doc.categories)) {
      const e = list.find((x) => `${x.owner}/${x.name}` === key);
      if (e) return e;
    }
    throw new Error(`${key} not categorised`);
  };
  return { doc, stopped, entry, hookPath, warned: doc.stop_warnings.warned.map((w) => `${w.owner}/${w.name}`).sort() };
}

const ON_CALL = ["olivia/pager", "omar/pager"];

describe("policies per team across the week of both DST changes", () => {
  it("every workspace names the policy that decides for it", async () => {
    const { entry } = await executeAt("2026-10-23T07:30:00Z");
    expect(
      Object.fromEntries(
        ["ella/main", "eddie/idle", "olivia/pager", "ann/main", "sam/box", "omar/pager", "kenji/main", "yuki/notebook"].map((k) => [k, `${entry(k).policy}:${entry(k).policy_action}`]),
      ),
    ).toEqual({
      "ella/main": "emea-hours:stop",
      "eddie/idle": "emea-hours:stop",
      "olivia/pager": "on-call:stop",
      "ann/main": "amer-hours:stop",
      "sam/box": "sam-warn:warn",
      "omar/pager": "on-call:stop",
      "kenji/main": "apac-hours:stop",
      "yuki/notebook": "ml-report:report",
    });
  });

  it("Fri 23 Oct 07:30Z (08:30 BST, 03:30 EDT, 16:30 JST): New York is quiet, the idle London workspace is stopped, London's active one is not", async () => {
    const { stopped, entry, warned, hookPath } = await executeAt("2026-10-23T07:30:00Z");
    expect(stopped).toEqual(["ann/main", "eddie/idle"]);
    expect(entry("eddie/idle").reasons.join(" ")).toMatch(/idle rule: last used 5(\.0)?h ago \(idle after 3h inside working hours\): idle/);
    // running since before last night's quiet time: survived it, not stopped during working hours
    expect(entry("ella/main").category).toBe("past_quiet_hours_end");
    expect(entry("kenji/main").category).toBe("past_quiet_hours_end");
    // sam's policy only warns: due, warned, not stopped.
    expect(entry("sam/box").category).toBe("quiet_hours_stopping");
    expect(warned).toEqual(["sam/box"]);
    const notices = hook.to(hookPath);
    expect(notices).toHaveLength(2); // the stop summary and the warning
    expect(JSON.stringify(notices.map((n) => n.body))).toMatch(/sam\/box \(amer-dev\) — policy sam-warn \(warn only\)/);
    const { cli } = await setup("2026-10-23T07:30:00Z");
    const human = await cli(["quiet-hours", "--execute", "--dry-run"]);
    expect(human.stdout).toContain("[DRY RUN] Would warn: 1 workspace due under a warn-only policy, not stopped (sam/box (sam-warn))");
  });

  it("Mon 26 Oct 07:30Z = 07:30 GMT after London's change: London is quiet (it was working at 07:30Z on Friday)", async () => {
    const { stopped, entry } = await executeAt("2026-10-26T07:30:00Z");
    expect(stopped).toEqual(["ann/main", "eddie/idle", "ella/main"]);
    // Started Sunday 01:30 GMT, during the quiet weekend: its own grace of 30 minutes.
    expect(entry("ella/main").reasons[0]).toBe("Policy emea-hours (stop): quiet since 2026-10-23 18:00 +01:00, grace ended 2026-10-25 02:00 GMT");
  });

  it("Tue 27 Oct 14:00Z: a working day in London and New York, night in Tokyo", async () => {
    const { stopped, entry } = await executeAt("2026-10-27T14:00:00Z");
    expect(stopped).toEqual(["eddie/idle", "kenji/main"]);
    expect(entry("yuki/notebook").category).toBe("quiet_hours_stopping"); // report only: listed, never stopped
    expect(entry("ella/main").category).toBe("past_quiet_hours_end");
  });

  it("Wed 28 Oct 14:00Z: the company day from the ICS file makes London quiet all day", async () => {
    const { stopped, entry } = await executeAt("2026-10-28T14:00:00Z");
    expect(stopped).toEqual(["eddie/idle", "ella/main", "kenji/main"]);
    expect(entry("ella/main").reasons[0]).toMatch(/quiet since 2026-10-27 18:00 GMT \(holiday 2026-10-28\)/);
    // the on-call group's calendar never closes
    expect(entry("olivia/pager").category).toBe("normal_running");
  });

  it("Fri 30 Oct 13:30Z = 09:30 EDT: New York works; Mon 2 Nov 13:30Z = 08:30 EST after its change: New York is quiet", async () => {
    const fri = await executeAt("2026-10-30T13:30:00Z");
    expect(fri.stopped).toEqual(["eddie/idle", "kenji/main"]);
    expect(fri.entry("ann/main").category).toBe("past_quiet_hours_end");
    expect(fri.entry("ann/main").reasons[0]).toMatch(/quiet time that ended 2026-10-30 09:00 EDT$/);
    const mon = await executeAt("2026-11-02T13:30:00Z");
    expect(mon.stopped).toEqual(["ann/main", "eddie/idle", "kenji/main"]);
    // started Sunday 02:30 EST (after the change), during the quiet weekend: its own grace
    expect(mon.entry("ann/main").reasons[0]).toMatch(/quiet since 2026-10-30 17:00 EDT, grace ended 2026-11-01 03:30 EST/);
  });

  it("Sat 31 Oct 12:00Z: every team is quiet; on-call, warn and report policies still stop nothing", async () => {
    const { stopped, entry, warned } = await executeAt("2026-10-31T12:00:00Z");
    expect(stopped).toEqual(["ann/main", "eddie/idle", "ella/main", "kenji/main"]);
    for (const k of ON_CALL) expect(stopped).not.toContain(k);
    expect(entry("sam/box").category).toBe("quiet_hours_stopping");
    expect(entry("yuki/notebook").category).toBe("quiet_hours_stopping");
    expect(warned).toEqual(["sam/box"]);
  });

  it("on-call workspaces are never stopped at any hour of the week", async () => {
    for (let day = 23; day <= 32; day++) {
      for (const hour of ["02", "20"]) {
        const date = day <= 31 ? `2026-10-${day}` : `2026-11-0${day - 31}`;
        const { stopped } = await executeAt(`${date}T${hour}:00:00Z`);
        for (const k of ON_CALL) expect(stopped, `${date} ${hour}:00Z`).not.toContain(k);
        expect(stopped.length, `${date} ${hour}:00Z: some team is quiet`).toBeGreaterThan(0);
      }
    }
  }, 120_000);
});

describe("autostop under policies", () => {
  interface Pending {
    owner: string;
    name: string;
    policy: string;
    cause: string | null;
    stops_at: string | null;
    stops_only_manually: boolean;
  }

  it("predicts each team's next policy stop from its own calendar, the idle rule's instant, and none for on-call, warn and report", async () => {
    const { cli } = await setup("2026-10-30T13:30:00Z");
    const r = await cli(["autostop", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const byKey = new Map(r.json<{ workspaces: Pending[] }>().workspaces.map((w) => [`${w.owner}/${w.name}`, w]));
    const pick = (k: string) => {
      const w = byKey.get(k)!;
      return { policy: w.policy, cause: w.cause, stops_at: w.stops_at };
    };
    expect(pick("ella/main")).toEqual({ policy: "emea-hours", cause: "quiet-hours-policy", stops_at: "2026-10-30T18:30:00.000Z" }); // 18:00 GMT + 30 min
    expect(pick("ann/main")).toEqual({ policy: "amer-hours", cause: "quiet-hours-policy", stops_at: "2026-10-30T22:00:00.000Z" }); // 17:00 EDT + 1 h
    expect(pick("kenji/main")).toEqual({ policy: "apac-hours", cause: "quiet-hours-policy", stops_at: "2026-10-30T10:00:00.000Z" }); // 18:00 JST + 1 h, passed
    expect(pick("eddie/idle")).toEqual({ policy: "emea-hours", cause: "quiet-hours-policy", stops_at: "2026-10-30T11:30:00.000Z" }); // last used 08:30Z + 3 h
    for (const k of ["olivia/pager", "omar/pager", "sam/box", "yuki/notebook"]) expect(byKey.get(k)!.stops_only_manually, k).toBe(true);
  });

  it("--explain names the deciding policy and every policy it beat, with why", async () => {
    const { cli } = await setup("2026-10-31T12:00:00Z");
    const r = await cli(["autostop", "--explain", "omar/pager", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<{ policy: { policy: string; level: string; action: string; why: string; beaten: { policy: string; level: string; why: string }[] } }>();
    expect(doc.policy).toMatchObject({ policy: "on-call", level: "group", action: "stop", why: "scope.groups.include: on-call" });
    const beaten = Object.fromEntries(doc.policy.beaten.map((b) => [b.policy, b.why]));
    expect(Object.keys(beaten).sort()).toEqual(["amer-hours", "apac-hours", "emea-hours", "ml-report", "quiet_hours", "sam-warn"]);
    expect(beaten["amer-hours"]).toMatch(/^matches \(scope\.organizations\.include: amer\) but is less specific \(organization\) than on-call \(group\)$/);
    expect(beaten["emea-hours"]).toBe("not in scope.organizations.include (emea)");
    expect(beaten["sam-warn"]).toBe("not in scope.users.include (sam)");
    const human = await cli(["autostop", "--explain", "omar/pager"]);
    expect(human.stdout).toMatch(/✔ policy: on-call \(group, action stop\) decides: scope\.groups\.include: on-call; beat .*amer-hours \(organization: matches/);
  });
});

describe("prune and ttl-monitor under policies", () => {
  it("ttl-monitor names each workspace's policy", async () => {
    const { cli } = await setup("2026-10-27T14:00:00Z");
    const r = await cli(["ttl-monitor", "--all", "--show-all", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<{ workspaces: Record<string, { owner: string; name: string; policy: string }[]> }>();
    const names = Object.fromEntries(Object.values(doc.workspaces).flat().map((w) => [`${w.owner}/${w.name}`, w.policy]));
    expect(names).toMatchObject({ "omar/pager": "on-call", "yuki/notebook": "ml-report", "ella/main": "emea-hours", "sam/box": "sam-warn" });
  });

  it("prune --cleanup stops in owners' windows only what a stop policy in quiet time decides; on-call, warn and report are listed, not stopped", async () => {
    // 00:30Z Wed 28 Oct: inside ella's, eddie's (19:00 London), olivia's (22:00 London), ann's and
    // sam's (19:00 New York = 23:00Z) windows; not omar's (23:00 New York) or kenji's/yuki's (20:00 Tokyo).
    const { sim, cli } = await setup("2026-10-28T00:30:00Z");
    const r = await cli(["prune", "--all", "--cleanup", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<{ workspaces: { owner: string; name: string; policy: string; policy_action: string }[]; warnings: string[] }>();
    const listed = doc.workspaces.map((w) => `${w.owner}/${w.name}:${w.policy}`).sort();
    expect(listed).toEqual(["ann/main:amer-hours", "eddie/idle:emea-hours", "ella/main:emea-hours", "olivia/pager:on-call", "sam/box:sam-warn"]);
    expect(doc.warnings).toEqual(expect.arrayContaining(["sam/box not stopped: its policy sam-warn only warns", "olivia/pager not stopped: its policy on-call says working time"]));
    const state = await sim.state();
    const stopped = state.workspaces.filter((w) => w.builds.some((b) => b.transition === "stop" && b.reason === "cli")).map((w) => `${w.owner}/${w.name}`).sort();
    expect(stopped).toEqual(["ann/main", "eddie/idle", "ella/main"]);
  });
});

describe("metrics under policies", () => {
  it("coder_agents_workspaces has one series per configured policy and category; the quiet_hours section keeps policy=\"default\"", async () => {
    const { cli, dir } = await setup("2026-10-28T14:00:00Z");
    const file = join(dir, "qh.prom");
    const r = await cli(["--metrics-file", file, "quiet-hours", "--categorize", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(file, "utf8");
    const value = (policy: string, category: string) => {
      const line = text.split("\n").find((l) => l.startsWith("coder_agents_workspaces{") && l.includes(`policy="${policy}"`) && l.includes(`category="${category}"`));
      return line ? Number(line.split(" ").at(-1)) : undefined;
    };
    expect(value("emea-hours", "quiet_hours_stopping")).toBe(2); // the holiday: ella and eddie
    expect(value("apac-hours", "quiet_hours_stopping")).toBe(1);
    expect(value("ml-report", "quiet_hours_stopping")).toBe(1);
    expect(value("on-call", "normal_running")).toBe(2);
    expect(value("default", "excluded")).toBe(0);
  });
});

describe("a policy tie", () => {
  it("is a configuration error (exit 2, both policies named) for quiet-hours, autostop, prune and ttl-monitor", async () => {
    const at = "2026-10-27T14:00:00Z";
    const sim = await startSim({ ...scenario, clock: at }, { frozenClock: true });
    sims.push(sim);
    const dir = scratchDir("policy-tie-");
    copyFileSync(join(FIXTURES, "holidays.ics"), join(dir, "holidays.ics"));
    const policies = (baseConfig["policies"] as Record<string, unknown>[]).concat([{ ...(baseConfig["policies"] as Record<string, unknown>[])[1]!, name: "amer-copy" }]);
    const config = writeConfig(dir, { ...baseConfig, policies });
    for (const args of [["quiet-hours", "--categorize"], ["autostop"], ["prune", "--all"], ["ttl-monitor", "--all"]]) {
      const r = await runInProcess(["--url", sim.url, "--config", config, "--now", at, ...args], { cwd: dir, env: { CODER_SESSION_TOKEN: sim.ownerToken }, clockIso: at });
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/policies "amer-hours" and "amer-copy" both apply/);
    }
  });
});
