/** JSON data of `rollback`: results/summary as for quiet-hours, plus which runs were undone. */
import { z } from "zod";
import { isoInstant, planRefShape, notificationResultSchema, engineResultEntrySchema, summarySchema } from "./common.js";

export const rollbackResultSchema = engineResultEntrySchema.extend({
  outcome: z.enum(["started", "would-start", "skipped", "failed"]),
  stopped_by_run: z.string(),
  stopped_by_command: z.string(),
  stopped_at: isoInstant,
  stop_build_id: z.string(),
});


export const rollbackDataSchema = z.object({
  /** The rollback's own run id in the journal (null when nothing was planned). */
  rollback_run_id: z.string().nullable(),
  runs: z.array(z.object({ run_id: z.string(), command: z.string(), started_at: isoInstant, planned: z.number().int() })),
  /** Start of the --since window (null with --run). */
  since: isoInstant.nullable(),
  results: z.array(rollbackResultSchema),
  summary: summarySchema,
  interrupted: z.enum(["SIGINT", "SIGTERM"]).nullable(),
  notifications: z.array(notificationResultSchema),
  journal_path: z.string(),
  journal_error: z.string().nullable(),
  journal_skipped_lines: z.number().int(),
  ...planRefShape,
});
