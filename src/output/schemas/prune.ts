/** JSON data of `prune`: the Python agent's keys plus owners, filters and, with --cleanup, results/summary. */
import { z } from "zod";
import { isoInstant, planRefShape, engineResultEntrySchema, summarySchema, workspaceEntrySchema, notificationResultSchema, lifecycleFieldsSchema, lifecycleGuardSchema, policyFieldsSchema } from "./common.js";

const dimensionLists = z.object({
  organizations: z.array(z.string()),
  groups: z.array(z.string()),
  users: z.array(z.string()),
  templates: z.array(z.string()),
});

/** `quiet_hours_info.user_quiet_hours` (Python keys) plus where the start came from. */
const userQuietHoursSchema = z.object({
  username: z.string(),
  start_time: z.string(),
  timezone: z.string(),
  user_set: z.boolean(),
  user_can_set: z.boolean().nullable(),
  next_activation: z.string().nullable(),
  raw_schedule: z.string().nullable(),
  source: z.enum(["user", "default", "deployment-default", "fallback"]),
  note: z.string().nullable(),
});

export const pruneWorkspaceSchema = workspaceEntrySchema.extend({
  owner_name: z.string(),
  owner_id: z.string(),
  template_id: z.string(),
  template_name: z.string(),
  template_display_name: z.string(),
  organization_id: z.string(),
  organization_name: z.string(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  latest_build: z.object({
    id: z.string(),
    build_number: z.number().int(),
    transition: z.string(),
    status: z.string(),
    created_at: z.string(),
    deadline: z.string().nullable(),
    max_deadline: z.string().nullable(),
  }),
  quiet_hours_info: z.object({
    user_quiet_hours: userQuietHoursSchema,
    quiet_start: isoInstant,
    quiet_end: isoInstant,
    is_in_quiet_hours: z.literal(true),
  }),
}).merge(lifecycleFieldsSchema).merge(policyFieldsSchema);

export const pruneDataSchema = z.object({
  timestamp: isoInstant,
  target_user: z.string().nullable(),
  include_all_users: z.boolean(),
  quiet_hours_duration: z.number(),
  quiet_hours_duration_seconds: z.number().int(),
  total_workspaces: z.number().int(),
  workspaces: z.array(pruneWorkspaceSchema),
  scope: z.enum(["me", "user", "all"]),
  statuses: z.enum(["running", "all"]),
  filters: z.object({ include: dimensionLists, exclude: dimensionLists }),
  workspaces_listed: z.number().int(),
  owners_checked: z.number().int(),
  owners_in_quiet_hours: z.number().int(),
  owners: z.array(
    z.object({
      owner: z.string(),
      owner_id: z.string(),
      quiet_hours: userQuietHoursSchema,
      window_start: isoInstant,
      window_end: isoInstant,
      in_quiet_hours: z.boolean(),
      next_window_start: isoInstant,
      workspaces: z.number().int(),
    }),
  ),
  warnings: z.array(z.string()),
  /** Workspaces left to Coder's own lifecycle (dormant; prebuilt and task unless included), with the reason. */
  lifecycle_excluded: z.array(workspaceEntrySchema.extend({ kind: lifecycleGuardSchema.shape.kind, reason: z.string() }).merge(lifecycleFieldsSchema)),
  cleanup_executed: z.boolean().optional(),
  run_id: z.string().optional(),
  results: z.array(engineResultEntrySchema).optional(),
  summary: summarySchema.optional(),
  interrupted: z.enum(["SIGINT", "SIGTERM"]).nullable().optional(),
  journal_path: z.string().nullable().optional(),
  journal_error: z.string().nullable().optional(),
  notifications: z.array(notificationResultSchema).optional(),
  plan_id: planRefShape.plan_id.optional(),
  plan_file: planRefShape.plan_file.optional(),
});
