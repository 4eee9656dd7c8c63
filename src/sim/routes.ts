/** Handlers of the Coder API routes the simulator serves (paths as in coderd/coderd.go). */
import { type Reply, Router, FORBIDDEN, NOT_FOUND, err, ok } from "./http.js";
import type { Transition, User, Workspace } from "./model.js";
import { isDeleted, isJobActive, latestBuild } from "./model.js";
import { QueryError, parsePagination, parseQuery, workspaceFilter } from "./query.js";
import {
  groupJson,
  memberJson,
  orgJson,
  quietHoursJson,
  buildJson,
  templateJson,
  userJson,
  workspaceJson,
} from "./render.js";
import { normalizeDaily, parseDaily } from "./schedule.js";
import type { Store } from "./store.js";

export interface Ctx {
  store: Store;
  url: URL;
  params: Record<string, string>;
  /** The authenticated caller (always set for routes with auth). */
  user: User;
  body: () => Promise<string>;
  baseUrl: string;
}

export interface ApiRoute {
  handler: (ctx: Ctx) => Reply | Promise<Reply>;
  /** Needs a session token (everything but buildinfo and entitlements). */
  auth: boolean;
  /** Enterprise feature checked before auth, like Coder's *EnabledMW middlewares. */
  feature?: "advanced_template_scheduling" | "template_rbac";
}

const FORBIDDEN_DETAIL =
  "You don't have permission to view this content. If you believe this is a mistake, please contact your administrator or try signing in with different credentials.";
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BUILD_REASONS = ["dashboard", "cli", "ssh_connection", "vscode_connection", "jetbrains_connection"];
const TRANSITIONS = ["start", "stop", "delete"];

export const FEATURE_MESSAGES = {
  advanced_template_scheduling: "Advanced template scheduling (and user quiet hours schedule) is an Enterprise feature. Contact sales!",
  template_rbac: "Template RBAC is an Enterprise feature. Contact sales!",
} as const;

function paginate<T>(items: T[], url: URL): T[] {
  const { limit, offset } = parsePagination(url.searchParams);
  return limit > 0 ? items.slice(offset, offset + limit) : items.slice(offset);
}

/** Resolves {user} (id, username or "me"); members may read other users' public data. */
function userParam(ctx: Ctx): User | undefined {
  const ref = ctx.params["user"] ?? "";
  return ref === "me" ? ctx.user : ctx.store.findUser(ref);
}

function canSee(ctx: Ctx, ws: Workspace): boolean {
  return ctx.store.seesAllWorkspaces(ctx.user) || ws.ownerId === ctx.user.id;
}

function workspaceParam(ctx: Ctx, includeDeleted = false): Workspace | Reply {
  const id = ctx.params["id"] ?? "";
  if (!UUID_RE.test(id)) return err(400, `Invalid UUID "${id}".`, "invalid UUID length: " + id.length);
  const ws = ctx.store.workspaceById.get(id);
  if (!ws || !canSee(ctx, ws)) return NOT_FOUND;
  if (isDeleted(ws) && !includeDeleted) {
    return err(410, `Workspace "${ws.id}" was deleted, you can view this workspace by specifying '?include_deleted=true' and trying again.`);
  }
  return ws;
}

const isReply = (x: unknown): x is Reply => typeof x === "object" && x !== null && "status" in x && "body" in x;

function orgParam(ctx: Ctx) {
  const org = ctx.store.findOrg(ctx.params["org"] ?? "");
  if (!org) return undefined;
  if (!ctx.store.isOwner(ctx.user) && !ctx.user.orgIds.includes(org.id)) return undefined;
  return org;
}

function visibleTemplates(ctx: Ctx) {
  const { store, user } = ctx;
  return store.isOwner(user) ? store.templates : store.templates.filter((t) => user.orgIds.includes(t.orgId));
}

function filterTemplates(ctx: Ctx, list: Store["templates"]): Store["templates"] | Reply {
  const q = ctx.url.searchParams.get("q");
  if (!q) return list;
  let values: Map<string, string[]>;
  try {
    values = parseQuery(q, "name");
  } catch (e) {
    if (e instanceof QueryError) return err(400, "Invalid template search query.", undefined, e.validations);
    throw e;
  }
  const known = new Set(["name", "exact_name", "display_name", "exact_display_name", "organization", "deprecated", "ids", "deleted"]);
  const bad = [...values.keys()].filter((k) => !known.has(k));
  if (bad.length) return err(400, "Invalid template search query.", undefined, bad.map((k) => ({ field: k, detail: `Query param "${k}" is not a valid query param` })));
  return list.filter((t) => {
    for (const [k, vs] of values) {
      const v = vs[0] ?? "";
      if (k === "name" && !t.name.toLowerCase().includes(v)) return false;
      if (k === "exact_name" && t.name.toLowerCase() !== v) return false;
      if (k === "display_name" && !t.displayName.toLowerCase().includes(v)) return false;
      if (k === "exact_display_name" && t.displayName.toLowerCase() !== v) return false;
      if (k === "organization" && ctx.store.findOrg(v)?.id !== t.orgId) return false;
      if (k === "deprecated" && String(t.deprecated) !== v) return false;
      if (k === "ids" && !v.split(",").includes(t.id)) return false;
    }
    return true;
  });
}

async function postBuild(ctx: Ctx): Promise<Reply> {
  const ws = workspaceParam(ctx);
  if (isReply(ws)) return ws;
  let body: unknown;
  try {
    body = JSON.parse((await ctx.body()) || "null");
  } catch (e) {
    return err(400, "Request body must be valid JSON.", (e as Error).message);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return err(400, "Request body must be valid JSON.", "expected a JSON object");
  }
  const b = body as Record<string, unknown>;
  const transition = b["transition"];
  const reason = b["reason"];
  const validations: { field: string; detail: string }[] = [];
  if (transition === undefined || transition === "") {
    validations.push({ field: "transition", detail: 'Validation failed for tag "required" with value: ""' });
  } else if (typeof transition !== "string" || !TRANSITIONS.includes(transition)) {
    validations.push({ field: "transition", detail: `Validation failed for tag "oneof" with value: "${String(transition)}"` });
  }
  if (reason !== undefined && reason !== "" && (typeof reason !== "string" || !BUILD_REASONS.includes(reason))) {
    validations.push({ field: "reason", detail: `Validation failed for tag "oneof" with value: "${String(reason)}"` });
  }
  const tvid = b["template_version_id"];
  if (tvid !== undefined && (typeof tvid !== "string" || !UUID_RE.test(tvid))) {
    validations.push({ field: "template_version_id", detail: `Validation failed for tag "uuid" with value: "${String(tvid)}"` });
  }
  if (validations.length) return err(400, "Validation failed.", undefined, validations);
  if (b["orphan"] === true && transition !== "delete") {
    return err(400, "Orphan is only permitted when deleting a workspace.");
  }
  // wsbuilder.authorize: a caller who may read the workspace but not build it (template admin,
  // auditor) gets a 403 naming the transition; Coder's detail is the generic forbidden text.
  if (ws.ownerId !== ctx.user.id && !ctx.store.buildsAnyWorkspace(ctx.user)) {
    return err(403, `You do not have permission to ${String(transition)} this workspace.`, FORBIDDEN_DETAIL);
  }
  if (isJobActive(latestBuild(ws))) return err(409, "A workspace build is already active.");
  const build = ctx.store.createBuild(
    ws,
    transition as Transition,
    typeof reason === "string" && reason !== "" ? reason : "initiator",
    ctx.user,
    typeof tvid === "string" ? tvid : undefined,
  );
  return ok(buildJson(ctx.store, ws, build), 201);
}

export function apiRouter(): Router<ApiRoute> {
  const r = new Router<ApiRoute>();
  const authed = (handler: ApiRoute["handler"], feature?: ApiRoute["feature"]): ApiRoute => ({
    handler,
    auth: true,
    ...(feature ? { feature } : {}),
  });

  r.add("GET", "/api/v2/buildinfo", {
    auth: false,
    handler: (ctx) =>
      ok({
        external_url: "https://github.com/coder/coder",
        version: ctx.store.deployment.version,
        dashboard_url: ctx.baseUrl,
        telemetry: false,
        workspace_proxy: false,
        agent_api_version: "2.0",
        provisioner_api_version: "1.0",
        upgrade_message: "",
        deployment_id: ctx.store.deployment.deploymentId,
        webpush_public_key: "",
      }),
  });

  r.add("GET", "/api/v2/entitlements", {
    auth: false,
    handler: (ctx) => {
      const licensed = ctx.store.deployment.licensed;
      const feature = (enabled: boolean) => ({ entitlement: licensed ? "entitled" : "not_entitled", enabled: licensed && enabled });
      return ok({
        features: {
          advanced_template_scheduling: feature(true),
          template_rbac: feature(true),
          audit_log: feature(true),
          multiple_organizations: feature(ctx.store.orgs.length > 1),
          user_limit: { ...feature(true), limit: 10_000, actual: ctx.store.listedUsers().length },
        },
        warnings: [],
        errors: [],
        has_license: licensed,
        trial: false,
        require_telemetry: false,
        refreshed_at: new Date(ctx.store.clock.now()).toISOString(),
      });
    },
  });

  r.add("GET", "/api/v2/users", authed((ctx) => {
    const q = ctx.url.searchParams.get("q") ?? "";
    let values: Map<string, string[]>;
    try {
      values = parseQuery(q, "search");
    } catch (e) {
      if (e instanceof QueryError) return err(400, "Invalid user search query.", undefined, e.validations);
      throw e;
    }
    const known = new Set(["search", "name", "status", "role", "login_type", "last_seen_after", "last_seen_before", "created_after", "created_before", "github_com_user_id", "service_account"]);
    const bad = [...values.keys()].filter((k) => !known.has(k));
    if (bad.length) return err(400, "Invalid user search query.", undefined, bad.map((k) => ({ field: k, detail: `Query param "${k}" is not a valid query param` })));
    const search = values.get("search")?.[0];
    const status = values.get("status")?.flatMap((s) => s.split(","));
    const role = values.get("role")?.[0];
    const users = ctx.store.listedUsers()
      .filter((u) => !search || u.username.toLowerCase().includes(search) || u.email.toLowerCase().includes(search))
      .filter((u) => !status || status.includes(u.status))
      .filter((u) => !role || (role === "member" ? true : u.roles.includes(role)))
      .sort((a, b) => (a.username < b.username ? -1 : 1));
    return ok({ users: paginate(users, ctx.url).map(userJson), count: users.length });
  }));

  r.add("GET", "/api/v2/users/{user}", authed((ctx) => {
    const u = userParam(ctx);
    return u ? ok(userJson(u)) : NOT_FOUND;
  }));

  r.add("GET", "/api/v2/users/{user}/organizations", authed((ctx) => {
    const u = userParam(ctx);
    if (!u) return NOT_FOUND;
    return ok(u.orgIds.flatMap((id) => {
      const o = ctx.store.orgById.get(id);
      return o ? [orgJson(o)] : [];
    }));
  }));

  r.add("GET", "/api/v2/users/{user}/quiet-hours", authed((ctx) => {
    const u = userParam(ctx);
    if (!u || (u.id !== ctx.user.id && !ctx.store.isOwner(ctx.user) && !ctx.user.roles.includes("user-admin"))) return NOT_FOUND;
    return ok(quietHoursJson(ctx.store, u));
  }, "advanced_template_scheduling"));

  r.add("PUT", "/api/v2/users/{user}/quiet-hours", authed(async (ctx) => {
    const u = userParam(ctx);
    if (!u || (u.id !== ctx.user.id && !ctx.store.isOwner(ctx.user))) return NOT_FOUND;
    let body: unknown;
    try {
      body = JSON.parse((await ctx.body()) || "null");
    } catch (e) {
      return err(400, "Request body must be valid JSON.", (e as Error).message);
    }
    const schedule = (body as { schedule?: unknown } | null)?.schedule;
    if (typeof schedule !== "string") {
      return err(400, "Validation failed.", undefined, [{ field: "schedule", detail: 'Validation failed for tag "required" with value: ""' }]);
    }
    if (!ctx.store.deployment.allowUserCustom) {
      return err(403, "Users cannot set custom quiet hours schedule due to deployment configuration.");
    }
    if (schedule === "") u.quietHours = null;
    else {
      try {
        u.quietHours = normalizeDaily(parseDaily(schedule));
      } catch (e) {
        return err(400, "Invalid quiet hours schedule.", (e as Error).message);
      }
    }
    return ok(quietHoursJson(ctx.store, u));
  }, "advanced_template_scheduling"));

  r.add("GET", "/api/v2/users/{user}/workspace/{name}", authed((ctx) => {
    const u = userParam(ctx);
    if (!u) return NOT_FOUND;
    const name = (ctx.params["name"] ?? "").toLowerCase();
    const ws = (ctx.store.workspacesByOwner.get(u.id) ?? []).find((w) => w.name.toLowerCase() === name && !isDeleted(w));
    if (!ws || !canSee(ctx, ws)) return NOT_FOUND;
    return ok(workspaceJson(ctx.store, ws, ctx.user.id));
  }));

  r.add("GET", "/api/v2/workspaces", authed((ctx) => {
    const { store, user, url } = ctx;
    const { limit, offset } = parsePagination(url.searchParams);
    const { owners, pred } = workspaceFilter(store, url.searchParams.get("q") ?? "", user.id);
    let scope = owners;
    if (!store.seesAllWorkspaces(user)) scope = (scope ?? [user.id]).filter((id) => id === user.id);
    let candidates: Workspace[];
    if (scope !== null) {
      const set = new Set(scope);
      candidates = store.listedWorkspaces().filter((w) => set.has(w.ownerId));
    } else candidates = store.listedWorkspaces();
    const matched = candidates.filter(pred);
    const page = limit > 0 ? matched.slice(offset, offset + limit) : matched.slice(offset);
    return ok({ workspaces: page.map((w) => workspaceJson(store, w, user.id)), count: matched.length });
  }));

  r.add("GET", "/api/v2/workspaces/{id}", authed((ctx) => {
    const ws = workspaceParam(ctx, ctx.url.searchParams.get("include_deleted") === "true");
    return isReply(ws) ? ws : ok(workspaceJson(ctx.store, ws, ctx.user.id));
  }));

  r.add("GET", "/api/v2/workspaces/{id}/builds", authed((ctx) => {
    const ws = workspaceParam(ctx, true);
    if (isReply(ws)) return ws;
    const builds = [...ws.builds].reverse();
    return ok(paginate(builds, ctx.url).map((b) => buildJson(ctx.store, ws, b)));
  }));

  r.add("POST", "/api/v2/workspaces/{id}/builds", authed(postBuild));

  r.add("GET", "/api/v2/templates", authed((ctx) => {
    const list = filterTemplates(ctx, visibleTemplates(ctx));
    return isReply(list) ? list : ok(list.map((t) => templateJson(ctx.store, t)));
  }));

  r.add("GET", "/api/v2/templates/{id}", authed((ctx) => {
    const t = ctx.store.templateById.get(ctx.params["id"] ?? "");
    if (!t || !visibleTemplates(ctx).includes(t)) return NOT_FOUND;
    return ok(templateJson(ctx.store, t));
  }));

  r.add("GET", "/api/v2/organizations", authed((ctx) => {
    const { store, user } = ctx;
    const orgs = store.isOwner(user) ? store.orgs : store.orgs.filter((o) => user.orgIds.includes(o.id));
    return ok(orgs.map(orgJson));
  }));

  r.add("GET", "/api/v2/organizations/{org}", authed((ctx) => {
    const org = orgParam(ctx);
    return org ? ok(orgJson(org)) : NOT_FOUND;
  }));

  r.add("GET", "/api/v2/organizations/{org}/templates", authed((ctx) => {
    const org = orgParam(ctx);
    if (!org) return NOT_FOUND;
    const list = filterTemplates(ctx, visibleTemplates(ctx).filter((t) => t.orgId === org.id));
    return isReply(list) ? list : ok(list.map((t) => templateJson(ctx.store, t)));
  }));

  r.add("GET", "/api/v2/organizations/{org}/members", authed((ctx) => {
    const org = orgParam(ctx);
    if (!org) return NOT_FOUND;
    return ok(ctx.store.listedUsers().filter((u) => u.orgIds.includes(org.id)).map((u) => memberJson(org, u)));
  }));

  const groupsFor = (ctx: Ctx, orgId?: string) => {
    const { store, user } = ctx;
    return store.groups.filter(
      (g) => (orgId === undefined || g.orgId === orgId) && (store.isOwner(user) || user.orgIds.includes(g.orgId)),
    );
  };

  r.add("GET", "/api/v2/groups", authed((ctx) => {
    const sp = ctx.url.searchParams;
    let orgId: string | undefined;
    const orgRef = sp.get("organization");
    if (orgRef) {
      const org = ctx.store.findOrg(orgRef);
      if (!org) return err(400, "Query parameters have invalid values.", undefined, [{ field: "organization", detail: `Organization "${orgRef}" not found` }]);
      orgId = org.id;
    }
    let groups = groupsFor(ctx, orgId);
    const hasMember = sp.get("has_member");
    if (hasMember) {
      const u = ctx.store.findUser(hasMember);
      groups = groups.filter((g) => u !== undefined && g.memberIds.includes(u.id));
    }
    const ids = sp.get("group_ids");
    if (ids) {
      const set = new Set(ids.split(","));
      groups = groups.filter((g) => set.has(g.id));
    }
    return ok(groups.map((g) => groupJson(ctx.store, g)));
  }, "template_rbac"));

  r.add("GET", "/api/v2/groups/{group}", authed((ctx) => {
    const g = groupsFor(ctx).find((x) => x.id === ctx.params["group"]);
    return g ? ok(groupJson(ctx.store, g)) : NOT_FOUND;
  }, "template_rbac"));

  r.add("GET", "/api/v2/organizations/{org}/groups", authed((ctx) => {
    const org = orgParam(ctx);
    if (!org) return NOT_FOUND;
    return ok(groupsFor(ctx, org.id).map((g) => groupJson(ctx.store, g)));
  }, "template_rbac"));

  r.add("GET", "/api/v2/organizations/{org}/groups/{name}", authed((ctx) => {
    const org = orgParam(ctx);
    const name = (ctx.params["name"] ?? "").toLowerCase();
    const g = org ? groupsFor(ctx, org.id).find((x) => x.name.toLowerCase() === name) : undefined;
    return g ? ok(groupJson(ctx.store, g)) : NOT_FOUND;
  }, "template_rbac"));

  r.add("GET", "/api/v2/deployment/config", authed((ctx) => {
    const { store, user } = ctx;
    if (!(store.isOwner(user) || user.roles.includes("template-admin") || user.roles.includes("auditor"))) return FORBIDDEN;
    const d = store.deployment;
    return ok({
      config: {
        access_url: ctx.baseUrl,
        autobuild_poll_interval: 60_000_000_000,
        rate_limit: { api: d.rateLimitPerMinute, disable_all: d.rateLimitPerMinute === 0 },
        user_quiet_hours_schedule: { default_schedule: d.defaultQuietHours, allow_user_custom: d.allowUserCustom },
      },
      options: [],
    });
  }));

  return r;
}
