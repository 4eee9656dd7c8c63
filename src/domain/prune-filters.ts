/**
 * prune's filters: organizations (the workspace's own organization, D7), groups (the
 * owner's memberships), users and templates (id, name or display name, D5).
 *
 * - AND across dimensions, OR within one; an exclude match always wins over an include match.
 * - CLI include lists replace the config's list for that dimension; CLI exclude lists are added to
 *   the config's (D3: a CLI filter never drops a configured safety exclusion).
 * - Names match case-insensitively (Coder names are case-insensitive); ids match exactly.
 *
 * Pure: name resolution takes the known entities as data and reports unknown names, it never
 * fetches anything.
 */
import type { Workspace } from "../coder/schemas.js";

export const DIMENSIONS = ["organizations", "groups", "users", "templates"] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export type DimensionLists = Record<Dimension, string[]>;

/** Effective include/exclude lists per dimension, with where each list came from. */
export interface MergedFilters {
  include: DimensionLists;
  exclude: DimensionLists;
  /** "cli" when the CLI include list replaced the config's, "config" otherwise. */
  includeSource: Record<Dimension, "cli" | "config">;
}

/** The prune_workspaces config keys holding filter lists. */
export interface PruneFilterConfig {
  include_organizations: string[];
  exclude_organizations: string[];
  include_groups: string[];
  exclude_groups: string[];
  include_users: string[];
  exclude_users: string[];
  include_templates: string[];
  exclude_templates: string[];
}

export function emptyLists(): DimensionLists {
  return { organizations: [], groups: [], users: [], templates: [] };
}

const CONFIG_KEYS: Record<Dimension, { include: keyof PruneFilterConfig; exclude: keyof PruneFilterConfig }> = {
  organizations: { include: "include_organizations", exclude: "exclude_organizations" },
  groups: { include: "include_groups", exclude: "exclude_groups" },
  users: { include: "include_users", exclude: "exclude_users" },
  templates: { include: "include_templates", exclude: "exclude_templates" },
};

/** The config key of a dimension's list, e.g. `prune_workspaces.exclude_users`. */
export function configKeyOf(dim: Dimension, kind: "include" | "exclude"): string {
  return `prune_workspaces.${CONFIG_KEYS[dim][kind]}`;
}

function dedupe(values: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const v of values.map((x) => x.trim()).filter((x) => x !== "")) {
    const k = v.toLowerCase();
    if (!seen.has(k)) {
      seen.add(k);
      out.push(v);
    }
  }
  return out;
}

/** Merges config and CLI lists: CLI includes replace, CLI excludes add. */
export function mergeFilters(config: PruneFilterConfig, cli: { include: Partial<DimensionLists>; exclude: Partial<DimensionLists> }): MergedFilters {
  const include = emptyLists();
  const exclude = emptyLists();
  const includeSource = {} as Record<Dimension, "cli" | "config">;
  for (const dim of DIMENSIONS) {
    const cliInclude = cli.include[dim] ?? [];
    includeSource[dim] = cliInclude.length > 0 ? "cli" : "config";
    include[dim] = dedupe(cliInclude.length > 0 ? cliInclude : config[CONFIG_KEYS[dim].include]);
    exclude[dim] = dedupe([...config[CONFIG_KEYS[dim].exclude], ...(cli.exclude[dim] ?? [])]);
  }
  return { include, exclude, includeSource };
}

/** True when any list of the dimension is non-empty. */
export function dimensionActive(f: MergedFilters, dim: Dimension): boolean {
  return f.include[dim].length > 0 || f.exclude[dim].length > 0;
}

/** An entity a filter value may name: matched by id (exact) or any of its names (case-insensitive). */
export interface KnownEntity {
  id: string;
  names: string[];
}

/** Filter values resolved to entity ids; `unknown` lists the values that named nothing. */
export interface Resolution {
  ids: Map<string, Set<string>>;
  unknown: string[];
}

/**
 * Resolves each value to the ids of every entity it names (a name shared by several entities, e.g.
 * a group name used in two organizations, names all of them; "org/name" picks one when entities
 * carry that form among their names).
 */
export function resolveNames(values: string[], known: KnownEntity[]): Resolution {
  const ids = new Map<string, Set<string>>();
  const unknown: string[] = [];
  for (const v of values) {
    const lower = v.toLowerCase();
    const matched = new Set(known.filter((e) => e.id === v || e.names.some((n) => n.toLowerCase() === lower)).map((e) => e.id));
    if (matched.size === 0) unknown.push(v);
    ids.set(v, matched);
  }
  return { ids, unknown };
}

/** A compiled matcher per dimension: which workspaces a value matches. */
export interface CompiledFilters {
  merged: MergedFilters;
  /** Group value → member user ids (resolved from one groups listing). */
  groupMembers: Map<string, Set<string>>;
}

/** Whether one filter value matches a workspace in a dimension. */
export function valueMatches(dim: Dimension, value: string, ws: Workspace, groupMembers: Map<string, Set<string>>): boolean {
  const lower = value.toLowerCase();
  switch (dim) {
    case "organizations":
      return ws.organization_id === value || ws.organization_name.toLowerCase() === lower;
    case "users":
      return ws.owner_id === value || ws.owner_name.toLowerCase() === lower;
    case "templates":
      return (
        ws.template_id === value ||
        ws.template_name.toLowerCase() === lower ||
        (ws.template_display_name !== "" && ws.template_display_name.toLowerCase() === lower)
      );
    case "groups":
      return groupMembers.get(value)?.has(ws.owner_id) ?? false;
  }
}

/** The verdict for one workspace, with the rule that decided it. */
export interface FilterVerdict {
  keep: boolean;
  /** e.g. "excluded by exclude_users: admin" or "not in include_templates". */
  reason: string | null;
}

/** AND across dimensions, OR within one, exclude beats include. */
export function evaluateFilters(ws: Workspace, f: CompiledFilters): FilterVerdict {
  for (const dim of DIMENSIONS) {
    const hit = f.merged.exclude[dim].find((v) => valueMatches(dim, v, ws, f.groupMembers));
    if (hit !== undefined) return { keep: false, reason: `excluded by exclude_${dim}: ${hit}` };
  }
  for (const dim of DIMENSIONS) {
    const inc = f.merged.include[dim];
    if (inc.length > 0 && !inc.some((v) => valueMatches(dim, v, ws, f.groupMembers))) {
      return { keep: false, reason: `not in include_${dim} (${inc.join(", ")})` };
    }
  }
  return { keep: true, reason: null };
}

/** Every value of a dimension (include and exclude) that matched no workspace of the listing. */
export function valuesWithoutMatch(dim: Dimension, f: MergedFilters, workspaces: Workspace[]): string[] {
  const values = [...f.include[dim], ...f.exclude[dim]];
  return values.filter((v) => !workspaces.some((ws) => valueMatches(dim, v, ws, new Map())));
}

/** True when any filter is set. */
export function anyFilter(f: MergedFilters): boolean {
  return DIMENSIONS.some((d) => dimensionActive(f, d));
}
