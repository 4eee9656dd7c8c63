/**
 * The Snapshot: the workspaces a run acts on, read once at the start of the run and handed to a
 * pure planner: one listing with a server-side query, or the workspaces of a plan read by id.
 * What else a command needs from Coder (groups, templates, owners' quiet hours, the licence) it
 * reads once per run through its own loader (e.g. src/commands/policy-inputs.ts) and passes to
 * the planner as data.
 *
 * Loading lives outside the domain (src/exec/snapshot.ts); planners only read this value.
 */
import type { Workspace } from "../coder/schemas.js";

/** Which workspaces a planner needs. */
export interface SnapshotNeeds {
  /** Server-side workspace query (e.g. "status:running"); undefined lists every workspace. */
  query?: string | undefined;
  /** Read these workspaces by id instead of listing (apply: the workspaces of a plan). */
  workspaceIds?: readonly string[];
}

export interface Snapshot {
  workspaces: readonly Workspace[];
  /** Ids asked for by `workspaceIds` that no longer exist (404/410). */
  missing: readonly string[];
}
