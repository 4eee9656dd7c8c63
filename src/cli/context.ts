/**
 * The per-run context every command receives: the evaluated `now`, the effective configuration,
 * the logger, output streams, the abort signal and a lazily built Coder client. Built once by the
 * runner from the global options; commands never read process.env, argv or the clock themselves.
 */
import type { DateTime } from "luxon";
import type { CoderClient } from "../coder/client.js";
import type { ConfigPathSource } from "../config/load.js";
import type { AgentsConfig } from "../config/schema.js";
import type { Logger } from "../log/logger.js";
import type { ApiCounts } from "../metrics/api-counts.js";
import type { Secrets } from "../log/redact.js";
import type { HolidayCalendar } from "../domain/policy/types.js";
import type { LockDeps } from "../exec/lock.js";
import type { NotifyDeps } from "../exec/notify.js";

export interface Io {
  stdout(s: string): void;
  stderr(s: string): void;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** The terminal's width when stdout is a terminal. */
  columns?: number | undefined;
  /** The terminal's width for stderr (the progress bar). */
  stderrColumns?: number | undefined;
}

/** How human output is shaped: -o/--output, -c/--column, --limit and the terminal width. */
export interface OutputView {
  format: "table" | "json" | "wide";
  /** Terminal columns to fit tables into; null = no fitting (-o wide, or not a terminal without COLUMNS). */
  width: number | null;
  /** Rows per section (null = all): --limit, default 20 on a terminal, all otherwise; --limit 0 = all. */
  limit: number | null;
  /** -c/--column, normalised; null = the default columns. */
  columns: string[] | null;
  /** --search: Coder's workspace query, passed to the server's `q`. */
  search: string | null;
  /** Column names of the tables rendered so far (checked against -c after rendering). */
  seenColumns: Set<string>;
}

export interface Progress {
  update(done: number, total: number, detail?: string): void;
  done(): void;
}

export interface AppContext {
  /** The instant every rule is evaluated at (--now or the clock, taken once per run). */
  now: DateTime;
  /** True when --now was given (what-if mode). */
  nowOverridden: boolean;
  /** The real wall clock, for timestamps of actions that happen now (journal, results). */
  clock(): DateTime;
  config: AgentsConfig;
  configPath: string | null;
  /** Where relative paths in the configuration resolve: the config file's directory, else cwd. */
  configDir: string;
  configHash: string;
  /** The policies' ICS holiday files, parsed when the configuration was loaded (by path as written). */
  holidayCalendars: ReadonlyMap<string, HolidayCalendar>;
  /** Where each configuration value came from (for `config show`). */
  configSources: {
    pathSource: ConfigPathSource | null;
    raw: Record<string, unknown>;
    env: Record<string, unknown>;
    /** Flags that override a configuration key for this run, by key path. */
    flags: Record<string, unknown>;
  };
  logger: Logger;
  io: Io;
  json: boolean;
  color: boolean;
  output: OutputView;
  /** The first line of a human report: the config file in use (or "defaults") and `zone`. */
  headerLine(zone: string): string;
  env: Record<string, string | undefined>;
  /** The run's secrets: everything written to the journal or sent out passes through its redaction. */
  secrets: Secrets;
  cwd: string;
  home: string;
  /** Aborted on SIGINT/SIGTERM; `interruptedBy` then names the signal. */
  signal: AbortSignal;
  interruptedBy(): "SIGINT" | "SIGTERM" | null;
  /** The Coder client (credentials resolved on first use; ConfigError when missing). */
  client(): CoderClient;
  /** A progress line on stderr, shown only when stderr is a TTY and output is not --quiet. */
  progress(label: string): Progress;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** A monotonic clock in ms (schedules, durations; never steps with the wall clock). */
  monotonic: () => number;
  /** Notification dependencies (webhooks through the run's fetch and dispatcher, never with the session token). */
  notifyDeps(): NotifyDeps;
  /** Run-lock dependencies: this process, host and boot, the wall clock. */
  lockDeps(warn: (msg: string) => void): LockDeps;
  /** Coder API requests and retries of this process by status (for --metrics-file and serve's /metrics). */
  apiCounts?: ApiCounts;
}

/** The TableView a renderer passes to renderTable. */
export function tableView(ctx: Pick<AppContext, "color" | "output">): { color: boolean; width: number | null; limit: number | null; columns: string[] | null; seen: Set<string> } {
  return { color: ctx.color, width: ctx.output.width, limit: ctx.output.limit, columns: ctx.output.columns, seen: ctx.output.seenColumns };
}
