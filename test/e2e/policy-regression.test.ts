/**
 * Regression harness for the single quiet-hours window: the JSON of every command that reads quiet
 * hours (quiet-hours categorize/report/dry-run, autostop predictions and one --explain, prune,
 * ttl-monitor) on the shipped demo scenario and a seeded generated fleet, at instants inside and
 * outside the window and on DST days, compared with the golden files in
 * test/fixtures/policy-regression/. The goldens were captured before policies existed: a config
 * with only `quiet_hours` (the implicit default policy) must keep producing exactly these reports.
 *
 * Only what differs between two identical runs is removed before comparing: the envelope's
 * generated_at, run ids, durations/elapsed times, and the config file's scratch path. The keys
 * `policy` and `policy_action` on workspace entries are the documented JSON addition of policies;
 * they are checked to be the implicit policy's ("quiet_hours", "stop") and then removed, so
 * everything else must be equal to the golden files.
 *
 * Regenerate (only when a report changes on purpose): UPDATE_POLICY_GOLDEN=1 npx vitest run test/e2e/policy-regression.test.ts
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, scratchDir, writeConfig } from "../support/cli.js";
import { runInProcess } from "../support/inproc.js";
import { startSim, type TestSim } from "../support/sim.js";

const GOLDEN_DIR = resolve(ROOT, "test/fixtures/policy-regression");
const UPDATE = process.env.UPDATE_POLICY_GOLDEN === "1";
/** The name the implicit policy built from `quiet_hours` carries in JSON. */
const DEFAULT_POLICY = "quiet_hours";

const shipped = JSON.parse(readFileSync(join(ROOT, "agents_config.json"), "utf8")) as Record<string, Record<string, unknown>>;
const CONFIGS: Record<string, Record<string, unknown>> = {
  // The shipped config: 18:00–08:00 Europe/London every day, grace 1 h, admin and on-call excluded.
  shipped,
  // Weekdays only, another zone, a longer grace, a template and a workspace excluded.
  weekdays: {
    ...shipped,
    quiet_hours: {
      ...shipped["quiet_hours"],
      start_time: "19:30",
      end_time: "07:00",
      timezone: "America/New_York",
      grace_period_hours: 2,
      days: ["mon", "tue", "wed", "thu", "fri"],
      excluded_users: ["admin"],
      excluded_templates: ["gpu-training"],
      excluded_workspaces: ["bob/api-gateway"],
    },
    prune_workspaces: { ...shipped["prune_workspaces"], default_quiet_hours_duration: 10, timezone: "Europe/Berlin", exclude_users: [] },
  },
};

/** Instants: each scenario's clock is moved to the instant (its times are offsets from the clock). */
const INSTANTS: { id: string; at: string }[] = [
  { id: "winter-evening", at: "2026-01-05T19:30:00Z" }, // Mon, inside the London window, grace over
  { id: "winter-grace", at: "2026-01-05T18:20:00Z" }, // Mon, inside the London window, in grace
  { id: "winter-morning", at: "2026-01-06T09:30:00Z" }, // Tue, outside every window
  { id: "saturday-night", at: "2026-01-10T23:45:00Z" }, // Sat: weekdays config has no window
  { id: "london-spring-forward", at: "2026-03-29T17:30:00Z" }, // Sun, 18:30 BST
  { id: "london-fall-back", at: "2026-10-25T07:30:00Z" }, // Sun, 07:30 GMT, the night window ends 08:00 GMT
  { id: "new-york-fall-back", at: "2026-11-02T00:45:00Z" }, // Sun 19:45 EST, after the US change
];

const SCENARIOS: Record<string, () => Promise<Record<string, unknown>>> = {
  demo: async () => JSON.parse(readFileSync(join(ROOT, "scenarios/demo.json"), "utf8")) as Record<string, unknown>,
  generated: async () => ({
    deployment: { rate_limit_per_minute: 0 },
    generate: { organizations: 3, users: 16, groups: 4, templates: 5, workspaces: 40, seed: 17, dormant: 2, suspended_users: 1 },
  }),
};

interface Run {
  key: string;
  args: string[];
  configs: readonly string[];
}
const RUNS: Run[] = [
  { key: "quiet-hours --categorize", args: ["quiet-hours", "--categorize", "--json"], configs: ["shipped", "weekdays"] },
  { key: "quiet-hours --report", args: ["quiet-hours", "--report"], configs: ["shipped", "weekdays"] },
  { key: "quiet-hours --execute --dry-run", args: ["quiet-hours", "--execute", "--dry-run", "--json", "--max-stops", "1000"], configs: ["shipped", "weekdays"] },
  { key: "autostop", args: ["autostop", "--json"], configs: ["shipped"] },
  { key: "autostop --owner-schedules", args: ["autostop", "--owner-schedules", "--json"], configs: ["shipped", "weekdays"] },
  { key: "prune --all", args: ["prune", "--all", "--json"], configs: ["shipped", "weekdays"] },
  { key: "prune --all --cleanup --dry-run", args: ["prune", "--all", "--cleanup", "--dry-run", "--json", "--max-stops", "1000"], configs: ["shipped"] },
  { key: "ttl-monitor --all --show-all", args: ["ttl-monitor", "--all", "--show-all", "--json"], configs: ["shipped"] },
];
/** --explain on one workspace of the demo (the decision trace of every rule). */
const DEMO_EXPLAIN: Run[] = [
  { key: "autostop --explain alice/python-api", args: ["autostop", "--explain", "alice/python-api", "--json"], configs: ["shipped", "weekdays"] },
  { key: "autostop --explain mei/notebook", args: ["autostop", "--explain", "mei/notebook", "--json", "--owner-schedules"], configs: ["shipped"] },
];

const VOLATILE = new Set(["generated_at", "run_id", "plan_id", "duration_ms", "elapsed_ms", "duration_seconds", "elapsed"]);

/** Removes what differs between two identical runs; checks and removes the policy name. */
function normalize(v: unknown, dir: string, policies: string[]): unknown {
  if (typeof v === "string") return v.split(dir).join("<dir>");
  if (Array.isArray(v)) return v.map((x) => normalize(x, dir, policies));
  if (v === null || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (VOLATILE.has(k)) continue;
    if (k === "policy" && typeof x === "string") {
      policies.push(x);
      continue;
    }
    if (k === "policy_action" && typeof x === "string") {
      policies.push(`action ${x}`);
      continue;
    }
    out[k] = normalize(x, dir, policies);
  }
  return out;
}

const sims: TestSim[] = [];
afterAll(async () => {
  await Promise.all(sims.map((s) => s.close()));
});

describe("the single quiet-hours window: reports identical to the golden files", () => {
  for (const [scenarioName, load] of Object.entries(SCENARIOS)) {
    for (const instant of INSTANTS) {
      it(`${scenarioName} at ${instant.at} (${instant.id})`, async () => {
        const scenario = { ...(await load()), clock: instant.at };
        const sim = await startSim(scenario as Record<string, unknown>, { frozenClock: true });
        sims.push(sim);
        const dir = scratchDir("policy-regression-");
        const paths = Object.fromEntries(Object.entries(CONFIGS).map(([name, c]) => [name, writeConfig(dir, c, `${name}.json`)]));
        const actual: Record<string, unknown> = {};
        const policies: string[] = [];
        const runs = scenarioName === "demo" ? [...RUNS, ...DEMO_EXPLAIN] : RUNS;
        for (const run of runs) {
          for (const config of run.configs) {
            const args = ["--url", sim.url, "--config", paths[config]!, "--now", instant.at, ...run.args];
            const r = await runInProcess(args, { cwd: dir, env: { CODER_SESSION_TOKEN: sim.ownerToken }, clockIso: instant.at });
            const key = `${config}: ${run.key}`;
            expect([0, 5, 6], `${key}: exit ${r.code}\n${r.stderr}`).toContain(r.code);
            actual[key] = { exit: r.code, json: normalize(r.json(), dir, policies) };
          }
        }
        // Every workspace entry that names a policy names the implicit default one.
        expect(new Set(policies)).toEqual(new Set(policies.length ? [DEFAULT_POLICY, "action stop"] : []));
        const file = join(GOLDEN_DIR, `${scenarioName}.${instant.id}.json`);
        // One line per report: a changed report shows as one changed line.
        if (UPDATE) writeFileSync(file, `{\n${Object.entries(actual).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(",\n")}\n}\n`);
        expect(existsSync(file), `${file} missing: run with UPDATE_POLICY_GOLDEN=1 on main`).toBe(true);
        const golden = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
        expect(Object.keys(actual).sort()).toEqual(Object.keys(golden).sort());
        for (const key of Object.keys(golden)) expect(actual[key], `${scenarioName} ${instant.id} ${key}`).toEqual(golden[key]);
      }, 60_000);
    }
  }
});

describe("without policies, resolution adds no request", () => {
  it("quiet-hours, autostop and ttl-monitor read no groups and no owner schedules (prune reads owners' schedules for its own windows, as before)", async () => {
    const at = "2026-01-05T19:30:00Z";
    const sim = await startSim({ ...(await SCENARIOS["demo"]!()), clock: at }, { frozenClock: true });
    sims.push(sim);
    const dir = scratchDir("policy-regression-");
    const config = writeConfig(dir, CONFIGS["shipped"]);
    for (const args of [["quiet-hours", "--categorize", "--json"], ["autostop", "--json"], ["ttl-monitor", "--all", "--json"]]) {
      await sim.resetStats();
      const r = await runInProcess(["--url", sim.url, "--config", config, "--now", at, ...args], { cwd: dir, env: { CODER_SESSION_TOKEN: sim.ownerToken }, clockIso: at });
      expect(r.code, r.stderr).toBe(0);
      const paths = Object.keys((await sim.stats()).requests);
      expect(paths.filter((p) => p.includes("/groups") || p.includes("/quiet-hours")), args.join(" ")).toEqual([]);
    }
  });
});

