/**
 * The plan: what an acting command (quiet-hours, autostop, prune --cleanup, rollback) decided to
 * do, as data. A planner in this layer turns `now`, the configuration and a Snapshot into stop (or
 * start) candidates; `buildPlan` turns the candidates into a versioned, serialisable Plan; the
 * executor (src/exec/executor.ts) applies a plan, whether it was made a moment ago in the same
 * process or read back from a file by `coder-agents apply`.
 *
 * Each step records the state it was planned against (the workspace's latest build: id, number,
 * transition, status, job status). Before acting, the executor re-reads the workspace and acts only
 * when that state still holds; `apply` also skips, as "changed since planned", a step whose
 * workspace moved on between planning and applying (`stepChanged`).
 *
 * A plan holds no secret: the deployment is named by its origin (scheme, host, port and path of the
 * Coder URL, never credentials, never the session token).
 *
 * Pure: no I/O, no clock (the caller passes `now` and `createdAt`).
 */
import { z } from "zod";
import type { Workspace } from "../coder/schemas.js";

export const PLAN_KIND = "coder-agents.plan";
export const PLAN_VERSION = 1;

/** One workspace the policy wants stopped (or, for rollback, started), as seen when the plan was made. */
export interface StopCandidate {
  workspace: Workspace;
  /** Human-readable reasons, e.g. ["Quiet hours policy: grace ended 19:00 GMT"]. */
  reasons: string[];
  /** The policy category that selected it (e.g. "quiet_hours_stopping", "ttl_expired", "prune"). */
  category: string;
  /** Extra evidence recorded in the journal (window, due time…). */
  evidence?: Record<string, unknown>;
}

const isoInstant = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, "ISO 8601 UTC instant");

/** The state of the workspace a step was planned against. */
export const plannedAgainstSchema = z.object({
  latest_build_id: z.string().min(1),
  build_number: z.number().int(),
  transition: z.string(),
  status: z.string(),
  job_status: z.string(),
  deadline: z.string().nullable(),
  max_deadline: z.string().nullable(),
});

export const planStepSchema = z.object({
  workspace_id: z.string().min(1),
  owner: z.string(),
  name: z.string(),
  template: z.string(),
  organization: z.string(),
  action: z.enum(["stop", "start"]),
  category: z.string(),
  reasons: z.array(z.string()),
  planned_against: plannedAgainstSchema,
  /** Recorded with the step's outcome in the journal (policy window, due time, overdue by…). */
  evidence: z.record(z.string(), z.unknown()).optional(),
});

export const planSchema = z.object({
  kind: z.literal(PLAN_KIND),
  version: z.literal(PLAN_VERSION),
  id: z.string().min(1),
  /** The command that made the plan: quiet-hours, autostop, prune, rollback. */
  command: z.enum(["quiet-hours", "autostop", "prune", "rollback"]),
  /** Wall-clock time the plan was made (its age is measured from here). */
  created_at: isoInstant,
  /** The instant the policy was evaluated at (`--now` or the clock). */
  now: isoInstant,
  /** The Coder deployment the plan was made against: its URL without credentials. */
  deployment: z.object({ origin: z.string().min(1) }),
  options: z.object({
    /** stop (every stopping command) or start (rollback). */
    transition: z.enum(["stop", "start"]),
    /** `--max-stops` / `--max-starts` given when planning; null = the configuration's safety.max_stops_per_run. */
    max_stops: z.number().int().positive().nullable(),
    /** quiet-hours `--force` (informational: already reflected in the steps). */
    force: z.boolean().optional(),
  }),
  steps: z.array(planStepSchema),
});

export type Plan = z.infer<typeof planSchema>;
export type PlanStep = z.infer<typeof planStepSchema>;
export type PlannedAgainst = z.infer<typeof plannedAgainstSchema>;
export type PlanCommand = Plan["command"];

/** The state a step is planned against, read from a workspace. */
export function plannedAgainst(ws: Workspace): PlannedAgainst {
  const b = ws.latest_build;
  return {
    latest_build_id: b.id,
    build_number: b.build_number,
    transition: b.transition,
    status: b.status,
    job_status: b.job.status,
    deadline: b.deadline ?? null,
    max_deadline: b.max_deadline ?? null,
  };
}

/** One plan step from one candidate. */
export function planStep(c: StopCandidate, action: "stop" | "start"): PlanStep {
  const ws = c.workspace;
  return {
    workspace_id: ws.id,
    owner: ws.owner_name,
    name: ws.name,
    template: ws.template_display_name || ws.template_name,
    organization: ws.organization_name,
    action,
    category: c.category,
    reasons: [...c.reasons],
    planned_against: plannedAgainst(ws),
    ...(c.evidence ? { evidence: c.evidence } : {}),
  };
}

export interface BuildPlanInput {
  id: string;
  command: PlanCommand;
  /** The policy instant (ISO UTC). */
  now: string;
  /** Wall-clock time of planning (ISO UTC). */
  createdAt: string;
  origin: string;
  transition: "stop" | "start";
  maxStops: number | null;
  force?: boolean;
  candidates: readonly StopCandidate[];
}

export function buildPlan(i: BuildPlanInput): Plan {
  return {
    kind: PLAN_KIND,
    version: PLAN_VERSION,
    id: i.id,
    command: i.command,
    created_at: i.createdAt,
    now: i.now,
    deployment: { origin: i.origin },
    options: { transition: i.transition, max_stops: i.maxStops, ...(i.force !== undefined ? { force: i.force } : {}) },
    steps: i.candidates.map((c) => planStep(c, i.transition)),
  };
}

/**
 * Why a step's workspace no longer matches the state it was planned against ("changed since
 * planned: …"), or null when it still does. Pure: `current` is the workspace as read now.
 */
export function stepChanged(step: PlanStep, current: Workspace): string | null {
  const was = step.planned_against;
  const b = current.latest_build;
  if (b.id !== was.latest_build_id) {
    return `changed since planned: latest build #${was.build_number} ${was.transition} ${was.status} → #${b.build_number} ${b.transition} ${b.status}${b.initiator_name ? ` by ${b.initiator_name}` : ""}`;
  }
  if (b.status !== was.status || b.job.status !== was.job_status) {
    return `changed since planned: build #${b.build_number} was ${was.status} (job ${was.job_status}), now ${b.status} (job ${b.job.status})`;
  }
  return null;
}

/**
 * The deployment a plan belongs to, from the Coder URL: scheme, host, port and path, never
 * user:password, query or fragment (and the token is never part of a URL here).
 */
export function deploymentOrigin(baseUrl: string): string {
  try {
    const u = new URL(baseUrl);
    const path = u.pathname.replace(/\/+$/, "");
    return `${u.origin}${path}`;
  } catch {
    return baseUrl.replace(/\/+$/, "");
  }
}

/** Whole minutes between the plan's creation and `nowMs` (negative when created in the future). */
export function planAgeMinutes(plan: Pick<Plan, "created_at">, nowMs: number): number {
  return (nowMs - Date.parse(plan.created_at)) / 60_000;
}

/** JSON Schema (draft 2020-12) of a plan file: published as schema/plan.v1.json. */
export function planJsonSchema(): Record<string, unknown> {
  return {
    $id: "coder-agents/plan.v1.json",
    title: "coder-agents plan file (--plan-out, apply), version 1",
    ...z.toJSONSchema(planSchema, { io: "output", unrepresentable: "any" }),
  };
}
