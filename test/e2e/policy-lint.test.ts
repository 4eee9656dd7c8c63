/**
 * `policy lint` against the demo deployment: a clean set of policies has no findings, and each
 * listed conflict, added on its own, produces its finding (code, rule, severity, policies), with
 * the exit codes of the gate.
 */
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentSchema } from "../../src/output/schema.js";
import { runCli, scratchDir, writeConfig } from "../support/cli.js";
import { startSim, type TestSim } from "../support/sim.js";

const NOW = "2026-01-05T19:30:00Z";
const WEEKDAYS = (range: string) => ({ mon: [range], tue: [range], wed: [range], thu: [range], fri: [range] });
const ALL_DAY = { ...WEEKDAYS("00:00-24:00"), sat: ["00:00-24:00"], sun: ["00:00-24:00"] };

/** Every demo workspace is in one of these organizations: each is decided by exactly one policy. */
const BASE = [
  { name: "eng", scope: { organizations: { include: ["engineering"] } }, calendar: { timezone: "Europe/London", working_hours: WEEKDAYS("08:00-18:00") }, holidays: { dates: ["2026-12-25"] }, idle: { after_hours: 2 }, action: "stop" },
  { name: "research", scope: { organizations: { include: ["research"] } }, calendar: { timezone: "Asia/Kolkata", working_hours: WEEKDAYS("09:00-18:00") }, action: "warn" },
  { name: "platform", scope: { organizations: { include: ["platform"] } }, calendar: { timezone: "America/Chicago", working_hours: WEEKDAYS("09:00-17:00") }, action: "report" },
];

interface Finding {
  code: string;
  rule: string;
  severity: string;
  policies: string[];
  message: string;
  workspaces: string[];
}

let sim: TestSim;
let dir: string;

beforeAll(async () => {
  sim = await startSim("demo", { frozenClock: true });
  dir = scratchDir();
  copyFileSync(join(import.meta.dirname, "../fixtures/policy/past.ics"), join(dir, "past.ics"));
});
afterAll(async () => {
  await sim?.close();
});

async function lint(policies: unknown[], args: string[] = []) {
  const cfg = writeConfig(dir, { quiet_hours: { timezone: "Europe/London" }, policies }, `cfg-${Math.random().toString(36).slice(2)}.json`);
  const r = await runCli(["--config", cfg, "--now", NOW, "policy", "lint", "--json", ...args], { env: sim.env() });
  if (r.code === 2) return { code: r.code, stderr: r.stderr, findings: [] as Finding[], doc: null };
  const doc = r.json<{ findings: Finding[]; policies: { name: string; matched: number; decided: number }[]; summary: Record<string, number> }>();
  expect(documentSchema("policy lint").safeParse(doc).success).toBe(true);
  return { code: r.code, stderr: r.stderr, findings: doc.findings, doc };
}
const codes = (fs: Finding[]) => fs.map((f) => f.code);
const only = (fs: Finding[], code: string) => fs.filter((f) => f.code === code);

describe("policy lint", () => {
  it("a clean set of policies: no findings, exit 0; each policy's reach is listed", async () => {
    const r = await lint(BASE, ["--fail-on", "warnings"]);
    expect(r.findings).toEqual([]);
    expect(r.code).toBe(0);
    const eng = r.doc!.policies.find((p) => p.name === "eng")!;
    expect(eng.matched).toBeGreaterThan(0);
    expect(eng.decided).toBe(eng.matched);
    expect(r.doc!.policies.find((p) => p.name === "quiet_hours")!.decided).toBe(0);
  });

  it("overlapping scopes with conflicting calendars (PL003)", async () => {
    const r = await lint([...BASE, { name: "devs", scope: { groups: { include: ["developers"] } }, calendar: { timezone: "America/Chicago", working_hours: WEEKDAYS("09:00-17:00") }, action: "stop" }]);
    const [f] = only(r.findings, "PL003");
    expect(f).toMatchObject({ rule: "overlap-conflicting-calendars", severity: "warning", policies: ["devs", "eng"] });
    expect(f!.workspaces).toContain("alice/python-api");
    expect(r.code).toBe(0); // warnings only
    // The same overlap with the same calendar is no conflict.
    const same = await lint([...BASE, { name: "devs", scope: { groups: { include: ["developers"] } }, calendar: BASE[0]!.calendar, holidays: BASE[0]!.holidays, action: "stop" }]);
    expect(codes(same.findings)).not.toContain("PL003");
  });

  it("a tie visible in the file (PL001) and one only the deployment shows (PL002) are errors: exit 6", async () => {
    const stat = await lint([...BASE, { ...BASE[0]!, name: "eng-copy" }]);
    expect(only(stat.findings, "PL001")[0]).toMatchObject({ severity: "error", policies: ["eng", "eng-copy"] });
    expect(stat.code).toBe(6);
    const live = await lint([
      ...BASE,
      { name: "devs", scope: { groups: { include: ["developers"] } }, calendar: BASE[0]!.calendar, action: "stop" },
      { name: "ds", scope: { groups: { include: ["data-science"] } }, calendar: BASE[0]!.calendar, action: "stop" },
    ]);
    const [f] = only(live.findings, "PL002");
    expect(f).toMatchObject({ rule: "live-tie", severity: "error", policies: ["devs", "ds"] });
    expect(f!.workspaces.every((w) => w.startsWith("mei/"))).toBe(true); // mei is in both groups
    expect(live.code).toBe(6);
  });

  it("a policy that matches nobody (PL005) and a scope value that names nothing (PL006)", async () => {
    const r = await lint([...BASE, { name: "ghost", scope: { users: { include: ["nobody-here"] } }, calendar: BASE[0]!.calendar, action: "stop" }, { name: "typo", scope: { templates: { include: ["pyhton-dev"] } }, calendar: BASE[0]!.calendar, action: "stop" }]);
    expect(only(r.findings, "PL005").map((f) => f.policies[0]).sort()).toEqual(["ghost", "typo"]);
    const [u] = only(r.findings, "PL006");
    expect(u).toMatchObject({ policies: ["typo"], severity: "warning" });
    expect(u!.message).toMatch(/scope\.templates names "pyhton-dev"/);
  });

  it("a policy always beaten by more specific ones (PL004), which also replaces the quiet_hours section (PL013, info)", async () => {
    const r = await lint([...BASE, { name: "company", scope: {}, calendar: BASE[0]!.calendar, action: "stop" }]);
    expect(only(r.findings, "PL004")[0]).toMatchObject({ policies: ["company"], severity: "warning" });
    expect(only(r.findings, "PL013")[0]).toMatchObject({ severity: "info", policies: ["company", "quiet_hours"] });
  });

  it("holidays in the past: dates, ranges and ICS files (PL007)", async () => {
    const r = await lint([{ ...BASE[0]!, holidays: { dates: ["2025-12-25", "2026-12-25"], ranges: [{ from: "2025-12-29", to: "2025-12-31" }], ics_files: ["past.ics"] } }, BASE[1]!, BASE[2]!]);
    const [f] = only(r.findings, "PL007");
    expect(f!.policies).toEqual(["eng"]);
    expect(f!.message).toContain("2025-12-25, 2025-12-29..2025-12-31, past.ics (last holiday 2025-05-05)");
    expect(f!.message).not.toContain("2026-12-25");
  });

  it("an idle rule shorter than the template's activity bump (PL008)", async () => {
    const r = await lint([{ ...BASE[0]!, idle: { after_hours: 0.5 } }, BASE[1]!, BASE[2]!]);
    const found = only(r.findings, "PL008");
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]!.message).toMatch(/idle after 30m is shorter than template "python-dev"'s activity bump \(1h\)/);
  });

  it("windows that never open (PL009: no working hours; holidays over every working day) and never close (PL010)", async () => {
    const r = await lint([
      ...BASE,
      { name: "closed", scope: { users: { include: ["alice"] } }, calendar: { timezone: "UTC", working_hours: {} }, action: "stop" },
      { name: "holidayed", scope: { users: { include: ["bob"] } }, calendar: { timezone: "UTC", working_hours: WEEKDAYS("09:00-17:00") }, holidays: { ranges: [{ from: "2026-01-01", to: "2026-01-31" }] }, action: "stop" },
      { name: "open", scope: { users: { include: ["dana"] } }, calendar: { timezone: "UTC", working_hours: ALL_DAY }, action: "stop" },
    ]);
    const never = only(r.findings, "PL009");
    expect(never.map((f) => f.policies[0])).toEqual(["closed", "holidayed"]);
    expect(never[0]!.message).toMatch(/no working hours on any day/);
    expect(never[1]!.message).toMatch(/holidays cover every working day/);
    expect(only(r.findings, "PL010")[0]).toMatchObject({ policies: ["open"], severity: "warning" });
    expect(r.code).toBe(6);
  });

  it("an expired policy (PL011); the gate: warnings exit 0, or 6 with --fail-on warnings", async () => {
    const policies = [...BASE, { name: "old", scope: { users: { include: ["dana"] } }, calendar: BASE[0]!.calendar, action: "stop", expires: "2025-12-31" }];
    const r = await lint(policies);
    expect(codes(r.findings)).toEqual(["PL011"]);
    expect(r.code).toBe(0);
    expect((await lint(policies, ["--fail-on", "warnings"])).code).toBe(6);
  });

  it("a human report names each finding; a configuration error stays exit 2", async () => {
    const cfg = writeConfig(dir, { policies: [...BASE, { name: "ghost", scope: { users: { include: ["nobody-here"] } }, calendar: BASE[0]!.calendar, action: "stop" }] }, "human.json");
    const r = await runCli(["--config", cfg, "--now", NOW, "-o", "wide", "policy", "lint"], { env: sim.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/PL005 .*warning .*matches-nobody .*ghost .*policy "ghost" takes no workspace/);
    expect(r.stdout).toContain("0 errors, 1 warning, 0 infos");
    // config validate refuses a tie the file shows, naming both policies.
    const tie = writeConfig(dir, { policies: [...BASE, { ...BASE[0]!, name: "eng-copy" }] }, "tie.json");
    const v = await runCli(["--config", tie, "--now", NOW, "config", "validate"], { env: sim.env() });
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/policies "eng" and "eng-copy" both apply \(both include organizations engineering\) at the organization level/);
    expect((await runCli(["--config", cfg, "--now", NOW, "config", "validate"], { env: sim.env() })).code).toBe(0);
    const bad = await lint([{ ...BASE[0]!, calender: {} }]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown config key "policies\[0\]\.calender"/);
  });
});
