/**
 * Drift check (SPEC §7.4): Coder computes a build's `max_deadline` once, when the build's job
 * completes, from the template's autostop requirement and the owner's quiet hours at that time. A
 * later change of the owner's quiet hours does not move it. This recomputes the max_deadline with the
 * owner's CURRENT quiet hours and the build's completion time, and compares. Pure.
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
}

export interface Drift {
  expected_max_deadline: string | null;
  actual_max_deadline: string | null;
  /** expected − actual, in seconds (null when one side is unset). */
  difference_seconds: number | null;
}

export type DriftCheck =
  | { status: "ok"; expected_max_deadline: string | null }
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
  return {
    status: "drift",
    drift: { expected_max_deadline: expected, actual_max_deadline: input.actualMaxDeadline, difference_seconds: Math.round(diff / 1000) },
  };
}
