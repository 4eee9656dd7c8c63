// Regenerates schema/output.v1.json (src/output/schema.ts) and schema/plan.v1.json
// (src/domain/plan.ts) via dist/. Run after `npm run build`.
import { writeFileSync, mkdirSync } from "node:fs";
const { outputJsonSchema } = await import("../dist/output/schema.js");
const { planJsonSchema } = await import("../dist/domain/plan.js");
mkdirSync(new URL("../schema/", import.meta.url), { recursive: true });
writeFileSync(new URL("../schema/output.v1.json", import.meta.url), JSON.stringify(outputJsonSchema(), null, 2) + "\n");
console.log("wrote schema/output.v1.json");
writeFileSync(new URL("../schema/plan.v1.json", import.meta.url), JSON.stringify(planJsonSchema(), null, 2) + "\n");
console.log("wrote schema/plan.v1.json");
