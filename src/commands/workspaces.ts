/** `workspaces`: connection check, the authenticated user and the workspaces. */
import { tableView } from "../cli/context.js";
import { effectiveStop } from "../domain/deadlines.js";
import type { AppContext } from "../cli/context.js";
import type { CommandResult } from "../output/envelope.js";
import { byOwnerThenName, workspaceEntry } from "../output/envelope.js";
import { formatInstant } from "../output/format.js";
import { renderTable } from "../output/table.js";
import { listSearched } from "./search.js";
import type { WorkspacesOptions } from "../cli/register/workspaces.js";
import type { DataOf } from "../output/schema.js";

/** This command's result: its data must match its published JSON schema. */
type CmdResult = CommandResult<DataOf<"workspaces">>;
export type { WorkspacesOptions };

export async function workspacesCommand(ctx: AppContext, opts: WorkspacesOptions): Promise<CmdResult> {
  const client = ctx.client();
  const [info, me] = await Promise.all([client.buildInfo(), client.me()]);
  const progress = ctx.progress("listing workspaces");
  const list = await listSearched(ctx, client, opts.all ? undefined : "status:running", (d, t) => progress.update(d, t));
  progress.done();
  const workspaces = [...list].sort(byOwnerThenName);
  const zone = ctx.config.quiet_hours.timezone;
  const entries = workspaces.map((w) => workspaceEntry(w, {
    started_at: w.latest_build.created_at,
    deadline: w.latest_build.deadline,
    max_deadline: w.latest_build.max_deadline,
  }));
  const roles = me.roles.map((r) => r.name);
  const data = {
    server: { url: client.baseUrl, version: info.version },
    user: { id: me.id, username: me.username, roles },
    workspaces: entries,
  };
  const human = () => {
    const lines = [
      `✅ Connected to Coder API successfully`,
      `Server:  ${client.baseUrl} (version ${info.version})`,
      `User:    ${me.username}${roles.length ? ` (roles: ${roles.join(", ")})` : ""}`,
      "",
      `Found ${entries.length} ${opts.all ? "" : "running "}workspaces:`,
    ];
    if (entries.length > 0) {
      lines.push(
        renderTable(
          ["Workspace", "Template", "Organization", "Status", "Started", "Stops at"],
          entries.map((e) => [
            `${e.owner}/${e.name}`,
            e.template,
            e.organization,
            e.status,
            formatInstant(e.started_at, zone),
            formatInstant(effectiveStop(e).at, zone),
          ]),
          tableView(ctx),
        ),
      );
    }
    return lines.join("\n");
  };
  return { command: "workspaces", mode: "report", data, human, outcome: "ok" };
}
