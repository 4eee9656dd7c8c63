/** zod pieces shared by the per-command JSON schemas. */
import { z } from "zod";

export const isoInstant = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, "ISO 8601 UTC instant");

/** Keys every workspace entry in any JSON document has (SPEC §7.2). */
export const workspaceEntrySchema = z.object({
  id: z.string(),
  owner: z.string(),
  name: z.string(),
  template: z.string(),
  organization: z.string(),
  status: z.string(),
});

/** One stop/start action's outcome (SPEC §7.2 `results`). */
export const resultEntrySchema = workspaceEntrySchema.extend({
  reasons: z.array(z.string()),
  outcome: z.enum(["stopped", "started", "would-stop", "would-start", "skipped", "failed"]),
  error: z.string().nullable(),
});

export const summarySchema = z.object({
  planned: z.number().int(),
  succeeded: z.number().int(),
  skipped: z.number().int(),
  failed: z.number().int(),
});

/** One notification delivery (SPEC §8.4). */
export const notificationResultSchema = z.object({
  channel: z.enum(["slack", "teams", "email"]),
  kind: z.enum(["warning", "summary"]),
  ok: z.boolean(),
  target: z.string(),
  error: z.string().nullable(),
});
