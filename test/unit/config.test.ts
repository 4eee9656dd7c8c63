import { describe, expect, it } from "vitest";
import { configCandidates, deepMerge, loadConfig, unknownKeys } from "../../src/config/load.js";
import { ConfigError } from "../../src/errors.js";

const files = (map: Record<string, string>) => (p: string) => map[p] ?? null;
const base = { env: {}, cwd: "/work", readFile: files({}) };

describe("config search order", () => {
  it("prefers --config, then CODER_AGENTS_CONFIG, then ./agents_config.json, then XDG", () => {
    expect(configCandidates({ ...base, flagPath: "/a.json", env: { CODER_AGENTS_CONFIG: "/b.json" } })).toEqual([
      { path: "/a.json", explicit: true, source: "--config" },
    ]);
    expect(configCandidates({ ...base, env: { CODER_AGENTS_CONFIG: "/b.json" } })).toEqual([{ path: "/b.json", explicit: true, source: "CODER_AGENTS_CONFIG" }]);
    expect(configCandidates({ ...base, env: { XDG_CONFIG_HOME: "/x" } }).map((c) => c.path)).toEqual([
      "/work/agents_config.json",
      "/x/coder-agents/agents_config.json",
    ]);
  });

  it("uses defaults when no file exists and reads the XDG file when ./ has none", () => {
    const none = loadConfig(base);
    expect(none.path).toBeNull();
    expect(none.config.quiet_hours.start_time).toBe("18:00");
    const xdg = loadConfig({
      ...base,
      env: { XDG_CONFIG_HOME: "/x" },
      readFile: files({ "/x/coder-agents/agents_config.json": '{"quiet_hours":{"timezone":"Europe/London"}}' }),
    });
    expect(xdg.path).toBe("/x/coder-agents/agents_config.json");
    expect(xdg.config.quiet_hours.timezone).toBe("Europe/London");
  });

  it("fails when an explicit file is missing", () => {
    expect(() => loadConfig({ ...base, flagPath: "/missing.json" })).toThrow(/missing.json: not found/);
  });
});

describe("merging", () => {
  it("deep-merges a partial section over the defaults (D11)", () => {
    const { config } = loadConfig({
      ...base,
      readFile: files({ "/work/agents_config.json": '{"quiet_hours":{"start_time":"19:00"}}' }),
    });
    expect(config.quiet_hours.start_time).toBe("19:00");
    expect(config.quiet_hours.end_time).toBe("08:00");
    expect(config.quiet_hours.grace_period_hours).toBe(1);
    expect(config.safety.max_stops_per_run).toBe(100);
  });

  it("replaces arrays instead of merging them", () => {
    expect(deepMerge({ a: [1, 2], b: { c: 1 } }, { a: [3] })).toEqual({ a: [3], b: { c: 1 } });
  });

  it("applies the Python environment overrides, and DRY_RUN only when set (D10)", () => {
    const file = files({ "/work/agents_config.json": '{"dry_run": true}' });
    const kept = loadConfig({ ...base, readFile: file });
    expect(kept.config.dry_run).toBe(true);
    const env = { QUIET_HOURS_START: "20:30", QUIET_HOURS_END: "06:00", QUIET_HOURS_TIMEZONE: "America/Chicago", GRACE_PERIOD_HOURS: "0.5", DRY_RUN: "false" };
    const { config } = loadConfig({ ...base, env, readFile: file });
    expect(config.quiet_hours).toMatchObject({ start_time: "20:30", end_time: "06:00", timezone: "America/Chicago", grace_period_hours: 0.5 });
    expect(config.dry_run).toBe(false);
  });

  it("hashes the effective configuration", () => {
    const a = loadConfig(base).hash;
    const b = loadConfig({ ...base, env: { QUIET_HOURS_START: "20:00" } }).hash;
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(a).not.toBe(b);
  });
});

describe("validation", () => {
  const bad = (text: string, env: Record<string, string> = {}) => {
    try {
      loadConfig({ ...base, env, readFile: files({ "/work/agents_config.json": text }) });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error("expected a ConfigError");
  };

  it.each([
    ["{not json", /agents_config.json: invalid JSON/],
    ['{"quiet_hours":{"timezone":"Mars/Olympus"}}', /quiet_hours\.timezone: expected an IANA time zone.*Mars\/Olympus/],
    ['{"quiet_hours":{"start_time":"25:00"}}', /quiet_hours\.start_time: expected a time "HH:MM"/],
    ['{"quiet_hours":{"start_time":"6pm"}}', /quiet_hours\.start_time/],
    ['{"quiet_hours":{"grace_period_hours":-1}}', /quiet_hours\.grace_period_hours: expected hours >= 0 and <= 168 \(got -1\)/],
    ['{"quiet_hours":{"start_time":"08:00","end_time":"08:00"}}', /quiet_hours\.end_time: expected end_time to differ/],
    ['{"quiet_hours":{"enabled":"yes"}}', /quiet_hours\.enabled: expected boolean, got string/],
    ['{"safety":{"max_stops_per_run":0}}', /safety\.max_stops_per_run/],
    ['{"quiet_hours":{"excluded_users":[42]}}', /quiet_hours\.excluded_users\[0\]/],
    ['{"prune_workspaces":{"default_quiet_hours_duration":24}}', /default_quiet_hours_duration: expected hours > 0 and < 24/],
    ['{"notifications":{"slack_webhook":"hooks.slack.com/services/T0/B0/x"}}', /notifications\.slack_webhook: expected an http\(s\) incoming-webhook URL/],
    ['{"notifications":{"teams_webhook":"ftp://example.com/hook"}}', /notifications\.teams_webhook: expected an http\(s\) incoming-webhook URL/],
    ["[]", /expected a JSON object/],
    // a date Date.parse accepts but the expiry check cannot read would never expire
    ['{"quiet_hours":{"excluded_users":[{"name":"bob","expires":"2026/12/31"}]}}', /excluded_users\[0\]\.expires: expected an ISO date/],
    // a bare workspace name can never match an owner/name
    ['{"quiet_hours":{"excluded_workspaces":["dev"]}}', /quiet_hours\.excluded_workspaces\[0\]: expected "owner\/name"/],
    ['{"quiet_hours":{"excluded_workspaces":[{"name":"dev","reason":"demo"}]}}', /excluded_workspaces\[0\]\.name: expected "owner\/name"/],
  ])("rejects %s", (text, re) => {
    expect(bad(text)).toMatch(re);
  });

  it("never echoes a webhook URL (its path is the secret)", () => {
    expect(bad('{"notifications":{"slack_webhook":"hooks.example/T0/B0/s3cr3t"}}')).not.toContain("s3cr3t");
  });

  it("names the environment variable when an override is invalid", () => {
    expect(bad("{}", { QUIET_HOURS_TIMEZONE: "Nowhere/Land" })).toMatch(/environment QUIET_HOURS_TIMEZONE/);
    expect(bad("{}", { GRACE_PERIOD_HOURS: "abc" })).toMatch(/GRACE_PERIOD_HOURS/);
    expect(bad("{}", { DRY_RUN: "maybe" })).toMatch(/DRY_RUN/);
  });

  it("accepts exclusions with a reason and an expiry", () => {
    const { config } = loadConfig({
      ...base,
      readFile: files({
        "/work/agents_config.json": JSON.stringify({
          quiet_hours: {
            excluded_users: ["admin", { name: "bob", reason: "on call", expires: "2026-12-31" }],
            excluded_workspaces: ["alice/dev", { name: "bob/api", expires: "2026-12-31T18:00:00Z" }],
          },
        }),
      }),
    });
    expect(config.quiet_hours.excluded_users).toEqual(["admin", { name: "bob", reason: "on call", expires: "2026-12-31" }]);
    expect(config.quiet_hours.excluded_workspaces).toEqual(["alice/dev", { name: "bob/api", expires: "2026-12-31T18:00:00Z" }]);
  });
});

describe("unknown keys", () => {
  it("names the closest known key at every level, exclusion objects included", () => {
    const w = unknownKeys({
      quiet_hours: { start_tme: "18:00", excluded_users: ["x", { name: "bob", reasn: "on call" }] },
      dryrun: true,
      bogus: { x: 1 },
    });
    expect(w).toContain('unknown config key "quiet_hours.start_tme" (did you mean "quiet_hours.start_time"?)');
    expect(w).toContain('unknown config key "quiet_hours.excluded_users[1].reasn" (did you mean "quiet_hours.excluded_users[1].reason"?)');
    expect(w).toContain('unknown config key "dryrun" (did you mean "dry_run"?)');
    expect(w.find((s) => s.includes('"bogus"'))).toMatch(/^unknown config key "bogus" \(closest known key: "[a-z_]+"\)$/);
  });

  it("is a configuration error naming the file, the key and the closest known key", () => {
    const load = () => loadConfig({ ...base, readFile: files({ "/work/agents_config.json": '{"quiet_hour":{}}' }) });
    expect(load).toThrow(/^config file \/work\/agents_config.json: unknown config key "quiet_hour" \(did you mean "quiet_hours"\?\)/);
  });

  it("is a warning with allowUnknown, and unknown keys of exclusion objects are dropped", () => {
    const r = loadConfig({
      ...base,
      allowUnknown: true,
      readFile: files({ "/work/agents_config.json": '{"quiet_hour":{},"quiet_hours":{"excluded_users":[{"name":"bob","why":"x"}]}}' }),
    });
    expect(r.warnings[0]).toMatch(/^config file \/work\/agents_config.json: unknown config key "quiet_hour" \(did you mean "quiet_hours"\?\) is ignored/);
    expect(r.config.quiet_hours.excluded_users).toEqual([{ name: "bob" }]);
  });
});
