/**
 * Synthetic, deterministic (seeded) entities for scale tests: organizations, users spread over
 * time zones, groups with members, templates (some with autostop requirements) and workspaces
 * with assorted statuses and deadlines. Output is in scenario form (times as offsets from the
 * scenario clock), appended to the scenario's own lists by the store.
 */
import { pick, prng } from "./ids.js";
import type {
  Scenario,
  ScenarioGenerate,
  ScenarioGroup,
  ScenarioOrganization,
  ScenarioTemplate,
  ScenarioUser,
  ScenarioWorkspace,
  WorkspaceStatus,
} from "./scenario.js";
import { offset } from "./time.js";

export const DEFAULT_ORG = "coder";

export interface Generated {
  organizations: ScenarioOrganization[];
  users: ScenarioUser[];
  groups: ScenarioGroup[];
  templates: ScenarioTemplate[];
  workspaces: ScenarioWorkspace[];
}

/** Zones generated users live in; null = the deployment default schedule. */
const ZONES: readonly (string | null)[] = [
  "Europe/London",
  "America/Chicago",
  "Asia/Kolkata",
  "Australia/Sydney",
  "UTC",
  null,
  "America/New_York",
  "Europe/Berlin",
];
const QUIET_HOURS = [18, 19, 20, 21, 22, 23, 0, 1, 2];
const TTLS_H = [0, 2, 4, 8, 8, 12];
const OTHER_STATUSES: readonly WorkspaceStatus[] = [
  ...Array<WorkspaceStatus>(17).fill("stopped"),
  "failed",
  "starting",
  "stopping",
];
const H = 3_600_000;
const M = 60_000;

const pad = (n: number, width: number) => String(n).padStart(width, "0");
const widthFor = (count: number) => Math.max(2, String(count).length);

export function generateEntities(scenario: Scenario, requested: ScenarioGenerate): Generated {
  // Workspaces need owners and templates: a scenario that lists none gets one of each generated.
  const gen: ScenarioGenerate = {
    ...requested,
    users: requested.workspaces > 0 && requested.users === 0 && scenario.users.length === 0 ? 1 : requested.users,
    templates: requested.workspaces > 0 && requested.templates === 0 && scenario.templates.length === 0 ? 1 : requested.templates,
  };
  const rand = prng(gen.seed);
  const out: Generated = { organizations: [], users: [], groups: [], templates: [], workspaces: [] };

  const ow = widthFor(gen.organizations);
  for (let i = 1; i <= gen.organizations; i++) {
    out.organizations.push({ name: `org-${pad(i, ow)}`, display_name: `Organization ${i}` });
  }
  let orgNames = [...scenario.organizations.map((o) => o.name), ...out.organizations.map((o) => o.name)];
  if (orgNames.length === 0) orgNames = [DEFAULT_ORG];

  const uw = Math.max(4, String(gen.users).length);
  for (let i = 0; i < gen.users; i++) {
    const username = `user-${pad(i + 1, uw)}`;
    const zone = ZONES[i % ZONES.length] ?? null;
    const orgs = [orgNames[i % orgNames.length] ?? DEFAULT_ORG];
    if (orgNames.length > 1 && rand() < 0.2) orgs.push(orgNames[(i + 1) % orgNames.length] ?? DEFAULT_ORG);
    out.users.push({
      username,
      roles: ["member"],
      organizations: orgs,
      quiet_hours: zone === null ? null : `CRON_TZ=${zone} ${rand() < 0.5 ? 0 : 30} ${pick(rand, QUIET_HOURS)} * * *`,
      token: `${username}-token`,
      status: "active",
      name: `User ${i + 1}`,
      email: `${username}@example.com`,
    });
  }

  const tw = widthFor(gen.templates);
  for (let i = 0; i < gen.templates; i++) {
    const withRequirement = i % 3 === 0;
    out.templates.push({
      name: `template-${pad(i + 1, tw)}`,
      organization: orgNames[i % orgNames.length] ?? DEFAULT_ORG,
      display_name: `Template ${i + 1}`,
      default_ttl_ms: pick(rand, TTLS_H) * H,
      activity_bump_ms: H,
      time_til_dormant_ms: 0,
      time_til_dormant_autodelete_ms: 0,
      failure_ttl_ms: 0,
      autostop_requirement: withRequirement
        ? { days_of_week: i % 2 === 0 ? ["saturday"] : ["monday", "tuesday", "wednesday", "thursday", "friday"], weeks: 1 }
        : null,
      allow_user_autostop: i % 5 !== 4,
      allow_user_autostart: true,
      deprecated: false,
    });
  }

  // Members per organization, for groups and workspace ownership.
  const allUsers = [...scenario.users.map((u) => u.username), ...out.users.map((u) => u.username)];
  const membersOf = new Map<string, string[]>();
  for (const u of [...scenario.users, ...out.users]) {
    for (const o of u.organizations ?? [orgNames[0] ?? DEFAULT_ORG]) {
      const list = membersOf.get(o) ?? [];
      list.push(u.username);
      membersOf.set(o, list);
    }
  }

  const gw = widthFor(gen.groups);
  for (let i = 0; i < gen.groups; i++) {
    const org = orgNames[i % orgNames.length] ?? DEFAULT_ORG;
    const pool = membersOf.get(org) ?? [];
    const size = Math.min(pool.length, 5 + Math.floor(rand() * 56));
    const members = new Set<string>();
    if (pool[0] !== undefined) members.add(pool[0]);
    for (let tries = 0; members.size < size && tries < size * 4; tries++) members.add(pick(rand, pool));
    out.groups.push({ name: `group-${pad(i + 1, gw)}`, organization: org, members: [...members], display_name: `Group ${i + 1}` });
  }

  const templates = [...scenario.templates, ...out.templates];
  if (gen.workspaces > 0 && (allUsers.length === 0 || templates.length === 0)) {
    throw new Error("generate.workspaces needs at least one user and one template (generate some or list them)");
  }
  const templatesByOrg = new Map<string, ScenarioTemplate[]>();
  for (const t of templates) {
    const o = t.organization ?? orgNames[0] ?? DEFAULT_ORG;
    const list = templatesByOrg.get(o) ?? [];
    list.push(t);
    templatesByOrg.set(o, list);
  }
  const userOrg = new Map<string, string>();
  for (const u of [...scenario.users, ...out.users]) userOrg.set(u.username, u.organizations?.[0] ?? orgNames[0] ?? DEFAULT_ORG);

  const running = runningSet(gen, rand);
  const ww = Math.max(5, String(gen.workspaces).length);
  for (let i = 0; i < gen.workspaces; i++) {
    const owner = allUsers[i % allUsers.length] ?? "admin";
    const org = userOrg.get(owner) ?? DEFAULT_ORG;
    const candidates = templatesByOrg.get(org) ?? templates;
    const template = candidates[i % candidates.length] ?? pick(rand, templates);
    const isRunning = running.has(i);
    const status: WorkspaceStatus = isRunning ? "running" : pick(rand, OTHER_STATUSES);
    const startedAgo = (10 + Math.floor(rand() * 20 * 60)) * M;
    const ttl = template.allow_user_autostop ? pick(rand, TTLS_H) * H : template.default_ttl_ms;
    const ws: ScenarioWorkspace = {
      name: `ws-${pad(i + 1, ww)}`,
      owner,
      template: template.name,
      status,
      started_at: offset(-startedAgo),
      ttl_ms: ttl > 0 ? ttl : null,
      last_used_at: offset(-Math.floor(rand() * startedAgo)),
      autostart_schedule: rand() < 0.3 ? "CRON_TZ=Europe/London 30 8 * * 1-5" : null,
      outdated: rand() < 0.1,
      favorite: false,
      is_prebuild: false,
    };
    out.workspaces.push(ws);
  }
  return out;
}

/** Indices of running workspaces: exactly `running` (or ~60 %), always including index 0. */
function runningSet(gen: ScenarioGenerate, rand: () => number): Set<number> {
  const n = gen.workspaces;
  const want = Math.min(n, gen.running ?? Math.round(n * 0.6));
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const a = idx[i] ?? i;
    idx[i] = idx[j] ?? j;
    idx[j] = a;
  }
  const chosen = new Set(idx.slice(0, want));
  if (want > 0 && !chosen.has(0)) {
    const drop = idx[want - 1];
    if (drop !== undefined) chosen.delete(drop);
    chosen.add(0);
  }
  return chosen;
}
