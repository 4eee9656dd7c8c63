/**
 * zod schemas for the fields of Coder's API responses this tool reads. Unknown fields are
 * tolerated (zod objects strip them); a missing or mistyped required field fails validation and
 * becomes an ApiShapeError (exit 8) naming the field path.
 */
import { z } from "zod";

/**
 * Timestamps that Coder may send as null, "", absent or the zero time: all mean "unset". A set one
 * is normalised to this tool's own form (UTC, milliseconds: "2026-01-06T00:00:00.000Z"): Coder
 * writes RFC 3339 with the fraction trimmed (and Postgres' microseconds), so a deadline echoed in a
 * report would otherwise differ in form from the instants the tool computes next to it.
 */
export const nullableTime = z
  .string()
  .nullish()
  .transform((v) => {
    if (v === undefined || v === null || v === "" || v.startsWith("0001-01-01")) return null;
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? v : new Date(ms).toISOString();
  });

export const provisionerJobSchema = z.object({
  id: z.string(),
  status: z.string(),
  created_at: z.string().optional(),
  started_at: z.string().nullish(),
  completed_at: z.string().nullish(),
  error: z.string().nullish(),
});

export const workspaceBuildSchema = z.object({
  id: z.string(),
  created_at: z.string(),
  updated_at: z.string().optional(),
  workspace_id: z.string().optional(),
  template_version_id: z.string().optional(),
  build_number: z.number().int(),
  transition: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  initiator_id: z.string().optional(),
  initiator_name: z.string().optional(),
  job: provisionerJobSchema,
  deadline: nullableTime,
  max_deadline: nullableTime,
});
export type WorkspaceBuild = z.infer<typeof workspaceBuildSchema>;

export const workspaceSchema = z.object({
  id: z.string(),
  created_at: z.string(),
  updated_at: z.string().optional(),
  owner_id: z.string(),
  owner_name: z.string(),
  organization_id: z.string(),
  organization_name: z.string().optional().default(""),
  template_id: z.string(),
  template_name: z.string(),
  template_display_name: z.string().optional().default(""),
  name: z.string(),
  latest_build: workspaceBuildSchema,
  autostart_schedule: z.string().nullish().transform((v) => (v ? v : null)),
  ttl_ms: z.number().nullish().transform((v) => (v === undefined || v === null ? null : v)),
  last_used_at: nullableTime,
  outdated: z.boolean().optional(),
  /** Set while the workspace is dormant (Coder never autostops or autostarts it then). */
  dormant_at: nullableTime,
  /** When Coder will delete the dormant workspace (template `time_til_dormant_autodelete_ms`). */
  deleting_at: nullableTime,
  next_start_at: z.string().nullish(),
  favorite: z.boolean().optional(),
  /** Newer servers: a prebuilt workspace (owned by the prebuilds system user until claimed). */
  is_prebuild: z.boolean().optional(),
  /** Newer servers: the task this workspace runs (Coder pauses task workspaces itself). */
  task_id: z
    .string()
    .nullish()
    .transform((v) => (v ? v : null)),
});
export type Workspace = z.infer<typeof workspaceSchema>;

/**
 * A workspace as a whole-fleet report keeps it (ttl-monitor: every workspace of a deployment, not
 * only the running ones): the fields the TTL classification, the lifecycle rules and the report
 * read, and nothing else. At 50,000 workspaces the full row costs ~1.4 KB each; this one about
 * half, and the parser never builds the rest.
 */
export const workspaceSummarySchema = workspaceSchema
  .pick({
    id: true,
    created_at: true,
    updated_at: true,
    owner_id: true,
    owner_name: true,
    organization_id: true,
    organization_name: true,
    template_id: true,
    template_name: true,
    // organization_id and template_display_name: policy scopes match by id or display name too
    template_display_name: true,
    name: true,
    ttl_ms: true,
    last_used_at: true,
    dormant_at: true,
    deleting_at: true,
    is_prebuild: true,
    task_id: true,
  })
  .extend({
    latest_build: workspaceBuildSchema
      .pick({ build_number: true, transition: true, status: true, reason: true, deadline: true, max_deadline: true })
      .extend({ job: provisionerJobSchema.pick({ status: true, completed_at: true }) }),
  });
export type WorkspaceSummary = z.infer<typeof workspaceSummarySchema>;

export const roleSchema = z.object({
  name: z.string(),
  display_name: z.string().optional(),
  organization_id: z.string().optional(),
});

export const userSchema = z.object({
  id: z.string(),
  username: z.string(),
  name: z.string().optional(),
  email: z.string().optional(),
  status: z.string().optional(),
  organization_ids: z.array(z.string()).optional().default([]),
  roles: z.array(roleSchema).optional().default([]),
});
export type User = z.infer<typeof userSchema>;

export const reducedUserSchema = z.object({
  id: z.string(),
  username: z.string(),
});

export const autostopRequirementSchema = z.object({
  days_of_week: z.array(z.string()),
  weeks: z.number().int(),
});

export const templateSchema = z.object({
  id: z.string(),
  name: z.string(),
  display_name: z.string().optional().default(""),
  organization_id: z.string(),
  organization_name: z.string().optional().default(""),
  /** The latest template edit (a schedule change is at or before it). */
  updated_at: z.string().optional(),
  default_ttl_ms: z.number().optional().default(0),
  /** Absent on servers without activity bump settings: Coder's default (1 h) applies. 0 disables bumping. */
  activity_bump_ms: z.number().optional(),
  /** Enterprise lifecycle settings (0 or absent: off). */
  failure_ttl_ms: z.number().optional().default(0),
  time_til_dormant_ms: z.number().optional().default(0),
  time_til_dormant_autodelete_ms: z.number().optional().default(0),
  autostop_requirement: autostopRequirementSchema.nullish(),
  autostart_requirement: z.object({ days_of_week: z.array(z.string()) }).nullish(),
  allow_user_autostart: z.boolean().optional().default(true),
  allow_user_autostop: z.boolean().optional().default(true),
});
export type Template = z.infer<typeof templateSchema>;
export const templatesResponseSchema = z.array(templateSchema);

export const organizationSchema = z.object({
  id: z.string(),
  name: z.string(),
  display_name: z.string().optional().default(""),
  is_default: z.boolean().optional().default(false),
});
export type Organization = z.infer<typeof organizationSchema>;
export const organizationsResponseSchema = z.array(organizationSchema);

export const groupSchema = z.object({
  id: z.string(),
  name: z.string(),
  display_name: z.string().optional().default(""),
  organization_id: z.string(),
  organization_name: z.string().optional().default(""),
  members: z.array(reducedUserSchema).nullish().transform((v) => v ?? []),
  total_member_count: z.number().optional(),
});
export type Group = z.infer<typeof groupSchema>;
export const groupsResponseSchema = z.array(groupSchema);

export const quietHoursSchema = z.object({
  raw_schedule: z.string(),
  user_set: z.boolean(),
  user_can_set: z.boolean().optional(),
  time: z.string().optional(),
  timezone: z.string().optional(),
  next: z.string().nullish(),
});
export type QuietHours = z.infer<typeof quietHoursSchema>;

export const buildInfoSchema = z.object({
  version: z.string(),
  external_url: z.string().optional(),
  dashboard_url: z.string().optional(),
  deployment_id: z.string().optional(),
});
export type BuildInfo = z.infer<typeof buildInfoSchema>;

export const deploymentConfigSchema = z.object({
  config: z.object({
    user_quiet_hours_schedule: z
      .object({
        default_schedule: z.string().optional().default(""),
        allow_user_custom: z.boolean().optional().default(true),
      })
      .optional(),
  }),
});
export type DeploymentConfig = z.infer<typeof deploymentConfigSchema>;

export const entitlementsSchema = z.object({
  features: z.record(
    z.string(),
    z.object({
      entitlement: z.string(),
      enabled: z.boolean(),
      limit: z.number().optional(),
      actual: z.number().optional(),
    }),
  ),
  has_license: z.boolean(),
  trial: z.boolean().optional(),
  warnings: z.array(z.string()).optional().default([]),
});
export type Entitlements = z.infer<typeof entitlementsSchema>;

export const errorBodySchema = z.object({
  message: z.string(),
  detail: z.string().optional(),
  validations: z.array(z.object({ field: z.string(), detail: z.string() })).nullish(),
});
