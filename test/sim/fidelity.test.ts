/**
 * Simulator fidelity to a real deployment: Coder's own field names in scenarios (dormancy,
 * prebuilds, tasks, favourites, suspended users, template lifecycle settings), the built-in
 * "Everyone" groups, template-admin/auditor roles, Coder's timestamp format, quiet-hours `next` in
 * the schedule's offset, and both rate-limit keyings.
 */
import { describe, expect, it } from "vitest";
import { type TestSim, miniScenario, startSim } from "../support/sim.js";

const json = async <T>(res: Response) => (await res.json()) as T;
interface Ws {
  id: string;
  name: string;
  owner_id: string;
  owner_name: string;
  favorite: boolean;
  last_used_at: string;
  dormant_at: string | null;
  deleting_at: string | null;
  is_prebuild: boolean;
  task_id?: string;
  created_at: string;
  latest_build: { reason: string; status: string; deadline: string | null };
}

async function withSim(extra: Parameters<typeof miniScenario>[0], fn: (sim: TestSim) => Promise<void>, opts = {}) {
  const sim = await startSim(miniScenario(extra), { frozenClock: true, ...opts });
  try {
    await fn(sim);
  } finally {
    await sim.close();
  }
}

describe("scenario fields with Coder's names", () => {
  const scenario = {
    users: [
      { username: "owner", roles: ["owner"], token: "owner-token" },
      { username: "alice", token: "alice-token", status: "suspended" as const },
      { username: "tess", roles: ["template-admin"], token: "tess-token" },
      { username: "audrey", roles: ["auditor"], token: "audrey-token" },
    ],
    templates: [
      {
        name: "python-dev",
        organization: "engineering",
        default_ttl_ms: 8 * 3_600_000,
        time_til_dormant_ms: 7 * 86_400_000,
        time_til_dormant_autodelete_ms: 30 * 86_400_000,
        failure_ttl_ms: 3_600_000,
        activity_bump_ms: 1_800_000,
      },
    ],
    workspaces: [
      { name: "old", owner: "alice", template: "python-dev", status: "stopped" as const, dormant_at: "2026-01-01T00:00:00Z", reason: "dormancy" as const, last_used_at: "2025-12-20T10:00:00.250Z" },
      { name: "fav", owner: "owner", template: "python-dev", favorite: true, task_id: "6f1f0b8e-2c64-4f44-9d38-bb6c1e2d7a10" },
      { name: "pb-1", is_prebuild: true, template: "python-dev" },
      { name: "paused", owner: "alice", template: "python-dev", status: "stopped" as const, reason: "task_auto_pause" as const },
    ],
  };

  it("serves dormancy, prebuild, task, favourite and reason fields as Coder does", async () => {
    await withSim(scenario, async (sim) => {
      const list = await json<{ workspaces: Ws[]; count: number }>(await sim.api("/api/v2/workspaces"));
      const by = (n: string) => list.workspaces.find((w) => w.name === n)!;
      expect(list.count).toBe(4);
      expect(by("old").dormant_at).toBe("2026-01-01T00:00:00Z");
      // deleting_at defaults to dormant_at + time_til_dormant_autodelete_ms.
      expect(by("old").deleting_at).toBe("2026-01-31T00:00:00Z");
      expect(by("old").latest_build.reason).toBe("dormancy");
      expect(by("old").last_used_at).toBe("2025-12-20T10:00:00.25Z");
      expect(by("paused").latest_build.reason).toBe("task_auto_pause");
      expect(by("pb-1")).toMatchObject({ is_prebuild: true, owner_id: "c42fdf75-3097-471c-8c33-fb52454d81c0", owner_name: "prebuilds" });
      expect(by("fav").is_prebuild).toBe(false);
      expect(by("fav").task_id).toBe("6f1f0b8e-2c64-4f44-9d38-bb6c1e2d7a10");
      expect("task_id" in by("old")).toBe(false);
      // favorite is the requester's own favourite only.
      expect(by("fav").favorite).toBe(true);
      const asTess = await json<{ workspaces: Ws[] }>(await sim.api("/api/v2/workspaces", { token: "tess-token" }));
      expect(asTess.workspaces.find((w) => w.name === "fav")?.favorite).toBe(false);
      // Timestamps: RFC 3339 with the fraction trimmed, as Go emits them.
      for (const w of list.workspaces) expect(w.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z$/);
    });
  });

  it("templates carry the lifecycle settings; users their status; the prebuilds user is not listed", async () => {
    await withSim(scenario, async (sim) => {
      const [t] = await json<Record<string, unknown>[]>(await sim.api("/api/v2/templates"));
      expect(t).toMatchObject({
        time_til_dormant_ms: 7 * 86_400_000,
        time_til_dormant_autodelete_ms: 30 * 86_400_000,
        failure_ttl_ms: 3_600_000,
        activity_bump_ms: 1_800_000,
      });
      const users = await json<{ users: { username: string; status: string }[]; count: number }>(await sim.api("/api/v2/users"));
      expect(users.users.map((u) => u.username).sort()).toEqual(["alice", "audrey", "owner", "tess"]);
      expect(users.users.find((u) => u.username === "alice")?.status).toBe("suspended");
      // A suspended user cannot use the API.
      expect((await sim.api("/api/v2/users/me", { token: "alice-token" })).status).toBe(401);
    });
  });

  it("rejects a prebuilt workspace with another owner, a scenario user named prebuilds, an unknown reason", async () => {
    const bad = [
      { workspaces: [{ name: "x", owner: "alice", is_prebuild: true, template: "python-dev" }] },
      { users: [{ username: "prebuilds" }] },
      { workspaces: [{ name: "x", template: "python-dev" }] },
    ];
    for (const extra of bad) await expect(startSim(miniScenario(extra))).rejects.toThrow(/prebuil|owner/);
    await expect(startSim(miniScenario({ workspaces: [{ name: "x", owner: "alice", template: "python-dev", reason: "nap" as never }] }))).rejects.toThrow(/reason/);
  });
});

describe("Everyone groups, roles", () => {
  it("each organization has an Everyone group: id = organization id, every member", async () => {
    await withSim({ organizations: [{ name: "engineering" }, { name: "research" }], users: [
      { username: "owner", roles: ["owner"], token: "owner-token", organizations: ["engineering", "research"] },
      { username: "alice", organizations: ["engineering"] },
      { username: "bob", organizations: ["research"] },
    ] }, async (sim) => {
      const orgs = await json<{ id: string; name: string }[]>(await sim.api("/api/v2/organizations"));
      const groups = await json<{ id: string; name: string; organization_id: string; members: { username: string }[]; total_member_count: number }[]>(
        await sim.api("/api/v2/groups"),
      );
      for (const org of orgs) {
        const everyone = groups.find((g) => g.id === org.id);
        expect(everyone?.name).toBe("Everyone");
        expect(everyone?.organization_id).toBe(org.id);
      }
      const eng = groups.find((g) => g.id === orgs.find((o) => o.name === "engineering")?.id);
      expect(eng?.members.map((m) => m.username).sort()).toEqual(["alice", "owner"]);
      expect(eng?.total_member_count).toBe(2);
    });
    await expect(startSim(miniScenario({ groups: [{ name: "everyone", organization: "engineering" }] }))).rejects.toThrow(/Everyone/);
  });

  it("template admins and auditors read every workspace and user, but a stop answers 403", async () => {
    await withSim({
      users: [
        { username: "owner", roles: ["owner"], token: "owner-token" },
        { username: "alice", token: "alice-token" },
        { username: "tess", roles: ["template-admin"], token: "tess-token" },
        { username: "audrey", roles: ["auditor"], token: "audrey-token" },
      ],
      workspaces: [
        { name: "a", owner: "alice", template: "python-dev" },
        { name: "t", owner: "tess", template: "python-dev" },
      ],
    }, async (sim) => {
      const a = (await sim.workspace("alice/a")).id;
      for (const token of ["tess-token", "audrey-token"]) {
        const list = await json<{ count: number }>(await sim.api("/api/v2/workspaces", { token }));
        expect(list.count).toBe(2);
        expect((await sim.api("/api/v2/users/alice", { token })).status).toBe(200);
        const stop = await sim.api(`/api/v2/workspaces/${a}/builds`, { token, method: "POST", body: JSON.stringify({ transition: "stop" }) });
        expect(stop.status).toBe(403);
        expect(await stop.json()).toEqual({
          message: "You do not have permission to stop this workspace.",
          detail: "You don't have permission to view this content. If you believe this is a mistake, please contact your administrator or try signing in with different credentials.",
        });
      }
      // Their own workspace they may stop.
      const t = (await sim.workspace("tess/t")).id;
      const own = await sim.api(`/api/v2/workspaces/${t}/builds`, { token: "tess-token", method: "POST", body: JSON.stringify({ transition: "stop" }) });
      expect(own.status).toBe(201);
      // A member still gets 404 for someone else's workspace.
      const member = await sim.api(`/api/v2/workspaces/${t}/builds`, { token: "alice-token", method: "POST", body: JSON.stringify({ transition: "stop" }) });
      expect(member.status).toBe(404);
    });
  });
});

describe("quiet hours next, rate-limit modes", () => {
  it("quiet-hours next is in the schedule's own offset", async () => {
    await withSim({
      users: [
        { username: "owner", roles: ["owner"], token: "owner-token", quiet_hours: "CRON_TZ=Australia/Sydney 0 22 * * *" },
        { username: "alice", token: "alice-token", quiet_hours: "CRON_TZ=America/New_York 30 18 * * *" },
        { username: "bob", token: "bob-token", quiet_hours: "CRON_TZ=Europe/London 0 18 * * *" },
      ],
    }, async (sim) => {
      // Scenario clock: 2026-01-05T19:30:00Z (Sydney 06:30 +11 on the 6th; New York 14:30 -05).
      const next = async (u: string) => (await json<{ next: string }>(await sim.api(`/api/v2/users/${u}/quiet-hours`))).next;
      expect(await next("owner")).toBe("2026-01-06T22:00:00+11:00");
      expect(await next("alice")).toBe("2026-01-05T18:30:00-05:00");
      expect(await next("bob")).toBe("2026-01-06T18:00:00Z");
    });
  });

  it("ip-path mode: keyed by client address and path; the owner bypass header is ignored", async () => {
    await withSim({}, async (sim) => {
      for (let i = 0; i < 2; i++) expect((await sim.api("/api/v2/users/me")).status).toBe(200);
      // Another user from the same address shares the budget.
      expect((await sim.api("/api/v2/users/me", { token: "alice-token" })).status).toBe(429);
      const bypass = await sim.api("/api/v2/users/me", { headers: { "X-Coder-Bypass-Ratelimit": "true" } });
      expect(bypass.status).toBe(429);
      // A member's bypass header is not refused with 428 either: it is simply not read.
      expect((await sim.api("/api/v2/users/me", { token: "bob-token", headers: { "X-Coder-Bypass-Ratelimit": "true" } })).status).toBe(429);
      expect((await sim.api("/api/v2/workspaces", { token: "alice-token" })).status).toBe(200);
    }, { rateLimit: 2, rateLimitMode: "ip-path" });
  });

  it("user mode (scenario key): per user; owners bypass", async () => {
    await withSim({ deployment: { rate_limit_per_minute: 2, rate_limit_mode: "user" } }, async (sim) => {
      for (let i = 0; i < 2; i++) expect((await sim.api("/api/v2/users/me")).status).toBe(200);
      expect((await sim.api("/api/v2/users/me")).status).toBe(429);
      expect((await sim.api("/api/v2/users/me", { token: "alice-token" })).status).toBe(200);
      expect((await sim.api("/api/v2/users/me", { headers: { "X-Coder-Bypass-Ratelimit": "true" } })).status).toBe(200);
    });
  });
});
