import { readFileSync } from "node:fs";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { ConfigError } from "../../src/errors.js";
import { isWorkingTime, policiesFromConfig, resolvePolicy } from "../../src/domain/policy/index.js";

const FIX = new URL("../fixtures/policy/", import.meta.url);
const HOLIDAYS = readFileSync(new URL("holidays.ics", FIX), "utf8");

const POLICY = {
  name: "emea",
  scope: { organizations: { include: ["engineering"] } },
  calendar: { timezone: "Europe/London", working_hours: { mon: ["08:00-18:00"], tue: ["08:00-18:00"], wed: ["08:00-18:00"], thu: ["08:00-18:00"], fri: ["08:00-16:00"] } },
  holidays: { dates: ["2026-12-24"], ranges: [{ from: "2026-12-29", to: "2026-12-30" }], ics_files: ["cal/holidays.ics"] },
  grace_period_minutes: 30,
  idle: { after_hours: 3, when: "outside_working_hours" },
  action: "warn",
  expires: "2027-06-30",
};

function load(policies: unknown[], opts: { files?: Record<string, string>; allowUnknown?: boolean; extra?: Record<string, unknown> } = {}) {
  const files: Record<string, string> = { "/etc/ca/agents_config.json": JSON.stringify({ policies, ...opts.extra }), "/etc/ca/cal/holidays.ics": HOLIDAYS, ...opts.files };
  return loadConfig({ flagPath: "/etc/ca/agents_config.json", env: {}, cwd: "/work", readFile: (p) => files[p] ?? null, allowUnknown: opts.allowUnknown });
}
const fails = (policies: unknown[], re: RegExp, opts: Parameters<typeof load>[1] = {}) => {
  let err: unknown;
  try {
    load(policies, opts);
  } catch (e) {
    err = e;
  }
  expect(err, "expected a configuration error").toBeInstanceOf(ConfigError);
  expect((err as ConfigError).exitCode).toBe(2);
  expect((err as Error).message).toMatch(re);
};

describe("policies in agents_config.json", () => {
  it("parses a full policy, reads its ICS file relative to the config file, and builds the domain policy", () => {
    const loaded = load([POLICY]);
    expect([...loaded.holidayCalendars.keys()]).toEqual(["cal/holidays.ics"]);
    const set = policiesFromConfig(loaded.config, loaded.holidayCalendars);
    const p = set.policies[0]!;
    expect(p).toMatchObject({ name: "emea", level: "organization", graceSeconds: 1800, idle: { afterHours: 3, when: "outside_working_hours" }, action: "warn", expires: "2027-06-30" });
    expect(p.calendar.kind).toBe("working_hours");
    // Friday 16:00 is the end of the week; Christmas (ICS) and Christmas Eve (dates) are holidays.
    expect(isWorkingTime(p, DateTime.fromISO("2026-12-04T16:30:00Z"))).toBe(false);
    expect(isWorkingTime(p, DateTime.fromISO("2026-12-03T16:30:00Z"))).toBe(true);
    expect(isWorkingTime(p, DateTime.fromISO("2026-12-24T12:00:00Z"))).toBe(false);
    expect(isWorkingTime(p, DateTime.fromISO("2026-12-22T12:00:00Z"))).toBe(true);
    expect(set.implicitDefault).toMatchObject({ name: "quiet_hours", implicit: true, action: "stop", level: "default" });
  });

  it("without policies everything resolves to the quiet_hours section", () => {
    const loaded = loadConfig({ env: {}, cwd: "/work", readFile: () => null });
    expect(loaded.config.policies).toEqual([]);
    const set = policiesFromConfig(loaded.config, loaded.holidayCalendars);
    const subject = { user: { id: "u", names: ["alice"] }, template: { id: "t", names: ["x"] }, organization: { id: "o", names: ["y"] }, groups: [] };
    const r = resolvePolicy(set, subject, DateTime.fromISO("2026-12-03T12:00:00Z"));
    expect(r.policy.calendar).toEqual({ kind: "quiet_window", window: { enabled: true, start: "18:00", end: "08:00", zone: "UTC", graceSeconds: 3600, days: null } });
    expect(r.policy.exclusions).toEqual({ excluded_users: [], excluded_templates: [], excluded_workspaces: [] });
  });

  it("the ICS file's content is part of the configuration hash", () => {
    const a = load([POLICY]).hash;
    const b = load([POLICY], { files: { "/etc/ca/cal/holidays.ics": HOLIDAYS.replace("20261225", "20261226") } }).hash;
    expect(a).not.toBe(b);
  });

  it("owner_quiet_hours calendars take prune's default duration unless they set one", () => {
    const own = { ...POLICY, calendar: { owner_quiet_hours: true }, holidays: undefined };
    const set = policiesFromConfig(load([own]).config, new Map());
    expect(set.policies[0]!.calendar).toEqual({ kind: "owner_quiet_hours", durationHours: 8 });
    const set2 = policiesFromConfig(load([{ ...own, calendar: { owner_quiet_hours: true, duration_hours: 10 } }]).config, new Map());
    expect(set2.policies[0]!.calendar).toEqual({ kind: "owner_quiet_hours", durationHours: 10 });
  });

  it.each([
    ["duplicate names", [POLICY, { ...POLICY, name: "EMEA" }], /policies\[1\]\.name: expected a unique policy name; "EMEA" is also policies\[0\]/],
    ["the reserved name", [{ ...POLICY, name: "quiet_hours" }], /policies\[0\]\.name: .*default policy made from the quiet_hours section/],
    ["an unknown zone", [{ ...POLICY, calendar: { timezone: "Mars/Olympus", working_hours: {} } }], /policies\[0\]\.calendar\.timezone: expected an IANA time zone/],
    ["a range without leading zero", [{ ...POLICY, calendar: { timezone: "UTC", working_hours: { mon: ["8:00-18:00"] } } }], /working_hours\.mon\[0\]: expected a time range "HH:MM-HH:MM"/],
    ["a zero-length range", [{ ...POLICY, calendar: { timezone: "UTC", working_hours: { mon: ["18:00-18:00"] } } }], /expected the end to differ from the start/],
    ["a range starting at 24:00", [{ ...POLICY, calendar: { timezone: "UTC", working_hours: { mon: ["24:00-06:00"] } } }], /expected a time range/],
    ["a calendar without working_hours", [{ ...POLICY, calendar: { timezone: "UTC" } }], /calendar\.working_hours: expected working_hours per weekday/],
    ["both calendar kinds", [{ ...POLICY, calendar: { owner_quiet_hours: true, timezone: "UTC" } }], /calendar\.timezone: expected either owner_quiet_hours: true or timezone \+ working_hours/],
    ["an impossible holiday date", [{ ...POLICY, holidays: { dates: ["2026-02-30"] } }], /holidays\.dates\[0\]: expected a real calendar date/],
    ["a reversed holiday range", [{ ...POLICY, holidays: { ranges: [{ from: "2026-12-31", to: "2026-12-01" }] } }], /holidays\.ranges\[0\]: expected from <= to/],
    ["an unknown action", [{ ...POLICY, action: "delete" }], /policies\[0\]\.action: expected an action: "stop", "warn" or "report"/],
    ["a non-ISO expiry", [{ ...POLICY, expires: "next tuesday" }], /policies\[0\]\.expires: expected an ISO date/],
    ["a zero idle threshold", [{ ...POLICY, idle: { after_hours: 0 } }], /idle\.after_hours: expected hours > 0/],
    ["an unknown idle condition", [{ ...POLICY, idle: { after_hours: 2, when: "sometimes" } }], /idle\.when/],
  ] as const)("refuses %s (exit 2, names the key)", (_label, policies, re) => fails([...policies], re));

  it("unknown keys inside a policy are exit 2 with the closest known key, or ignored with --allow-unknown-config", () => {
    fails([{ ...POLICY, calender: POLICY.calendar }], /unknown config key "policies\[0\]\.calender" \(did you mean "policies\[0\]\.calendar"\?\)/);
    fails([{ ...POLICY, holidays: { ranges: [{ from: "2026-12-01", too: "2026-12-02" }] } }], /unknown config key "policies\[0\]\.holidays\.ranges\[0\]\.too"/);
    fails([{ ...POLICY, scope: { users: { includes: ["alice"] } } }], /unknown config key "policies\[0\]\.scope\.users\.includes"/);
    const loaded = load([{ ...POLICY, colour: "blue" }], { allowUnknown: true });
    expect(loaded.warnings.join("\n")).toMatch(/policies\[0\]\.colour" .*ignored/);
    expect(loaded.config.policies[0]).not.toHaveProperty("colour");
  });

  it("an ICS file that is missing or not a calendar is exit 2 naming the key and the full path", () => {
    fails([{ ...POLICY, holidays: { ics_files: ["nope.ics"] } }], /config file \/etc\/ca\/agents_config\.json: policies\[0\]\.holidays\.ics_files\[0\]: ICS file \/etc\/ca\/nope\.ics not found/);
    fails([{ ...POLICY, holidays: { ics_files: ["/abs/broken.ics"] } }], /ics_files\[0\]: ICS file \/abs\/broken\.ics is not a valid iCalendar file/, {
      files: { "/abs/broken.ics": "this is not a calendar\n" },
    });
  });
});
