/**
 * The agents_config.json schema: every key of the Python agents' file with the same meaning, plus
 * the new optional keys. The defaults below are what a missing file or key means.
 */
import { DateTime, IANAZone } from "luxon";
import { z } from "zod";
import { INTERVAL_MINUTES, TIMEOUT_SECONDS } from "./limits.js";

const hhmm = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'expected a time "HH:MM" (24-hour, e.g. "18:00")' });

const zone = z.string().refine((v) => IANAZone.isValidZone(v), {
  message: 'expected an IANA time zone such as "Europe/London" or "UTC"',
});

// Parsed the way the exclusion's expiry is evaluated (luxon ISO): a date Date.parse alone accepts
// ("2026/12/31", "Dec 31 2026") would pass here and then never expire.
const isoDate = z.string().refine((v) => DateTime.fromISO(v.trim()).isValid, {
  message: 'expected an ISO date such as "2026-12-31"',
});

/** An exclusion: a plain name, or an object with a reason and an optional expiry date. */
const exclusionOf = (name: z.ZodString) =>
  z.union([name, z.object({ name, reason: z.string().optional(), expires: isoDate.optional() }).strict()]);
const exclusion = exclusionOf(z.string().min(1));
/** `excluded_workspaces` names `owner/name`: a bare workspace name would never match anything. */
const workspaceExclusion = exclusionOf(
  z.string().regex(/^[^/\s]+\/[^/\s]+$/, { message: 'expected "owner/name" (e.g. "alice/dev"); a bare workspace name matches nothing' }),
);
export type ExclusionEntry = z.infer<typeof exclusion>;

/** An incoming-webhook URL, or "" for none. */
const webhookUrl = z.string().refine(
  (v) => {
    if (v === "") return true;
    try {
      return ["https:", "http:"].includes(new URL(v).protocol);
    } catch {
      return false;
    }
  },
  { message: 'expected an http(s) incoming-webhook URL, or "" for none' },
);

const dayName = z.enum(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
export type DayName = z.infer<typeof dayName>;

/**
 * Every number has a sane range: a duration of 1e308 hours overflows date arithmetic, a timer
 * above 2^31-1 ms fires at once, a value that rounds to 0 ms times out every request, and a
 * concurrency of 1e15 allocates without end. Each range is stated in the message.
 */
const between = (min: number, max: number, what: string, o: { gtMin?: boolean } = {}) => {
  const message = `expected ${what} ${o.gtMin ? ">" : ">="} ${min} and <= ${max}`;
  const base = z.number({ message: `expected a number (${what})` });
  return (o.gtMin ? base.gt(min, { message }) : base.min(min, { message })).max(max, { message });
};
const intBetween = (min: number, max: number) =>
  z.number().int({ message: `expected a whole number >= ${min} and <= ${max}` }).min(min, { message: `expected a whole number >= ${min} and <= ${max}` }).max(max, {
    message: `expected a whole number >= ${min} and <= ${max}`,
  });
/** Hours in a year, minutes in a week: the upper bounds of durations. */
const YEAR_HOURS = 8760;
const WEEK_MINUTES = 10080;
/** A price per workspace-hour: finite, so sums over a year of hours stay finite too. */
const pricePerHour = between(0, 1_000_000, "a price per hour");

/** A price per workspace-hour for a template and/or an organization (by name). */
const costRate = z
  .object({ template: z.string().min(1).optional(), organization: z.string().min(1).optional(), rate: pricePerHour })
  .strict()
  .refine((r) => r.template !== undefined || r.organization !== undefined, { message: "expected a template and/or an organization for this rate" });
export type CostRate = z.infer<typeof costRate>;

/**
 * "HH:MM-HH:MM": a working period on the day it starts; the end may be "24:00" (midnight at the end
 * of the day), and an end before the start ("22:00-06:00") runs into the next day.
 */
const TIME_RANGE = /^([01]\d|2[0-3]):([0-5]\d)-(([01]\d|2[0-3]):([0-5]\d)|24:00)$/;
const timeRange = z
  .string()
  .regex(TIME_RANGE, { message: 'expected a time range "HH:MM-HH:MM" (24-hour, e.g. "08:00-18:00"; the end may be "24:00")' })
  .refine((v) => v.slice(0, 5) !== v.slice(6), {
    message: "expected the end to differ from the start; a period of zero length never applies",
  });

/** A strict calendar date "YYYY-MM-DD". */
const calendarDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expected a date "YYYY-MM-DD" (e.g. "2026-12-25")' })
  .refine((v) => DateTime.fromISO(v).isValid, { message: 'expected a real calendar date "YYYY-MM-DD" (e.g. "2026-12-25")' });

const scopeList = z.object({ include: z.array(z.string().trim().min(1)).default([]), exclude: z.array(z.string().trim().min(1)).default([]) });
const workingDays = z.object({
  mon: z.array(timeRange).default([]),
  tue: z.array(timeRange).default([]),
  wed: z.array(timeRange).default([]),
  thu: z.array(timeRange).default([]),
  fri: z.array(timeRange).default([]),
  sat: z.array(timeRange).default([]),
  sun: z.array(timeRange).default([]),
});

/** Names a policy may not take: the implicit default policy (the `quiet_hours` section) is called this. */
export const DEFAULT_POLICY_NAME = "quiet_hours";

/**
 * A policy: who it applies to (scope), when they work (calendar, holidays), and what happens
 * outside working time (grace, idle rule, action). See src/domain/policy.
 */
const policy = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, { message: 'expected a policy name of letters, digits, ".", "_" or "-" (e.g. "emea-engineering")' })
      .refine((v) => v !== DEFAULT_POLICY_NAME, { message: `expected another name: "${DEFAULT_POLICY_NAME}" is the default policy made from the quiet_hours section` }),
    scope: z.object({ organizations: scopeList.optional(), groups: scopeList.optional(), users: scopeList.optional(), templates: scopeList.optional() }),
    calendar: z
      .object({
        timezone: zone.optional(),
        working_hours: workingDays.optional(),
        owner_quiet_hours: z.boolean().optional(),
        duration_hours: z
          .number()
          .gt(0, { message: "expected hours > 0 and < 24" })
          .lt(24, { message: "expected hours > 0 and < 24" })
          .optional(),
      })
      .superRefine((c, ctx) => {
        if (c.owner_quiet_hours === true) {
          for (const k of ["timezone", "working_hours"] as const) {
            if (c[k] !== undefined) ctx.addIssue({ code: "custom", path: [k], message: "expected either owner_quiet_hours: true or timezone + working_hours, not both" });
          }
          return;
        }
        if (c.duration_hours !== undefined) ctx.addIssue({ code: "custom", path: ["duration_hours"], message: "expected duration_hours only with owner_quiet_hours: true" });
        if (c.timezone === undefined) ctx.addIssue({ code: "custom", path: ["timezone"], message: 'expected a calendar: timezone + working_hours ({"mon": ["08:00-18:00"], …}), or owner_quiet_hours: true' });
        if (c.working_hours === undefined) ctx.addIssue({ code: "custom", path: ["working_hours"], message: 'expected working_hours per weekday, e.g. {"mon": ["08:00-18:00"], "sat": []}' });
      }),
    holidays: z
      .object({
        dates: z.array(calendarDate).default([]),
        ranges: z
          .array(z.object({ from: calendarDate, to: calendarDate }).refine((r) => r.from <= r.to, { message: "expected from <= to" }))
          .default([]),
        ics_files: z.array(z.string().min(1)).default([]),
      })
      .optional(),
    grace_period_minutes: between(0, WEEK_MINUTES, "minutes").default(60),
    idle: z
      .object({
        after_hours: between(0, YEAR_HOURS, "hours", { gtMin: true }),
        when: z.enum(["always", "outside_working_hours", "inside_working_hours"]).default("always"),
      })
      .optional(),
    action: z.enum(["stop", "warn", "report"], { message: 'expected an action: "stop", "warn" or "report"' }),
    expires: isoDate.optional(),
  });
export type PolicyConfig = z.output<typeof policy>;

export const configSchema = z
  .object({
    quiet_hours: z.object({
      enabled: z.boolean(),
      start_time: hhmm,
      end_time: hhmm,
      timezone: zone,
      grace_period_hours: between(0, 168, "hours"),
      days: z.array(dayName).min(1, { message: "expected at least one day" }).nullable(),
      excluded_users: z.array(exclusion),
      excluded_templates: z.array(exclusion),
      excluded_workspaces: z.array(workspaceExclusion),
    }),
    ttl_monitor: z.object({
      enabled: z.boolean(),
      warning_threshold_hours: between(0, YEAR_HOURS, "hours"),
      check_interval_minutes: between(INTERVAL_MINUTES.min, INTERVAL_MINUTES.max, "minutes"),
      report_expired: z.boolean(),
      report_expiring_soon: z.boolean(),
    }),
    autostop: z.object({
      enabled: z.boolean(),
      batch_size: intBetween(1, 100_000),
      notification_enabled: z.boolean(),
      max_concurrent_stops: intBetween(1, 256),
      overdue_tolerance_minutes: between(0, WEEK_MINUTES, "minutes"),
    }),
    notifications: z.object({
      email_enabled: z.boolean(),
      slack_webhook: webhookUrl,
      teams_webhook: webhookUrl,
      notification_threshold_minutes: between(0, WEEK_MINUTES, "minutes"),
      smtp: z.object({
        host: z.string(),
        port: z.number().int().min(1).max(65535),
        secure: z.boolean(),
        starttls: z.boolean(),
        username: z.string(),
        password_file: z.string(),
        from: z.string(),
        to: z.array(z.string()),
      }),
    }),
    logging: z.object({
      level: z
        .string()
        .transform((v) => v.toLowerCase())
        .pipe(z.enum(["trace", "debug", "info", "warning", "warn", "error", "critical", "fatal", "silent"])),
      file: z.string(),
      max_size_mb: between(0.001, 102_400, "megabytes"),
      backup_count: intBetween(0, 1000),
    }),
    safety: z.object({
      max_stops_per_minute: intBetween(1, 1_000_000),
      max_stops_per_run: intBetween(1, 10_000_000),
      emergency_stop_enabled: z.boolean(),
      emergency_stop_file: z.string(),
      rollback_enabled: z.boolean(),
      rollback_window_hours: between(0, YEAR_HOURS, "hours", { gtMin: true }),
    }),
    prune_workspaces: z.object({
      enabled: z.boolean(),
      default_quiet_hours_duration: z
        .number()
        .gt(0, { message: "expected hours > 0 and < 24" })
        .lt(24, { message: "expected hours > 0 and < 24" }),
      timezone: zone,
      include_organizations: z.array(z.string()),
      exclude_organizations: z.array(z.string()),
      include_groups: z.array(z.string()),
      exclude_groups: z.array(z.string()),
      include_users: z.array(z.string()),
      exclude_users: z.array(z.string()),
      include_templates: z.array(z.string()),
      exclude_templates: z.array(z.string()),
    }),
    lifecycle: z.object({
      include_prebuilds: z.boolean(),
      include_task_workspaces: z.boolean(),
    }),
    journal: z.object({ path: z.string() }),
    cost: z.object({
      currency: z.string().min(1),
      default_per_hour: pricePerHour,
      per_hour: z.array(costRate),
    }),
    http: z.object({
      concurrency: intBetween(1, 256),
      timeout_seconds: between(TIMEOUT_SECONDS.min, TIMEOUT_SECONDS.max, "seconds"),
      page_size: intBetween(1, 100_000),
    }),
    dry_run: z.boolean(),
    policies: z.array(policy),
  })
  .superRefine((c, ctx) => {
    const names = new Map<string, number>();
    c.policies.forEach((p, i) => {
      const first = names.get(p.name.toLowerCase());
      if (first !== undefined) {
        ctx.addIssue({ code: "custom", path: ["policies", i, "name"], message: `expected a unique policy name; "${p.name}" is also policies[${first}]` });
      } else names.set(p.name.toLowerCase(), i);
    });
    const seen = new Set<string>();
    c.cost.per_hour.forEach((r, i) => {
      const key = `${r.template ?? "*"}\u0000${r.organization ?? "*"}`;
      if (seen.has(key)) {
        ctx.addIssue({ code: "custom", path: ["cost", "per_hour", i], message: "expected each template/organization pair once; this one is a duplicate" });
      }
      seen.add(key);
    });
    if (c.quiet_hours.start_time === c.quiet_hours.end_time) {
      ctx.addIssue({
        code: "custom",
        path: ["quiet_hours", "end_time"],
        message: `expected end_time to differ from start_time (${c.quiet_hours.start_time}); a window of zero length never applies`,
      });
    }
  });

export type AgentsConfig = z.output<typeof configSchema>;

/** Defaults: what a missing file or key means. `""` paths mean "the standard location". */
export const DEFAULT_CONFIG = {
  quiet_hours: {
    enabled: true,
    start_time: "18:00",
    end_time: "08:00",
    timezone: "UTC",
    grace_period_hours: 1,
    days: null,
    excluded_users: [],
    excluded_templates: [],
    excluded_workspaces: [],
  },
  ttl_monitor: {
    enabled: true,
    warning_threshold_hours: 1,
    check_interval_minutes: 15,
    report_expired: true,
    report_expiring_soon: true,
  },
  autostop: {
    enabled: true,
    batch_size: 10,
    notification_enabled: true,
    max_concurrent_stops: 5,
    overdue_tolerance_minutes: 5,
  },
  notifications: {
    email_enabled: false,
    slack_webhook: "",
    teams_webhook: "",
    notification_threshold_minutes: 30,
    smtp: {
      host: "",
      port: 25,
      secure: false,
      starttls: true,
      username: "",
      password_file: "",
      from: "",
      to: [],
    },
  },
  logging: { level: "info", file: "", max_size_mb: 10, backup_count: 5 },
  safety: {
    max_stops_per_minute: 10,
    max_stops_per_run: 100,
    emergency_stop_enabled: true,
    emergency_stop_file: "",
    rollback_enabled: true,
    rollback_window_hours: 2,
  },
  prune_workspaces: {
    enabled: true,
    default_quiet_hours_duration: 8,
    timezone: "UTC",
    include_organizations: [],
    exclude_organizations: [],
    include_groups: [],
    exclude_groups: [],
    include_users: [],
    exclude_users: [],
    include_templates: [],
    exclude_templates: [],
  },
  lifecycle: { include_prebuilds: false, include_task_workspaces: false },
  journal: { path: "" },
  cost: { currency: "USD", default_per_hour: 0, per_hour: [] },
  http: { concurrency: 8, timeout_seconds: 30, page_size: 5000 },
  dry_run: false,
  policies: [],
} satisfies z.input<typeof configSchema>;
