import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type TestSim, miniScenario, startSim } from "../support/sim.js";

interface WsJson {
  id: string;
  name: string;
  owner_name: string;
  ttl_ms?: number;
  latest_build: { id: string; status: string; transition: string; build_number: number; deadline: string | null; reason: string; initiator_name: string; job: { status: string } };
}
interface WsList {
  workspaces: WsJson[];
  count: number;
}
interface ErrBody {
  message: string;
  detail?: string;
  validations?: { field: string; detail: string }[];
}

const json = async <T>(res: Response) => (await res.json()) as T;
const names = (l: WsList) => l.workspaces.map((w) => `${w.owner_name}/${w.name}`);

describe("simulator over HTTP (demo)", () => {
  let sim: TestSim;
  beforeAll(async () => {
    sim = await startSim("demo", { frozenClock: true });
  });
  afterAll(() => sim.close());
  afterEach(() => sim.clearFaults());

  it("serves buildinfo without auth, with the version header", async () => {
    const res = await sim.api("/api/v2/buildinfo", { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-coder-build-version")).toBe("v2.24.0");
    expect((await json<{ version: string }>(res)).version).toBe("v2.24.0");
  });

  it("401 without or with an unknown token, Coder's message", async () => {
    const none = await sim.api("/api/v2/users/me", { token: null });
    expect(none.status).toBe(401);
    const body = await json<ErrBody>(none);
    expect(body.message).toBe("You are signed out or your session has expired. Please sign in again to continue.");
    expect(body.detail).toMatch(/coder_session_token/);
    expect((await sim.api("/api/v2/users/me", { token: "nope" })).status).toBe(401);
    const cookie = await fetch(`${sim.url}/api/v2/users/me`, { headers: { Cookie: "coder_session_token=alice-token" } });
    expect((await json<{ username: string }>(cookie)).username).toBe("alice");
  });

  it("unknown route → 404 Route not found.", async () => {
    const res = await sim.api("/api/v2/nope");
    expect(res.status).toBe(404);
    expect(await json<ErrBody>(res)).toEqual({ message: "Route not found." });
  });

  it("users/me, users/{user}, users list with pagination", async () => {
    const me = await json<{ username: string; roles: { name: string }[] }>(await sim.api("/api/v2/users/me"));
    expect(me.username).toBe("admin");
    expect(me.roles.map((r) => r.name)).toEqual(["owner"]);
    const alice = await json<{ username: string }>(await sim.api("/api/v2/users/alice"));
    expect(alice.username).toBe("alice");
    const page = await json<{ users: { username: string }[]; count: number }>(await sim.api("/api/v2/users?limit=3&offset=1"));
    expect(page.count).toBe(8);
    expect(page.users.map((u) => u.username)).toEqual(["alice", "bob", "dana"]);
  });

  it("lists workspaces in Coder's order (running first, then owner/name); deleted ones are hidden", async () => {
    const all = await json<WsList>(await sim.api("/api/v2/workspaces"));
    expect(all.count).toBe(19);
    expect(names(all)[0]).toBe("admin/admin-console");
    expect(names(all)).not.toContain("bob/deleted-experiment");
    const byOwnerName = (a: string, b: string) => {
      const [ao = "", an = ""] = a.split("/");
      const [bo = "", bn = ""] = b.split("/");
      return ao === bo ? (an < bn ? -1 : 1) : ao < bo ? -1 : 1;
    };
    const isRunning = (w: WsJson) => w.latest_build.status === "running";
    const running = all.workspaces.filter(isRunning).map((w) => `${w.owner_name}/${w.name}`);
    const rest = all.workspaces.filter((w) => !isRunning(w)).map((w) => `${w.owner_name}/${w.name}`);
    expect(names(all)).toEqual([...[...running].sort(byOwnerName), ...[...rest].sort(byOwnerName)]);
  });

  it("q filters: owner (incl. me), template, status, name, bare term, organization, quotes", async () => {
    const q = async (query: string, token?: string) =>
      json<WsList>(await sim.api(`/api/v2/workspaces?q=${encodeURIComponent(query)}`, token ? { token } : {}));
    // Which workspaces match (the order is Coder's list order, tested above).
    const sortedNames = (l: WsList) => names(l).sort();
    expect(sortedNames(await q("owner:alice"))).toEqual(["alice/old-branch", "alice/python-api", "alice/scratch"]);
    expect(sortedNames(await q("owner:me"))).toEqual(["admin/admin-console"]);
    expect(sortedNames(await q("OWNER:ALICE status:running"))).toEqual(["alice/python-api", "alice/scratch"]);
    expect((await q("template:data-science")).count).toBe(2);
    expect(sortedNames(await q("name:api"))).toEqual(["alice/python-api", "bob/api-gateway"]);
    expect(sortedNames(await q("gateway"))).toEqual(["bob/api-gateway"]);
    expect(sortedNames(await q("bob/legacy"))).toEqual(["bob/legacy-app"]);
    expect(sortedNames(await q("organization:research"))).toEqual(["erik/gpu-box", "priya/model-training", "priya/queued"]);
    expect((await q("status:running")).count).toBe(9);
    expect(sortedNames(await q('owner:"priya" status:pending'))).toEqual(["priya/queued"]);
    expect(sortedNames(await q("dormant:true"))).toEqual(["dana/abandoned"]);
    expect((await q("has-agent:connected")).count).toBe(9);
  });

  it("unknown q key → 400 Invalid workspace search query. with validations", async () => {
    const res = await sim.api(`/api/v2/workspaces?q=${encodeURIComponent("owner:alice colour:blue")}`);
    expect(res.status).toBe(400);
    const body = await json<ErrBody>(res);
    expect(body.message).toBe("Invalid workspace search query.");
    expect(body.validations).toEqual([{ field: "colour", detail: 'Query param "colour" is not a valid query param' }]);
    const badStatus = await sim.api(`/api/v2/workspaces?q=status:exploded`);
    expect(badStatus.status).toBe(400);
  });

  it("pagination: limit/offset/count; bad values → 400", async () => {
    const p1 = await json<WsList>(await sim.api("/api/v2/workspaces?limit=5"));
    const p4 = await json<WsList>(await sim.api("/api/v2/workspaces?limit=5&offset=15"));
    expect(p1.workspaces).toHaveLength(5);
    expect(p1.count).toBe(19);
    expect(p4.workspaces).toHaveLength(4);
    expect(p4.count).toBe(19);
    const bad = await sim.api("/api/v2/workspaces?limit=abc");
    expect(bad.status).toBe(400);
    expect((await json<ErrBody>(bad)).message).toBe("Query parameters have invalid values.");
    expect((await sim.api("/api/v2/workspaces?offset=-1")).status).toBe(400);
  });

  it("member visibility: own workspaces only; others 404; deployment config 403", async () => {
    const alice = sim.tokens["alice"] ?? "";
    const mine = await json<WsList>(await sim.api("/api/v2/workspaces", { token: alice }));
    expect(mine.workspaces.every((w) => w.owner_name === "alice")).toBe(true);
    expect(mine.count).toBe(3);
    const others = await json<WsList>(await sim.api("/api/v2/workspaces?q=owner:bob", { token: alice }));
    expect(others.count).toBe(0);
    const bobWs = (await sim.workspace("bob/api-gateway")).id;
    const get = await sim.api(`/api/v2/workspaces/${bobWs}`, { token: alice });
    expect(get.status).toBe(404);
    expect((await json<ErrBody>(get)).message).toBe("Resource not found or you do not have access to this resource");
    const post = await sim.api(`/api/v2/workspaces/${bobWs}/builds`, { token: alice, method: "POST", body: JSON.stringify({ transition: "stop" }) });
    expect(post.status).toBe(404);
    const cfg = await sim.api("/api/v2/deployment/config", { token: alice });
    expect(cfg.status).toBe(403);
    expect((await json<ErrBody>(cfg)).message).toBe("Forbidden.");
    expect((await sim.api("/api/v2/users/bob/quiet-hours", { token: alice })).status).toBe(404);
    expect((await sim.api("/api/v2/users/me/quiet-hours", { token: alice })).status).toBe(200);
    expect((await sim.api("/api/v2/users/bob/workspace/api-gateway", { token: alice })).status).toBe(404);
  });

  it("quiet hours: user's own or the deployment default", async () => {
    const alice = await json<Record<string, unknown>>(await sim.api("/api/v2/users/alice/quiet-hours"));
    expect(alice).toEqual({
      raw_schedule: "CRON_TZ=Europe/London 0 18 * * *",
      user_set: true,
      user_can_set: true,
      time: "18:00",
      timezone: "Europe/London",
      next: "2026-01-06T18:00:00Z",
    });
    const dana = await json<Record<string, unknown>>(await sim.api("/api/v2/users/dana/quiet-hours"));
    expect(dana["raw_schedule"]).toBe("CRON_TZ=UTC 0 0 * * *");
    expect(dana["user_set"]).toBe(false);
  });

  it("deployment config, entitlements, orgs, members, templates, groups", async () => {
    const cfg = await json<{ config: { user_quiet_hours_schedule: unknown } }>(await sim.api("/api/v2/deployment/config"));
    expect(cfg.config.user_quiet_hours_schedule).toEqual({ default_schedule: "CRON_TZ=UTC 0 0 * * *", allow_user_custom: true });
    const ent = await json<{ has_license: boolean; features: Record<string, { entitlement: string }> }>(await sim.api("/api/v2/entitlements"));
    expect(ent.has_license).toBe(true);
    expect(ent.features["advanced_template_scheduling"]?.entitlement).toBe("entitled");
    const orgs = await json<{ name: string }[]>(await sim.api("/api/v2/organizations"));
    expect(orgs.map((o) => o.name)).toEqual(["engineering", "research", "platform"]);
    const members = await json<{ username: string }[]>(await sim.api("/api/v2/organizations/platform/members"));
    expect(members.map((m) => m.username)).toEqual(["admin", "on-call-engineer", "erik"]);
    const templates = await json<{ name: string; autostop_requirement: { days_of_week: string[] } }[]>(await sim.api("/api/v2/templates"));
    expect(templates.map((t) => t.name)).toContain("data-science");
    const eng = await json<{ name: string }[]>(await sim.api("/api/v2/organizations/engineering/templates"));
    expect(eng.map((t) => t.name)).toEqual(["python-dev", "node-frontend"]);
    const groups = await json<{ name: string; members: { username: string }[] }[]>(await sim.api("/api/v2/groups"));
    expect(groups.find((g) => g.name === "sre")?.members.map((m) => m.username)).toEqual(["on-call-engineer", "erik", "admin"]);
    const orgGroups = await json<{ name: string }[]>(await sim.api("/api/v2/organizations/engineering/groups"));
    // Every organization also has Coder's built-in "Everyone" group.
    expect(orgGroups.map((g) => g.name)).toEqual(["Everyone", "developers"]);
    const filtered = await json<{ name: string }[]>(await sim.api("/api/v2/groups?organization=research"));
    expect(filtered.map((g) => g.name)).toEqual(["Everyone", "data-science"]);
  });

  it("GET a deleted workspace → 410; with include_deleted → 200", async () => {
    const deleted = (await sim.state()).workspaces.find((w) => w.name === "deleted-experiment");
    expect(deleted?.deleted).toBe(true);
    expect((await sim.api(`/api/v2/workspaces/${deleted?.id}`)).status).toBe(410);
    expect((await sim.api(`/api/v2/workspaces/${deleted?.id}?include_deleted=true`)).status).toBe(200);
    const post = await sim.api(`/api/v2/workspaces/${deleted?.id}/builds`, { method: "POST", body: JSON.stringify({ transition: "start" }) });
    expect(post.status).toBe(410);
    expect((await sim.api("/api/v2/users/bob/workspace/deleted-experiment")).status).toBe(404);
  });

  it("stats count route patterns, /__sim not counted", async () => {
    await sim.resetStats();
    const id = (await sim.workspace("alice/python-api")).id;
    await sim.api("/api/v2/workspaces");
    await sim.api("/api/v2/workspaces?q=owner:alice");
    await sim.api(`/api/v2/workspaces/${id}`);
    await sim.api("/api/v2/users/me", { token: null });
    await sim.api("/api/v2/users/alice/quiet-hours");
    await sim.state();
    expect(await sim.stats()).toEqual({
      total: 5,
      requests: {
        "GET /api/v2/workspaces": 2,
        "GET /api/v2/workspaces/{id}": 1,
        "GET /api/v2/users/{user}": 1,
        "GET /api/v2/users/{user}/quiet-hours": 1,
      },
    });
  });
});

describe("builds", () => {
  let sim: TestSim;
  beforeAll(async () => {
    sim = await startSim(
      miniScenario({
        workspaces: [
          { name: "dev", owner: "alice", template: "python-dev", status: "running", started_at: "-3h" },
          { name: "off", owner: "alice", template: "python-dev", status: "stopped", started_at: "-1d" },
          { name: "stuck", owner: "bob", template: "python-dev", status: "starting", started_at: "-1m" },
        ],
      }),
      { buildDelayMs: 600 },
    );
  });
  afterAll(() => sim.close());

  /** Polls a workspace's status until it is `until` (10 s at most); returns the distinct states seen. */
  async function watchStatus(key: string, until: string): Promise<string[]> {
    const seen: string[] = [];
    const deadline = performance.now() + 10_000;
    while (performance.now() < deadline) {
      const status = (await sim.workspace(key)).status;
      if (seen.at(-1) !== status) seen.push(status);
      if (status === until) return seen;
      await new Promise((r) => setTimeout(r, 15));
    }
    throw new Error(`${key} never reached ${until}; seen ${seen.join(" → ")}`);
  }

  const post = (id: string, body: unknown, token?: string) =>
    sim.api(`/api/v2/workspaces/${id}/builds`, { method: "POST", body: JSON.stringify(body), ...(token ? { token } : {}) });

  it("stop: 201 pending → stopping → stopped, 409 while active, reason and initiator recorded", async () => {
    const ws = await sim.workspace("alice/dev");
    const res = await post(ws.id, { transition: "stop", reason: "cli" });
    expect(res.status).toBe(201);
    const build = await json<WsJson["latest_build"]>(res);
    expect(build.build_number).toBe(2);
    expect(build.transition).toBe("stop");
    expect(build.status).toBe("pending");
    expect(build.reason).toBe("cli");
    expect(build.initiator_name).toBe("owner");
    const again = await post(ws.id, { transition: "stop" });
    expect(again.status).toBe(409);
    expect((await json<ErrBody>(again)).message).toBe("A workspace build is already active.");
    // The job is pending for the first half of the build delay, running (workspace "stopping") for
    // the second: watch the states go by instead of sleeping for fixed times, which a loaded
    // machine overruns.
    const seen = await watchStatus("alice/dev", "stopped");
    expect(seen).toContain("stopping");
    expect(seen.indexOf("stopping")).toBeLessThan(seen.indexOf("stopped"));
    const done = await sim.workspace("alice/dev");
    expect(done.status).toBe("stopped");
    expect(done.builds.map((b) => [b.build_number, b.transition, b.reason, b.initiator])).toEqual([
      [1, "start", "initiator", "alice"],
      [2, "stop", "cli", "owner"],
    ]);
  });

  it("start sets deadline = completion + ttl", async () => {
    const ws = await sim.workspace("alice/off");
    expect((await post(ws.id, { transition: "start" }, sim.tokens["alice"])).status).toBe(201);
    await watchStatus("alice/off", "running");
    const res = await json<WsJson>(await sim.api(`/api/v2/workspaces/${ws.id}`));
    expect(res.latest_build.status).toBe("running");
    expect(res.latest_build.initiator_name).toBe("alice");
    const deadline = Date.parse(res.latest_build.deadline ?? "");
    const now = sim.now().getTime();
    expect(deadline - now).toBeGreaterThan(8 * 3_600_000 - 5_000);
    expect(deadline - now).toBeLessThanOrEqual(8 * 3_600_000);
  });

  it("409 on a scenario workspace stuck in a running job", async () => {
    const ws = await sim.workspace("bob/stuck");
    expect((await post(ws.id, { transition: "stop" })).status).toBe(409);
  });

  it("400 on a bad transition, a bad reason, or bad JSON", async () => {
    const ws = await sim.workspace("bob/stuck");
    const bad = await post(ws.id, { transition: "explode" });
    expect(bad.status).toBe(400);
    expect((await json<ErrBody>(bad)).validations?.[0]?.field).toBe("transition");
    const reason = await post(ws.id, { transition: "stop", reason: "autostop" });
    expect(reason.status).toBe(400);
    expect((await json<ErrBody>(reason)).validations?.[0]?.field).toBe("reason");
    const res = await sim.api(`/api/v2/workspaces/${ws.id}/builds`, { method: "POST", body: "{" });
    expect(res.status).toBe(400);
    expect((await json<ErrBody>(res)).message).toBe("Request body must be valid JSON.");
    expect((await post("not-a-uuid", { transition: "stop" })).status).toBe(400);
    expect((await post("00000000-0000-4000-8000-000000000000", { transition: "stop" })).status).toBe(404);
  });

  it("delete hides the workspace from the listing and GET gives 410", async () => {
    const ws = await sim.workspace("alice/dev");
    expect((await post(ws.id, { transition: "delete" })).status).toBe(201);
    await expect.poll(async () => (await sim.state()).workspaces.find((w) => w.id === ws.id)?.deleted, { timeout: 10_000, interval: 20 }).toBe(true);
    const list = await json<WsList>(await sim.api("/api/v2/workspaces?q=owner:alice"));
    expect(names(list)).toEqual(["alice/off"]);
    expect((await sim.api(`/api/v2/workspaces/${ws.id}`)).status).toBe(410);
  });

  it("GET builds lists newest first", async () => {
    const ws = await sim.workspace("alice/off");
    const builds = await json<{ build_number: number }[]>(await sim.api(`/api/v2/workspaces/${ws.id}/builds`));
    expect(builds.map((b) => b.build_number)).toEqual([2, 1]);
  });
});

describe("licensing, rate limit, faults, clock", () => {
  it("unlicensed: quiet-hours and groups 403 with Coder's message; entitlements not_entitled", async () => {
    const sim = await startSim(miniScenario({ deployment: { licensed: false } }));
    try {
      const qh = await sim.api("/api/v2/users/me/quiet-hours");
      expect(qh.status).toBe(403);
      expect((await json<ErrBody>(qh)).message).toBe(
        "Advanced template scheduling (and user quiet hours schedule) is an Enterprise feature. Contact sales!",
      );
      expect((await sim.api("/api/v2/groups")).status).toBe(403);
      const ent = await json<{ has_license: boolean; features: Record<string, { entitlement: string }> }>(await sim.api("/api/v2/entitlements"));
      expect(ent.has_license).toBe(false);
      expect(ent.features["advanced_template_scheduling"]?.entitlement).toBe("not_entitled");
    } finally {
      await sim.close();
    }
  });

  it("rate limit per user per path: 429 with Retry-After; owners bypass; members get 428", async () => {
    const sim = await startSim(miniScenario(), { rateLimit: 3 });
    try {
      for (let i = 0; i < 3; i++) {
        const r = await sim.api("/api/v2/users/me");
        expect(r.status).toBe(200);
        expect(r.headers.get("x-ratelimit-limit")).toBe("3");
        expect(r.headers.get("x-ratelimit-remaining")).toBe(String(2 - i));
      }
      const limited = await sim.api("/api/v2/users/me");
      expect(limited.status).toBe(429);
      expect((await json<ErrBody>(limited)).message).toBe("You've been rate limited for sending more than 3 requests in 1m0s.");
      const retry = Number(limited.headers.get("retry-after"));
      expect(retry).toBeGreaterThan(0);
      expect(retry).toBeLessThanOrEqual(60);
      expect(Number(limited.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000);
      // Another path and another user have their own budgets.
      expect((await sim.api("/api/v2/workspaces")).status).toBe(200);
      expect((await sim.api("/api/v2/users/me", { token: "alice-token" })).status).toBe(200);
      // Owner bypass; a member sending the header gets 428.
      expect((await sim.api("/api/v2/users/me", { headers: { "X-Coder-Bypass-Ratelimit": "true" } })).status).toBe(200);
      expect((await sim.api("/api/v2/users/me", { token: "alice-token", headers: { "X-Coder-Bypass-Ratelimit": "true" } })).status).toBe(428);
      expect((await sim.stats()).requests["GET /api/v2/users/{user}"]).toBe(7);
    } finally {
      await sim.close();
    }
  });

  it("faults: 5xx rate, outage, drop, malformed, latency, rules with count and methods", async () => {
    const sim = await startSim(miniScenario({ workspaces: [{ name: "dev", owner: "alice", template: "python-dev" }] }));
    try {
      await sim.setFaults({ fault_rate: 1 });
      const r503 = await sim.api("/api/v2/users/me");
      expect(r503.status).toBe(503);
      expect(typeof (await json<ErrBody>(r503)).message).toBe("string");
      await sim.setFaults({ fault_rate: 0, outage: true });
      expect((await sim.api("/api/v2/buildinfo")).status).toBe(503);
      await sim.clearFaults();
      await sim.setFaults({ drop_rate: 1 });
      await expect(sim.api("/api/v2/users/me")).rejects.toThrow();
      await sim.clearFaults();
      await sim.setFaults({ malformed_rate: 1 });
      const bad = await sim.api("/api/v2/users/me");
      expect(bad.status).toBe(200);
      await expect(bad.clone().json()).rejects.toThrow();
      await sim.clearFaults();
      await sim.setFaults({ latency_ms: 150 });
      const t0 = Date.now();
      await sim.api("/api/v2/users/me");
      expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
      await sim.clearFaults();
      await sim.setFaults({ fault_rate: 1, methods: ["POST"] });
      expect((await sim.api("/api/v2/users/me")).status).toBe(200);
      await sim.clearFaults();
      await sim.setFaults({ rules: [{ route: "POST /api/v2/workspaces/{id}/builds", status: 500, body: { message: "boom" }, count: 1 }] });
      const id = (await sim.workspace("alice/dev")).id;
      const p1 = await sim.api(`/api/v2/workspaces/${id}/builds`, { method: "POST", body: JSON.stringify({ transition: "stop" }) });
      expect(p1.status).toBe(500);
      expect(await json<ErrBody>(p1)).toEqual({ message: "boom" });
      const p2 = await sim.api(`/api/v2/workspaces/${id}/builds`, { method: "POST", body: JSON.stringify({ transition: "stop" }) });
      expect(p2.status).toBe(201);
      await sim.setFaults({ rules: [{ path: "/api/v2/users/me", drop: true }] });
      await expect(sim.api("/api/v2/users/me")).rejects.toThrow();
      // Control endpoints are never faulted; faulted requests are counted.
      await sim.setFaults({ outage: true });
      const stats = await sim.stats();
      expect(stats.requests["GET /api/v2/users/{user}"]).toBe(6);
      expect(stats.requests["POST /api/v2/workspaces/{id}/builds"]).toBe(2);
      const rejected = await fetch(`${sim.url}/__sim/faults`, { method: "POST", body: JSON.stringify({ nope: 1 }) });
      expect(rejected.status).toBe(400);
    } finally {
      await sim.close();
    }
  });

  it("fault rules that carry the request out first: hold_ms delays the real answer, applied replaces it", async () => {
    const sim = await startSim(miniScenario({ workspaces: [{ name: "dev", owner: "alice", template: "python-dev" }] }), { buildDelayMs: 10 });
    try {
      const ws = await sim.workspace("alice/dev");
      const path = `/api/v2/workspaces/${ws.id}/builds`;
      const post = (transition: string) => sim.api(path, { method: "POST", body: JSON.stringify({ transition }), headers: { "Content-Type": "application/json" } });
      const settle = async (status: string) => {
        for (let i = 0; i < 100 && (await sim.workspace("alice/dev")).status !== status; i++) await new Promise((r) => setTimeout(r, 10));
      };
      // hold_ms: the build exists while its answer is still held back; then the real 201 arrives.
      await sim.setFaults({ rules: [{ method: "POST", path, hold_ms: 400, count: 1 }] });
      const held = post("stop");
      await new Promise((r) => setTimeout(r, 150));
      const during = await sim.workspace("alice/dev");
      expect(during.builds.at(-1)).toMatchObject({ transition: "stop", build_number: ws.build_number + 1 });
      const answer = await held;
      expect(answer.status).toBe(201);
      expect((await json<{ build_number: number }>(answer)).build_number).toBe(ws.build_number + 1);
      await settle("stopped");
      // applied + status: the build is made, the answer is the proxy's 502.
      await sim.setFaults({ rules: [{ method: "POST", path, applied: true, status: 502, body: { message: "Bad Gateway" }, count: 1 }] });
      const bad = await post("start");
      expect(bad.status).toBe(502);
      expect(await json<ErrBody>(bad)).toEqual({ message: "Bad Gateway" });
      expect((await sim.workspace("alice/dev")).builds.at(-1)).toMatchObject({ transition: "start", build_number: ws.build_number + 2 });
      await settle("running");
      // applied + drop: the build is made, the connection cut.
      await sim.setFaults({ rules: [{ method: "POST", path, applied: true, drop: true, count: 1 }] });
      await expect(post("stop")).rejects.toThrow();
      expect((await sim.workspace("alice/dev")).builds.at(-1)).toMatchObject({ transition: "stop", build_number: ws.build_number + 3 });
      // Contradictions are refused.
      for (const rule of [{ path, applied: true }, { path, hold_ms: 10, status: 502 }, { path, applied: true, malformed: true, status: 502 }, { path, hold_ms: -1 }]) {
        const r = await fetch(`${sim.url}/__sim/faults`, { method: "POST", body: JSON.stringify({ rules: [rule] }) });
        expect(r.status, JSON.stringify(rule)).toBe(400);
      }
    } finally {
      await sim.close();
    }
  });

  it("clock: starts at the scenario clock, can be set and frozen; quiet-hours next follows it", async () => {
    const sim = await startSim(miniScenario(), { frozenClock: true });
    try {
      expect(sim.now().toISOString()).toBe("2026-01-05T19:30:00.000Z");
      await sim.setClock("2026-01-06T09:30:00Z");
      expect(sim.now().toISOString()).toBe("2026-01-06T09:30:00.000Z");
      const qh = await json<{ next: string }>(await sim.api("/api/v2/users/alice/quiet-hours"));
      expect(qh.next).toBe("2026-01-06T18:00:00Z");
      await sim.setClock("+1h");
      expect(sim.now().toISOString()).toBe("2026-01-06T10:30:00.000Z");
      await sim.setClock("2026-01-06T10:30:00Z", false);
      await new Promise((r) => setTimeout(r, 30));
      expect(sim.now().getTime()).toBeGreaterThan(Date.parse("2026-01-06T10:30:00Z"));
    } finally {
      await sim.close();
    }
  });

  it("quiet-hours changes at runtime (control endpoint and Coder's PUT) do not touch existing builds", async () => {
    const sim = await startSim(
      miniScenario({
        templates: [{ name: "req", organization: "engineering", autostop_requirement: { days_of_week: ["saturday"], weeks: 1 } }],
        workspaces: [{ name: "w", owner: "alice", template: "req", started_at: "-1h" }],
      }),
      { frozenClock: true },
    );
    try {
      const before = await sim.workspace("alice/w");
      expect(before.max_deadline).toBe("2026-01-10T18:00:00Z");
      await sim.setQuietHours("alice", "CRON_TZ=America/Chicago 0 3 * * *");
      const qh = await json<{ raw_schedule: string }>(await sim.api("/api/v2/users/alice/quiet-hours"));
      expect(qh.raw_schedule).toBe("CRON_TZ=America/Chicago 0 3 * * *");
      expect((await sim.workspace("alice/w")).max_deadline).toBe(before.max_deadline);
      const put = await sim.api("/api/v2/users/me/quiet-hours", {
        token: "alice-token",
        method: "PUT",
        body: JSON.stringify({ schedule: "CRON_TZ=Asia/Kolkata 30 22 * * *" }),
      });
      expect(put.status).toBe(200);
      expect((await json<{ time: string }>(put)).time).toBe("22:30");
    } finally {
      await sim.close();
    }
  });

  it("adds workspaces at runtime", async () => {
    const sim = await startSim(miniScenario());
    try {
      await sim.addWorkspace({ name: "late", owner: "bob", template: "python-dev", status: "running", started_at: "-5m" });
      const list = await json<WsList>(await sim.api("/api/v2/workspaces"));
      expect(names(list)).toEqual(["bob/late"]);
    } finally {
      await sim.close();
    }
  });
});
