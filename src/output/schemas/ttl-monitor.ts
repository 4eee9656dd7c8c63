/** JSON data of `ttl-monitor`: the Python report keys plus scope, threshold and transitional workspaces. */
import { z } from "zod";
import { isoInstant, workspaceEntrySchema, lifecycleFieldsSchema, policyFieldsSchema } from "./common.js";

/** One analysed workspace: the common entry keys plus the Python `analyze_workspace_ttl` keys. */
export const ttlWorkspaceSchema = workspaceEntrySchema.extend({
  workspace_id: z.string(),
  template_id: z.string(),
  ttl_ms: z.number().nullable(),
  ttl_formatted: z.string(),
  deadline: z.string().nullable(),
  max_deadline: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
  /** "2h 15m", "Expired 2h 30m ago", or "N/A" without a stop time. */
  time_remaining: z.string(),
  /** Seconds until the effective stop (earlier of deadline and max_deadline); negative once passed; null without one. */
  seconds_remaining: z.number().int().nullable(),
  is_expired: z.boolean(),
  deadline_formatted: z.string(),
  /** EXPIRED | EXPIRING_SOON | RUNNING | BUMPED_BY_ACTIVITY (running bucket) | STOPPED | the upper-cased transitional status (STARTING, FAILED…). */
  compliance_status: z.string(),
  /** The effective stop instant and where it comes from. */
  stops_at: z.string().nullable(),
  stop_source: z.enum(["deadline", "max_deadline"]).nullable(),
  /** Running with neither deadline nor max_deadline: Coder never stops it by itself. */
  stops_only_manually: z.boolean(),
  /** BUMPED_BY_ACTIVITY: where Coder's activity bump keeps the deadline (now + bump, capped at max_deadline); else null. */
  bumped_deadline: z.string().nullable(),
}).merge(lifecycleFieldsSchema).merge(policyFieldsSchema);

export const ttlScopeSchema = z.object({
  /** "current" (the token's user), "user" (--user) or "all". */
  users: z.enum(["current", "user", "all"]),
  /** The username the scope is limited to (current or --user), null for all. */
  username: z.string().nullable(),
  /** Organization names the listing is limited to, null for all. */
  organizations: z.array(z.string()).nullable(),
  /** The Coder search queries used (one per organization). */
  queries: z.array(z.string()),
});

export const ttlMonitorDataSchema = z.object({
  /** Monitor mode: the cycle number (1, 2, …); absent for a one-shot report. */
  cycle: z.number().int().optional(),
  ok: z.literal(true),
  timestamp: isoInstant,
  total_workspaces: z.number().int(),
  user_filter: z.string().nullable(),
  scope: ttlScopeSchema,
  threshold_seconds: z.number(),
  fail_on: z.enum(["expired", "expiring"]).nullable(),
  /** Sections hidden by ttl_monitor.report_expired / report_expiring_soon (their counts stay in `summary`). */
  hidden_sections: z.array(z.enum(["expired", "expiring_soon"])),
  summary: z.object({
    expired: z.number().int(),
    expiring_soon: z.number().int(),
    running: z.number().int(),
    stopped: z.number().int(),
    transitional: z.number().int(),
    stops_only_manually: z.number().int(),
    /** Running workspaces whose owner is active: Coder keeps bumping the deadline (not expiring soon). */
    bumped_by_activity: z.number().int(),
  }),
  workspaces: z.object({
    expired: z.array(ttlWorkspaceSchema),
    expiring_soon: z.array(ttlWorkspaceSchema),
    running: z.array(ttlWorkspaceSchema),
    stopped: z.array(ttlWorkspaceSchema),
    transitional: z.array(ttlWorkspaceSchema),
  }),
});

/** Monitor mode: a cycle that could not read Coder (never reported as "all compliant"). */
export const ttlMonitorFailedCycleDataSchema = z.object({
  cycle: z.number().int(),
  ok: z.literal(false),
  timestamp: isoInstant,
  error: z.object({ code: z.string(), message: z.string(), exit_code: z.number().int() }),
  next_attempt_at: isoInstant.nullable(),
});
