/** JSON data of `autostop`: pending stops, schedules, the explain trace, and execute results. */
import { z } from "zod";
import { isoInstant, planRefShape, resultEntrySchema, summarySchema, workspaceEntrySchema, notificationResultSchema, lifecycleFieldsSchema, lifecycleGuardSchema, policyFieldsSchema } from "./common.js";

export const stopCauseSchema = z.enum(["ttl", "autostop-requirement", "suspended-owner", "failure-ttl", "dormancy", "quiet-hours-policy", "prune"]);

export const driftSchema = z.object({
  expected_max_deadline: z.string().nullable(),
  actual_max_deadline: z.string().nullable(),
  difference_seconds: z.number().int().nullable(),
});

/** A running workspace and its next stop: `stops_at`/`cause`/`seconds_left` null = stops only manually. */
export const pendingWorkspaceSchema = workspaceEntrySchema.extend({
  stops_at: isoInstant.nullable(),
  cause: stopCauseSchema.nullable(),
  seconds_left: z.number().int().nullable(),
  cause_detail: z.string(),
  stops_only_manually: z.boolean(),
  /** Every rule that would stop it, soonest first. */
  causes: z.array(z.object({ cause: stopCauseSchema, at: isoInstant, seconds_left: z.number().int(), detail: z.string() })),
  deadline: z.string().nullable(),
  max_deadline: z.string().nullable(),
  /** The quiet-hours exclusion that spares it from this tool's stops, if any. */
  excluded: z.string().nullable(),
  drift: driftSchema.nullable(),
  drift_check: z.enum(["ok", "drift", "unknown", "not-checked"]),
  /** Why the check is silent (Coder's template-update rule) or could not decide; null otherwise. */
  drift_note: z.string().nullable(),
  /** Left to Coder's own lifecycle (dormant, prebuilt, task): this tool's causes do not apply, --execute skips it. */
  lifecycle_guard: lifecycleGuardSchema.nullable(),
}).merge(lifecycleFieldsSchema).merge(policyFieldsSchema);

/** `--list-pending` (default). */
export const autostopDataSchema = z.object({
  within_seconds: z.number().nullable(),
  total_running: z.number().int(),
  /** Failed workspaces listed because a template's failure TTL makes Coder stop them. */
  total_failed: z.number().int(),
  /** How owners' quiet hours were known: fetched, deployment-default, not-licensed, not-fetched, unreadable, mixed. */
  owner_schedules: z.string(),
  summary: z.object({
    listed: z.number().int(),
    by_cause: z.record(z.string(), z.number().int()),
    overdue: z.number().int(),
    drifted: z.number().int(),
  }),
  workspaces: z.array(pendingWorkspaceSchema),
});

/** `--schedule`. */
export const autostopScheduleDataSchema = z.object({
  leeway_hours: z.number(),
  advanced_scheduling: z.boolean(),
  workspaces: z.array(
    workspaceEntrySchema.extend({
      autostart_schedule: z.string().nullable(),
      autostart_description: z.string().nullable(),
      next_start: isoInstant.nullable(),
      ttl_ms: z.number().nullable(),
      deadline: z.string().nullable(),
      max_deadline: z.string().nullable(),
      owner_quiet_hours: z
        .object({
          raw_schedule: z.string().nullable(),
          user_set: z.boolean().nullable(),
          timezone: z.string().nullable(),
          time: z.string().nullable(),
          source: z.string(),
          note: z.string().nullable(),
        })
        .nullable(),
      template_autostop_requirement: z.object({ days_of_week: z.array(z.string()), weeks: z.number().int(), effective: z.boolean() }).nullable(),
      stops_at: isoInstant.nullable(),
      cause: stopCauseSchema.nullable(),
      drift: driftSchema.nullable(),
    }),
  ),
});

/** `--explain OWNER/NAME`. */
export const autostopExplainDataSchema = z.object({
  workspace: workspaceEntrySchema.passthrough(),
  workspaces: z.array(pendingWorkspaceSchema),
  trace: z.array(z.object({ rule: z.string(), matched: z.boolean(), detail: z.string() })),
  coder: z.object({
    server_version: z.string(),
    leeway_hours: z.number(),
    advanced_scheduling: z.boolean(),
    build_completed_at: z.string().nullable(),
    deadline: z.string().nullable(),
    max_deadline: z.string().nullable(),
    recomputed_deadline: isoInstant.nullable(),
    recomputed_max_deadline: isoInstant.nullable(),
    recompute_error: z.string().nullable(),
    deadline_source: z.string(),
    max_deadline_source: z.string(),
  }),
  owner_quiet_hours: z
    .object({
      time: z.string(),
      timezone: z.string(),
      source: z.string(),
      raw_schedule: z.string().nullable(),
      window_start: isoInstant,
      window_end: isoInstant,
      inside: z.boolean(),
      next_start: isoInstant,
      dst_shift: z.boolean(),
    })
    .nullable(),
  lifecycle: lifecycleFieldsSchema.extend({
    last_build_description: z.string(),
    /** null: suspended users are not readable with this token. */
    owner_suspended: z.boolean().nullable(),
    guard: lifecycleGuardSchema.nullable(),
    /** Coder's lifecycle executor's stops besides the deadline: suspended-owner, failure-ttl, dormancy. */
    coder_stops: z.array(z.object({ cause: stopCauseSchema, at: isoInstant, seconds_left: z.number().int(), detail: z.string() })),
  }),
  drift: driftSchema.nullable(),
  verdicts: z.object({
    "quiet-hours": z.object({ category: z.string(), reasons: z.array(z.string()), due_at: isoInstant.nullable(), grace_seconds_left: z.number().int().nullable() }),
    "ttl-monitor": z.object({ compliance_status: z.string(), seconds_remaining: z.number().int().nullable(), stops_only_manually: z.boolean() }),
    prune: z.object({
      in_window: z.boolean().nullable(),
      filter: z.object({ keep: z.boolean(), reason: z.string().nullable() }).nullable(),
      would_stop_now: z.boolean(),
    }),
    autostop: z.object({
      cause: stopCauseSchema.nullable(),
      stops_at: isoInstant.nullable(),
      seconds_left: z.number().int().nullable(),
      overdue_seconds: z.number().int().nullable(),
      would_execute_stop: z.boolean(),
    }),
  }),
  /** With policies configured: the policy that decides and every policy it beat, with why. */
  policy: z
    .object({
      policy: z.string(),
      level: z.enum(["user", "group", "template", "organization", "default"]),
      action: z.enum(["stop", "warn", "report"]),
      why: z.string(),
      beaten: z.array(z.object({ policy: z.string(), level: z.string(), why: z.string() })),
    })
    .optional(),
});

/** `--execute` (also with `--dry-run`): the planned overdue workspaces, results and summary */
export const autostopExecuteDataSchema = z.object({
  tolerance_minutes: z.number(),
  run_id: z.string(),
  workspaces: z.array(workspaceEntrySchema.extend({ stops_at: isoInstant, cause: stopCauseSchema, seconds_left: z.number().int() })),
  excluded: z.array(workspaceEntrySchema.extend({ reason: z.string() })),
  results: z.array(resultEntrySchema.passthrough()),
  summary: summarySchema,
  interrupted: z.enum(["SIGINT", "SIGTERM"]).nullable(),
  journal_path: z.string().nullable(),
  journal_error: z.string().nullable(),
  notifications: z.array(notificationResultSchema),
  ...planRefShape,
});

export type AutostopListData = z.input<typeof autostopDataSchema>;
export type AutostopScheduleData = z.input<typeof autostopScheduleDataSchema>;
export type AutostopExplainData = z.input<typeof autostopExplainDataSchema>;
export type AutostopExecuteData = z.input<typeof autostopExecuteDataSchema>;
