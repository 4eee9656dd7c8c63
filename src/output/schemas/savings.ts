/** JSON data of `savings`: workspace-hours and cost saved by this tool's stops, with totals. */
import { z } from "zod";
import { isoInstant } from "./common.js";

export const savingsTotalSchema = z.object({ key: z.string(), stops: z.number().int(), hours: z.number(), cost: z.number() });

export const savedStopSchema = z.object({
  run_id: z.string(),
  /** The agent that stopped it (quiet-hours, autostop, prune). */
  policy: z.string(),
  workspace: z.object({ id: z.string(), owner: z.string(), name: z.string(), template: z.string(), organization: z.string() }),
  stop_build_id: z.string(),
  stopped_at: isoInstant,
  would_stop_at: isoInstant.nullable(),
  would_stop_source: z.enum(["deadline", "max_deadline"]).nullable(),
  restarted_at: isoInstant.nullable(),
  restarted_by: z.string().nullable(),
  until: isoInstant,
  end_reason: z.enum(["deadline", "max_deadline", "restarted", "deleted", "now"]),
  open: z.boolean(),
  hours: z.number(),
  rate_per_hour: z.number(),
  cost: z.number(),
  week: z.string().regex(/^\d{4}-W\d\d$/),
  history: z.enum(["read", "unavailable"]),
});

export const savingsDataSchema = z.object({
  since: isoInstant,
  until: isoInstant,
  currency: z.string(),
  /** Zone of the ISO weeks (quiet_hours.timezone). */
  timezone: z.string(),
  totals: z.object({ stops: z.number().int(), hours: z.number(), cost: z.number() }),
  by_policy: z.array(savingsTotalSchema),
  by_template: z.array(savingsTotalSchema),
  by_organization: z.array(savingsTotalSchema),
  by_week: z.array(savingsTotalSchema),
  stops: z.array(savedStopSchema),
  journal_path: z.string(),
  journal_skipped_lines: z.number().int(),
});
