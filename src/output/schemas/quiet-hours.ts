/**
 * JSON data of `quiet-hours` beside the envelope. One object schema covers every
 * mode (status/report, categorize, execute); mode-specific keys are optional there, and the
 * per-mode schemas below make them required. `--enterprise` prints the
 * `enterprise-quiet-hours` document instead (command "enterprise-quiet-hours").
 */
import { z } from "zod";
import { CATEGORY_KEYS, type QuietCategory } from "../../domain/categorize.js";
import { isoInstant, planRefShape, resultEntrySchema, summarySchema, workspaceEntrySchema, notificationResultSchema, lifecycleFieldsSchema, lifecycleGuardSchema, policyFieldsSchema } from "./common.js";

const nullableInstant = isoInstant.nullable();

const windowSchema = z.object({
  start: isoInstant,
  end: isoInstant,
  /** Local calendar date the window starts on, and its weekday. */
  date: z.string(),
  day: z.enum(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
});

export const quietCategorySchema = z.enum(CATEGORY_KEYS as [QuietCategory, ...QuietCategory[]]);

/** A categorised workspace. */
export const quietWorkspaceEntrySchema = workspaceEntrySchema.extend({
  template_id: z.string(),
  category: quietCategorySchema,
  reasons: z.array(z.string()),
  started_at: nullableInstant,
  deadline: z.string().nullable(),
  max_deadline: z.string().nullable(),
  seconds_remaining: z.number().int().nullable(),
  time_remaining: z.string(),
  /** When its quiet-hours stop is due (grace, stopping; TTL-expired inside the window). */
  due_at: nullableInstant,
  exclusion: z
    .object({ kind: z.enum(["user", "template", "workspace"]), name: z.string(), reason: z.string().nullable(), expires: z.string().nullable() })
    .nullable(),
  /** Left to Coder's own lifecycle (category `excluded`): dormant, prebuilt, task. */
  lifecycle_guard: lifecycleGuardSchema.nullable(),
}).merge(lifecycleFieldsSchema).merge(policyFieldsSchema);

const categoriesSchema = z.object({
  quiet_hours_stopping: z.array(quietWorkspaceEntrySchema),
  quiet_hours_grace: z.array(quietWorkspaceEntrySchema),
  past_quiet_hours_end: z.array(quietWorkspaceEntrySchema),
  ttl_expired: z.array(quietWorkspaceEntrySchema),
  normal_running: z.array(quietWorkspaceEntrySchema),
  excluded: z.array(quietWorkspaceEntrySchema),
});

const countsSchema = z.object({
  quiet_hours_stopping: z.number().int(),
  quiet_hours_grace: z.number().int(),
  past_quiet_hours_end: z.number().int(),
  ttl_expired: z.number().int(),
  normal_running: z.number().int(),
  excluded: z.number().int(),
});

/** Keys every quiet-hours document has. */
const baseShape = {
  timezone: z.string(),
  quiet_hours: z.object({
    enabled: z.boolean(),
    start_time: z.string(),
    end_time: z.string(),
    timezone: z.string(),
    days: z.array(z.string()).nullable(),
    grace_period_hours: z.number(),
    active: z.boolean(),
    window: windowSchema.nullable(),
    grace_period_ends: nullableInstant,
    grace_period_over: z.boolean(),
    most_recent_window: windowSchema.nullable(),
    next_window: windowSchema.nullable(),
  }),
  /** Expired exclusions and similar notes. */
  warnings: z.array(z.string()),
};

/** The Python report keys (`--report`, `--status`), D36 fixed. */
const reportShape = {
  timestamp: isoInstant,
  quiet_hours_active: z.boolean(),
  grace_period_over: z.boolean(),
  /** Every running workspace, excluded ones included. */
  workspaces_running: z.number().int(),
  workspaces_excluded: z.number().int(),
  /** The workspaces `--execute` would stop now (same selection; TTL-expired ones included). */
  workspaces_to_stop: z.number().int(),
  excluded_users: z.array(z.string()),
  excluded_templates: z.array(z.string()),
  excluded_workspaces: z.array(z.string()),
  /** The workspaces to stop. */
  workspaces: z.array(quietWorkspaceEntrySchema.extend({ summary: z.string() })),
  quiet_hours_started: isoInstant.optional(),
  grace_period_ends: isoInstant.nullable().optional(),
  /** "Stop workspaces now" | "Stop workspaces in 45m" | "No action required - …" */
  action_required: z.string(),
  action_required_in_seconds: z.number().int().nullable(),
};

const executeShape = {
  dry_run: z.boolean(),
  force: z.boolean(),
  categories: categoriesSchema,
  counts: countsSchema,
  /** Journal run id; null when nothing was planned. */
  run_id: z.string().nullable(),
  results: z.array(
    resultEntrySchema.extend({ build_id: z.string().nullable(), category: z.string().nullable(), at: isoInstant.optional() }),
  ),
  summary: summarySchema,
  interrupted: z.enum(["SIGINT", "SIGTERM"]).nullable(),
  journal_path: z.string().nullable(),
  journal_error: z.string().nullable(),
  ...planRefShape,
  /** Notifications sent (summary after the run, stopping-soon warnings), each with its outcome. */
  notifications: z.array(notificationResultSchema),
  /** Stopping-soon warnings: workspaces warned this run (or that would be, in a dry run), once per window. */
  stop_warnings: z.object({
    threshold_minutes: z.number(),
    warned: z.array(
      z.object({ id: z.string(), owner: z.string(), name: z.string(), template: z.string(), due_at: isoInstant, window_start: isoInstant }),
    ),
    already_warned: z.number().int(),
  }),
};

export const quietHoursReportDataSchema = z.object({ ...baseShape, ...reportShape, enterprise: z.record(z.string(), z.unknown()).optional() });
export const quietHoursCategorizeDataSchema = z.object({ ...baseShape, categories: categoriesSchema, counts: countsSchema });
export const quietHoursExecuteDataSchema = z.object({ ...baseShape, ...executeShape });

/** Every quiet-hours document (registry entry): base keys plus the keys of whichever mode ran. */
export const quietHoursDataSchema = z.object({
  ...baseShape,
  ...z.object(reportShape).partial().shape,
  ...z.object(executeShape).partial().shape,
  /** `--status`: the enterprise-quiet-hours data, or {error}. */
  enterprise: z.record(z.string(), z.unknown()).optional(),
});

export type QuietHoursReportData = z.input<typeof quietHoursReportDataSchema>;
export type QuietHoursCategorizeData = z.input<typeof quietHoursCategorizeDataSchema>;
export type QuietHoursExecuteData = z.input<typeof quietHoursExecuteDataSchema>;
/** The keys every quiet-hours document has (`View.base()`). */
export type QuietHoursBaseData = z.input<z.ZodObject<typeof baseShape>>;
