/** JSON data of `enterprise-quiet-hours`: only the quiet-hours configuration, never the whole deployment config (D35). */
import { z } from "zod";
import { isoInstant } from "./common.js";

const sectionStatus = z.enum(["ok", "forbidden", "not_licensed", "not_found"]);

export const userScheduleEntrySchema = z.object({
  username: z.string(),
  status: sectionStatus,
  message: z.string().nullable(),
  raw_schedule: z.string().nullable(),
  time: z.string().nullable(),
  timezone: z.string().nullable(),
  user_set: z.boolean().nullable(),
  user_can_set: z.boolean().nullable(),
  next: isoInstant.nullable().or(z.string()),
  seconds_until_next: z.number().int().nullable(),
  api_next: z.string().nullable(),
});

export const enterpriseQuietHoursDataSchema = z.object({
  timestamp: isoInstant,
  current_user: z.object({ id: z.string(), username: z.string(), email: z.string().nullable(), roles: z.array(z.string()) }),
  target_user: z.string(),
  /** Python key, now only `{user_quiet_hours_schedule}`; null when the token may not read the deployment config. */
  enterprise_config: z
    .object({ user_quiet_hours_schedule: z.object({ default_schedule: z.string().nullable(), allow_user_custom: z.boolean().nullable() }) })
    .nullable(),
  /** Python key: the quiet-hours response of the target user, or null when not available. */
  user_quiet_hours: z
    .object({
      raw_schedule: z.string().nullable(),
      user_set: z.boolean().nullable(),
      user_can_set: z.boolean().nullable(),
      time: z.string().nullable(),
      timezone: z.string().nullable(),
      next: z.string().nullable(),
    })
    .nullable(),
  deployment_policy: z.object({
    status: sectionStatus,
    message: z.string().nullable(),
    default_schedule: z.string().nullable(),
    default_schedule_description: z.string().nullable(),
    allow_user_custom: z.boolean().nullable(),
  }),
  licensing: z.object({
    status: sectionStatus,
    message: z.string().nullable(),
    has_license: z.boolean().nullable(),
    advanced_template_scheduling: z.object({ entitlement: z.string(), enabled: z.boolean() }).nullable(),
    usable: z.boolean().nullable(),
    note: z.string().nullable(),
  }),
  templates: z.object({
    status: sectionStatus,
    message: z.string().nullable(),
    items: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        display_name: z.string(),
        organization: z.string(),
        autostop_requirement: z.object({ days_of_week: z.array(z.string()), weeks: z.number().int() }),
      }),
    ),
  }),
  user: userScheduleEntrySchema,
  users: z.array(userScheduleEntrySchema).optional(),
  error: z.string().optional(),
});
