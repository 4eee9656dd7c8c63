/**
 * The autostop planner (`autostop --execute`): a safety net for when Coder's lifecycle executor
 * falls behind. Of the assessed workspaces it selects the running ones still running more than
 * `autostop.overdue_tolerance_minutes` past Coder's own deadline or max_deadline, and never an
 * excluded one (dormant, prebuilt, task, or this tool's exclusions): it never invents a stop Coder
 * would not make. Pure: `now` and the assessed workspaces in; candidates, the overdue list and the
 * excluded ones out. Text formatting is passed in (the domain does not render).
 */
import type { Workspace } from "../coder/schemas.js";
import type { StopCandidate } from "./plan.js";
import { beyondTolerance, overdue } from "./stop-prediction.js";

export interface AutostopAssessed {
  workspace: Workspace;
  /** Why the workspace is left alone, or null. */
  exclusion: string | null;
}

export interface OverdueWorkspace {
  ws: Workspace;
  stopsAtMs: number;
  source: "deadline" | "max_deadline";
}

export interface AutostopPlan {
  candidates: StopCandidate[];
  overdue: OverdueWorkspace[];
  excluded: { ws: Workspace; reason: string }[];
}

export interface ReasonFormat {
  duration(seconds: number): string;
  instant(iso: string): string;
}

export function planAutostopOverdue(nowMs: number, toleranceMinutes: number, assessed: readonly AutostopAssessed[], fmt: ReasonFormat): AutostopPlan {
  const out: AutostopPlan = { candidates: [], overdue: [], excluded: [] };
  for (const a of assessed) {
    if (a.workspace.latest_build.status !== "running") continue;
    const od = overdue(a.workspace.latest_build, nowMs);
    if (!od || !beyondTolerance(od, toleranceMinutes)) continue;
    if (a.exclusion) {
      out.excluded.push({ ws: a.workspace, reason: a.exclusion });
      continue;
    }
    out.overdue.push({ ws: a.workspace, stopsAtMs: od.atMs, source: od.source });
    out.candidates.push({
      workspace: a.workspace,
      category: "autostop_overdue",
      reasons: [`Overdue: still running ${fmt.duration(od.overdueSeconds)} past its ${od.source} ${fmt.instant(new Date(od.atMs).toISOString())} (tolerance ${toleranceMinutes} min)`],
      evidence: { overdue_seconds: od.overdueSeconds, source: od.source, deadline: a.workspace.latest_build.deadline, max_deadline: a.workspace.latest_build.max_deadline },
    });
  }
  return out;
}
