/** Turns store records into Coder's JSON shapes (codersdk.* in coderd/apidoc/swagger.json). */
import type { Build, Group, Org, Template, User, Workspace } from "./model.js";
import { PREBUILDS_USER_ID, latestBuild, workspaceStatus } from "./model.js";
import { formatHHmm, nextDaily, normalizeDaily, parseDaily } from "./schedule.js";
import type { Store } from "./store.js";
import { iso, isoAtOffset } from "./time.js";

type Json = Record<string, unknown>;

const ROLE_DISPLAY: Record<string, string> = {
  owner: "Owner",
  "template-admin": "Template Admin",
  "user-admin": "User Admin",
  auditor: "Auditor",
};

const nullableIso = (ms: number | null) => (ms === null ? null : iso(ms));

export function reducedUserJson(u: User): Json {
  return {
    id: u.id,
    username: u.username,
    avatar_url: "",
    name: u.name,
    email: u.email,
    created_at: iso(u.createdAt),
    updated_at: iso(u.createdAt),
    last_seen_at: iso(u.createdAt),
    status: u.status,
    login_type: "password",
    theme_preference: "",
  };
}

export function userJson(u: User): Json {
  return {
    ...reducedUserJson(u),
    organization_ids: u.orgIds,
    roles: u.roles.map((r) => ({ name: r, display_name: ROLE_DISPLAY[r] ?? r, organization_id: "" })),
  };
}

export function orgJson(o: Org): Json {
  return {
    id: o.id,
    name: o.name,
    display_name: o.displayName,
    description: o.description,
    icon: "",
    created_at: iso(o.createdAt),
    updated_at: iso(o.createdAt),
    is_default: o.isDefault,
  };
}

export function memberJson(o: Org, u: User): Json {
  return {
    user_id: u.id,
    organization_id: o.id,
    created_at: iso(u.createdAt),
    updated_at: iso(u.createdAt),
    roles: [],
    username: u.username,
    name: u.name,
    avatar_url: "",
    email: u.email,
    global_roles: userJson(u)["roles"],
  };
}

export function groupJson(store: Store, g: Group): Json {
  const org = store.orgById.get(g.orgId);
  const members = g.memberIds.flatMap((id) => {
    const u = store.userById.get(id);
    return u ? [reducedUserJson(u)] : [];
  });
  return {
    id: g.id,
    name: g.name,
    display_name: g.displayName,
    organization_id: g.orgId,
    organization_name: org?.name ?? "",
    organization_display_name: org?.displayName ?? "",
    members,
    total_member_count: members.length,
    avatar_url: "",
    quota_allowance: 0,
    source: "user",
  };
}

export function templateJson(store: Store, t: Template): Json {
  const org = store.orgById.get(t.orgId);
  const creator = store.userById.get(t.createdById);
  const active = store.listedWorkspaces().length > 0 ? activeUsers(store, t) : 0;
  return {
    id: t.id,
    created_at: iso(t.createdAt),
    updated_at: iso(t.createdAt),
    organization_id: t.orgId,
    organization_name: org?.name ?? "",
    organization_display_name: org?.displayName ?? "",
    organization_icon: "",
    name: t.name,
    display_name: t.displayName,
    provisioner: "terraform",
    active_version_id: t.activeVersionId,
    active_user_count: active,
    build_time_stats: { start: { p50: 1200, p95: 3400 }, stop: { p50: 800, p95: 1500 }, delete: { p50: 900, p95: 1700 } },
    description: t.description,
    deprecated: t.deprecated,
    deprecation_message: "",
    icon: t.icon,
    default_ttl_ms: t.defaultTtlMs,
    activity_bump_ms: t.activityBumpMs,
    autostop_requirement: { days_of_week: t.autostopDays, weeks: t.autostopWeeks },
    autostart_requirement: { days_of_week: t.autostartDays },
    created_by_id: t.createdById,
    created_by_name: creator?.username ?? "",
    allow_user_autostart: t.allowUserAutostart,
    allow_user_autostop: t.allowUserAutostop,
    allow_user_cancel_workspace_jobs: true,
    failure_ttl_ms: t.failureTtlMs,
    time_til_dormant_ms: t.timeTilDormantMs,
    time_til_dormant_autodelete_ms: t.timeTilDormantAutodeleteMs,
    require_active_version: false,
    max_port_share_level: "public",
    cors_behavior: "simple",
    use_classic_parameter_flow: false,
  };
}

function activeUsers(store: Store, t: Template): number {
  const owners = new Set<string>();
  for (const ws of store.listedWorkspaces()) if (ws.templateId === t.id) owners.add(ws.ownerId);
  return owners.size;
}

export function buildJson(store: Store, ws: Workspace, b: Build): Json {
  const owner = store.userById.get(ws.ownerId);
  const initiator = store.userById.get(b.initiatorId);
  const template = store.templateById.get(ws.templateId);
  const job: Json = {
    id: b.jobId,
    created_at: iso(b.createdAt),
    status: b.jobStatus,
    file_id: b.templateVersionId,
    tags: { scope: "organization", owner: "" },
    queue_position: 0,
    queue_size: 0,
    organization_id: ws.orgId,
    initiator_id: b.initiatorId,
    input: { workspace_build_id: b.id },
    type: "workspace_build",
    metadata: {
      template_version_name: template?.activeVersionName ?? "",
      template_id: ws.templateId,
      template_name: template?.name ?? "",
      template_display_name: template?.displayName ?? "",
      template_icon: template?.icon ?? "",
      workspace_id: ws.id,
      workspace_name: ws.name,
    },
    logs_overflowed: false,
  };
  if (b.startedAt !== null) job["started_at"] = iso(b.startedAt);
  if (b.completedAt !== null) job["completed_at"] = iso(b.completedAt);
  if (b.canceledAt !== null) job["canceled_at"] = iso(b.canceledAt);
  if (b.error !== null) job["error"] = b.error;
  if (b.startedAt !== null) {
    job["worker_id"] = "00000000-0000-4000-8000-00000000cafe";
    job["worker_name"] = "sim-provisioner";
  }
  return {
    id: b.id,
    created_at: iso(b.createdAt),
    updated_at: iso(b.completedAt ?? b.startedAt ?? b.createdAt),
    workspace_id: ws.id,
    workspace_name: ws.name,
    workspace_owner_id: ws.ownerId,
    workspace_owner_name: owner?.username ?? "",
    workspace_owner_avatar_url: "",
    template_version_id: b.templateVersionId,
    template_version_name: template?.activeVersionName ?? "",
    build_number: b.number,
    transition: b.transition,
    initiator_id: b.initiatorId,
    initiator_name: initiator?.username ?? "",
    job,
    reason: b.reason,
    resources: [],
    deadline: nullableIso(b.deadline),
    max_deadline: nullableIso(b.maxDeadline),
    status: workspaceStatus(b),
    daily_cost: 0,
    matched_provisioners: { count: 1, available: 1, most_recently_seen: iso(store.clock.now()) },
    template_version_preset_id: null,
    has_ai_task: false,
    has_external_agent: false,
  };
}

/**
 * A workspace as `requesterId` sees it: like Coder's convertWorkspace, `favorite` is true only
 * for the requester's own favourites.
 */
export function workspaceJson(store: Store, ws: Workspace, requesterId: string): Json {
  const owner = store.userById.get(ws.ownerId);
  const org = store.orgById.get(ws.orgId);
  const template = store.templateById.get(ws.templateId);
  const b = latestBuild(ws);
  // With allow_user_autostop=false (and a licence) Coder reports the template's TTL.
  const ttl =
    template && !template.allowUserAutostop && store.deployment.licensed ? template.defaultTtlMs || null : ws.ttlMs;
  const out: Json = {
    id: ws.id,
    created_at: iso(ws.createdAt),
    updated_at: iso(ws.updatedAt),
    owner_id: ws.ownerId,
    owner_name: owner?.username ?? "",
    owner_avatar_url: "",
    organization_id: ws.orgId,
    organization_name: org?.name ?? "",
    template_id: ws.templateId,
    template_name: template?.name ?? "",
    template_display_name: template?.displayName ?? "",
    template_icon: template?.icon ?? "",
    template_allow_user_cancel_workspace_jobs: true,
    template_active_version_id: template?.activeVersionId ?? "",
    template_require_active_version: false,
    template_use_classic_parameter_flow: false,
    latest_build: buildJson(store, ws, b),
    latest_app_status: null,
    outdated: ws.outdated,
    name: ws.name,
    last_used_at: ws.lastUsedAt === null ? "0001-01-01T00:00:00Z" : iso(ws.lastUsedAt),
    deleting_at: nullableIso(ws.deletingAt),
    dormant_at: nullableIso(ws.dormantAt),
    health: { healthy: true, failing_agents: [] },
    automatic_updates: "never",
    allow_renames: false,
    favorite: ws.favorite && ws.ownerId === requesterId,
    next_start_at: null,
    is_prebuild: ws.ownerId === PREBUILDS_USER_ID,
  };
  if (ws.taskId !== null) out["task_id"] = ws.taskId;
  if (ws.autostart) out["autostart_schedule"] = ws.autostart;
  if (ttl !== null) out["ttl_ms"] = ttl;
  return out;
}

export function quietHoursJson(store: Store, u: User): Json {
  const { raw, userSet } = store.quietHoursOf(u);
  const s = parseDaily(raw);
  const next = nextDaily(s, store.clock.now());
  return {
    raw_schedule: normalizeDaily(s),
    user_set: userSet,
    user_can_set: store.deployment.allowUserCustom,
    time: formatHHmm(s),
    timezone: s.zone,
    // Coder computes Next in the schedule's own location, so the offset is the schedule's.
    next: isoAtOffset(next, s.tz.offset(next)),
  };
}
