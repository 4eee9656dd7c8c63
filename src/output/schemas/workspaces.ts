import { z } from "zod";
import { isoInstant, workspaceEntrySchema } from "./common.js";

export const workspacesDataSchema = z.object({
  server: z.object({ url: z.string(), version: z.string() }),
  user: z.object({ id: z.string(), username: z.string(), roles: z.array(z.string()) }),
  workspaces: z.array(
    workspaceEntrySchema.extend({
      started_at: isoInstant.or(z.string()),
      deadline: z.string().nullable(),
      max_deadline: z.string().nullable(),
    }),
  ),
});
