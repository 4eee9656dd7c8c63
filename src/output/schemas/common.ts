/** zod pieces shared by the per-command JSON schemas. */
import { z } from "zod";

export const isoInstant = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, "ISO 8601 UTC instant");

/** Keys every workspace entry in any JSON document has. */
export const workspaceEntrySchema = z.object({
  id: z.string(),
  owner: z.string(),
  name: z.string(),
  template: z.string(),
  organization: z.string(),
  status: z.string(),
});

/** One stop/start action's outcome. */
export const resultEntrySchema = workspaceEntrySchema.extend({
  reasons: z.array(z.string()),
  outcome: z.enum(["stopped", "started", "would-stop", "would-start", "skipped", "failed"]),
  error: z.string().nullable(),
});

/** A stop/start result as the stop engine reports it: its build, the category that selected it, and when. */
export const engineResultEntrySchema = resultEntrySchema.extend({
  build_id: z.string().nullable(),
  category: z.string().optional(),
  /** Wall-clock time of the outcome. */
  at: isoInstant.optional(),
});

export const summarySchema = z.object({
  planned: z.number().int(),
  succeeded: z.number().int(),
  skipped: z.number().int(),
  failed: z.number().int(),
});

/** One notification delivery. */
export const notificationResultSchema = z.object({
  channel: z.enum(["slack", "teams", "email"]),
  kind: z.enum(["warning", "summary"]),
  ok: z.boolean(),
  target: z.string(),
  error: z.string().nullable(),
});

/** Coder's lifecycle state of a workspace, added to every report's entries. */
export const lifecycleFieldsSchema = z.object({
  dormant_at: z.string().nullable(),
  /** When Coder deletes the dormant workspace. */
  deleting_at: z.string().nullable(),
  is_prebuild: z.boolean(),
  task_id: z.string().nullable(),
  last_build_reason: z.string().nullable(),
  /** Who made the latest build: Coder itself (autostart, autostop, dormancy, autodelete, task_auto_pause), a CLI (`cli`: this tool or `coder`), the user, or unknown. */
  last_build_by: z.enum(["coder", "cli", "user", "unknown"]),
});

/** Why this tool leaves a workspace to Coder's own lifecycle. */
export const lifecycleGuardSchema = z.object({ kind: z.enum(["dormant", "prebuild", "task"]), reason: z.string() });

/** Every acting run's plan: its id, and the file `--plan-out` wrote it to (null without --plan-out). */
export const planRefShape = {
  plan_id: z.string(),
  plan_file: z.string().nullable(),
};

/**
 * The policy that decides for a workspace (added to the workspace entries of quiet-hours, autostop,
 * prune and ttl-monitor): "quiet_hours" for the implicit policy made from the quiet_hours section.
 */
export const policyFieldsSchema = z.object({
  policy: z.string(),
  /** What that policy does when it is due: stop, warn (notify only) or report (list only). */
  policy_action: z.enum(["stop", "warn", "report"]),
});
