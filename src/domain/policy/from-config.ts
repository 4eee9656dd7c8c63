/**
 * Builds the domain's policies from the configuration: the `policies` entries plus the implicit
 * default policy made from the `quiet_hours` section (action stop, its window, days, zone, grace
 * and exclusions), which decides for every workspace no configured policy matches. With no
 * `policies`, every workspace resolves to that default, so every command behaves as before.
 */
import type { PolicyConfig } from "../../config/schema.js";
import { policyFromConfig, type QuietHoursConfigLike } from "../quiet-window.js";
import type { ExclusionEntryLike } from "../categorize.js";
import { levelOfScope } from "./resolve.js";
import { SCOPE_DIMENSIONS, type HolidayCalendar, type Policy, type PolicyScope, type PolicySet, type WorkingPeriod } from "./types.js";
import { WEEKDAYS } from "../quiet-window.js";

/** The name of the implicit default policy (the `quiet_hours` section). */
export const IMPLICIT_POLICY_NAME = "quiet_hours";

export interface PolicyConfigInput {
  quiet_hours: QuietHoursConfigLike & {
    excluded_users: readonly ExclusionEntryLike[];
    excluded_templates: readonly ExclusionEntryLike[];
    excluded_workspaces: readonly ExclusionEntryLike[];
  };
  prune_workspaces: { default_quiet_hours_duration: number };
  policies: readonly PolicyConfig[];
}

function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** "08:00-18:00" → minutes; validated by the config schema. */
export function parsePeriod(text: string): WorkingPeriod {
  return { text, startMinute: minutesOf(text.slice(0, 5)), endMinute: minutesOf(text.slice(6)) };
}

/** The implicit default policy from `quiet_hours` (`zoneOverride` is `--timezone`). */
export function implicitPolicy(c: PolicyConfigInput, zoneOverride?: string): Policy {
  const window = policyFromConfig(c.quiet_hours, zoneOverride);
  return {
    name: IMPLICIT_POLICY_NAME,
    implicit: true,
    configPath: "quiet_hours",
    scope: { users: { include: [], exclude: [] }, groups: { include: [], exclude: [] }, templates: { include: [], exclude: [] }, organizations: { include: [], exclude: [] } },
    level: "default",
    calendar: { kind: "quiet_window", window },
    holidays: { dates: [], ranges: [], calendars: [] },
    graceSeconds: window.graceSeconds,
    idle: null,
    action: "stop",
    expires: null,
    exclusions: {
      excluded_users: c.quiet_hours.excluded_users,
      excluded_templates: c.quiet_hours.excluded_templates,
      excluded_workspaces: c.quiet_hours.excluded_workspaces,
    },
  };
}

/**
 * The policy set of a configuration. `calendars` maps each ICS path as written in the config to
 * its parsed calendar (src/config/ics.ts reads them when the configuration is loaded).
 */
export function policiesFromConfig(c: PolicyConfigInput, calendars: ReadonlyMap<string, HolidayCalendar>, opts: { zoneOverride?: string | undefined } = {}): PolicySet {
  const policies = c.policies.map((p, i): Policy => {
    const scope = Object.fromEntries(SCOPE_DIMENSIONS.map((d) => [d, { include: p.scope[d]?.include ?? [], exclude: p.scope[d]?.exclude ?? [] }])) as unknown as PolicyScope;
    const cal = p.calendar;
    const calendar: Policy["calendar"] =
      cal.owner_quiet_hours === true
        ? { kind: "owner_quiet_hours", durationHours: cal.duration_hours ?? c.prune_workspaces.default_quiet_hours_duration }
        : {
            kind: "working_hours",
            zone: cal.timezone!,
            days: Object.fromEntries(WEEKDAYS.map((d) => [d, (cal.working_hours?.[d] ?? []).map(parsePeriod)])) as Record<(typeof WEEKDAYS)[number], WorkingPeriod[]>,
          };
    const icsFiles = p.holidays?.ics_files ?? [];
    return {
      name: p.name,
      implicit: false,
      configPath: `policies[${i}]`,
      scope,
      level: levelOfScope(scope),
      calendar,
      holidays: {
        dates: p.holidays?.dates ?? [],
        ranges: p.holidays?.ranges ?? [],
        calendars: icsFiles.map((f) => {
          const cal = calendars.get(f);
          if (!cal) throw new Error(`policy ${p.name}: ICS file ${f} was not loaded with the configuration`);
          return cal;
        }),
      },
      graceSeconds: Math.round(p.grace_period_minutes * 60),
      idle: p.idle ? { afterHours: p.idle.after_hours, when: p.idle.when } : null,
      action: p.action,
      expires: p.expires ?? null,
      exclusions: null,
    };
  });
  return { policies, implicitDefault: implicitPolicy(c, opts.zoneOverride) };
}
