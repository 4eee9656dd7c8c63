/**
 * Drift check: Coder computes a build's `max_deadline` once, when the build's job
 * completes, from the template's autostop requirement and the owner's quiet hours at that time. A
 * later change of the owner's quiet hours does not move it. This recomputes the max_deadline with the
 * owner's CURRENT quiet hours and the build's completion time, and compares. Pure.
 *
 * Coder does move a running build's max_deadline when a template admin changes the template's
 * schedule (enterprise `updateWorkspaceBuild`, at the change's instant U): it recomputes from the
 * job's completion time, moves a max_deadline that would come before U + 2 h to U + 2 h, and skips
 * builds whose max_deadline is within 2 h of U (they keep the old one). A max_deadline that this
 * rule explains is not drift: the check is silent on it. U is at most the template's `updated_at`
 * (any later template edit moves it too) and at least the build's completion; without
 * `updated_at` it is anywhere up to `now`.
 */
import { autostopRequirementNextMaxDeadline } from "./autostop-calc.js";

export interface DriftInput {
  /** The build job's completion time (Coder's `now` for the computation). */
  buildCompletedAt: string | null;
  /** The max_deadline the build carries. */
  actualMaxDeadline: string | null;
  /** The template's autostop requirement (null or no days: none). */
  requirement: { daysOfWeek: string[]; weeks: number } | null;
  /** The owner's current quiet-hours schedule (null: unknown or not licensed). */
  quietHoursSchedule: string | null;
  leewayHours: number;
  /** Differences up to this are not drift (Coder's own tests accept 15 s). Default 60 s. */
  toleranceMs?: number;
  /** The evaluated instant (for Coder's template-update rule; without it the rule is not considered). */
  nowMs?: number;
  /** The template's `updated_at` (latest possible schedule change), when known. */
  templateUpdatedAt?: string | null;
}

/** Coder's template-update rule: the recomputed max_deadline is moved to at least the change + 2 h (`updateWorkspaceBuild`). */
export const TEMPLATE_UPDATE_MIN_LEAD_MS = 2 * 3_600_000;

export interface Drift {
  expected_max_deadline: string | null;
  actual_max_deadline: string | null;
  /** expected − actual, in seconds (null when one side is unset). */
  difference_seconds: number | null;
}

export type DriftCheck =
  | { status: "ok"; expected_max_deadline: string | null; note?: string }
  | { status: "drift"; drift: Drift }
  | { status: "unknown"; reason: string };

/** Compares the build's max_deadline with the one the owner's current quiet hours would give. */
export function checkDrift(input: DriftInput): DriftCheck {
  if (!input.requirement || input.requirement.daysOfWeek.length === 0) {
    // No requirement: Coder sets no max_deadline from quiet hours. One that is set anyway comes from
    // something else (an older server's template max_ttl): not this check's business.
    if (input.actualMaxDeadline === null) return { status: "ok", expected_max_deadline: null };
    return { status: "unknown", reason: "the build has a max_deadline but the template has no autostop requirement (older max_ttl?)" };
  }
  if (!input.quietHoursSchedule) return { status: "unknown", reason: "the owner's quiet hours are not known" };
  if (!input.buildCompletedAt) return { status: "unknown", reason: "the build's job has no completion time" };
  let expected: string;
  try {
    expected = autostopRequirementNextMaxDeadline({
      now: input.buildCompletedAt,
      daysOfWeek: input.requirement.daysOfWeek,
      weeks: input.requirement.weeks,
      quietHoursSchedule: input.quietHoursSchedule,
      leewayHours: input.leewayHours,
    });
  } catch (err) {
    return { status: "unknown", reason: `cannot recompute the max_deadline: ${(err as Error).message}` };
  }
  const tolerance = input.toleranceMs ?? 60_000;
  if (input.actualMaxDeadline === null) {
    return { status: "drift", drift: { expected_max_deadline: expected, actual_max_deadline: null, difference_seconds: null } };
  }
  const diff = Date.parse(expected) - Date.parse(input.actualMaxDeadline);
  if (Math.abs(diff) <= tolerance) return { status: "ok", expected_max_deadline: expected };
  const explained = templateUpdateExplains(input, Date.parse(expected), Date.parse(input.actualMaxDeadline), tolerance);
  if (explained) return explained;
  return {
    status: "drift",
    drift: { expected_max_deadline: expected, actual_max_deadline: new Date(Date.parse(input.actualMaxDeadline)).toISOString(), difference_seconds: Math.round(diff / 1000) },
  };
}

/**
 * Does a template schedule change at some instant U in [build completion, template updated_at (or
 * now)] explain the build's max_deadline? Either Coder moved it to U + 2 h (the recomputed one came
 * sooner), or it skipped the build because its max_deadline was within 2 h of U.
 */
function templateUpdateExplains(input: DriftInput, expectedMs: number, actualMs: number, tolerance: number): DriftCheck | null {
  if (input.nowMs === undefined || !input.buildCompletedAt) return null;
  const completed = Date.parse(input.buildCompletedAt);
  const updated = input.templateUpdatedAt ? Date.parse(input.templateUpdatedAt) : Number.NaN;
  const hi = Number.isNaN(updated) ? input.nowMs : Math.min(updated, input.nowMs);
  if (hi < completed) return null; // no schedule change since the build
  const u = actualMs - TEMPLATE_UPDATE_MIN_LEAD_MS;
  if (expectedMs < actualMs && u >= completed - tolerance && u <= hi + tolerance) {
    return {
      status: "ok",
      expected_max_deadline: input.actualMaxDeadline,
      note: `a template schedule change at ${new Date(u).toISOString()} moved the max_deadline to 2 h after it (Coder's template-update rule)`,
    };
  }
  if (actualMs < hi + TEMPLATE_UPDATE_MIN_LEAD_MS) {
    return {
      status: "unknown",
      reason: "the max_deadline was within 2 h of a possible template schedule change, which Coder skips (the build keeps the earlier setting's max_deadline)",
    };
  }
  return null;
}
