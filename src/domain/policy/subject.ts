/**
 * A workspace as a policy scope sees it: its organization, its owner and the owner's groups, its
 * template, each with the id and the names a scope value may use (the names prune's filters
 * accept: name and display name; a group also as "organization/group").
 */
import type { Group, Workspace } from "../../coder/schemas.js";
import type { PolicySubject, SubjectEntity } from "./types.js";

const entity = (id: string, names: (string | undefined)[]): SubjectEntity => ({ id, names: names.filter((n): n is string => !!n && n !== "/") });

/** The subject of a workspace; `groups` are every group (the owner's are picked by membership). */
export function subjectOf(ws: Pick<Workspace, "organization_id" | "organization_name" | "owner_id" | "owner_name" | "template_id" | "template_name" | "template_display_name">, groups: readonly Group[]): PolicySubject {
  return {
    organization: entity(ws.organization_id, [ws.organization_name]),
    user: entity(ws.owner_id, [ws.owner_name]),
    template: entity(ws.template_id, [ws.template_name, ws.template_display_name]),
    groups: groups
      .filter((g) => g.members.some((m) => m.id === ws.owner_id))
      .map((g) => entity(g.id, [g.name, g.display_name, g.organization_name ? `${g.organization_name}/${g.name}` : undefined])),
  };
}
