/**
 * `savings`: what this tool's stops saved, from the journal and Coder's build history (see
 * src/domain/savings.ts for the rules). Read-only. Requests: one paginated build-history listing
 * per stopped workspace in the window (bounded concurrency, at most MAX_PAGES pages each).
 */
import { tableView } from "../cli/context.js";
import type { DateTime } from "luxon";
import type { AppContext } from "../cli/context.js";
import { type CoderClient } from "../coder/client.js";
import { mapLimit } from "../util/concurrency.js";
import { CoderApiError, ConfigError } from "../errors.js";
import { computeSavings, journalStops, type HistoryBuild, type JournalStop, type SavingsReport, type SavingsTotal } from "../domain/savings.js";
import { journalPathFor, scanJournalNewestFirst, type JournalRecord } from "../exec/journal.js";
import type { CommandResult } from "../output/envelope.js";
import { formatDuration, formatInstant, isoUtc } from "../output/format.js";
import { renderTable } from "../output/table.js";
import type { SavingsOptions } from "../cli/register/savings.js";
import type { DataOf } from "../output/schema.js";

/** This command's result: its data must match its published JSON schema. */
type CmdResult = CommandResult<DataOf<"savings">>;
export type { SavingsOptions };

const PAGE = 100;
const MAX_PAGES = 20;
/** Journal times may run ahead of Coder's build times by clock skew: read histories a little wider. */
const SKEW_MS = 24 * 3_600_000;

/** Reads a workspace's builds, newest first, back to (and including) the oldest stop wanted; null when Coder has no history for it. */
export async function readBuildHistory(client: CoderClient, workspaceId: string, stops: readonly JournalStop[]): Promise<HistoryBuild[] | null> {
  const wanted = new Set(stops.map((s) => s.stop_build_id));
  const oldestMs = Math.min(...stops.map((s) => Date.parse(s.journal_at))) - SKEW_MS;
  const out: HistoryBuild[] = [];
  for (let page = 0; page < MAX_PAGES; page++) {
    let builds;
    try {
      builds = await client.listWorkspaceBuilds(workspaceId, { limit: PAGE, offset: page * PAGE });
    } catch (err) {
      if (err instanceof CoderApiError && (err.status === 404 || err.status === 410)) return null;
      throw err;
    }
    for (const b of builds) {
      out.push({ id: b.id, build_number: b.build_number, transition: b.transition, created_at: b.created_at, initiator_name: b.initiator_name });
      wanted.delete(b.id);
    }
    const oldest = builds[builds.length - 1];
    if (builds.length < PAGE || wanted.size === 0 || (oldest && Date.parse(oldest.created_at) < oldestMs)) break;
  }
  return out;
}

/** The savings report over [since, now]: journal stops, their histories (read with the client), the configured rates. */
export async function savingsReport(ctx: AppContext, client: CoderClient, now: DateTime, since: DateTime): Promise<SavingsReport & { journal_path: string; journal_skipped_lines: number; journal_missing: boolean }> {
  const journalPath = journalPathFor(ctx);
  const sinceMs = since.toMillis() - SKEW_MS;
  const nowMs = now.toMillis() + SKEW_MS;
  // Newest first, streamed: a run's workspace records follow its run record, so once a run that
  // started before `since` has been read, nothing older can hold a stop of the period.
  const newestFirst: JournalRecord[] = [];
  let contents: { records: JournalRecord[]; skipped: number; missing: boolean };
  try {
    const scan = scanJournalNewestFirst(journalPath, (r) => {
      newestFirst.push(r);
      return !(r.type === "run" && Date.parse(r.started_at) < sinceMs);
    });
    contents = { records: newestFirst.reverse(), ...scan };
  } catch (err) {
    throw new ConfigError(`the journal ${journalPath} cannot be read (${(err as Error).message}). Check journal.path / XDG_STATE_HOME and that this user owns the file`);
  }
  if (contents.skipped > 0) ctx.logger.warn({ journal: journalPath, skipped: contents.skipped }, "journal lines that are not valid records were skipped");
  const stops = journalStops(contents.records).filter((s) => {
    const t = Date.parse(s.journal_at);
    return t >= sinceMs && t <= nowMs;
  });
  const byWorkspace = new Map<string, JournalStop[]>();
  for (const s of stops) byWorkspace.set(s.workspace.id, [...(byWorkspace.get(s.workspace.id) ?? []), s]);
  const history = new Map<string, HistoryBuild[] | null>();
  const progress = ctx.progress("reading build histories");
  let done = 0;
  try {
    await mapLimit([...byWorkspace.entries()], ctx.config.http.concurrency, async ([id, list]) => {
      history.set(id, await readBuildHistory(client, id, list));
      progress.update(++done, byWorkspace.size);
    });
  } finally {
    progress.done();
  }
  const cost = ctx.config.cost;
  const report = computeSavings({ stops, history, now, since, rates: cost.per_hour, defaultRate: cost.default_per_hour, zone: ctx.config.quiet_hours.timezone });
  return { ...report, journal_path: journalPath, journal_skipped_lines: contents.skipped, journal_missing: contents.missing };
}

export async function savingsCommand(ctx: AppContext, opts: SavingsOptions): Promise<CmdResult> {
  const since = ctx.now.minus({ seconds: opts.sinceSeconds });
  const report = await savingsReport(ctx, ctx.client(), ctx.now, since);
  const currency = ctx.config.cost.currency;
  const zone = ctx.config.quiet_hours.timezone;
  const data = {
    since: isoUtc(since),
    until: isoUtc(ctx.now),
    currency,
    timezone: zone,
    totals: report.totals,
    by_policy: report.by_policy,
    by_template: report.by_template,
    by_organization: report.by_organization,
    by_week: report.by_week,
    stops: report.stops,
    journal_path: report.journal_path,
    journal_skipped_lines: report.journal_skipped_lines,
  };
  const money = (n: number) => `${currency} ${n.toFixed(2)}`;
  const hours = (n: number) => n.toFixed(2);
  const totalsTable = (title: string, rows: SavingsTotal[]) =>
    [title, renderTable([title.replace(/^By /, ""), "Stops", "Hours", "Cost"], rows.map((t) => [t.key, t.stops, hours(t.hours), money(t.cost)]), tableView(ctx))].join("\n");
  const human = () => {
    const lines = [
      `💰 SAVINGS since ${formatInstant(data.since, zone)} (${formatDuration(opts.sinceSeconds)}): ${report.totals.stops} stop(s), ${hours(report.totals.hours)} workspace-hours, ${money(report.totals.cost)}`,
      "",
    ];
    if (report.journal_missing) lines.push(`No journal at ${report.journal_path} yet: nothing was stopped by this tool with this journal.`);
    if (report.stops.length === 0) {
      lines.push("No stops by this tool in this period.");
      return lines.join("\n");
    }
    lines.push(totalsTable("By week", report.by_week), "", totalsTable("By policy", report.by_policy), "", totalsTable("By template", report.by_template), "", totalsTable("By organization", report.by_organization), "");
    lines.push(
      "Stops",
      renderTable(
        ["Stopped at", "Workspace", "Template", "Policy", "Saved until", "Why it ends", "Hours", "Cost"],
        report.stops.map((s) => [
          formatInstant(s.stopped_at, zone),
          `${s.workspace.owner}/${s.workspace.name}`,
          s.workspace.template,
          s.policy,
          formatInstant(s.until, zone),
          s.end_reason === "restarted" ? `restarted${s.restarted_by ? ` by ${s.restarted_by}` : ""}` : s.end_reason === "now" ? "still stopped" : s.end_reason,
          hours(s.hours),
          money(s.cost),
        ]),
        tableView(ctx),
      ),
    );
    const unknown = report.stops.filter((s) => s.history === "unavailable").length;
    if (unknown > 0) lines.push("", `ℹ️  ${unknown} stop(s) without a readable build history (deleted workspaces): restarts unknown, counted until their deadline or now.`);
    if (report.stops.some((s) => s.rate_per_hour === 0)) lines.push("", "ℹ️  Some stops have no price: set cost.per_hour (by template and/or organization) or cost.default_per_hour.");
    return lines.join("\n");
  };
  return { command: "savings", mode: "report", data, human, outcome: "ok" };
}
