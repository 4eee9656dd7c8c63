/** The simulator's in-memory records (internal shapes; render.ts turns them into Coder JSON). */

export type Transition = "start" | "stop" | "delete";
export type JobStatus = "pending" | "running" | "succeeded" | "canceling" | "canceled" | "failed";

export interface Org {
  id: string;
  name: string;
  displayName: string;
  description: string;
  isDefault: boolean;
  createdAt: number;
}

export interface User {
  id: string;
  username: string;
  name: string;
  email: string;
  roles: string[];
  orgIds: string[];
  /** The user's own schedule, or null for the deployment default. */
  quietHours: string | null;
  token: string;
  status: "active" | "dormant" | "suspended";
  createdAt: number;
  /** A system user (e.g. `prebuilds`): owns workspaces but is left out of user and member lists. */
  system?: boolean;
}

/** Coder's prebuilds system user (coderd/database: PrebuildsSystemUserID). */
export const PREBUILDS_USER_ID = "c42fdf75-3097-471c-8c33-fb52454d81c0";
export const PREBUILDS_USERNAME = "prebuilds";

export interface Group {
  id: string;
  name: string;
  displayName: string;
  orgId: string;
  memberIds: string[];
}

export interface Template {
  id: string;
  name: string;
  displayName: string;
  description: string;
  icon: string;
  orgId: string;
  defaultTtlMs: number;
  activityBumpMs: number;
  /** Inactivity (since last_used_at) after which the lifecycle executor marks a workspace dormant; 0 = never. */
  timeTilDormantMs: number;
  /** Time a workspace stays dormant before it is deleted; 0 = never. */
  timeTilDormantAutodeleteMs: number;
  /** A failed start build is stopped after this long; 0 = never. */
  failureTtlMs: number;
  autostopDays: string[];
  autostopWeeks: number;
  autostartDays: string[];
  allowUserAutostop: boolean;
  allowUserAutostart: boolean;
  deprecated: boolean;
  activeVersionId: string;
  activeVersionName: string;
  createdAt: number;
  createdById: string;
}

export interface Build {
  id: string;
  jobId: string;
  number: number;
  transition: Transition;
  jobStatus: JobStatus;
  reason: string;
  initiatorId: string;
  templateVersionId: string;
  createdAt: number;
  startedAt: number | null;
  completedAt: number | null;
  canceledAt: number | null;
  error: string | null;
  deadline: number | null;
  maxDeadline: number | null;
}

export interface Workspace {
  id: string;
  name: string;
  ownerId: string;
  templateId: string;
  orgId: string;
  createdAt: number;
  updatedAt: number;
  ttlMs: number | null;
  autostart: string | null;
  lastUsedAt: number | null;
  dormantAt: number | null;
  deletingAt: number | null;
  /** The Coder task this workspace runs (AI tasks), or null. */
  taskId: string | null;
  /** Open connections (SSH, IDE, apps): the lifecycle executor bumps the deadline while > 0. */
  connections: number;
  outdated: boolean;
  favorite: boolean;
  params: Record<string, string>;
  /** Oldest first; the last one is the latest build. */
  builds: Build[];
}

export function latestBuild(ws: Workspace): Build {
  const b = ws.builds[ws.builds.length - 1];
  if (!b) throw new Error(`workspace ${ws.id} has no build`);
  return b;
}

/** Coder's ConvertWorkspaceStatus (coder/coder: coderd/database/db2sdk). */
export function workspaceStatus(b: Build): string {
  switch (b.jobStatus) {
    case "pending":
      return "pending";
    case "running":
      return b.transition === "start" ? "starting" : b.transition === "stop" ? "stopping" : "deleting";
    case "succeeded":
      return b.transition === "start" ? "running" : b.transition === "stop" ? "stopped" : "deleted";
    case "canceling":
      return "canceling";
    case "canceled":
      return "canceled";
    default:
      return "failed";
  }
}

export function isDeleted(ws: Workspace): boolean {
  const b = latestBuild(ws);
  return b.transition === "delete" && b.jobStatus === "succeeded";
}

export function isJobActive(b: Build): boolean {
  return b.jobStatus === "pending" || b.jobStatus === "running";
}
