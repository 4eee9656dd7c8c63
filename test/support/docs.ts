/** The JSON documents e2e tests parse: the envelope plus each command's data schema. */
import { envelopeSchema } from "../../src/output/schema.js";
import { autostopDataSchema, autostopExecuteDataSchema, autostopExplainDataSchema } from "../../src/output/schemas/autostop.js";
import { pruneDataSchema } from "../../src/output/schemas/prune.js";
import { ttlMonitorDataSchema } from "../../src/output/schemas/ttl-monitor.js";

export const autostopListDoc = envelopeSchema.extend(autostopDataSchema.shape);
export const autostopExplainDoc = envelopeSchema.extend(autostopExplainDataSchema.shape);
export const autostopExecuteDoc = envelopeSchema.extend(autostopExecuteDataSchema.shape);
export const ttlMonitorDoc = envelopeSchema.extend(ttlMonitorDataSchema.shape);
export const pruneDoc = envelopeSchema.extend(pruneDataSchema.shape);
