/**
 * Builds the AppContext from the global options, runs a command, prints its result (human or the
 * JSON envelope) and records the exit code. Errors become one clear message on stderr (and an
 * error envelope on stdout with --json) plus its exit code (src/errors.ts).
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { rootCertificates } from "node:tls";
import type { CommandUnknownOpts as Command } from "@commander-js/extra-typings";
import { DateTime } from "luxon";
import { CoderClient, type ClientOptions } from "../coder/client.js";
import type { FetchLike } from "../coder/http.js";
import { proxyFor, proxySettings, type ProxySettings } from "../coder/proxy.js";
import { resolveCredentials } from "../config/credentials.js";
import { readRegularFile } from "../config/files.js";
import { loadConfig } from "../config/load.js";
import { AgentError, ConfigError, ExitCode, InterruptedError, UsageError, errorCodeOf, exitCodeForOutcome, exitCodeOf } from "../errors.js";
import { ensurePrivateDir, resolveConfiguredPath, stateDir } from "../exec/journal.js";
import { createLogger } from "../log/logger.js";
import { Secrets } from "../log/redact.js";
import { writeJson } from "../output/json-write.js";
import { envelope, errorEnvelope, type CommandResult, type Mode } from "../output/envelope.js";
import type { AppContext, Io, OutputView } from "./context.js";
import type { GlobalOpts } from "./program.js";
import { zoneAbbrev } from "../output/format.js";
import { StderrLine, makeProgressBar } from "./progress.js";
import { normColumn, unknownColumns } from "../output/table-fit.js";
import { defaultSleep } from "../util/retry.js";
import { ApiCounts } from "../metrics/api-counts.js";
import { realLockDeps, realNotifyDeps } from "./deps.js";

/** The run's monotonic clock in ms (durations; never the time of day). */
const monotonic = (): number => performance.now();

export interface RuntimeDeps {
  io: Io;
  env: Record<string, string | undefined>;
  cwd: string;
  home: string;
  /** The wall clock (UTC). */
  clock: () => DateTime;
  /** fetch for the Coder client; production passes globalThis.fetch plus an undici dispatcher. */
  fetch: FetchLike;
  makeDispatcher?: (o: DispatcherOptions) => unknown;
  signal: AbortSignal;
  interruptedBy(): "SIGINT" | "SIGTERM" | null;
  /** Overrides for tests (e.g. fast retries). */
  clientOverrides?: Partial<ClientOptions>;
}

/** What the production dispatcher is built from (see main.ts). */
export interface DispatcherOptions {
  ca?: string;
  connections: number;
  timeoutMs: number;
  proxy: ProxySettings;
}

export interface RunState {
  exitCode: number;
}

export type CommandFn<D extends object = object> = (ctx: AppContext) => Promise<CommandResult<D> | null>;

/** Config, token, URL and CA files: regular files only, size-limited (a FIFO or /dev/zero is exit 2, never a hang). */
const readText = (path: string): string | null => readRegularFile(path, "file");
const fileMode = (path: string): number | null => {
  try {
    return statSync(path).mode;
  } catch {
    return null;
  }
};

/** The instants `--now` accepts: years 1970 to 2999 (zone arithmetic and ISO output hold there). */
const NOW_MIN = Date.UTC(1970, 0, 1);
const NOW_MAX = Date.UTC(3000, 0, 1);

export function parseNow(text: string): DateTime {
  const t = text.trim();
  const dt = DateTime.fromISO(t, { setZone: true });
  const zone = /(?:[zZ]|([+-])(\d\d):?(\d\d))$/.exec(t);
  if (!dt.isValid || !zone) {
    throw new UsageError(`--now: expected an ISO 8601 instant with a zone, e.g. 2026-01-05T19:30:00Z (got "${text}")`);
  }
  // Real UTC offsets lie within ±14:00 (ISO 8601 allows up to ±23:59; luxon even accepts +25:00).
  if (zone[1] && (Number(zone[2]) * 60 + Number(zone[3]) > 14 * 60 || Number(zone[3]) > 59)) {
    throw new UsageError(`--now: the UTC offset ${zone[1]}${zone[2]}:${zone[3]} is out of range (offsets lie between -14:00 and +14:00; got "${text}")`);
  }
  const ms = dt.toMillis();
  if (ms < NOW_MIN || ms >= NOW_MAX) {
    throw new UsageError(`--now: expected an instant between 1970-01-01 and 2999-12-31 (got "${text}")`);
  }
  return dt.toUTC();
}

export class Runner {
  constructor(
    private readonly deps: RuntimeDeps,
    private readonly state: RunState,
  ) {}

  /** Run `fn` as command `cmd` with a fully built context. */
  async run<D extends object>(cmd: Command, fn: CommandFn<D>, defaultMode: Mode = "report"): Promise<void> {
    const g = cmd.optsWithGlobals() as GlobalOpts;
    const { env } = this.deps;
    // Every string this run writes to stdout/stderr passes through the run's redaction. The
    // token is registered as soon as it is known (the environment's now, a token file's when read).
    const secrets = new Secrets();
    secrets.add(env.CODER_SESSION_TOKEN);
    secrets.add(env.CODER_TOKEN);
    const io: Io = { ...this.deps.io, stdout: (s) => this.deps.io.stdout(secrets.redact(s)), stderr: (s) => this.deps.io.stderr(secrets.redact(s)) };
    const json = !!g.json || g.output === "json";
    const generatedAt = this.deps.clock();
    let now = generatedAt;
    const name = commandPath(cmd);
    const color = g.color !== false && !env.NO_COLOR && io.stdoutIsTTY;
    let closeLogger = () => {};
    const startedMs = monotonic();
    const apiCounts = new ApiCounts();
    let outcome: { mode: Mode; data: object } | null = null;
    let logError = (msg: string) => io.stderr(`coder-agents ${name}: error: ${msg}\n`);
    try {
      if (g.now) now = parseNow(g.now);
      if (g.json && g.output && g.output !== "json") throw new UsageError(`--json is -o json: it cannot be combined with -o ${g.output}`);
      const loaded = loadConfig({ flagPath: g.config, env, cwd: this.deps.cwd, readFile: (p) => readRegularFile(p, "config file"), allowUnknown: !!g.allowUnknownConfig });
      const cfg = loaded.config;
      // The state directory (journal, run locks, emergency-stop file) is private: an existing one
      // left group- or world-accessible is tightened to 0700.
      ensurePrivateDir(stateDir(env, this.deps.home), false);
      const configDir = loaded.dir;
      const level = g.verbose ? "debug" : g.quiet ? "warn" : cfg.logging.level;
      const file = cfg.logging.file
        ? { path: resolveConfiguredPath(cfg.logging.file, this.deps.home, configDir), maxBytes: Math.round(cfg.logging.max_size_mb * 1024 * 1024), backupCount: cfg.logging.backup_count }
        : undefined;
      // A log file that cannot be opened is said once on stderr; it never stops the run.
      const errCols = env.COLUMNS && /^\d+$/.test(env.COLUMNS) ? Number(env.COLUMNS) : (io.stderrColumns ?? 80);
      const line = new StderrLine(io.stderr, !g.quiet && io.stderrIsTTY, errCols);
      const log = createLogger({ level, stderr: { write: line.write, isTTY: io.stderrIsTTY }, color: io.stderrIsTTY && color, file, redact: secrets.redact });
      closeLogger = log.close;
      const logger = log.logger;
      logError = (msg) => logger.error(msg);
      for (const w of loaded.warnings) logger.warn(w);
      logger.debug({ config: loaded.path ?? "(defaults)", config_hash: loaded.hash, now: now.toISO() }, "configuration loaded");

      let client: CoderClient | undefined;
      const timeoutMs = Math.round(cfg.http.timeout_seconds * 1000);
      const proxy = proxySettings(env);
      // One dispatcher per run (proxy, --ca-file, timeouts): the Coder client and the webhooks
      // both use it; only the Coder client adds the session token, to the Coder origin.
      let dispatcher: { value: unknown } | undefined;
      const getDispatcher = (): unknown => {
        if (dispatcher) return dispatcher.value;
        const caPath = g.caFile || env.CODER_CA_FILE;
        let ca: string | undefined;
        if (caPath) {
          const text = readText(caPath);
          if (text === null) throw new ConfigError(`CA file ${caPath}: not found`);
          ca = text;
        }
        dispatcher = { value: this.deps.makeDispatcher?.({ ...(ca ? { ca: [...rootCertificates, ca].join("\n") } : {}), connections: cfg.http.concurrency * 2, timeoutMs, proxy }) };
        return dispatcher.value;
      };
      const output = outputView(g, io, env);
      this.header = headerLine(loaded.path, loaded.pathSource, now);
      const header = this.header;
      const ctx: AppContext = {
        output,
        headerLine: header,
        configSources: {
          pathSource: loaded.pathSource,
          raw: loaded.raw,
          env: loaded.envOverrides,
          flags: g.verbose ? { "logging.level": "debug" } : g.quiet ? { "logging.level": "warn" } : {},
        },
        now,
        nowOverridden: !!g.now,
        clock: this.deps.clock,
        config: cfg,
        configPath: loaded.path,
        configDir,
        configHash: loaded.hash,
        holidayCalendars: loaded.holidayCalendars,
        logger,
        io,
        json,
        color,
        env,
        secrets,
        cwd: this.deps.cwd,
        home: this.deps.home,
        signal: this.deps.signal,
        interruptedBy: this.deps.interruptedBy,
        sleep: defaultSleep,
        monotonic,
        apiCounts,
        notifyDeps: () =>
          realNotifyDeps({
            fetch: (url, init) => {
              const d = getDispatcher();
              return this.deps.fetch(url, d ? ({ ...init, dispatcher: d } as RequestInit) : init);
            },
            clock: this.deps.clock,
            sleep: (ms) => defaultSleep(ms),
            timeoutMs,
            resolvePath: (p) => resolveConfiguredPath(p, this.deps.home, configDir),
          }),
        lockDeps: (warn) => realLockDeps(this.deps.clock, warn),
        progress: (label) => makeProgressBar(line, label),
        client: () => {
          if (client) return client;
          const creds = resolveCredentials({
            flagUrl: g.url,
            flagTokenFile: g.tokenFile,
            env,
            cwd: this.deps.cwd,
            home: this.deps.home,
            readFile: readText,
            fileMode,
          });
          secrets.add(creds.token);
          for (const w of creds.warnings) logger.warn(w);
          logger.debug({ url: creds.url, url_source: creds.urlSource, token_source: creds.tokenSource, proxy: proxyFor(creds.url, proxy) || "(direct)" }, "credentials resolved");
          const dispatcher = getDispatcher();
          client = new CoderClient({
            baseUrl: creds.url,
            token: creds.token,
            fetch: this.deps.fetch,
            clockMs: () => this.deps.clock().toMillis(),
            monotonicMs: monotonic,
            dispatcher,
            timeoutMs,
            concurrency: cfg.http.concurrency,
            pageSize: cfg.http.page_size,
            logger,
            signal: this.deps.signal,
            userAgent: "coder-agents",
            observer: apiCounts,
            schemeAssumed: creds.schemeAssumed,
            ...this.deps.clientOverrides,
          });
          return client;
        },
      };
      const result = await fn(ctx);
      if (result) {
        outcome = { mode: result.mode, data: result.data };
        this.print(io, result, { generatedAt, now }, json, cfg.quiet_hours.timezone, (text) => {
          // -c names no table of the report has: a usage error for a report; after an acting run
          // (whose actions are done) a warning, so the exit code still says what happened.
          const problem = unknownColumns(output.columns, output.seenColumns);
          if (!problem) return text;
          if (result.mode === "report") throw new UsageError(problem);
          logger.warn(problem);
          return text;
        });
        this.state.exitCode = exitCodeForOutcome(result.outcome);
      }
      const sig = this.deps.interruptedBy();
      if (sig && this.state.exitCode === 0) this.state.exitCode = new InterruptedError(sig).exitCode;
    } catch (err) {
      const sig = this.deps.interruptedBy();
      const e = sig && !(err instanceof AgentError && !(err instanceof InterruptedError)) ? new InterruptedError(sig) : err;
      this.state.exitCode = exitCodeOf(e);
      const message = secrets.redact(e instanceof Error ? e.message : String(e));
      const prefix = e instanceof AgentError ? "error" : "internal error";
      io.stderr(`coder-agents ${name}: ${prefix}: ${message}\n`);
      if (!(e instanceof AgentError) && e instanceof Error && e.stack && env.CODER_AGENTS_DEBUG) io.stderr(e.stack + "\n");
      if (json) {
        const doc = errorEnvelope(name, defaultMode, { code: errorCodeOf(e), message, exitCode: this.state.exitCode }, { generatedAt, now });
        io.stdout(JSON.stringify(doc) + "\n");
      }
    } finally {
      if (g.metricsFile) await this.writeMetrics(resolve(this.deps.cwd, g.metricsFile), name, outcome ?? { mode: defaultMode, data: null }, startedMs, apiCounts, logError);
      closeLogger();
    }
  }

  /** --metrics-file: a write failure is reported and makes an otherwise successful run exit 5. */
  private async writeMetrics(
    path: string,
    command: string,
    outcome: { mode: Mode; data: object | null },
    startedMs: number,
    api: ApiCounts,
    logError: (msg: string) => void,
  ): Promise<void> {
    try {
      const { writeRunMetrics } = await import("../metrics/run-metrics.js");
      await writeRunMetrics(
        path,
        {
          command,
          mode: outcome.mode,
          // The metrics read a command's JSON keys by name, whatever its data's type.
          data: outcome.data as Record<string, unknown> | null,
          exitCode: this.state.exitCode,
          durationSeconds: (monotonic() - startedMs) / 1000,
          endedAtSeconds: this.deps.clock().toMillis() / 1000,
        },
        api,
      );
    } catch (err) {
      logError((err as Error).message);
      if (this.state.exitCode === 0) this.state.exitCode = ExitCode.Partial;
    }
  }

  private header: ((zone: string) => string) | null = null;

  print(io: Io, result: CommandResult<object>, meta: { generatedAt: DateTime; now: DateTime }, json: boolean, defaultZone = "UTC", check: (text: string) => string = (t) => t): void {
    if (json) {
      // In pieces: a large report is never held as one string (see writeJson).
      writeJson(envelope(result, meta), io.stdout);
      io.stdout("\n");
    }
    else {
      const text = check(result.human());
      const head = result.header !== false && this.header ? this.header(result.zone ?? defaultZone) + "\n" : "";
      io.stdout(head + (text.endsWith("\n") ? text : text + "\n"));
    }
  }
}

/**
 * The first line of every human report: which configuration file is in use (and how it was
 * found), or "defaults", and the zone the report's times are shown in.
 */
export function headerLine(path: string | null, source: string | null, now: DateTime): (zone: string) => string {
  const cfg = path ? `${path} (${source === "--config" ? "from --config" : source === "CODER_AGENTS_CONFIG" ? "from CODER_AGENTS_CONFIG" : `found in the ${source}`})` : "defaults (no config file)";
  return (zone) => `Config: ${cfg} · Zone: ${zone} (${zoneAbbrev(now.setZone(zone))})`;
}

/** -o/--output, -c/--column, --limit and the terminal width, from the global options and the terminal. */
export function outputView(g: GlobalOpts, io: Io, env: Record<string, string | undefined>): OutputView {
  const format = g.json ? "json" : (g.output ?? "table");
  const envCols = env.COLUMNS && /^\d+$/.test(env.COLUMNS) ? Number(env.COLUMNS) : undefined;
  const termWidth = envCols ?? (io.stdoutIsTTY ? io.columns : undefined) ?? null;
  const limit = g.limit !== undefined ? (g.limit === 0 ? null : g.limit) : io.stdoutIsTTY ? DEFAULT_TTY_LIMIT : null;
  const columns = g.column ? g.column.flatMap((c) => c.split(",")).map(normColumn).filter(Boolean) : null;
  return {
    format,
    width: format === "wide" ? null : termWidth && termWidth > 0 ? termWidth : null,
    limit,
    columns: columns && columns.length ? columns : null,
    search: g.search?.trim() || null,
    seenColumns: new Set(),
  };
}

/** Rows per section on a terminal when --limit is not given. */
export const DEFAULT_TTY_LIMIT = 20;

function commandPath(cmd: Command): string {
  const parts: string[] = [];
  for (let c: Command | null = cmd; c && c.parent; c = c.parent) parts.unshift(c.name());
  return parts.join(" ") || cmd.name();
}

export { ExitCode };
