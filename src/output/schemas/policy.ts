/** JSON data of `policy lint` and `policy simulate`. */
import { z } from "zod";
import { isoInstant } from "./common.js";

const level = z.enum(["user", "group", "template", "organization", "default"]);
const action = z.enum(["stop", "warn", "report"]);

export const policyLintDataSchema = z.object({
  config_file: z.string().nullable(),
  fail_on: z.enum(["errors", "warnings"]),
  workspaces_listed: z.number().int(),
  /** false: the groups listing was not readable, group scopes were not checked. */
  groups_readable: z.boolean(),
  policies: z.array(
    z.object({
      name: z.string(),
      level,
      action,
      expired: z.boolean(),
      /** Workspaces the policy's scope takes (for the implicit default: those it decides). */
      matched: z.number().int(),
      /** Workspaces it decides (the most specific policy that takes them). */
      decided: z.number().int(),
    }),
  ),
  findings: z.array(
    z.object({
      code: z.string().regex(/^PL\d{3}$/),
      rule: z.string(),
      severity: z.enum(["error", "warning", "info"]),
      policies: z.array(z.string()),
      message: z.string(),
      /** Up to five of the workspaces concerned ("owner/name"). */
      workspaces: z.array(z.string()),
    }),
  ),
  summary: z.object({ errors: z.number().int(), warnings: z.number().int(), infos: z.number().int() }),
});

export const policySimulateDataSchema = z.object({
  from: isoInstant,
  to: isoInstant,
  workspaces_listed: z.number().int(),
  running: z.number().int(),
  policies: z.array(
    z.object({
      name: z.string(),
      action,
      /** The zone of the days (the policy's; UTC for owner_quiet_hours calendars). */
      zone: z.string(),
      workspaces: z.number().int(),
      running: z.number().int(),
      excluded: z.number().int(),
      stopped: z.number().int(),
      stopped_hours: z.number(),
      flagged_hours: z.number(),
      days: z.array(z.object({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), hours: z.number(), stops: z.number().int() })),
    }),
  ),
  stops: z.array(z.object({ workspace: z.string(), policy: z.string(), at: isoInstant, cause: z.enum(["quiet", "idle"]), hours: z.number() })),
  totals: z.object({ stopped_hours: z.number(), flagged_hours: z.number(), stops: z.number().int() }),
});
