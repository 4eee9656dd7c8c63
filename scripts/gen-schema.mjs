// Regenerates schema/output.v1.json from src/output/schema.ts (via dist/). Run after `npm run build`.
import { writeFileSync, mkdirSync } from "node:fs";
const { outputJsonSchema } = await import("../dist/output/schema.js");
mkdirSync(new URL("../schema/", import.meta.url), { recursive: true });
writeFileSync(new URL("../schema/output.v1.json", import.meta.url), JSON.stringify(outputJsonSchema(), null, 2) + "\n");
console.log("wrote schema/output.v1.json");
