/**
 * `serve`: the fleet dashboard (see src/serve/*). Reads Coder once before listening (so a bad URL
 * or token fails the command with its exit code), then every --interval with the run's client,
 * one refresh at a time. Savings (one build-history request per stopped workspace) are refreshed
 * at most every SAVINGS_REFRESH_MS, or when the journal changes. A failed refresh keeps the last
 * snapshot on the page with the error shown, and is counted in /metrics.
 */
import { statSync } from "node:fs";
import type { DateTime } from "luxon";
import type { AppContext } from "../cli/context.js";
import { AgentError, UsageError, exitCodeForOutcome, exitCodeOf } from "../errors.js";
import { journalPathFor } from "../exec/journal.js";
import { RunMetrics } from "../metrics/run-metrics.js";
import { envelope } from "../output/envelope.js";
import type { DataOf } from "../output/schema.js";
import { OwnerZoneCache, buildSnapshot, contextAt, type Snapshot } from "../serve/snapshot.js";
import { startDashboard, type DashboardState, type RefreshStatus } from "../serve/server.js";
import { quietHoursCommand } from "./quiet-hours.js";
import { quietHoursOptions } from "../cli/register/quiet-hours.js";
import type { ServeOptions } from "../cli/register/serve.js";
export type { ServeOptions };

export const DEFAULT_LISTEN = "127.0.0.1:8787";
export const MIN_INTERVAL_SECONDS = 10;
const SAVINGS_REFRESH_MS = 15 * 60_000;

/** "HOST:PORT", "[v6]:PORT" → host and port; usage error otherwise. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--listen: expected HOST:PORT such as 127.0.0.1:8787 or [::1]:8787 (port 0 picks a free one), got "${text}"`);
  return { host: (m[1] ?? m[2])!, port };
}

export const isLoopback = (host: string) => host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);

function journalStamp(path: string): string {
  try {
    const st = statSync(path);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return "missing";
  }
}

/** Prints its one JSON document (`DataOf<"serve">`) itself once listening, and returns no result. */
export async function serveCommand(ctx: AppContext, opts: ServeOptions): Promise<null> {
  const { host, port } = parseListen(opts.listen);
  if (!(opts.intervalSeconds >= MIN_INTERVAL_SECONDS)) throw new UsageError(`--interval: at least ${MIN_INTERVAL_SECONDS} seconds (each refresh reads every running workspace from Coder), got ${opts.intervalSeconds}`);
  if (opts.allowApply && !isLoopback(host)) {
    throw new UsageError(`--allow-apply only on a loopback address (127.0.0.1, ::1, localhost): the dashboard has no login, and ${host} would let anyone who reaches it stop workspaces`);
  }
  if (!isLoopback(host)) ctx.logger.warn(`serving on ${host}: the dashboard has no login; anyone who can reach ${host}:${port} can read the fleet's workspace names and schedules`);

  const evalNow = (): DateTime => (ctx.nowOverridden ? ctx.now : ctx.clock());
  const journalPath = journalPathFor(ctx);
  let snapshot: Snapshot | null = null;
  let savingsAt = 0;
  let savingsStamp = "";
  const status: RefreshStatus = { last_success_at: null, last_error: null, refreshes: { success: 0, failure: 0 }, last_duration_seconds: null };
  let running: Promise<void> | null = null;
  const ownerZones = new OwnerZoneCache();

  const refreshOnce = async (): Promise<void> => {
    const started = ctx.monotonic();
    try {
      const stamp = journalStamp(journalPath);
      const wallMs = ctx.clock().toMillis();
      const reuse = snapshot && stamp === savingsStamp && wallMs - savingsAt < SAVINGS_REFRESH_MS ? snapshot.savings : null;
      const next = await buildSnapshot(ctx, evalNow(), { ownerSchedules: opts.ownerSchedules, savingsSinceSeconds: opts.savingsSinceSeconds, reuseSavings: reuse, ownerZones });
      if (!reuse) {
        savingsAt = wallMs;
        savingsStamp = stamp;
      }
      snapshot = next;
      status.refreshes.success++;
      status.last_success_at = next.generated_at;
      status.last_error = null;
    } catch (err) {
      status.refreshes.failure++;
      status.last_error = err instanceof Error ? err.message : String(err);
      if (!snapshot) throw err;
      ctx.logger.warn({ err: status.last_error }, "dashboard refresh failed; the page keeps the last snapshot");
    } finally {
      status.last_duration_seconds = (ctx.monotonic() - started) / 1000;
    }
  };
  /** One refresh at a time: a caller during a refresh waits for that one. */
  const refresh = (): Promise<void> => {
    running ??= refreshOnce().finally(() => {
      running = null;
    });
    return running;
  };

  await refresh();

  const state: DashboardState = {
    snapshot: () => snapshot,
    status: () => ({ ...status, refreshes: { ...status.refreshes } }),
    metrics: () => {
      const m = new RunMetrics();
      const s = snapshot!;
      const byCause: Record<string, number> = {};
      for (const e of [...s.timeline, ...s.later]) byCause[e.cause ?? "manual"] = (byCause[e.cause ?? "manual"] ?? 0) + 1;
      m.observeResult("autostop", "report", { summary: { by_cause: byCause } });
      m.observeResult("ttl-monitor", "report", { summary: s.compliance.summary });
      m.observeResult("savings", "report", { currency: s.savings.currency, by_policy: s.savings.by_policy });
      m.observeApi(ctx.apiCounts);
      m.observeTotals("serve", {
        success: status.refreshes.success,
        failure: status.refreshes.failure,
        lastSuccessSeconds: status.last_success_at ? Date.parse(status.last_success_at) / 1000 : null,
        lastDurationSeconds: status.last_duration_seconds,
      });
      return m.text();
    },
    apply: opts.allowApply
      ? async () => {
          try {
            const r = await quietHoursCommand(contextAt(ctx, evalNow()), quietHoursOptions({ execute: true }));
            await refresh();
            return { status: 200, body: { exit_code: exitCodeForOutcome(r.outcome), text: r.human(), run_id: ("run_id" in r.data ? r.data.run_id : undefined) ?? null, summary: ("summary" in r.data ? r.data.summary : undefined) ?? null } };
          } catch (err) {
            if (!(err instanceof AgentError)) throw err;
            return { status: 409, body: { exit_code: exitCodeOf(err), error: err.message } };
          }
        }
      : null,
  };

  const server = await startDashboard({ host, port, refreshSeconds: opts.intervalSeconds, state });
  const mode = opts.allowApply ? "read-only, plus POST /api/apply/quiet-hours" : "read-only";
  if (ctx.json) {
    const data: DataOf<"serve"> = { url: server.url, metrics_url: `${server.url}metrics`, allow_apply: opts.allowApply, interval_seconds: opts.intervalSeconds };
    ctx.io.stdout(JSON.stringify(envelope({ command: "serve", mode: "report", data }, { generatedAt: ctx.clock(), now: evalNow() })) + "\n");
  }
  else ctx.io.stdout(`coder-agents dashboard: ${server.url} (${mode}; refresh every ${opts.intervalSeconds}s; Prometheus: ${server.url}metrics)\nPress Ctrl+C to stop\n`);
  try {
    while (!ctx.signal.aborted) {
      try {
        await ctx.sleep(opts.intervalSeconds * 1000, ctx.signal);
      } catch {
        break;
      }
      await refresh();
    }
  } finally {
    await server.close();
  }
  if (!ctx.json) ctx.io.stdout("Dashboard stopped\n");
  return null;
}

