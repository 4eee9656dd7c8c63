/**
 * The quiet-hours categorisation and stop selection. Pure: takes the running
 * workspaces, the policy, the exclusions and `now`; returns data. First match wins:
 * excluded → ttl_expired → quiet_hours_stopping → quiet_hours_grace → past_quiet_hours_end →
 * normal_running.
 */
import { effectiveStop } from "./deadlines.js";
import { DEFAULT_SCOPE, deadlineReached, lifecycleGuard, type LifecycleGuard, type LifecycleScope } from "./lifecycle.js";
import { DateTime } from "luxon";
import type { Workspace } from "../coder/schemas.js";
import {
  currentWindow,
  dueAt,
  graceEnd,
  mostRecentWindow,
  nextWindow,
  type QuietPolicy,
  type QuietWindow,
} from "./quiet-window.js";

export type QuietCategory =
  | "quiet_hours_stopping"
  | "quiet_hours_grace"
  | "past_quiet_hours_end"
  | "ttl_expired"
  | "normal_running"
  | "excluded";

/** The six category keys in the Python agent's display order. */
export const CATEGORY_KEYS: readonly QuietCategory[] = [
  "quiet_hours_stopping",
  "quiet_hours_grace",
  "past_quiet_hours_end",
  "ttl_expired",
  "normal_running",
  "excluded",
];

export type ExclusionKind = "user" | "template" | "workspace";

export interface ExclusionRule {
  kind: ExclusionKind;
  /** Username; template id, name or display name; or `owner/name`. */
  name: string;
  reason: string | null;
  /** The configured expiry (ISO date or instant), or null. */
  expires: string | null;
}

export interface ExclusionSet {
  active: ExclusionRule[];
  /** Rules whose `expires` has passed: ignored, and reported as warnings. */
  expired: ExclusionRule[];
}

export type ExclusionEntryLike = string | { name: string; reason?: string | undefined; expires?: string | undefined };

export interface ExclusionConfigLike {
  excluded_users: readonly ExclusionEntryLike[];
  excluded_templates: readonly ExclusionEntryLike[];
  excluded_workspaces?: readonly ExclusionEntryLike[];
}

/**
 * When an exclusion stops applying: a date-only `expires` ("2026-12-31") holds through that
 * whole day in `zone`; an instant holds until that instant.
 */
export function exclusionExpiry(expires: string, zone: string): DateTime | null {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(expires.trim());
  const dt = DateTime.fromISO(expires.trim(), { zone });
  if (!dt.isValid) return null;
  return dateOnly ? dt.startOf("day").plus({ days: 1 }).toUTC() : dt.toUTC();
}

/** Splits the configured exclusions into active and expired ones at `now`. */
export function resolveExclusions(q: ExclusionConfigLike, now: DateTime, zone: string): ExclusionSet {
  const active: ExclusionRule[] = [];
  const expired: ExclusionRule[] = [];
  const add = (kind: ExclusionKind, entries: readonly ExclusionEntryLike[] | undefined) => {
    for (const e of entries ?? []) {
      const rule: ExclusionRule =
        typeof e === "string"
          ? { kind, name: e, reason: null, expires: null }
          : { kind, name: e.name, reason: e.reason ?? null, expires: e.expires ?? null };
      const until = rule.expires ? exclusionExpiry(rule.expires, zone) : null;
      if (until && now.toMillis() >= until.toMillis()) expired.push(rule);
      else active.push(rule);
    }
  };
  add("user", q.excluded_users);
  add("template", q.excluded_templates);
  add("workspace", q.excluded_workspaces);
  return { active, expired };
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The first active exclusion matching the workspace (user, then template, then workspace). */
export function matchExclusion(ws: Workspace, rules: readonly ExclusionRule[]): ExclusionRule | null {
  const order: ExclusionKind[] = ["user", "template", "workspace"];
  for (const kind of order) {
    for (const r of rules) {
      if (r.kind !== kind) continue;
      if (kind === "user" && same(r.name, ws.owner_name)) return r;
      if (
        kind === "template" &&
        [ws.template_id, ws.template_name, ws.template_display_name].some((t) => t !== "" && same(r.name, t))
      )
        return r;
      if (kind === "workspace" && same(r.name, `${ws.owner_name}/${ws.name}`)) return r;
    }
  }
  return null;
}

/** "User excluded", "Template excluded", "Workspace excluded" + the name and the reason. */
export function describeExclusion(r: ExclusionRule): string {
  const label = r.kind === "user" ? "User excluded" : r.kind === "template" ? "Template excluded" : "Workspace excluded";
  return `${label} (${r.name})${r.reason ? `: ${r.reason}` : ""}`;
}

export interface CategorizedWorkspace {
  workspace: Workspace;
  category: QuietCategory;
  reasons: string[];
  /** When the current start build was created (the workspace's "running since"). */
  startedAt: DateTime | null;
  deadline: string | null;
  maxDeadline: string | null;
  /** The earlier of deadline and max_deadline: when Coder itself will stop it. */
  stopsAt: string | null;
  /** Seconds from `now` to `stopsAt` (negative when past); null without a deadline. */
  secondsRemaining: number | null;
  /** Inside quiet hours: when its quiet-hours stop is due (its own grace); else null. */
  dueAt: DateTime | null;
  /** Inside quiet hours with its grace over. */
  quietDue: boolean;
  exclusion: ExclusionRule | null;
  /** Coder's own lifecycle keeps it out of this tool's hands (dormant, prebuilt, task): category `excluded`. */
  guard: LifecycleGuard | null;
}

export interface Categorization {
  now: DateTime;
  policy: QuietPolicy;
  /** The window `now` is in, or null. */
  window: QuietWindow | null;
  /** The latest window that started at or before `now` (current or last ended). */
  recentWindow: QuietWindow | null;
  nextWindow: QuietWindow | null;
  /** The current window's grace end (window start + grace), or null outside quiet hours. */
  graceEndsAt: DateTime | null;
  /** Inside quiet hours and the window's grace is over. */
  graceOver: boolean;
  items: CategorizedWorkspace[];
  /** Expired exclusions and similar notes for stderr. */
  warnings: string[];
}

/** Zone abbreviations by zone and offset: Intl's time-zone names are costly to compute per call. */
const abbrevCache = new Map<string, string>();

/** Local "yyyy-MM-dd HH:mm ABBR" (e.g. "2026-01-05 19:00 GMT"; the offset where a zone has no abbreviation). */
const labelCache = new Map<string, string>();

export function localLabel(dt: DateTime, zone: string): string {
  const ck = `${dt.toMillis()}|${zone}`;
  const hit = labelCache.get(ck);
  if (hit !== undefined) return hit;
  const label = computeLabel(dt, zone);
  if (labelCache.size > 10_000) labelCache.clear();
  labelCache.set(ck, label);
  return label;
}

function computeLabel(dt: DateTime, zone: string): string {
  const z = dt.setZone(zone);
  const key = `${zone}|${z.offset}`;
  let abbr = abbrevCache.get(key);
  if (abbr === undefined) {
    const name = z.toFormat("ZZZZ");
    abbr = /^(GMT|UTC)[+-]/.test(name) ? z.toFormat("ZZ") : name;
    abbrevCache.set(key, abbr);
  }
  return `${z.toFormat("yyyy-MM-dd HH:mm")} ${abbr}`;
}

/** "2d 3h" / "1h 5m" / "4m": a span of seconds, sign ignored. */
export function span(seconds: number): string {
  const s = Math.trunc(Math.abs(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : `${m}m`;
}

/** RFC 3339 timestamps from Coder (any fraction digits) → UTC DateTime; null when unset or unparsable. */
const parse = (iso: string | null): DateTime | null => {
  if (!iso) return null;
  const ms = Date.parse(iso);
  if (!Number.isNaN(ms)) return DateTime.fromMillis(ms, { zone: "utc" });
  const dt = DateTime.fromISO(iso, { zone: "utc" });
  return dt.isValid ? dt : null;
};

/** The workspace's "running since": its latest (start) build's creation time. */
export function startedAtOf(ws: Workspace): DateTime | null {
  return parse(ws.latest_build.created_at);
}

/**
 * Categorises the running workspaces at `now` (non-running rows are ignored). Workspaces Coder's
 * own lifecycle keeps (dormant; prebuilt and task workspaces unless `scope` includes them) are
 * `excluded` with the reason, before the configured exclusions.
 */
export function categorize(
  workspaces: readonly Workspace[],
  policy: QuietPolicy,
  exclusions: ExclusionSet,
  now: DateTime,
  scope: LifecycleScope = DEFAULT_SCOPE,
): Categorization {
  const zone = policy.zone;
  const window = currentWindow(policy, now);
  const recent = mostRecentWindow(policy, now);
  const next = nextWindow(policy, now);
  const graceEndsAt = window ? graceEnd(policy, window) : null;
  const graceOver = !!graceEndsAt && now.toMillis() >= graceEndsAt.toMillis();
  const warnings = exclusions.expired.map(
    (r) => `exclusion of ${r.kind} "${r.name}" expired on ${r.expires} and is ignored (quiet_hours.excluded_${r.kind}s)`,
  );
  const nowMs = now.toMillis();
  const items: CategorizedWorkspace[] = [];
  for (const ws of workspaces) {
    if (ws.latest_build.status !== "running") continue;
    const startedAt = startedAtOf(ws);
    const deadline = ws.latest_build.deadline;
    const maxDeadline = ws.latest_build.max_deadline;
    const { at: stopsAt, atMs: stopsAtMs } = effectiveStop(ws.latest_build);
    const secondsRemaining = stopsAtMs !== null ? Math.trunc((stopsAtMs - nowMs) / 1000) : null;
    const due = window ? dueAt(policy, window, startedAt) : null;
    const quietDue = !!due && nowMs >= due.toMillis();
    const base = { workspace: ws, startedAt, deadline, maxDeadline, stopsAt, secondsRemaining, dueAt: due, quietDue };
    const guard = lifecycleGuard(ws, scope);
    if (guard) {
      items.push({ ...base, dueAt: null, quietDue: false, category: "excluded", reasons: [guard.reason], exclusion: null, guard });
      continue;
    }
    const exclusion = matchExclusion(ws, exclusions.active);
    if (exclusion) {
      items.push({ ...base, dueAt: null, quietDue: false, category: "excluded", reasons: [describeExclusion(exclusion)], exclusion, guard: null });
      continue;
    }
    const reasons: string[] = [];
    let category: QuietCategory;
    const expiredBy = [
      ["deadline", parse(deadline)],
      ["max_deadline", parse(maxDeadline)],
    ].find(([, t]) => t && deadlineReached((t as DateTime).toMillis(), nowMs)) as [string, DateTime] | undefined;
    if (expiredBy) {
      category = "ttl_expired";
      const [field, t] = expiredBy;
      reasons.push(`TTL expired: ${field} ${localLabel(t, zone)} passed ${span((nowMs - t.toMillis()) / 1000)} ago`);
      if (window && due) {
        reasons.push(
          quietDue
            ? `Quiet hours policy: inside quiet hours since ${localLabel(window.start, zone)}, grace ended ${localLabel(due, zone)}`
            : `Inside quiet hours, grace until ${localLabel(due, zone)}`,
        );
      }
    } else if (window && due && quietDue) {
      category = "quiet_hours_stopping";
      reasons.push(`Quiet hours policy: inside quiet hours since ${localLabel(window.start, zone)}, grace ended ${localLabel(due, zone)}`);
    } else if (window && due) {
      category = "quiet_hours_grace";
      const own = startedAt && startedAt.toMillis() > window.start.toMillis();
      reasons.push(
        `Quiet hours policy: grace period until ${localLabel(due, zone)}${own ? ` (started ${localLabel(startedAt, zone)}, during quiet hours)` : ""}`,
      );
    } else if (!window && recent && startedAt && startedAt.toMillis() < recent.end.toMillis()) {
      category = "past_quiet_hours_end";
      reasons.push(
        `Running past quiet hours end: running since ${localLabel(startedAt, zone)}, through the window that ended ${localLabel(recent.end, zone)}`,
      );
    } else {
      category = "normal_running";
      reasons.push(window ? "Running normally" : policy.enabled ? "Running normally: outside quiet hours" : "Running normally: quiet hours disabled");
    }
    items.push({ ...base, category, reasons, exclusion: null, guard: null });
  }
  return { now, policy, window, recentWindow: recent, nextWindow: next, graceEndsAt, graceOver, items, warnings };
}

/** Items of one category, in input order. */
export function inCategory(c: Categorization, category: QuietCategory): CategorizedWorkspace[] {
  return c.items.filter((i) => i.category === category);
}

export interface StopSelection {
  item: CategorizedWorkspace;
  reasons: string[];
}

/**
 * What `--execute` stops: every quiet_hours_stopping workspace, every ttl_expired one
 * inside quiet hours with its grace over, and with `force` every ttl_expired one. Never excluded.
 */
export function selectStops(c: Categorization, opts: { force: boolean }): StopSelection[] {
  const out: StopSelection[] = [];
  for (const item of c.items) {
    if (item.category === "quiet_hours_stopping") out.push({ item, reasons: item.reasons });
    else if (item.category === "ttl_expired") {
      if (item.quietDue) out.push({ item, reasons: item.reasons });
      else if (opts.force) out.push({ item, reasons: [...item.reasons, "--force: TTL-expired workspaces are stopped regardless of quiet hours"] });
    }
  }
  return out;
}
