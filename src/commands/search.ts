/**
 * `--search`: Coder's workspace query syntax (`owner:alice template:python-dev status:running
 * name:dev`, bare words match names), passed to the server's `q` together with the command's own
 * terms. A command that lists only running workspaces refuses a `status:` term of its own.
 */
import type { AppContext } from "../cli/context.js";
import type { CoderClient } from "../coder/client.js";
import { CoderApiError, UsageError } from "../errors.js";

/** The command's query `base` with the operator's --search appended. */
export function withSearch(ctx: Pick<AppContext, "output">, base: string | undefined): string | undefined {
  const search = ctx.output.search;
  if (!search) return base || undefined;
  if (base && /(^|\s)status:/.test(base) && /(^|\s)status:/i.test(search)) {
    throw new UsageError(`--search: this command lists only ${base.match(/status:(\S+)/)![1]} workspaces; drop the status: term from "${search}"`);
  }
  return [base, search].filter(Boolean).join(" ");
}

/**
 * Lists workspaces with the command's query `base` plus the operator's --search. Coder answers 400
 * to a query it cannot parse: with --search given, that is the operator's input (exit 2 naming the
 * flag), not a bug of the tool.
 */
export function listSearched(
  ctx: Pick<AppContext, "output">,
  client: Pick<CoderClient, "listWorkspaces">,
  base: string | undefined,
  onProgress?: (done: number, total: number) => void,
): ReturnType<CoderClient["listWorkspaces"]> {
  return searched(ctx, base, (q) => client.listWorkspaces(q, onProgress));
}

/** As listSearched, each workspace kept as a WorkspaceSummary (whole-fleet reports). */
export function listSearchedSummaries(
  ctx: Pick<AppContext, "output">,
  client: Pick<CoderClient, "listWorkspaceSummaries">,
  base: string | undefined,
  onProgress?: (done: number, total: number) => void,
): ReturnType<CoderClient["listWorkspaceSummaries"]> {
  return searched(ctx, base, (q) => client.listWorkspaceSummaries(q, onProgress));
}

async function searched<R>(ctx: Pick<AppContext, "output">, base: string | undefined, list: (q: string | undefined) => Promise<R>): Promise<R> {
  const q = withSearch(ctx, base);
  try {
    return await list(q);
  } catch (err) {
    const search = ctx.output.search;
    if (search && err instanceof CoderApiError && err.status === 400) {
      throw new UsageError(`--search "${search}": Coder rejected the query (${err.message})`);
    }
    throw err;
  }
}
