import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateEntities } from "../../src/sim/generate.js";
import { parseScenario } from "../../src/sim/scenario.js";
import { buildStore } from "../../src/sim/store.js";
import { SimClock } from "../../src/sim/time.js";
import { latestBuild, workspaceStatus } from "../../src/sim/model.js";
import { type TestSim, startSim } from "../support/sim.js";

const CLOCK = Date.parse("2026-01-05T19:30:00Z");
const BIG = {
  clock: "2026-01-05T19:30:00Z",
  generate: { workspaces: 10_000, users: 2_000, groups: 50, organizations: 5, templates: 40, seed: 42, running: 6_000 },
};

describe("generate", () => {
  it("is deterministic for a seed and differs across seeds", () => {
    const s = parseScenario({ generate: { workspaces: 200, users: 50, groups: 5, organizations: 2, templates: 6, seed: 9 } });
    const a = generateEntities(s, s.generate ?? { workspaces: 0, users: 0, groups: 0, organizations: 0, templates: 0, seed: 1 });
    const b = generateEntities(s, s.generate ?? { workspaces: 0, users: 0, groups: 0, organizations: 0, templates: 0, seed: 1 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const s2 = parseScenario({ generate: { workspaces: 200, users: 50, groups: 5, organizations: 2, templates: 6, seed: 10 } });
    const c = generateEntities(s2, s2.generate ?? { workspaces: 0, users: 0, groups: 0, organizations: 0, templates: 0, seed: 1 });
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });

  it("a scenario that only asks for workspaces gets an owner and a template to hang them on", () => {
    const store = buildStore(parseScenario({ clock: "2026-01-05T19:30:00Z", generate: { workspaces: 25, seed: 3 } }), new SimClock(CLOCK, true), 0, CLOCK);
    expect(store.workspaceById.size).toBe(25);
    expect(store.templates.length).toBe(1);
    expect(store.users.some((u) => u.roles.includes("owner"))).toBe(true);
  });

  it("builds 10k workspaces / 2k users / 50 groups / 5 orgs / 40 templates", () => {
    const t0 = performance.now();
    const store = buildStore(parseScenario(BIG), new SimClock(CLOCK, true), 0, CLOCK);
    const ms = performance.now() - t0;
    console.log(`generate 10k workspaces: ${ms.toFixed(0)} ms`);
    expect(store.workspaceById.size).toBe(10_000);
    expect(store.users.length).toBe(2_001); // + the default admin owner
    // 50 generated groups plus each organization's built-in "Everyone" group.
    expect(store.groups.length).toBe(50 + store.orgs.length);
    expect(store.orgs.length).toBe(5);
    expect(store.templates.length).toBe(40);
    const statuses = new Map<string, number>();
    for (const ws of store.workspaceById.values()) {
      const s = workspaceStatus(latestBuild(ws));
      statuses.set(s, (statuses.get(s) ?? 0) + 1);
    }
    expect(statuses.get("running")).toBe(6_000);
    expect(store.templates.some((t) => t.autostopDays.length > 0)).toBe(true);
    const zones = new Set(store.users.map((u) => u.quietHours?.split(" ")[0] ?? "default"));
    for (const z of ["CRON_TZ=Europe/London", "CRON_TZ=America/Chicago", "CRON_TZ=Asia/Kolkata", "CRON_TZ=Australia/Sydney", "CRON_TZ=UTC", "default"]) {
      expect(zones).toContain(z);
    }
    const group1 = store.groups.find((g) => g.name === "group-01");
    const runningOwners = new Set(
      [...store.workspaceById.values()].filter((w) => workspaceStatus(latestBuild(w)) === "running").map((w) => w.ownerId),
    );
    expect(group1?.memberIds.some((id) => runningOwners.has(id))).toBe(true);
    expect(store.groups.every((g) => g.memberIds.length > 0)).toBe(true);
  });
});

describe("serving a large deployment page by page", () => {
  let sim: TestSim;
  beforeAll(async () => {
    const t0 = performance.now();
    sim = await startSim(BIG, { frozenClock: true });
    console.log(`simulator with 10k workspaces ready in ${(performance.now() - t0).toFixed(0)} ms`);
  });
  afterAll(() => sim.close());

  it("pages through all 10k workspaces with limit=500, counts add up, no duplicates", async () => {
    const seen = new Set<string>();
    let count = -1;
    const t0 = performance.now();
    for (let offset = 0; ; offset += 500) {
      const res = await sim.api(`/api/v2/workspaces?limit=500&offset=${offset}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { workspaces: { id: string }[]; count: number };
      count = body.count;
      for (const w of body.workspaces) seen.add(w.id);
      if (body.workspaces.length < 500) break;
    }
    console.log(`listed 10k workspaces in 20 pages: ${(performance.now() - t0).toFixed(0)} ms`);
    expect(count).toBe(10_000);
    expect(seen.size).toBe(10_000);
    const running = (await (await sim.api("/api/v2/workspaces?q=status:running&limit=1")).json()) as { count: number };
    expect(running.count).toBe(6_000);
  });
});
