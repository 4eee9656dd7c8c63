/**
 * Loads a Snapshot (src/domain/snapshot.ts) once per run: the workspaces, one paginated listing
 * with the planner's query, or reads by id for `apply` and `rollback` (bounded by
 * `http.concurrency`).
 */
import type { AppContext } from "../cli/context.js";
import { mapLimit } from "../util/concurrency.js";
import type { Workspace } from "../coder/schemas.js";
import type { Snapshot, SnapshotNeeds } from "../domain/snapshot.js";
import { CoderApiError } from "../errors.js";

export interface SnapshotSource {
  /** Lists workspaces for a query (the command's listing, with --search applied and progress shown). */
  list(query: string | undefined): Promise<Workspace[]>;
}

export async function loadSnapshot(ctx: AppContext, needs: SnapshotNeeds, source?: SnapshotSource): Promise<Snapshot> {
  const client = ctx.client();
  const missing: string[] = [];
  let workspaces: Workspace[];
  if (needs.workspaceIds) {
    const progress = ctx.progress("reading workspaces");
    let done = 0;
    const read = await mapLimit(needs.workspaceIds, ctx.config.http.concurrency, async (id) => {
      try {
        return await client.getWorkspace(id);
      } catch (err) {
        if (err instanceof CoderApiError && (err.status === 404 || err.status === 410)) {
          missing.push(id);
          return null;
        }
        throw err;
      } finally {
        progress.update(++done, needs.workspaceIds!.length);
      }
    });
    progress.done();
    workspaces = read.filter((w): w is Workspace => w !== null);
  } else {
    workspaces = source ? await source.list(needs.query) : await client.listWorkspaces(needs.query);
  }
  return { workspaces, missing };
}
