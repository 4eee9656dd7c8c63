/** `apply FILE`: the plan applied, and each step's outcome (steps changed since planning are skipped). */
import { z } from "zod";
import { isoInstant, notificationResultSchema, engineResultEntrySchema, summarySchema } from "./common.js";

export const applyDataSchema = z.object({
  plan_id: z.string(),
  plan_file: z.string(),
  /** The command that made the plan. */
  plan_command: z.enum(["quiet-hours", "autostop", "prune", "rollback"]),
  plan_created_at: isoInstant,
  /** The instant the plan's policy was evaluated at. */
  plan_now: isoInstant,
  plan_age_seconds: z.number().int(),
  max_age_minutes: z.number(),
  deployment_origin: z.string(),
  transition: z.enum(["stop", "start"]),
  dry_run: z.boolean(),
  /** Journal run id; null when no step was applied. */
  run_id: z.string().nullable(),
  results: z.array(engineResultEntrySchema),
  /** Steps skipped because their workspace changed (or was deleted) since the plan was made. */
  changed_since_planned: z.number().int(),
  summary: summarySchema,
  interrupted: z.enum(["SIGINT", "SIGTERM"]).nullable(),
  journal_path: z.string().nullable(),
  journal_error: z.string().nullable(),
  notifications: z.array(notificationResultSchema),
});
