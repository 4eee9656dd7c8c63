/** JSON of `serve --json`: one document when the dashboard is listening. */
import { z } from "zod";

export const serveDataSchema = z.object({
  url: z.string(),
  metrics_url: z.string(),
  allow_apply: z.boolean(),
  interval_seconds: z.number(),
});
