import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ScenarioError, loadScenario, parseScenario } from "../../src/sim/scenario.js";
import { buildStore } from "../../src/sim/store.js";
import { SimClock, parseOffset, resolveTime } from "../../src/sim/time.js";
import { latestBuild, workspaceStatus } from "../../src/sim/model.js";
import { autostopMaxDeadline, nextDaily, parseDaily } from "../../src/sim/schedule.js";
import { miniScenario } from "../support/sim.js";

const CLOCK = Date.parse("2026-01-05T19:30:00Z");

describe("relative times", () => {
  it("parses offsets", () => {
    expect(parseOffset("+2h")).toBe(7_200_000);
    expect(parseOffset("-10m")).toBe(-600_000);
    expect(parseOffset("-1d")).toBe(-86_400_000);
    expect(parseOffset("-90s")).toBe(-90_000);
    expect(parseOffset("-1d2h")).toBe(-(86_400_000 + 7_200_000));
    expect(parseOffset("2h")).toBeNull();
    expect(parseOffset("soon")).toBeNull();
  });
  it("resolves ISO and offsets against the clock", () => {
    expect(resolveTime("-3h", CLOCK)).toBe(Date.parse("2026-01-05T16:30:00Z"));
    expect(resolveTime("2026-01-01T00:00:00Z", CLOCK)).toBe(Date.parse("2026-01-01T00:00:00Z"));
  });
});

describe("scenario parsing", () => {
  it("fills defaults", () => {
    const s = parseScenario({});
    expect(s.deployment.licensed).toBe(true);
    expect(s.deployment.default_quiet_hours).toBe("CRON_TZ=UTC 0 0 * * *");
    expect(s.deployment.rate_limit_per_minute).toBe(512);
    expect(s.clock).toBeUndefined();
  });

  it("rejects unknown keys naming the key path", () => {
    expect(() => parseScenario({ deployment: { licenced: true } })).toThrow(/scenario\.deployment\.licenced: unknown key "licenced"/);
    expect(() =>
      parseScenario({ users: [{ username: "a" }, { username: "b", quiet_hour: "x" }] }),
    ).toThrow(/scenario\.users\[1\]\.quiet_hour: unknown key/);
    expect(() => parseScenario({ colour: "blue" })).toThrow(/scenario\.colour: unknown key "colour"/);
  });

  it("rejects bad times and statuses with the path", () => {
    expect(() => parseScenario({ clock: "tomorrow" })).toThrow(/scenario\.clock: expected an ISO instant/);
    expect(() =>
      parseScenario({ workspaces: [{ name: "x", owner: "a", template: "t", status: "exploded" }] }),
    ).toThrow(/scenario\.workspaces\[0\]\.status/);
  });

  it("reports unknown references when building", () => {
    const s = parseScenario(miniScenario({ workspaces: [{ name: "w", owner: "nobody", template: "python-dev" }] }));
    expect(() => buildStore(s, new SimClock(CLOCK, true), 0, CLOCK)).toThrow(/scenario\.workspaces\[0\]\.owner: unknown user "nobody"/);
    const s2 = parseScenario(miniScenario({ groups: [{ name: "g", organization: "engineering", members: ["ghost"] }] }));
    expect(() => buildStore(s2, new SimClock(CLOCK, true), 0, CLOCK)).toThrow(ScenarioError);
  });

  it("adds an admin owner when none exists, and defaults users to the deployment quiet hours", () => {
    const s = parseScenario({ users: [{ username: "carol" }] });
    const store = buildStore(s, new SimClock(CLOCK, true), 0, CLOCK);
    const admin = store.findUser("admin");
    expect(admin?.roles).toContain("owner");
    expect(admin?.token).toBe("admin-token");
    const carol = store.findUser("carol");
    expect(carol && store.quietHoursOf(carol)).toEqual({ raw: "CRON_TZ=UTC 0 0 * * *", userSet: false });
    expect(carol?.token).toBe("carol-token");
    expect(store.orgs.map((o) => o.name)).toEqual(["coder"]);
  });

  it("turns statuses into builds (transition + job status) with times from the clock", () => {
    const statuses = ["running", "stopped", "starting", "stopping", "pending", "failed", "canceled", "canceling", "deleting", "deleted"] as const;
    const s = parseScenario(
      miniScenario({
        workspaces: statuses.map((status, i) => ({ name: `w${i}`, owner: "alice", template: "python-dev", status, started_at: "-2h" })),
      }),
    );
    const store = buildStore(s, new SimClock(CLOCK, true), 0, CLOCK);
    const got = [...store.workspaceById.values()].map((w) => {
      const b = latestBuild(w);
      return [workspaceStatus(b), b.transition, b.jobStatus];
    });
    expect(got).toEqual([
      ["running", "start", "succeeded"],
      ["stopped", "stop", "succeeded"],
      ["starting", "start", "running"],
      ["stopping", "stop", "running"],
      ["pending", "start", "pending"],
      ["failed", "start", "failed"],
      ["canceled", "start", "canceled"],
      ["canceling", "start", "canceling"],
      ["deleting", "delete", "running"],
      ["deleted", "delete", "succeeded"],
    ]);
    const running = [...store.workspaceById.values()][0];
    const b = running && latestBuild(running);
    expect(b?.createdAt).toBe(CLOCK - 7_200_000);
    // ttl_ms defaults to the template's default TTL; deadline = start + ttl.
    expect(running?.ttlMs).toBe(8 * 3_600_000);
    expect(b?.deadline).toBe(CLOCK - 7_200_000 + 8 * 3_600_000);
    expect(store.listedWorkspaces()).toHaveLength(9);
  });

  it("loads the shipped demo and files; a bad file is a ScenarioError", async () => {
    const demo = await loadScenario("demo");
    expect(demo.clock).toBe("2026-01-05T19:30:00Z");
    const dir = await mkdtemp(join(tmpdir(), "sim-"));
    const bad = join(dir, "bad.json");
    await writeFile(bad, "{ not json");
    await expect(loadScenario(bad)).rejects.toThrow(ScenarioError);
    await expect(loadScenario(join(dir, "missing.json"))).rejects.toThrow(/cannot read scenario/);
  });
});

describe("schedules", () => {
  it("computes the next quiet-hours start in the schedule's zone", () => {
    const q = parseDaily("CRON_TZ=Europe/London 0 18 * * *");
    expect(new Date(nextDaily(q, CLOCK)).toISOString()).toBe("2026-01-06T18:00:00.000Z");
    const summer = Date.parse("2026-07-01T12:00:00Z");
    expect(new Date(nextDaily(q, summer)).toISOString()).toBe("2026-07-01T17:00:00.000Z");
  });

  it("computes max_deadline like Coder's autostop requirement (Sydney table case 7)", () => {
    const q = parseDaily("CRON_TZ=Australia/Sydney 0 0 * * *");
    const got = autostopMaxDeadline(Date.parse("2023-02-08T00:00:00Z"), ["saturday"], 1, q);
    expect(got && new Date(got).toISOString()).toBe("2023-02-10T13:00:00.000Z");
    const skip = autostopMaxDeadline(Date.parse("2023-02-10T12:01:00Z"), ["saturday"], 1, q);
    expect(skip && new Date(skip).toISOString()).toBe("2023-02-17T13:00:00.000Z");
    const fortnight = autostopMaxDeadline(Date.parse("2023-02-08T00:00:00Z"), ["saturday"], 2, q);
    expect(fortnight && new Date(fortnight).toISOString()).toBe("2023-02-17T13:00:00.000Z");
  });

  it("the demo's model-training max_deadline matches the computed one", () => {
    const q = parseDaily("CRON_TZ=Asia/Kolkata 0 23 * * *");
    const got = autostopMaxDeadline(CLOCK - 3 * 3_600_000, ["monday", "tuesday", "wednesday", "thursday", "friday"], 1, q);
    expect(got && new Date(got).toISOString()).toBe("2026-01-06T17:30:00.000Z");
  });
});
