/**
 * The simulated deployment's state: built from a scenario (plus `generate`), indexed for fast
 * lookups, with builds that move pending → running → succeeded over a configurable delay.
 */
import { DEFAULT_ORG, generateEntities } from "./generate.js";
import { stableUuid } from "./ids.js";
import {
  type Build,
  type Group,
  type JobStatus,
  type Org,
  type Template,
  type Transition,
  type User,
  type Workspace,
  PREBUILDS_USERNAME,
  PREBUILDS_USER_ID,
  isDeleted,
  latestBuild,
} from "./model.js";
import { autostopMaxDeadline, parseDaily } from "./schedule.js";
import type { Scenario, ScenarioUser, ScenarioWorkspace, WorkspaceStatus } from "./scenario.js";
import { ScenarioError } from "./scenario.js";
import { SimClock, resolveTime } from "./time.js";

export interface Deployment {
  version: string;
  licensed: boolean;
  defaultQuietHours: string;
  allowUserCustom: boolean;
  rateLimitPerMinute: number;
  deploymentId: string;
}

interface InFlight {
  build: Build;
  workspace: Workspace;
  realStart: number;
  delayMs: number;
}

/** Coder's built-in per-organization group. */
export const EVERYONE_GROUP = "Everyone";

const STATUS_TO_BUILD: Record<WorkspaceStatus, { transition: Transition; job: JobStatus }> = {
  pending: { transition: "start", job: "pending" },
  starting: { transition: "start", job: "running" },
  running: { transition: "start", job: "succeeded" },
  stopping: { transition: "stop", job: "running" },
  stopped: { transition: "stop", job: "succeeded" },
  failed: { transition: "start", job: "failed" },
  canceling: { transition: "start", job: "canceling" },
  canceled: { transition: "start", job: "canceled" },
  deleting: { transition: "delete", job: "running" },
  deleted: { transition: "delete", job: "succeeded" },
};

export class Store {
  readonly orgs: Org[] = [];
  readonly users: User[] = [];
  readonly groups: Group[] = [];
  readonly templates: Template[] = [];
  readonly orgById = new Map<string, Org>();
  readonly orgByName = new Map<string, Org>();
  readonly userById = new Map<string, User>();
  readonly userByName = new Map<string, User>();
  readonly userByToken = new Map<string, User>();
  readonly templateById = new Map<string, Template>();
  readonly workspaceById = new Map<string, Workspace>();
  readonly workspacesByOwner = new Map<string, Workspace[]>();
  private sorted: Workspace[] = [];
  private sortDirty = false;
  private readonly inflight = new Map<string, InFlight>();
  private buildSeq = 0;

  constructor(
    readonly deployment: Deployment,
    readonly clock: SimClock,
    public buildDelayMs: number,
    private readonly realNow: () => number = () => performance.now(),
  ) {}

  // ---- lookups ---------------------------------------------------------------------------

  findUser(ref: string): User | undefined {
    return this.userById.get(ref) ?? this.userByName.get(ref.toLowerCase());
  }

  findOrg(ref: string): Org | undefined {
    return this.orgById.get(ref) ?? this.orgByName.get(ref.toLowerCase());
  }

  templateByOrgAndName(orgId: string, name: string): Template | undefined {
    const lower = name.toLowerCase();
    return this.templates.find((t) => t.orgId === orgId && t.name.toLowerCase() === lower);
  }

  isOwner(u: User): boolean {
    return u.roles.includes("owner");
  }

  /** Reads every workspace and user (owner, template admin, auditor). */
  seesAllWorkspaces(u: User): boolean {
    return u.roles.includes("owner") || u.roles.includes("template-admin") || u.roles.includes("auditor");
  }

  /** May start/stop/delete any workspace (owner only; template admins and auditors read). */
  buildsAnyWorkspace(u: User): boolean {
    return u.roles.includes("owner");
  }

  /** Users the API lists (system users such as `prebuilds` are left out, as Coder does). */
  listedUsers(): User[] {
    return this.users.filter((u) => !u.system);
  }

  /** Coder's prebuilds system user, created on first use. */
  prebuildsUser(): User {
    const existing = this.userById.get(PREBUILDS_USER_ID);
    if (existing) return existing;
    const user: User = {
      id: PREBUILDS_USER_ID,
      username: PREBUILDS_USERNAME,
      name: "Prebuilds",
      email: "prebuilds@system",
      roles: [],
      orgIds: this.orgs.map((o) => o.id),
      quietHours: null,
      token: "",
      status: "active",
      createdAt: Date.parse("2024-01-01T00:00:00Z"),
      system: true,
    };
    this.users.push(user);
    this.userById.set(user.id, user);
    this.userByName.set(PREBUILDS_USERNAME, user);
    return user;
  }

  /** All non-deleted workspaces, ordered by owner username then name. */
  listedWorkspaces(): Workspace[] {
    if (this.sortDirty) {
      this.sorted.sort((a, b) => this.compareWorkspaces(a, b));
      this.sortDirty = false;
    }
    return this.sorted;
  }

  private compareWorkspaces(a: Workspace, b: Workspace): number {
    const ua = this.userById.get(a.ownerId)?.username ?? "";
    const ub = this.userById.get(b.ownerId)?.username ?? "";
    if (ua !== ub) return ua < ub ? -1 : 1;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  }

  /** Effective quiet-hours schedule string of a user (their own when allowed, else the default). */
  quietHoursOf(u: User): { raw: string; userSet: boolean } {
    if (u.quietHours && this.deployment.allowUserCustom) return { raw: u.quietHours, userSet: true };
    return { raw: this.deployment.defaultQuietHours, userSet: false };
  }

  // ---- construction ----------------------------------------------------------------------

  addOrg(name: string, displayName?: string, description?: string): Org {
    if (this.orgByName.has(name.toLowerCase())) throw new ScenarioError(`duplicate organization "${name}"`);
    const org: Org = {
      id: stableUuid("org", name),
      name,
      displayName: displayName ?? name,
      description: description ?? "",
      isDefault: this.orgs.length === 0,
      createdAt: Date.parse("2024-01-01T00:00:00Z"),
    };
    this.orgs.push(org);
    this.orgById.set(org.id, org);
    this.orgByName.set(name.toLowerCase(), org);
    return org;
  }

  addUser(u: ScenarioUser, path: string): User {
    const key = u.username.toLowerCase();
    if (key === PREBUILDS_USERNAME) throw new ScenarioError(`${path}: "${PREBUILDS_USERNAME}" is Coder's system user; give a prebuilt workspace is_prebuild: true instead`);
    if (this.userByName.has(key)) throw new ScenarioError(`${path}: duplicate user "${u.username}"`);
    const orgIds = (u.organizations ?? [this.orgs[0]?.name ?? DEFAULT_ORG]).map((name, i) => {
      const org = this.findOrg(name);
      if (!org) throw new ScenarioError(`${path}.organizations[${i}]: unknown organization "${name}"`);
      return org.id;
    });
    if (u.quiet_hours) {
      try {
        parseDaily(u.quiet_hours);
      } catch (err) {
        throw new ScenarioError(`${path}.quiet_hours: ${(err as Error).message}`);
      }
    }
    const user: User = {
      id: stableUuid("user", key),
      username: u.username,
      name: u.name ?? u.username,
      email: u.email ?? `${key}@example.com`,
      roles: u.roles.filter((r) => r !== "member"),
      orgIds,
      quietHours: u.quiet_hours ?? null,
      token: u.token ?? `${u.username}-token`,
      status: u.status,
      createdAt: Date.parse("2024-01-01T00:00:00Z"),
    };
    if (this.userByToken.has(user.token)) throw new ScenarioError(`${path}.token: duplicate token`);
    this.users.push(user);
    this.userById.set(user.id, user);
    this.userByName.set(key, user);
    this.userByToken.set(user.token, user);
    return user;
  }

  /** Adds a workspace; relative times are resolved against `base` (default: the clock now). */
  addWorkspace(w: ScenarioWorkspace, path: string, base?: number): Workspace {
    const now = base ?? this.clock.now();
    const prebuild = w.is_prebuild || w.owner?.toLowerCase() === PREBUILDS_USERNAME;
    if (w.is_prebuild && w.owner !== undefined && w.owner.toLowerCase() !== PREBUILDS_USERNAME) {
      throw new ScenarioError(`${path}.owner: a prebuilt workspace is owned by "${PREBUILDS_USERNAME}", not "${w.owner}"`);
    }
    if (w.owner === undefined && !prebuild) throw new ScenarioError(`${path}.owner: required (unless is_prebuild is true)`);
    const owner = prebuild ? this.prebuildsUser() : this.findUser(w.owner ?? "");
    if (!owner) throw new ScenarioError(`${path}.owner: unknown user "${w.owner}"`);
    const tmplMatches = this.templates.filter((t) => t.name.toLowerCase() === w.template.toLowerCase());
    const template = tmplMatches.find((t) => owner.orgIds.includes(t.orgId)) ?? tmplMatches[0];
    if (!template) throw new ScenarioError(`${path}.template: unknown template "${w.template}"`);
    const list = this.workspacesByOwner.get(owner.id) ?? [];
    if (list.some((x) => x.name.toLowerCase() === w.name.toLowerCase() && !isDeleted(x))) {
      throw new ScenarioError(`${path}.name: ${owner.username} already has a workspace "${w.name}"`);
    }
    const t = (v: string | null | undefined) => (v === null || v === undefined ? null : resolveTime(v, now));
    const startedAt = t(w.started_at) ?? now - 3_600_000;
    const createdAt = t(w.created_at) ?? Math.min(startedAt, now - 86_400_000);
    const { transition: derived, job } = STATUS_TO_BUILD[w.status];
    const transition = w.transition ?? derived;
    const ttlMs = w.ttl_ms === undefined ? (template.defaultTtlMs > 0 ? template.defaultTtlMs : null) : w.ttl_ms || null;
    const initiator = w.initiator ? this.findUser(w.initiator) : owner;
    if (!initiator) throw new ScenarioError(`${path}.initiator: unknown user "${w.initiator}"`);
    const id = stableUuid("workspace", owner.username.toLowerCase(), w.name, String(this.workspaceById.size));
    const finished = job !== "pending" && job !== "running";
    const build: Build = {
      id: stableUuid("build", id, String(w.build_number ?? 1)),
      jobId: stableUuid("job", id, String(w.build_number ?? 1)),
      number: w.build_number ?? 1,
      transition,
      jobStatus: job,
      reason: w.reason ?? "initiator",
      initiatorId: initiator.id,
      templateVersionId: template.activeVersionId,
      createdAt: startedAt,
      startedAt: job === "pending" ? null : startedAt,
      completedAt: finished ? startedAt : null,
      canceledAt: job === "canceled" || job === "canceling" ? startedAt : null,
      error: job === "failed" ? (w.job_error ?? "terraform apply: exit status 1 (simulated failure)") : null,
      deadline: null,
      maxDeadline: null,
    };
    if (transition === "start" && job === "succeeded") {
      const computed = this.autostopFor(owner, template, ttlMs, startedAt);
      build.maxDeadline = w.max_deadline === undefined ? computed.maxDeadline : t(w.max_deadline);
      build.deadline = w.deadline === undefined ? cap(computed.ttlDeadline, build.maxDeadline) : t(w.deadline);
    } else {
      build.deadline = t(w.deadline);
      build.maxDeadline = t(w.max_deadline);
    }
    const ws: Workspace = {
      id,
      name: w.name,
      ownerId: owner.id,
      templateId: template.id,
      orgId: template.orgId,
      createdAt,
      updatedAt: startedAt,
      ttlMs,
      autostart: w.autostart_schedule ?? null,
      lastUsedAt: w.last_used_at === undefined ? startedAt : t(w.last_used_at),
      dormantAt: t(w.dormant_at),
      deletingAt: null,
      taskId: w.task_id ?? null,
      outdated: w.outdated,
      favorite: w.favorite,
      params: w.parameters ?? {},
      builds: [build],
    };
    if (w.deleting_at !== undefined) ws.deletingAt = t(w.deleting_at);
    else if (ws.dormantAt !== null && template.timeTilDormantAutodeleteMs > 0) ws.deletingAt = ws.dormantAt + template.timeTilDormantAutodeleteMs;
    this.workspaceById.set(ws.id, ws);
    list.push(ws);
    this.workspacesByOwner.set(owner.id, list);
    if (!isDeleted(ws)) {
      this.sorted.push(ws);
      this.sortDirty = true;
    }
    return ws;
  }

  /** deadline from the TTL and max_deadline from the template's autostop requirement. */
  private autostopFor(owner: User, template: Template, ttlMs: number | null, at: number) {
    const effectiveTtl = template.allowUserAutostop || !this.deployment.licensed ? ttlMs : template.defaultTtlMs || null;
    const ttlDeadline = effectiveTtl ? at + effectiveTtl : null;
    let maxDeadline: number | null = null;
    if (this.deployment.licensed && template.autostopDays.length > 0) {
      const q = parseDaily(this.quietHoursOf(owner).raw);
      maxDeadline = autostopMaxDeadline(at, template.autostopDays, template.autostopWeeks, q);
    }
    return { ttlDeadline, maxDeadline };
  }

  // ---- builds ----------------------------------------------------------------------------

  /** Creates a build (caller checked permissions and the 409 condition). */
  createBuild(ws: Workspace, transition: Transition, reason: string, initiator: User, templateVersionId?: string): Build {
    this.settle();
    const prev = latestBuild(ws);
    const now = this.clock.now();
    const number = prev.number + 1;
    this.buildSeq++;
    const build: Build = {
      id: stableUuid("build", ws.id, String(number), String(this.buildSeq)),
      jobId: stableUuid("job", ws.id, String(number), String(this.buildSeq)),
      number,
      transition,
      jobStatus: "pending",
      reason,
      initiatorId: initiator.id,
      templateVersionId: templateVersionId ?? prev.templateVersionId,
      createdAt: now,
      startedAt: null,
      completedAt: null,
      canceledAt: null,
      error: null,
      deadline: null,
      maxDeadline: null,
    };
    ws.builds.push(build);
    ws.updatedAt = now;
    this.inflight.set(ws.id, { build, workspace: ws, realStart: this.realNow(), delayMs: this.buildDelayMs });
    return build;
  }

  /** Moves in-flight builds along according to the real time elapsed since they were queued. */
  settle(): void {
    if (this.inflight.size === 0) return;
    const real = this.realNow();
    const simNow = this.clock.now();
    for (const [id, f] of this.inflight) {
      const elapsed = real - f.realStart;
      const half = f.delayMs / 2;
      const at = (boundary: number) => Math.max(f.build.createdAt, simNow - Math.max(0, elapsed - boundary));
      if (f.build.jobStatus === "pending" && elapsed >= half) {
        f.build.jobStatus = "running";
        f.build.startedAt = at(half);
      }
      if (f.build.jobStatus === "running" && elapsed >= f.delayMs) {
        this.complete(f.workspace, f.build, at(f.delayMs));
        this.inflight.delete(id);
      }
    }
  }

  private complete(ws: Workspace, build: Build, at: number): void {
    build.jobStatus = "succeeded";
    build.completedAt = at;
    ws.updatedAt = at;
    if (build.transition === "start") {
      const owner = this.userById.get(ws.ownerId);
      const template = this.templateById.get(ws.templateId);
      if (owner && template) {
        const { ttlDeadline, maxDeadline } = this.autostopFor(owner, template, ws.ttlMs, at);
        build.maxDeadline = maxDeadline;
        build.deadline = cap(ttlDeadline, maxDeadline);
      }
      ws.lastUsedAt = at;
    }
    if (build.transition === "delete") {
      const i = this.sorted.indexOf(ws);
      if (i >= 0) this.sorted.splice(i, 1);
    }
  }

  /** Stops every in-flight build from progressing (used on close). */
  clearInflight(): void {
    this.inflight.clear();
  }
}

function cap(deadline: number | null, max: number | null): number | null {
  if (max === null) return deadline;
  if (deadline === null || max < deadline) return max;
  return deadline;
}

/** Builds the store: organizations, users, templates, groups, workspaces (+ generated ones). */
export function buildStore(scenario: Scenario, clock: SimClock, buildDelayMs: number, base: number = clock.now()): Store {
  const dep = scenario.deployment;
  try {
    parseDaily(dep.default_quiet_hours);
  } catch (err) {
    throw new ScenarioError(`scenario.deployment.default_quiet_hours: ${(err as Error).message}`);
  }
  const store = new Store(
    {
      version: dep.version,
      licensed: dep.licensed,
      defaultQuietHours: dep.default_quiet_hours,
      allowUserCustom: dep.allow_user_custom,
      rateLimitPerMinute: dep.rate_limit_per_minute,
      deploymentId: stableUuid("deployment", dep.version),
    },
    clock,
    buildDelayMs,
  );
  let generated;
  try {
    generated = scenario.generate ? generateEntities(scenario, scenario.generate) : undefined;
  } catch (err) {
    throw new ScenarioError(`scenario.generate: ${(err as Error).message}`);
  }

  const orgs = [...scenario.organizations, ...(generated?.organizations ?? [])];
  if (orgs.length === 0) store.addOrg(DEFAULT_ORG, "Coder");
  orgs.forEach((o) => store.addOrg(o.name, o.display_name, o.description));

  const users: { u: ScenarioUser; path: string }[] = [
    ...scenario.users.map((u, i) => ({ u, path: `scenario.users[${i}]` })),
    ...(generated?.users ?? []).map((u, i) => ({ u, path: `generated user ${i}` })),
  ];
  if (!users.some(({ u }) => u.roles.includes("owner"))) {
    const admin = users.find(({ u }) => u.username.toLowerCase() === "admin");
    if (admin) admin.u = { ...admin.u, roles: [...admin.u.roles, "owner"] };
    else
      users.unshift({
        u: { username: "admin", roles: ["owner"], token: "admin-token", status: "active", organizations: store.orgs.map((o) => o.name) },
        path: "default admin",
      });
  }
  for (const { u, path } of users) store.addUser(u, path);
  const firstOwner = store.users.find((u) => store.isOwner(u));

  const templates = [
    ...scenario.templates.map((t, i) => ({ t, path: `scenario.templates[${i}]` })),
    ...(generated?.templates ?? []).map((t, i) => ({ t, path: `generated template ${i}` })),
  ];
  for (const { t, path } of templates) {
    const org = store.findOrg(t.organization ?? store.orgs[0]?.name ?? DEFAULT_ORG);
    if (!org) throw new ScenarioError(`${path}.organization: unknown organization "${t.organization}"`);
    if (store.templateByOrgAndName(org.id, t.name)) throw new ScenarioError(`${path}: duplicate template "${t.name}"`);
    const tmpl: Template = {
      id: stableUuid("template", org.name, t.name),
      name: t.name,
      displayName: t.display_name ?? "",
      description: t.description ?? "",
      icon: t.icon ?? "",
      orgId: org.id,
      defaultTtlMs: t.default_ttl_ms,
      activityBumpMs: t.activity_bump_ms,
      timeTilDormantMs: t.time_til_dormant_ms,
      timeTilDormantAutodeleteMs: t.time_til_dormant_autodelete_ms,
      failureTtlMs: t.failure_ttl_ms,
      autostopDays: t.autostop_requirement?.days_of_week ?? [],
      autostopWeeks: Math.max(1, t.autostop_requirement?.weeks ?? 1),
      autostartDays: t.autostart_requirement?.days_of_week ?? ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
      allowUserAutostop: t.allow_user_autostop,
      allowUserAutostart: t.allow_user_autostart,
      deprecated: t.deprecated,
      activeVersionId: stableUuid("template-version", org.name, t.name),
      activeVersionName: `${t.name}-v1`,
      createdAt: Date.parse("2024-01-01T00:00:00Z"),
      createdById: firstOwner?.id ?? "",
    };
    store.templates.push(tmpl);
    store.templateById.set(tmpl.id, tmpl);
  }

  const groups = [
    ...scenario.groups.map((g, i) => ({ g, path: `scenario.groups[${i}]` })),
    ...(generated?.groups ?? []).map((g, i) => ({ g, path: `generated group ${i}` })),
  ];
  // Every organization has Coder's built-in "Everyone" group: id = organization id, members = all
  // of the organization's (non-system) members.
  for (const org of store.orgs) {
    const memberIds = store.listedUsers().filter((u) => u.orgIds.includes(org.id)).map((u) => u.id);
    store.groups.push({ id: org.id, name: EVERYONE_GROUP, displayName: "", orgId: org.id, memberIds });
  }
  for (const { g, path } of groups) {
    if (g.name.toLowerCase() === EVERYONE_GROUP.toLowerCase()) {
      throw new ScenarioError(`${path}.name: "${EVERYONE_GROUP}" is the built-in group of every organization; choose another name`);
    }
    const org = store.findOrg(g.organization ?? store.orgs[0]?.name ?? DEFAULT_ORG);
    if (!org) throw new ScenarioError(`${path}.organization: unknown organization "${g.organization}"`);
    const memberIds = g.members.map((m, i) => {
      const u = store.findUser(m);
      if (!u) throw new ScenarioError(`${path}.members[${i}]: unknown user "${m}"`);
      return u.id;
    });
    store.groups.push({ id: stableUuid("group", org.name, g.name), name: g.name, displayName: g.display_name ?? "", orgId: org.id, memberIds });
  }

  scenario.workspaces.forEach((w, i) => store.addWorkspace(w, `scenario.workspaces[${i}]`, base));
  (generated?.workspaces ?? []).forEach((w, i) => store.addWorkspace(w, `generated workspace ${i}`, base));
  return store;
}
