/**
 * Policies per team: who a policy applies to (scope), when they work (calendar and holidays), and
 * what happens outside working time (grace, idle rule, action). The types here are the domain's
 * own: src/domain/policy/from-config.ts builds them from the `policies` and `quiet_hours` config
 * sections, and holiday calendars read from ICS files are injected as `HolidayCalendar` objects.
 */
import type { QuietPolicy, Weekday } from "../quiet-window.js";
import type { ExclusionEntryLike } from "../categorize.js";

/** Scope levels from most to least specific. */
export const POLICY_LEVELS = ["user", "group", "template", "organization", "default"] as const;
export type PolicyLevel = (typeof POLICY_LEVELS)[number];

export type PolicyAction = "stop" | "warn" | "report";
export type IdleWhen = "always" | "outside_working_hours" | "inside_working_hours";

export const SCOPE_DIMENSIONS = ["users", "groups", "templates", "organizations"] as const;
export type ScopeDimension = (typeof SCOPE_DIMENSIONS)[number];
/** The level a dimension's include list gives a policy. */
export const LEVEL_OF: Record<ScopeDimension, PolicyLevel> = { users: "user", groups: "group", templates: "template", organizations: "organization" };

export interface ScopeList {
  include: readonly string[];
  exclude: readonly string[];
}
export type PolicyScope = Record<ScopeDimension, ScopeList>;

/** A working period of one weekday, in minutes after that day's local midnight. */
export interface WorkingPeriod {
  /** "08:00-18:00" as written. */
  text: string;
  startMinute: number;
  /** 1..1440; an end at or before the start runs into the next day. */
  endMinute: number;
}

export type PolicyCalendar =
  /** Working hours per weekday in one zone; everything else is quiet. */
  | { kind: "working_hours"; zone: string; days: Record<Weekday, readonly WorkingPeriod[]> }
  /** The owner's own Coder quiet-hours schedule: quiet from its start for `durationHours`, every day, in the owner's zone. */
  | { kind: "owner_quiet_hours"; durationHours: number }
  /** The `quiet_hours` section's window (the implicit default policy), evaluated exactly as the quiet-hours command always has. */
  | { kind: "quiet_window"; window: QuietPolicy };

/** One holiday day (a local calendar date in the policy's zone). */
export interface HolidayDay {
  date: string;
  /** Where it came from: "holidays.dates", "holidays.ranges", or the ICS file and the event's summary. */
  source: string;
}

/**
 * A calendar of holidays read from an ICS file. Pure once built: it answers from the parsed events.
 * `zone` is the policy's zone, used for timed events (an all-day event is a date wherever you are).
 */
export interface HolidayCalendar {
  /** The file, as written in the config. */
  path: string;
  /** Holiday dates (YYYY-MM-DD) between `from` and `to` inclusive, in `zone`. */
  daysBetween(from: string, to: string, zone: string): HolidayDay[];
  /** The last holiday date (in UTC dates), or null when an event recurs without end; undefined when the file has no events. */
  lastDate(): string | null | undefined;
}

export interface PolicyHolidays {
  dates: readonly string[];
  ranges: readonly { from: string; to: string }[];
  calendars: readonly HolidayCalendar[];
}

export interface IdleRule {
  afterHours: number;
  when: IdleWhen;
}

export interface Policy {
  name: string;
  /** True for the policy made from the `quiet_hours` section. */
  implicit: boolean;
  /** Where it is configured: "policies[2]" or "quiet_hours". */
  configPath: string;
  scope: PolicyScope;
  /** The most specific dimension with an include list; "default" when there is none. */
  level: PolicyLevel;
  calendar: PolicyCalendar;
  holidays: PolicyHolidays;
  graceSeconds: number;
  idle: IdleRule | null;
  action: PolicyAction;
  /** The configured expiry (ISO date or date-time), or null. */
  expires: string | null;
  /** The `quiet_hours.excluded_*` lists (the implicit default policy only). */
  exclusions: {
    excluded_users: readonly ExclusionEntryLike[];
    excluded_templates: readonly ExclusionEntryLike[];
    excluded_workspaces: readonly ExclusionEntryLike[];
  } | null;
}

/** The configured policies plus the implicit default one. */
export interface PolicySet {
  /** The `policies` entries, in config order. */
  policies: readonly Policy[];
  /** The policy made from `quiet_hours`: applies when no configured policy matches. */
  implicitDefault: Policy;
}

/** An entity a scope value may name: by id (exact) or any of its names (case-insensitive), as prune's filters match. */
export interface SubjectEntity {
  id: string;
  names: readonly string[];
}

/** What a workspace is, for scope matching. */
export interface PolicySubject {
  organization: SubjectEntity;
  /** The owner's groups. */
  groups: readonly SubjectEntity[];
  user: SubjectEntity;
  template: SubjectEntity;
}

/** An owner's own quiet-hours start (src/domain/user-quiet-hours.ts), for owner_quiet_hours calendars. */
export interface OwnerSchedule {
  hour: number;
  minute: number;
  timezone: string;
}
