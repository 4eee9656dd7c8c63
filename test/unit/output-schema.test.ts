import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { commandDataSchemas, documentSchema, errorDocumentSchema, outputJsonSchema } from "../../src/output/schema.js";
import { planJsonSchema } from "../../src/domain/plan.js";
import { ROOT } from "../support/cli.js";

describe("published JSON Schema", () => {
  it("schema/output.v1.json matches the zod source of truth (run `npm run schema` after a deliberate change)", () => {
    const committed = JSON.parse(readFileSync(join(ROOT, "schema", "output.v1.json"), "utf8")) as unknown;
    expect(committed).toEqual(JSON.parse(JSON.stringify(outputJsonSchema())));
  });

  it("schema/plan.v1.json matches the plan's zod schema (run `npm run schema` after a deliberate change)", () => {
    const committed = JSON.parse(readFileSync(join(ROOT, "schema", "plan.v1.json"), "utf8")) as unknown;
    expect(committed).toEqual(JSON.parse(JSON.stringify(planJsonSchema())));
  });

  it("covers every command that prints JSON", () => {
    expect(Object.keys(commandDataSchemas).sort()).toEqual(
      ["apply", "autostop", "config show", "config validate", "enterprise-quiet-hours", "policy lint", "policy simulate", "prune", "quiet-hours", "rollback", "savings", "serve", "ttl-monitor", "workspaces"].sort(),
    );
  });

  it("rejects a document without the envelope and accepts an error document", () => {
    expect(documentSchema("workspaces").safeParse({ server: {}, user: {}, workspaces: [] }).success).toBe(false);
    const err = {
      schema_version: 1,
      command: "workspaces",
      generated_at: "2026-01-05T19:30:00.000Z",
      now: "2026-01-05T19:30:00.000Z",
      mode: "report",
      error: { code: "E_AUTH", message: "401", exit_code: 4 },
    };
    expect(errorDocumentSchema.safeParse(err).success).toBe(true);
    expect(errorDocumentSchema.safeParse({ ...err, schema_version: 2 }).success).toBe(false);
  });
});
