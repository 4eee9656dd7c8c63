/**
 * Contracts of the stop engine and the journal, shared by every command
 * that stops or starts workspaces (quiet-hours, autostop, prune, rollback).
 */
import type { Workspace } from "../coder/schemas.js";
import type { WorkspaceEntryBase } from "../output/envelope.js";
import type { NotificationResult } from "./notify.js";

/** One workspace the policy wants stopped, as seen when the plan was made. */
export interface StopCandidate {
  workspace: Workspace;
  /** Human-readable reasons, e.g. ["Quiet hours policy: grace ended 19:00 GMT"]. */
  reasons: string[];
  /** The policy category that selected it (e.g. "quiet_hours_stopping", "ttl_expired", "prune"). */
  category: string;
  /** Extra evidence recorded in the journal (window, due time…). */
  evidence?: Record<string, unknown>;
}

/** "started" / "would-start" are the outcomes of a start transition (rollback). */
export type StopOutcome = "stopped" | "would-stop" | "skipped" | "failed" | "started" | "would-start";

export type StopResult = WorkspaceEntryBase & {
  reasons: string[];
  outcome: StopOutcome;
  /** Why it was skipped or failed; null otherwise. */
  error: string | null;
  /** The stop build created, when stopped. */
  build_id: string | null;
  /** The policy category that selected it (as in StopCandidate). */
  category?: string;
  /** Wall-clock time of the outcome (ISO UTC). */
  at?: string;
};

export interface StopSummary {
  planned: number;
  succeeded: number;
  skipped: number;
  failed: number;
}

export interface StopRun {
  run_id: string;
  results: StopResult[];
  summary: StopSummary;
  /** Set when a signal ended the run early (remaining candidates are reported as skipped). */
  interrupted: "SIGINT" | "SIGTERM" | null;
  /** The journal file, and its first write error (the run then exits 5; the facts are in the log). */
  journal_path?: string | null;
  journal_error?: string | null;
  /** Notifications sent after the run (summary), each with its outcome; a failed one means exit 5. */
  notifications?: NotificationResult[];
}
