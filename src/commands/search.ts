/**
 * `--search`: Coder's workspace query syntax (`owner:alice template:python-dev status:running
 * name:dev`, bare words match names), passed to the server's `q` together with the command's own
 * terms. A command that lists only running workspaces refuses a `status:` term of its own.
 */
import type { AppContext } from "../cli/context.js";
import { UsageError } from "../errors.js";

/** The command's query `base` with the operator's --search appended. */
export function withSearch(ctx: Pick<AppContext, "output">, base: string | undefined): string | undefined {
  const search = ctx.output.search;
  if (!search) return base || undefined;
  if (base && /(^|\s)status:/.test(base) && /(^|\s)status:/i.test(search)) {
    throw new UsageError(`--search: this command lists only ${base.match(/status:(\S+)/)![1]} workspaces; drop the status: term from "${search}"`);
  }
  return [base, search].filter(Boolean).join(" ");
}
