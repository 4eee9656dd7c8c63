/**
 * The quiet-hours planner: `now`, the configuration and a Snapshot of the running workspaces in;
 * the categorisation (what every report prints) and the stop candidates of `--execute` out. The
 * categorisation printed and the one acted on are the same object. Pure.
 */
import type { DateTime } from "luxon";
import type { AgentsConfig } from "../config/schema.js";
import { categorize, resolveExclusions, selectStops, type Categorization, type ExclusionSet, type StopSelection } from "./categorize.js";
import { lifecycleScope } from "./lifecycle.js";
import type { StopCandidate } from "./plan.js";
import { policyFromConfig, type QuietWindow } from "./quiet-window.js";
import type { Snapshot } from "./snapshot.js";

export interface QuietHoursPlanOptions {
  /** --timezone: overrides quiet_hours.timezone. */
  timezone?: string | undefined;
  /** --force: every TTL-expired workspace is stopped, inside the window or not. */
  force: boolean;
  includePrebuilds?: boolean | undefined;
  includeTasks?: boolean | undefined;
}

export interface QuietHoursPlan {
  categorization: Categorization;
  exclusions: ExclusionSet;
  selected: StopSelection[];
  candidates: StopCandidate[];
}

/** What the planner needs from the deployment: the running workspaces, nothing else. */
export const QUIET_HOURS_NEEDS = { query: "status:running" } as const;

const iso = (dt: DateTime | null | undefined): string | null => (dt ? dt.toUTC().toISO()! : null);
const windowJson = (w: QuietWindow | null) => (w ? { start: iso(w.start), end: iso(w.end), date: w.date, day: w.day } : null);

export function planQuietHours(now: DateTime, config: Pick<AgentsConfig, "quiet_hours" | "lifecycle">, snapshot: Pick<Snapshot, "workspaces">, o: QuietHoursPlanOptions): QuietHoursPlan {
  const policy = policyFromConfig(config.quiet_hours, o.timezone);
  const exclusions = resolveExclusions(config.quiet_hours, now, policy.zone);
  const scope = lifecycleScope(config.lifecycle, o);
  const c = categorize(snapshot.workspaces, policy, exclusions, now, scope);
  const selected = selectStops(c, { force: o.force });
  const candidates = selected.map((s) => ({
    workspace: s.item.workspace,
    reasons: s.reasons,
    category: s.item.category,
    evidence: {
      category: s.item.category,
      started_at: iso(s.item.startedAt),
      due_at: iso(s.item.dueAt),
      window: windowJson(c.window),
      most_recent_window: windowJson(c.recentWindow),
      policy: { start_time: c.policy.start, end_time: c.policy.end, timezone: c.policy.zone, days: c.policy.days, grace_period_hours: c.policy.graceSeconds / 3600 },
    },
  }));
  return { categorization: c, exclusions, selected, candidates };
}
