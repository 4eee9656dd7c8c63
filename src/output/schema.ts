/**
 * The v1 JSON output contract (SPEC §6): the envelope every document carries and, per command,
 * the keys beside it. `schema/output.v1.json` is generated from this file (npm run schema) and a
 * test keeps the two in step; e2e tests parse real stdout with these schemas.
 */
import { z } from "zod";
import { isoInstant } from "./schemas/common.js";
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

/** Command name → schema of its data keys. Consumers must ignore unknown keys. */
export const commandDataSchemas = {
  workspaces: workspacesDataSchema,
} as const;

export type CommandName = keyof typeof commandDataSchemas;

/** The full document schema of one command. */
export function documentSchema(command: CommandName) {
  return envelopeSchema.extend(commandDataSchemas[command].shape);
}

/** JSON Schema (draft 2020-12) of every document, keyed by command, plus the error document. */
export function outputJsonSchema(): Record<string, unknown> {
  const defs: Record<string, unknown> = { error: z.toJSONSchema(errorDocumentSchema, { io: "output" }) };
  for (const name of Object.keys(commandDataSchemas) as CommandName[]) {
    defs[name] = z.toJSONSchema(documentSchema(name), { io: "output" });
  }
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "coder-agents/output.v1.json",
    title: "coder-agents --json output, schema_version 1",
    description: "Every document has the envelope keys; each command adds its own. Consumers must ignore unknown keys.",
    $defs: defs,
  };
}
