/**
 * The simulator's own control endpoints under /__sim (never counted in stats, never faulted):
 * stats, faults, clock, state, runtime workspaces, workspace activity and quiet-hours changes.
 */
import { type Reply, Router, err, ok } from "./http.js";
import type { FaultInjector } from "./faults.js";
import type { Churn, LifecycleExecutor } from "./lifecycle.js";
import { isDeleted, latestBuild, workspaceStatus } from "./model.js";
import { quietHoursJson, workspaceJson } from "./render.js";
import { normalizeDaily, parseDaily } from "./schedule.js";
import { scenarioWorkspaceSchema } from "./scenario.js";
import type { Store } from "./store.js";
import { iso, resolveTime } from "./time.js";

export class Stats {
  total = 0;
  requests: Record<string, number> = {};

  count(pattern: string): void {
    this.total++;
    this.requests[pattern] = (this.requests[pattern] ?? 0) + 1;
  }

  reset(): void {
    this.total = 0;
    this.requests = {};
  }

  snapshot(): { total: number; requests: Record<string, number> } {
    return { total: this.total, requests: { ...this.requests } };
  }
}

export interface ControlCtx {
  store: Store;
  stats: Stats;
  faults: FaultInjector;
  lifecycle: LifecycleExecutor;
  churn: Churn;
  params: Record<string, string>;
  body: () => Promise<string>;
}

type Handler = (ctx: ControlCtx) => Reply | Promise<Reply>;

async function jsonBody(ctx: ControlCtx): Promise<{ value: Record<string, unknown> } | { reply: Reply }> {
  try {
    const v: unknown = JSON.parse((await ctx.body()) || "{}");
    if (typeof v !== "object" || v === null || Array.isArray(v)) return { reply: err(400, "expected a JSON object") };
    return { value: v as Record<string, unknown> };
  } catch (e) {
    return { reply: err(400, "Request body must be valid JSON.", (e as Error).message) };
  }
}

export function stateJson(store: Store) {
  store.settle();
  const userName = (id: string) => store.userById.get(id)?.username ?? id;
  return {
    now: iso(store.clock.now()),
    frozen: store.clock.frozen,
    workspaces: [...store.workspaceById.values()].map((ws) => {
      const b = latestBuild(ws);
      return {
        id: ws.id,
        owner: userName(ws.ownerId),
        name: ws.name,
        status: workspaceStatus(b),
        transition: b.transition,
        job_status: b.jobStatus,
        build_number: b.number,
        build_id: b.id,
        deadline: b.deadline === null ? null : iso(b.deadline),
        max_deadline: b.maxDeadline === null ? null : iso(b.maxDeadline),
        deleted: isDeleted(ws),
        builds: ws.builds.map((x) => ({
          build_number: x.number,
          transition: x.transition,
          reason: x.reason,
          initiator: userName(x.initiatorId),
          status: workspaceStatus(x),
          created_at: iso(x.createdAt),
        })),
      };
    }),
  };
}

export function controlRouter(): Router<Handler> {
  const r = new Router<Handler>();
  r.add("GET", "/__sim/stats", (ctx) => ok(ctx.stats.snapshot()));
  r.add("POST", "/__sim/stats/reset", (ctx) => {
    ctx.stats.reset();
    return ok(ctx.stats.snapshot());
  });
  r.add("GET", "/__sim/faults", (ctx) => ok(ctx.faults.settings));
  r.add("POST", "/__sim/faults", async (ctx) => {
    const parsedBody = await jsonBody(ctx);
    if ("reply" in parsedBody) return parsedBody.reply;
    const body = parsedBody.value;
    try {
      ctx.faults.merge(body);
    } catch (e) {
      return err(400, `invalid faults: ${(e as Error).message}`);
    }
    return ok(ctx.faults.settings);
  });
  r.add("DELETE", "/__sim/faults", (ctx) => {
    ctx.faults.clear();
    return ok(ctx.faults.settings);
  });
  r.add("GET", "/__sim/clock", (ctx) => ok({ now: iso(ctx.store.clock.now()), frozen: ctx.store.clock.frozen }));
  r.add("POST", "/__sim/clock", async (ctx) => {
    const parsedBody = await jsonBody(ctx);
    if ("reply" in parsedBody) return parsedBody.reply;
    const body = parsedBody.value;
    const clock = ctx.store.clock;
    const now = body["now"];
    const frozen = body["frozen"];
    if (frozen !== undefined && typeof frozen !== "boolean") return err(400, "frozen must be a boolean");
    ctx.store.settle();
    if (now !== undefined) {
      if (typeof now !== "string") return err(400, 'now must be an ISO instant or an offset like "+1h"');
      let at: number;
      try {
        at = resolveTime(now, clock.now());
      } catch (e) {
        return err(400, (e as Error).message);
      }
      clock.set(at, frozen);
    } else if (frozen !== undefined) clock.setFrozen(frozen);
    return ok({ now: iso(clock.now()), frozen: clock.frozen });
  });
  r.add("GET", "/__sim/state", (ctx) => ok(stateJson(ctx.store)));
  const lifecycleJson = (ctx: ControlCtx) => ({ enabled: ctx.lifecycle.enabled, ...ctx.lifecycle.stats });
  r.add("GET", "/__sim/lifecycle", (ctx) => ok(lifecycleJson(ctx)));
  // {"enabled": bool} switches the executor; {"tick": true} runs one pass at the current instant.
  r.add("POST", "/__sim/lifecycle", async (ctx) => {
    const parsedBody = await jsonBody(ctx);
    if ("reply" in parsedBody) return parsedBody.reply;
    const { enabled, tick } = parsedBody.value;
    if (enabled !== undefined && typeof enabled !== "boolean") return err(400, "enabled must be a boolean");
    if (tick !== undefined && typeof tick !== "boolean") return err(400, "tick must be a boolean");
    if (enabled !== undefined) ctx.lifecycle.enabled = enabled;
    if (tick) ctx.lifecycle.tick(ctx.store.clock.now());
    return ok(lifecycleJson(ctx));
  });
  r.add("GET", "/__sim/churn", (ctx) => ok({ per_second: ctx.churn.perSecond, changes: ctx.churn.changes }));
  r.add("POST", "/__sim/churn", async (ctx) => {
    const parsedBody = await jsonBody(ctx);
    if ("reply" in parsedBody) return parsedBody.reply;
    const rate = parsedBody.value["per_second"];
    if (typeof rate !== "number" || !(rate >= 0) || rate > 10_000) return err(400, "per_second must be a number from 0 to 10000");
    ctx.churn.setRate(rate);
    return ok({ per_second: ctx.churn.perSecond, changes: ctx.churn.changes });
  });
  r.add("POST", "/__sim/workspaces", async (ctx) => {
    const parsedBody = await jsonBody(ctx);
    if ("reply" in parsedBody) return parsedBody.reply;
    const body = parsedBody.value;
    const parsed = scenarioWorkspaceSchema.safeParse(body);
    if (!parsed.success) return err(400, "invalid workspace", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    try {
      const ws = ctx.store.addWorkspace(parsed.data, "workspace");
      return ok(workspaceJson(ctx.store, ws, ws.ownerId), 201);
    } catch (e) {
      return err(400, (e as Error).message);
    }
  });
  // Workspace activity as Coder records it from agent stats: {"last_used_at": ISO or offset} (default:
  // the clock's now). The lifecycle executor's next tick bumps the deadline when it is recent.
  r.add("POST", "/__sim/workspaces/{owner}/{name}/activity", async (ctx) => {
    const parsedBody = await jsonBody(ctx);
    if ("reply" in parsedBody) return parsedBody.reply;
    const at = parsedBody.value["last_used_at"];
    if (at !== undefined && typeof at !== "string") return err(400, 'last_used_at must be an ISO instant or an offset like "-3h"');
    const owner = ctx.store.findUser(ctx.params["owner"] ?? "");
    const name = (ctx.params["name"] ?? "").toLowerCase();
    ctx.store.settle();
    const ws = owner ? [...ctx.store.workspaceById.values()].find((w) => w.ownerId === owner.id && w.name.toLowerCase() === name && !isDeleted(w)) : undefined;
    if (!ws) return err(404, `unknown workspace "${ctx.params["owner"]}/${ctx.params["name"]}"`);
    try {
      ws.lastUsedAt = at === undefined ? ctx.store.clock.now() : resolveTime(at, ctx.store.clock.now());
    } catch (e) {
      return err(400, (e as Error).message);
    }
    return ok({ owner: ctx.params["owner"], name: ws.name, last_used_at: iso(ws.lastUsedAt) });
  });
  r.add("PUT", "/__sim/users/{user}/quiet-hours", async (ctx) => {
    const parsedBody = await jsonBody(ctx);
    if ("reply" in parsedBody) return parsedBody.reply;
    const body = parsedBody.value;
    const user = ctx.store.findUser(ctx.params["user"] ?? "");
    if (!user) return err(404, `unknown user "${ctx.params["user"]}"`);
    const schedule = body["schedule"];
    if (schedule !== null && typeof schedule !== "string") return err(400, "schedule must be a string (empty or null = deployment default)");
    if (!schedule) user.quietHours = null;
    else {
      try {
        user.quietHours = normalizeDaily(parseDaily(schedule));
      } catch (e) {
        return err(400, (e as Error).message);
      }
    }
    return ok(quietHoursJson(ctx.store, user));
  });
  return r;
}
