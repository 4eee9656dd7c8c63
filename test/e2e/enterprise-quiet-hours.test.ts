import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envelopeSchema } from "../../src/output/schema.js";
import { enterpriseQuietHoursDataSchema } from "../../src/output/schemas/enterprise-quiet-hours.js";
import { runCli } from "../support/cli.js";
import { startSim, type TestSim } from "../support/sim.js";

const docSchema = envelopeSchema.extend(enterpriseQuietHoursDataSchema.shape);

function scenario(licensed: boolean) {
  return {
    clock: "2026-01-05T19:30:00Z",
    deployment: { licensed, default_quiet_hours: "CRON_TZ=UTC 0 0 * * *", allow_user_custom: true },
    organizations: [{ name: "engineering" }],
    users: [
      { username: "admin", roles: ["owner"], token: "admin-token", email: "admin@example.com" },
      { username: "alice", roles: ["member"], token: "alice-token", quiet_hours: "CRON_TZ=Europe/London 0 18 * * *" },
      { username: "bob", roles: ["member"], token: "bob-token" },
    ],
    templates: [
      { name: "python-dev", organization: "engineering", autostop_requirement: { days_of_week: ["saturday" as const], weeks: 1 } },
      { name: "go-dev", organization: "engineering" },
    ],
  };
}

const NOW = "2026-01-05T19:30:00Z";

describe("enterprise-quiet-hours (licensed)", () => {
  let sim: TestSim;
  beforeAll(async () => {
    sim = await startSim(scenario(true));
  });
  afterAll(async () => sim.close());
  const run = (args: string[], token = "admin-token") =>
    runCli(["enterprise-quiet-hours", "--url", sim.url, "--now", NOW, ...args], { env: { CODER_SESSION_TOKEN: token } });

  it("owner: policy, licence, templates and the own schedule; only the quiet-hours config in JSON (D35)", async () => {
    const r = await run(["--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = docSchema.parse(r.json());
    expect(doc.enterprise_config).toEqual({ user_quiet_hours_schedule: { default_schedule: "CRON_TZ=UTC 0 0 * * *", allow_user_custom: true } });
    expect(r.stdout).not.toContain("rate_limit");
    expect(r.stdout).not.toContain("access_url");
    expect(doc.licensing).toMatchObject({ status: "ok", has_license: true, usable: true, advanced_template_scheduling: { entitlement: "entitled", enabled: true } });
    expect(doc.templates.items.map((t) => [t.name, t.autostop_requirement])).toEqual([["python-dev", { days_of_week: ["saturday"], weeks: 1 }]]);
    expect(doc.user).toMatchObject({ username: "admin", status: "ok", raw_schedule: "CRON_TZ=UTC 0 0 * * *", user_set: false, next: "2026-01-06T00:00:00.000Z", seconds_until_next: 4.5 * 3600 });
  });

  it("--user shows that user's schedule with next and time until next", async () => {
    const r = await run(["--user", "alice"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("USER QUIET HOURS SCHEDULE: alice");
    expect(r.stdout).toContain("Raw Schedule: CRON_TZ=Europe/London 0 18 * * *");
    expect(r.stdout).toContain("Next: 2026-01-06 18:00 GMT");
    expect(r.stdout).toContain("Time Until Next: 22h 30m");
    expect(r.stdout).toContain("Default Schedule: CRON_TZ=UTC 0 0 * * *");
    expect(r.stdout).not.toContain("Not set");
  });

  it("--user with an unknown name is a usage error", async () => {
    const r = await run(["--user", "nobody"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no such user");
  });

  it("--all-users: a table of every user's schedule", async () => {
    const r = await run(["--all-users", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = docSchema.parse(r.json());
    expect(doc.users?.map((u) => [u.username, u.timezone, u.user_set])).toEqual([
      ["admin", "UTC", false],
      ["alice", "Europe/London", true],
      ["bob", "UTC", false],
    ]);
  });

  it("member: the deployment policy says it needs the owner role, not 'Not set'; own schedule shown; exit 0", async () => {
    const r = await run([], "alice-token");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("not available: requires the owner role");
    expect(r.stdout).not.toContain("Not set");
    expect(r.stdout).toContain("Raw Schedule: CRON_TZ=Europe/London 0 18 * * *");
  });

  it("member asking for another user's schedule: exit 4 with the reason", async () => {
    const r = await run(["--user", "bob", "--json"], "alice-token");
    expect(r.code).toBe(4);
    const doc = docSchema.parse(r.json());
    expect(doc.user.status).toBe("forbidden");
    expect(doc.user.message).toMatch(/requires the owner or user-admin role/);
    expect(doc.enterprise_config).toBeNull();
  });

  it("member --all-users: exit 4", async () => {
    const r = await run(["--all-users"], "alice-token");
    expect(r.code).toBe(4);
    expect(r.stdout).toContain("no other user's quiet hours are readable");
  });

  it("a bad token is exit 4", async () => {
    const r = await run([], "wrong-token");
    expect(r.code).toBe(4);
  });
});

describe("enterprise-quiet-hours (unlicensed)", () => {
  let sim: TestSim;
  beforeAll(async () => {
    sim = await startSim(scenario(false));
  });
  afterAll(async () => sim.close());

  it("says 'not licensed' for the schedule and licence, exit 0; --all-users makes no per-user calls", async () => {
    const r = await runCli(["enterprise-quiet-hours", "--url", sim.url, "--now", NOW], { env: { CODER_SESSION_TOKEN: "admin-token" } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("not licensed: advanced template scheduling is an Enterprise feature");
    expect(r.stdout).toContain("Licensed: No");
    expect(r.stdout).not.toContain("Not set");
    await sim.resetStats();
    const j = await runCli(["enterprise-quiet-hours", "--url", sim.url, "--now", NOW, "--all-users", "--json"], { env: { CODER_SESSION_TOKEN: "admin-token" } });
    expect(j.code, j.stderr).toBe(0);
    const doc = docSchema.parse(j.json());
    expect(doc.licensing.usable).toBe(false);
    expect(doc.user.status).toBe("not_licensed");
    expect(doc.user_quiet_hours).toBeNull();
    expect(doc.users?.every((u) => u.status === "not_licensed")).toBe(true);
    const stats = await sim.stats();
    expect(stats.requests["GET /api/v2/users/{user}/quiet-hours"] ?? 0).toBe(0);
  });
});
