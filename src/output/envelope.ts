/**
 * The versioned JSON envelope and the result every command returns. Human and JSON
 * output are rendered from the same CommandResult, so they cannot disagree.
 */
import type { DateTime } from "luxon";
import { isoUtc } from "./format.js";
import type { Outcome } from "../errors.js";

export const SCHEMA_VERSION = 1;
export type Mode = "report" | "dry-run" | "execute";

/** A command's result; `D` is its data's shape (`DataOf<command>` from src/output/schema.ts). */
export interface CommandResult<D extends object = Record<string, unknown>> {
  /** Command name as typed, e.g. "quiet-hours". */
  command: string;
  mode: Mode;
  /** The command's own JSON keys (merged beside the envelope keys). */
  data: D;
  /** Human rendering of the same result. */
  human: () => string;
  /** How the run went; src/errors.ts maps it to the exit code (0, 5 partial, 6 findings…). */
  outcome: Outcome;
  /** The zone the human output shows times in (named in its first line); default quiet_hours.timezone. */
  zone?: string;
  /** false: the human output is a document of its own (JSON, a script) and gets no config/zone line. */
  header?: boolean;
}

export interface EnvelopeMeta {
  generatedAt: DateTime;
  now: DateTime;
}

export function envelope(result: Pick<CommandResult<object>, "command" | "mode" | "data">, meta: EnvelopeMeta): Record<string, unknown> {
  return {
    schema_version: SCHEMA_VERSION,
    command: result.command,
    generated_at: isoUtc(meta.generatedAt),
    now: isoUtc(meta.now),
    mode: result.mode,
    ...result.data,
  };
}

export function errorEnvelope(
  command: string,
  mode: Mode,
  err: { code: string; message: string; exitCode: number },
  meta: EnvelopeMeta,
): Record<string, unknown> {
  return envelope({ command, mode, data: { error: { code: err.code, message: err.message, exit_code: err.exitCode } } }, meta);
}

/** The common keys of every workspace entry in any JSON document. */
export type WorkspaceEntryBase = {
  id: string;
  owner: string;
  name: string;
  template: string;
  organization: string;
  status: string;
};

/**
 * A workspace entry: the common keys, then the command's own `extra` keys. Built as one literal
 * ending in a spread of `extra`: that keeps V8's fast (in-object) properties, ~300 bytes an entry
 * of ~30 keys. Adding the keys afterwards (`Object.assign(base, extra)`, or `{...workspaceEntry(ws),
 * ...}`) turns the entry into a dictionary of ~1.6 KB, which a 50,000-workspace report feels.
 */
export function workspaceEntry<E extends object = Record<never, never>>(
  ws: {
    id: string;
    owner_name: string;
    name: string;
    template_name: string;
    organization_name: string;
    latest_build: { status: string };
  },
  extra?: E,
): WorkspaceEntryBase & E {
  return {
    id: ws.id,
    owner: ws.owner_name,
    name: ws.name,
    template: ws.template_name,
    organization: ws.organization_name,
    status: ws.latest_build.status,
    ...extra,
  } as WorkspaceEntryBase & E;
}

/** Listing order of every report: owner username, then workspace name. */
export function byOwnerThenName(a: { owner_name: string; name: string }, b: { owner_name: string; name: string }): number {
  return a.owner_name.localeCompare(b.owner_name) || a.name.localeCompare(b.name);
}
