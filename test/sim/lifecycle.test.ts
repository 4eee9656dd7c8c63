/**
 * State that moves: Coder's list order, realistic object bulk, the lifecycle executor (a tick per
 * simulated minute) and churn. Every test fixes the simulated clock.
 */
import { describe, expect, it } from "vitest";
import { type TestSim, miniScenario, startSim } from "../support/sim.js";

const json = async <T>(res: Response) => (await res.json()) as T;
interface Ws {
  id: string;
  name: string;
  owner_name: string;
  favorite: boolean;
  dormant_at: string | null;
  deleting_at: string | null;
  latest_build: { status: string; transition: string; reason: string; deadline: string | null; resources: { type: string; agents: { apps: unknown[]; scripts: unknown[]; log_sources: unknown[] }[] }[] };
}
const H = 3_600_000;

async function withSim(extra: Parameters<typeof miniScenario>[0], fn: (sim: TestSim) => Promise<void>, opts = {}) {
  const sim = await startSim(miniScenario(extra), { frozenClock: true, buildDelayMs: 0, ...opts });
  try {
    await fn(sim);
  } finally {
    await sim.close();
  }
}
const control = async (sim: TestSim, path: string, body: unknown) =>
  json<Record<string, unknown>>(await fetch(`${sim.url}${path}`, { method: "POST", body: JSON.stringify(body) }));

describe("list order and bulk", () => {
  it("the requester's favourites first, then running, then owner, then name (case-insensitive)", async () => {
    await withSim({
      workspaces: [
        { name: "b-stopped", owner: "alice", template: "python-dev", status: "stopped" },
        { name: "a-stopped", owner: "Bob" as string, template: "python-dev", status: "stopped" },
        { name: "Z-run", owner: "bob", template: "python-dev" },
        { name: "y-run", owner: "alice", template: "python-dev" },
        { name: "fav", owner: "alice", template: "python-dev", status: "stopped", favorite: true },
        { name: "own-fav", owner: "owner", template: "python-dev", status: "stopped", favorite: true },
        { name: "failed", owner: "alice", template: "python-dev", status: "failed" },
      ],
    }, async (sim) => {
      const order = async (token?: string) =>
        (await json<{ workspaces: Ws[] }>(await sim.api("/api/v2/workspaces", token ? { token } : {}))).workspaces.map((w) => `${w.owner_name}/${w.name}`);
      expect(await order()).toEqual(["owner/own-fav", "alice/y-run", "bob/Z-run", "alice/b-stopped", "alice/failed", "alice/fav", "bob/a-stopped"]);
      expect(await order("alice-token")).toEqual(["alice/fav", "alice/y-run", "alice/b-stopped", "alice/failed"]);
      // A stop moves a workspace out of the running block.
      const yRun = (await sim.workspace("alice/y-run")).id;
      await sim.api(`/api/v2/workspaces/${yRun}/builds`, { method: "POST", body: JSON.stringify({ transition: "stop" }) });
      await sim.state();
      expect((await order()).slice(0, 3)).toEqual(["owner/own-fav", "bob/Z-run", "alice/b-stopped"]);
    });
  });

  it("latest_build.resources carries agents, apps, scripts and log sources; the size is configurable", async () => {
    const ws = [{ name: "w", owner: "alice", template: "python-dev" }, { name: "s", owner: "alice", template: "python-dev", status: "stopped" as const }];
    await withSim({ workspaces: ws }, async (sim) => {
      const text = await (await sim.api("/api/v2/workspaces")).text();
      const list = JSON.parse(text) as { workspaces: Ws[] };
      const running = list.workspaces.find((w) => w.name === "w")!;
      const size = JSON.stringify(running).length;
      expect(size).toBeGreaterThan(6_000);
      expect(size).toBeLessThan(9_000);
      const [container, volume] = running.latest_build.resources;
      expect(container?.type).toBe("docker_container");
      expect(container?.agents[0]?.apps.length).toBeGreaterThan(2);
      expect(container?.agents[0]?.scripts.length).toBeGreaterThan(0);
      expect(container?.agents[0]?.log_sources.length).toBeGreaterThan(0);
      expect(volume?.agents).toEqual([]);
      // A stopped workspace keeps only what persists.
      expect(list.workspaces.find((w) => w.name === "s")?.latest_build.resources.map((r) => r.type)).toEqual(["docker_volume"]);
    });
    await withSim({ workspaces: ws, deployment: { workspace_bytes: 20_000 } }, async (sim) => {
      const list = await json<{ workspaces: Ws[] }>(await sim.api("/api/v2/workspaces"));
      const size = JSON.stringify(list.workspaces.find((w) => w.name === "w")).length;
      expect(Math.abs(size - 20_000)).toBeLessThan(500);
    });
    await withSim({ workspaces: ws }, async (sim) => {
      const list = await json<{ workspaces: Ws[] }>(await sim.api("/api/v2/workspaces"));
      expect(list.workspaces.every((w) => w.latest_build.resources.length === 0)).toBe(true);
    }, { workspaceBytes: 0 });
  });
});

describe("lifecycle executor", () => {
  // Clock 2026-01-05T19:30:00Z.
  const scenario = {
    deployment: { lifecycle_executor: true },
    users: [
      { username: "owner", roles: ["owner"], token: "owner-token" },
      { username: "alice", token: "alice-token" },
      { username: "sam", token: "sam-token", status: "suspended" as const },
    ],
    templates: [
      { name: "python-dev", organization: "engineering", default_ttl_ms: 8 * H, activity_bump_ms: H, failure_ttl_ms: H, time_til_dormant_ms: 7 * 24 * H, time_til_dormant_autodelete_ms: 24 * H },
    ],
    workspaces: [
      { name: "due", owner: "alice", template: "python-dev", started_at: "-8h", deadline: "+30s" },
      { name: "max", owner: "alice", template: "python-dev", deadline: null, max_deadline: "+20s" },
      { name: "busy", owner: "alice", template: "python-dev", deadline: "+30s", connections: 1 },
      { name: "used", owner: "alice", template: "python-dev", deadline: "+30s", max_deadline: "+40m", last_used_at: "2026-01-05T19:30:10Z" },
      { name: "later", owner: "alice", template: "python-dev", deadline: "+3h" },
      { name: "susp", owner: "sam", template: "python-dev", deadline: "+3h" },
      { name: "broken", owner: "alice", template: "python-dev", status: "failed" as const, started_at: "-2h" },
      { name: "idle", owner: "alice", template: "python-dev", status: "stopped" as const, last_used_at: "-8d" },
      { name: "stale", owner: "alice", template: "python-dev", deadline: "+3h", last_used_at: "-8d" },
      { name: "gone", owner: "alice", template: "python-dev", status: "stopped" as const, last_used_at: "-30d", dormant_at: "-2d" },
    ],
  };

  it("a tick per simulated minute: autostop, suspended owners, failure TTL, dormancy, autodelete, activity bump", async () => {
    await withSim(scenario, async (sim) => {
      // Nothing happens before the next minute boundary.
      await sim.setClock("2026-01-05T19:30:50Z", true);
      expect((await sim.workspace("alice/due")).status).toBe("running");
      await sim.setClock("2026-01-05T19:31:00Z", true);
      const state = async (n: string) => sim.workspace(n);
      const last = async (n: string) => (await state(n)).builds.at(-1);
      expect(await last("alice/due")).toMatchObject({ transition: "stop", reason: "autostop", initiator: "alice" });
      expect(await last("alice/max")).toMatchObject({ transition: "stop", reason: "autostop" });
      expect(await last("sam/susp")).toMatchObject({ transition: "stop", reason: "autostop" });
      expect(await last("alice/broken")).toMatchObject({ transition: "stop", reason: "autostop" });
      // Dormancy: a stopped workspace is only marked; a running one is also stopped.
      expect((await state("alice/idle")).builds).toHaveLength(1);
      expect(await last("alice/stale")).toMatchObject({ transition: "stop", reason: "dormancy" });
      const gone = (await sim.state()).workspaces.find((w) => w.name === "gone");
      expect(gone?.builds.at(-1)).toMatchObject({ transition: "delete", reason: "autodelete" });
      expect(gone?.deleted).toBe(true);
      expect((await state("alice/later")).builds).toHaveLength(1);
      // Activity bump: an open connection, and a last_used_at since the previous tick.
      expect((await state("alice/busy")).builds).toHaveLength(1);
      expect((await state("alice/busy")).deadline).toBe("2026-01-05T20:31:00Z");
      // Capped at max_deadline.
      expect((await state("alice/used")).deadline).toBe("2026-01-05T20:10:00Z");
      const idle = (await json<{ workspaces: Ws[] }>(await sim.api("/api/v2/workspaces?q=name:idle"))).workspaces[0];
      expect(idle?.dormant_at).toBe("2026-01-05T19:31:00Z");
      expect(idle?.deleting_at).toBe("2026-01-06T19:31:00Z");
      // The control endpoint reports what the executor did.
      const stats = await json<{ ticks: number; stops: Record<string, number>; deletes: number }>(await fetch(`${sim.url}/__sim/lifecycle`));
      expect(stats).toMatchObject({ ticks: 1, stops: { autostop: 4, dormancy: 1 }, dormant: 2, deletes: 1 });
      // "used" was not used since: at its deadline (20:10, capped) it is stopped.
      await sim.setClock("2026-01-05T20:10:00Z", true);
      expect(await last("alice/used")).toMatchObject({ transition: "stop", reason: "autostop" });
      expect(await last("alice/busy")).toMatchObject({ transition: "start" });
    });
  });

  it("off by default; switched on and ticked through the control API", async () => {
    await withSim({ ...scenario, deployment: {} }, async (sim) => {
      await sim.setClock("2026-01-05T19:31:00Z", true);
      expect((await sim.workspace("alice/due")).builds).toHaveLength(1);
      expect(await control(sim, "/__sim/lifecycle", { enabled: true, tick: true })).toMatchObject({ enabled: true, ticks: 1 });
      expect((await sim.workspace("alice/due")).builds.at(-1)).toMatchObject({ transition: "stop", reason: "autostop" });
      expect((await fetch(`${sim.url}/__sim/lifecycle`, { method: "POST", body: '{"enabled": 1}' })).status).toBe(400);
    });
  });
});

describe("churn", () => {
  it("starts and stops workspaces at the configured rate, on a frozen clock", async () => {
    await withSim({ generate: { workspaces: 200, users: 20, templates: 2, seed: 3 } }, async (sim) => {
      const before = await sim.state();
      await new Promise((r) => setTimeout(r, 1_050));
      const after = await sim.state();
      const changed = after.workspaces.filter((w, i) => w.build_number !== before.workspaces[i]?.build_number).length;
      // 50 changes/second for ~1 s (a workspace may be picked twice).
      expect(changed).toBeGreaterThan(30);
      expect(changed).toBeLessThanOrEqual(60);
      expect(after.now).toBe(before.now);
      const { changes } = await json<{ changes: number }>(await fetch(`${sim.url}/__sim/churn`));
      expect(changes).toBeGreaterThanOrEqual(changed);
      expect(await control(sim, "/__sim/churn", { per_second: 0 })).toMatchObject({ per_second: 0 });
      const stopped = (await sim.state()).workspaces.map((w) => w.build_number);
      await new Promise((r) => setTimeout(r, 300));
      expect((await sim.state()).workspaces.map((w) => w.build_number)).toEqual(stopped);
    }, { churnPerSecond: 50 });
  });
});
