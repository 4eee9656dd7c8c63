/**
 * The Snapshot: what a run knows about the deployment, read once at the start of the run and
 * handed to a pure planner. It always holds the workspaces the planner asked for (one listing with
 * a server-side query, or the workspaces of a plan read by id); users, groups, templates and owner
 * schedules only when the planner declares it needs them (`SnapshotNeeds`), so a planner that
 * needs none of them costs exactly one listing.
 *
 * Loading lives outside the domain (src/coder/snapshot.ts); planners only read this value.
 */
import type { Group, QuietHours, Template, User, Workspace } from "../coder/schemas.js";

/** What a planner needs besides the workspaces. */
export interface SnapshotNeeds {
  /** Server-side workspace query (e.g. "status:running"); undefined lists every workspace. */
  query?: string | undefined;
  /** Read these workspaces by id instead of listing (apply: the workspaces of a plan). */
  workspaceIds?: readonly string[];
  users?: boolean;
  groups?: boolean;
  templates?: boolean;
  /** Owners (usernames) whose quiet-hours schedule the planner needs. */
  schedulesOf?: readonly string[];
}

export interface Snapshot {
  /** Wall-clock time the snapshot was taken (ISO UTC). */
  takenAt: string;
  workspaces: readonly Workspace[];
  /** Ids asked for by `workspaceIds` that no longer exist (404/410). */
  missing: readonly string[];
  users?: readonly User[];
  groups?: readonly Group[];
  templates?: readonly Template[];
  /** Username → schedule, or the error met reading it. */
  schedules?: ReadonlyMap<string, QuietHours | { error: string }>;
}
