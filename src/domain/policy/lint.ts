/**
 * `policy lint`: what is wrong or suspicious in the policies, checked against the live deployment.
 * Pure: takes the policy set, `now` and a snapshot (workspaces with their subjects, templates, the
 * known organizations/groups/templates) and returns findings, each with a stable code, a rule name
 * and a severity:
 *
 * | code | rule | severity |
 * |---|---|---|
 * | PL001 | tie | error: two policies that the configuration shows apply to the same subject at one level |
 * | PL002 | live-tie | error: two policies apply to a live workspace at one level (e.g. its owner is in two groups) |
 * | PL003 | overlap-conflicting-calendars | warning: a workspace both policies take, decided by the more specific one with another calendar |
 * | PL004 | never-decides | warning: a policy that takes workspaces but always loses to a more specific one |
 * | PL005 | matches-nobody | warning: a policy that takes no workspace of the live deployment |
 * | PL006 | unknown-scope-value | warning: an organization, group or template name that names nothing |
 * | PL007 | holidays-in-past | warning: a holiday date, range or ICS file that lies wholly before today |
 * | PL008 | idle-shorter-than-bump | warning: an idle rule shorter than the activity bump of a template it takes |
 * | PL009 | window-never-opens | error: no working time in the next 14 days (no working hours, or holidays everywhere) |
 * | PL010 | window-never-closes | warning: no quiet time in the next 14 days (info when only the idle rule is meant to act) |
 * | PL011 | expired | warning: an expired policy still in the file |
 * | PL012 | groups-unreadable | info: group scopes could not be checked |
 * | PL013 | default-replaced | info: a catch-all policy replaces the quiet_hours section |
 */
import type { DateTime } from "luxon";
import { isExpired, policyExpiry, quietIntervals } from "./calendar.js";
import { entityMatches, matchingPolicies, policyTies } from "./resolve.js";
import type { Policy, PolicySet, PolicySubject, SubjectEntity } from "./types.js";

export type LintSeverity = "error" | "warning" | "info";

export interface LintFinding {
  code: string;
  rule: string;
  severity: LintSeverity;
  /** The policies concerned. */
  policies: string[];
  message: string;
  /** Some of the workspaces concerned ("owner/name"), at most EXAMPLES. */
  workspaces: string[];
}

export interface LintWorkspace {
  /** "owner/name" */
  label: string;
  template_id: string;
  subject: PolicySubject;
}

export interface LintTemplate extends SubjectEntity {
  /** Coder's activity bump (absent: Coder's default, 1 h; 0: no bump). */
  activity_bump_ms?: number | undefined;
}

export interface LintInput {
  set: PolicySet;
  now: DateTime;
  workspaces: readonly LintWorkspace[];
  templates: readonly LintTemplate[];
  organizations: readonly SubjectEntity[];
  /** null when the groups listing could not be read. */
  groups: readonly SubjectEntity[] | null;
}

/** Per policy: workspaces its scope takes, and those it decides. */
export interface LintPolicyStats {
  name: string;
  level: Policy["level"];
  action: Policy["action"];
  expired: boolean;
  matched: number;
  decided: number;
}

export interface LintReport {
  findings: LintFinding[];
  policies: LintPolicyStats[];
}

const EXAMPLES = 5;
export const HORIZON_DAYS = 14;
export const DEFAULT_ACTIVITY_BUMP_MS = 3_600_000;

const finding = (code: string, rule: string, severity: LintSeverity, policies: string[], message: string, workspaces: string[] = []): LintFinding => ({
  code,
  rule,
  severity,
  policies,
  message,
  workspaces: workspaces.slice(0, EXAMPLES),
});

/** A calendar's identity for comparison: kind, zone, periods, holidays. */
const calendarKeys = new WeakMap<Policy, string>();
function calendarKey(p: Policy): string {
  let key = calendarKeys.get(p);
  if (key === undefined) {
    key = JSON.stringify({ calendar: p.calendar, dates: p.holidays.dates, ranges: p.holidays.ranges, ics: p.holidays.calendars.map((c) => c.path) });
    calendarKeys.set(p, key);
  }
  return key;
}

function hours(ms: number): string {
  const h = ms / 3_600_000;
  return Number.isInteger(h) ? `${h}h` : `${Math.round(h * 60)}m`;
}

function todayIn(p: Policy, now: DateTime): string {
  const zone = p.calendar.kind === "working_hours" ? p.calendar.zone : p.calendar.kind === "quiet_window" ? p.calendar.window.zone : "UTC";
  return now.setZone(zone).toISODate()!;
}

export function lintPolicies(input: LintInput): LintReport {
  const { set, now } = input;
  const out: LintFinding[] = [];
  const all = [...set.policies, set.implicitDefault];

  // Ties visible from the file.
  const staticTies = policyTies(set, now);
  for (const t of staticTies) {
    out.push(finding("PL001", "tie", "error", [...t.policies], `policies ${t.policies.map((n) => `"${n}"`).join(" and ")} both apply at the ${t.level} level (${t.why}): a configuration error; every command refuses to run (exit 2)`));
  }

  // The live deployment: who each policy takes and decides.
  const matched = new Map<string, string[]>();
  const decided = new Map<string, string[]>();
  const liveTies = new Map<string, { names: string[]; level: string; ws: string[] }>();
  const overlaps = new Map<string, { winner: Policy; loser: Policy; ws: string[] }>();
  const staticTiePairs = new Set(staticTies.map((t) => [...t.policies].sort().join("\u0000")));
  const push = (m: Map<string, string[]>, k: string, v: string) => {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  };
  for (const w of input.workspaces) {
    const list = matchingPolicies(set, w.subject, now);
    for (const p of list) push(matched, p.name, w.label);
    const winner = list[0] ?? set.implicitDefault;
    const top = list.filter((p) => p.level === winner.level);
    if (top.length > 1) {
      const names = top.map((p) => p.name);
      const key = names.join("\u0000");
      if (!staticTiePairs.has([...names].sort().join("\u0000"))) {
        const e = liveTies.get(key) ?? { names, level: winner.level, ws: [] };
        e.ws.push(w.label);
        liveTies.set(key, e);
      }
      continue;
    }
    push(decided, winner.name, w.label);
    for (const loser of [...list.slice(1), ...(list.length > 0 ? [set.implicitDefault] : [])]) {
      if (calendarKey(loser) === calendarKey(winner)) continue;
      const key = `${winner.name}\u0000${loser.name}`;
      const e = overlaps.get(key) ?? { winner, loser, ws: [] };
      e.ws.push(w.label);
      overlaps.set(key, e);
    }
  }
  for (const t of liveTies.values()) {
    out.push(
      finding("PL002", "live-tie", "error", t.names, `policies ${t.names.map((n) => `"${n}"`).join(" and ")} both apply at the ${t.level} level to ${t.ws.length} workspace(s): a configuration error; commands refuse those workspaces (exit 2)`, t.ws),
    );
  }
  for (const o of overlaps.values()) {
    if (o.loser.implicit) continue; // every policy overrides the default: that is what it is for
    out.push(
      finding(
        "PL003",
        "overlap-conflicting-calendars",
        "warning",
        [o.winner.name, o.loser.name],
        `${o.ws.length} workspace(s) are in the scope of both "${o.winner.name}" (${o.winner.level}) and "${o.loser.name}" (${o.loser.level}), whose calendars differ: "${o.winner.name}" decides`,
        o.ws,
      ),
    );
  }

  for (const p of set.policies) {
    if (isExpired(p, now)) {
      out.push(finding("PL011", "expired", "warning", [p.name], `policy "${p.name}" expired (${policyExpiry(p)!.toISO()}); it no longer applies: remove it`));
      continue;
    }
    const m = matched.get(p.name) ?? [];
    const groupBlind = input.groups === null && (p.scope.groups.include.length > 0 || p.scope.groups.exclude.length > 0);
    if (m.length === 0 && !groupBlind) {
      out.push(finding("PL005", "matches-nobody", "warning", [p.name], `policy "${p.name}" takes no workspace of this deployment (${input.workspaces.length} listed)`));
    } else if (m.length > 0 && (decided.get(p.name) ?? []).length === 0 && ![...liveTies.values()].some((t) => t.names.includes(p.name))) {
      out.push(finding("PL004", "never-decides", "warning", [p.name], `policy "${p.name}" takes ${m.length} workspace(s) but a more specific policy decides each of them`, m));
    }
  }

  // Scope values that name nothing.
  for (const p of set.policies) {
    const dims = [
      ["organizations", input.organizations],
      ["templates", input.templates],
      ["groups", input.groups],
    ] as const;
    for (const [dim, known] of dims) {
      if (known === null) continue;
      for (const v of [...p.scope[dim].include, ...p.scope[dim].exclude]) {
        if (!known.some((e) => entityMatches(v, e))) {
          out.push(finding("PL006", "unknown-scope-value", "warning", [p.name], `policy "${p.name}": scope.${dim} names "${v}", which is no ${dim.slice(0, -1)} of this deployment (known: ${known.map((e) => e.names[0] ?? e.id).slice(0, 10).join(", ") || "none"})`));
        }
      }
    }
  }

  // Holidays wholly in the past.
  for (const p of set.policies) {
    const today = todayIn(p, now);
    const past = [
      ...p.holidays.dates.filter((d) => d < today),
      ...p.holidays.ranges.filter((r) => r.to < today).map((r) => `${r.from}..${r.to}`),
      ...p.holidays.calendars.filter((c) => {
        const last = c.lastDate();
        return typeof last === "string" && last < today;
      }).map((c) => `${c.path} (last holiday ${c.lastDate()})`),
    ];
    if (past.length > 0) out.push(finding("PL007", "holidays-in-past", "warning", [p.name], `policy "${p.name}": holidays before today (${today}): ${past.join(", ")}`));
  }

  // Idle rules shorter than the activity bump of the templates they act on.
  const templatesById = new Map(input.templates.map((t) => [t.id, t]));
  for (const p of set.policies) {
    if (!p.idle || isExpired(p, now)) continue;
    const idleMs = p.idle.afterHours * 3_600_000;
    const ids = new Set<string>();
    const takes = new Set(matched.get(p.name) ?? []);
    for (const w of input.workspaces) if (takes.has(w.label)) ids.add(w.template_id);
    for (const v of p.scope.templates.include) for (const t of input.templates) if (entityMatches(v, t)) ids.add(t.id);
    for (const id of ids) {
      const t = templatesById.get(id);
      if (!t) continue;
      const bump = t.activity_bump_ms ?? DEFAULT_ACTIVITY_BUMP_MS;
      if (bump > 0 && idleMs < bump) {
        out.push(
          finding("PL008", "idle-shorter-than-bump", "warning", [p.name], `policy "${p.name}": idle after ${hours(idleMs)} is shorter than template "${t.names[0] ?? t.id}"'s activity bump (${hours(bump)}): it acts on workspaces whose Coder deadline activity still keeps bumped`),
        );
      }
    }
  }

  // Windows that never open or never close in the next two weeks.
  for (const p of all) {
    if (isExpired(p, now) || p.calendar.kind === "owner_quiet_hours") continue;
    if (p.calendar.kind === "quiet_window" && !p.calendar.window.enabled) continue;
    const end = now.plus({ days: HORIZON_DAYS });
    const q = quietIntervals(p, now, end);
    if (q.length === 1 && q[0]!.start.toMillis() <= now.toMillis() && q[0]!.end.toMillis() >= end.toMillis()) {
      const none = p.calendar.kind === "working_hours" && Object.values(p.calendar.days).every((d) => d.length === 0);
      out.push(
        finding("PL009", "window-never-opens", "error", [p.name], none ? `policy "${p.name}" has no working hours on any day: its workspaces are quiet all the time` : `policy "${p.name}" has no working time in the next ${HORIZON_DAYS} days: holidays cover every working day`),
      );
    } else if (q.length === 0) {
      const idleActs = p.idle !== null && p.idle.when !== "outside_working_hours";
      out.push(
        finding(
          "PL010",
          "window-never-closes",
          idleActs ? "info" : "warning",
          [p.name],
          `policy "${p.name}" has no quiet time in the next ${HORIZON_DAYS} days${idleActs ? ": only its idle rule acts" : ": it never acts on its workspaces"}`,
        ),
      );
    }
  }

  if (input.groups === null && set.policies.some((p) => p.scope.groups.include.length + p.scope.groups.exclude.length > 0)) {
    out.push(finding("PL012", "groups-unreadable", "info", [], "the groups listing is not readable with this token: group scopes were not checked against the deployment"));
  }
  const catchAll = set.policies.find((p) => p.level === "default" && !isExpired(p, now));
  if (catchAll) out.push(finding("PL013", "default-replaced", "info", [catchAll.name, set.implicitDefault.name], `policy "${catchAll.name}" takes everyone no more specific policy takes: the quiet_hours section decides for no workspace`));

  const order: Record<LintSeverity, number> = { error: 0, warning: 1, info: 2 };
  out.sort((a, b) => order[a.severity] - order[b.severity] || a.code.localeCompare(b.code));
  const policies: LintPolicyStats[] = all.map((p) => ({
    name: p.name,
    level: p.level,
    action: p.action,
    expired: isExpired(p, now),
    matched: p.implicit ? (decided.get(p.name) ?? []).length : (matched.get(p.name) ?? []).length,
    decided: (decided.get(p.name) ?? []).length,
  }));
  return { findings: out, policies };
}
