/**
 * Coder shows members only their own workspaces. A report scoped to other users or to
 * everyone, run with a member's token, would look complete while missing everything else: say so.
 */
import type { CoderClient } from "../coder/client.js";
import type { Workspace } from "../coder/schemas.js";

/** Site roles that can read other users' workspaces. */
const SEES_OTHERS = new Set(["owner", "auditor", "template-admin"]);

/**
 * Returns a warning when a listing scoped to `scope` may be blind to other users' workspaces.
 * Reads `/users/me` only when the listing looks like a member's view (another user's listing
 * empty, or everyone's with at most one owner), so an owner's run over a real deployment costs
 * nothing extra.
 */
export async function visibilityWarning(
  client: CoderClient,
  scope: { kind: "all" } | { kind: "user"; user: string },
  listed: readonly Pick<Workspace, "owner_name">[],
): Promise<string | null> {
  const owners = new Set(listed.map((w) => w.owner_name));
  // A member sees their own workspaces only: another user's listing comes back empty, and a
  // listing of everyone holds at most one owner. Anything else proves the token sees others.
  if (scope.kind === "user" ? listed.length > 0 : owners.size > 1) return null;
  const me = await client.me();
  if (scope.kind === "user" && scope.user.toLowerCase() === me.username.toLowerCase()) return null;
  if (me.roles.some((r) => SEES_OTHERS.has(r.name) || (r.organization_id && r.name.startsWith("organization-") && r.name !== "organization-member"))) {
    return null;
  }
  const whose = scope.kind === "all" ? "other users' workspaces" : `${scope.user}'s workspaces`;
  return `the token belongs to ${me.username}, who has no role that can see ${whose} (Coder shows members only their own): this report may be incomplete; use an Owner's token`;
}
