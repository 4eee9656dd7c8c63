/**
 * The v1 JSON output contract: the envelope every document carries and, per command,
 * the keys beside it. `schema/output.v1.json` is generated from this file (`npm run schema`) and a
 * test keeps the two in step; e2e tests parse real stdout with these schemas.
 */
import { z } from "zod";
import {
  autostopDataSchema,
  autostopExecuteDataSchema,
  autostopExplainDataSchema,
  autostopScheduleDataSchema,
} from "./schemas/autostop.js";
import { configShowDataSchema, configValidateDataSchema } from "./schemas/config.js";
import { applyDataSchema } from "./schemas/apply.js";
import { isoInstant } from "./schemas/common.js";
import { enterpriseQuietHoursDataSchema } from "./schemas/enterprise-quiet-hours.js";
import { policyLintDataSchema, policySimulateDataSchema } from "./schemas/policy.js";
import { pruneDataSchema } from "./schemas/prune.js";
import { quietHoursDataSchema } from "./schemas/quiet-hours.js";
import { rollbackDataSchema } from "./schemas/rollback.js";
import { savingsDataSchema } from "./schemas/savings.js";
import { serveDataSchema } from "./schemas/serve.js";
import { ttlMonitorDataSchema, ttlMonitorFailedCycleDataSchema } from "./schemas/ttl-monitor.js";
import { workspacesDataSchema } from "./schemas/workspaces.js";

export const envelopeSchema = z.object({
  schema_version: z.literal(1),
  command: z.string(),
  generated_at: isoInstant,
  now: isoInstant,
  mode: z.enum(["report", "dry-run", "execute"]),
});

export const errorDocumentSchema = envelopeSchema.extend({
  error: z.object({ code: z.string(), message: z.string(), exit_code: z.number().int() }),
});

type DataSchema = z.ZodObject<z.ZodRawShape>;

/**
 * Command name → the shapes of its data keys (one per mode where modes differ). Consumers must
 * ignore unknown keys.
 */
export const commandDataSchemas = {
  workspaces: [workspacesDataSchema],
  // `quiet-hours --enterprise` prints the enterprise checker's document.
  "quiet-hours": [quietHoursDataSchema, enterpriseQuietHoursDataSchema],
  "ttl-monitor": [ttlMonitorDataSchema, ttlMonitorFailedCycleDataSchema],
  autostop: [autostopDataSchema, autostopScheduleDataSchema, autostopExplainDataSchema, autostopExecuteDataSchema],
  "enterprise-quiet-hours": [enterpriseQuietHoursDataSchema],
  prune: [pruneDataSchema],
  rollback: [rollbackDataSchema],
  apply: [applyDataSchema],
  savings: [savingsDataSchema],
  serve: [serveDataSchema],
  "policy lint": [policyLintDataSchema],
  "policy simulate": [policySimulateDataSchema],
  "config show": [configShowDataSchema],
  "config validate": [configValidateDataSchema],
} as const satisfies Record<string, readonly DataSchema[]>;

/**
 * The data keys a command's result carries: any of its published shapes. Commands declare their
 * results with it (`CommandResult<DataOf<"prune">>`), so a result of the wrong shape fails tsc.
 */
export type DataOf<C extends keyof typeof commandDataSchemas> = z.input<(typeof commandDataSchemas)[C][number]>;

/** The full document schema of one command: the envelope plus any of its data shapes. */
export function documentSchema(command: string): z.ZodType {
  const variants = (commandDataSchemas as Record<string, readonly DataSchema[]>)[command];
  if (!variants) throw new Error(`no JSON schema registered for command ${command}`);
  const docs = variants.map((v) => envelopeSchema.extend(v.shape).extend({ command: z.literal(command) }));
  return docs.length === 1 ? docs[0]! : z.union(docs as unknown as [DataSchema, DataSchema, ...DataSchema[]]);
}

/** JSON Schema (draft 2020-12) of every document, keyed by command, plus the error document. */
export function outputJsonSchema(): Record<string, unknown> {
  const defs: Record<string, unknown> = { error: z.toJSONSchema(errorDocumentSchema, { io: "output", unrepresentable: "any" }) };
  for (const name of Object.keys(commandDataSchemas).sort()) {
    defs[name] = z.toJSONSchema(documentSchema(name), { io: "output", unrepresentable: "any" });
  }
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "coder-agents/output.v1.json",
    title: "coder-agents --json output, schema_version 1",
    description: "Every document has the envelope keys; each command adds its own. Consumers must ignore unknown keys.",
    $defs: defs,
  };
}
