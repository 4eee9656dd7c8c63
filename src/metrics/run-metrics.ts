/**
 * `--metrics-file PATH`: the run's metrics in the Prometheus text exposition format, for
 * node_exporter's textfile collector (the usual way to monitor cron jobs). Built with prom-client
 * on a fresh Registry per run (no process-wide default metrics).
 *
 * What is measured comes from the two places every run passes through: the HTTP layer (API
 * requests and retries by status, via ApiCounts) and the runner (the command's result data and its
 * exit code). Gauges describe this run. `_total` counters are cumulative across runs: the previous
 * file at the same path is read and its counter values are carried forward, so a counter only
 * goes down when the file is deleted, as Prometheus expects; `last_success_timestamp_seconds` is
 * carried forward too when this run failed. One file per scheduled job.
 *
 * The file is written atomically: a new temp file (exclusive create, 0600, never through a
 * symlink) in the same directory, fsynced, then renamed over the target.
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { Counter, Gauge, Registry } from "prom-client";
import type { ApiCounts } from "./api-counts.js";

export const METRIC_PREFIX = "coder_agents_";
/** The policy label: one policy per configuration for now. */
export const DEFAULT_POLICY = "default";

export interface RunOutcome {
  /** Command path, e.g. "quiet-hours". */
  command: string;
  /** "report" | "dry-run" | "execute". */
  mode: string;
  /** The command's JSON data (null when the run failed before producing a result). */
  data: Record<string, unknown> | null;
  exitCode: number;
  durationSeconds: number;
  /** Wall-clock end of the run, seconds since the epoch. */
  endedAtSeconds: number;
}

type Summary = { planned: number; succeeded: number; skipped: number; failed: number };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function summaryOf(v: unknown): Summary | null {
  if (!isObj(v)) return null;
  const keys = ["planned", "succeeded", "skipped", "failed"] as const;
  return keys.every((k) => typeof v[k] === "number") ? (v as Summary) : null;
}

/** Numeric values of a flat object (e.g. category → count). */
function numericEntries(v: unknown): [string, number][] {
  if (!isObj(v)) return [];
  return Object.entries(v).filter((e): e is [string, number] => typeof e[1] === "number");
}

/** A previous sample: name, labels, value (only for the metrics this tool writes). */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Reads the samples of `coder_agents_*` series from a previous metrics file this tool wrote. */
export function parseOwnSamples(text: string): Sample[] {
  const out: Sample[] = [];
  const line = /^(coder_agents_[a-zA-Z0-9_]*)(?:\{(.*)\})? (\S+)$/;
  const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const l of text.split("\n")) {
    const m = line.exec(l);
    if (!m) continue;
    const value = Number(m[3]);
    if (!Number.isFinite(value)) continue;
    const labels: Record<string, string> = {};
    for (const lm of (m[2] ?? "").matchAll(label)) {
      labels[lm[1]!] = lm[2]!.replace(/\\(["\\n])/g, (_s, c: string) => (c === "n" ? "\n" : c));
    }
    out.push({ name: m[1]!, labels, value });
  }
  return out;
}

export class RunMetrics {
  readonly registry = new Registry();
  private readonly workspaces: Gauge<"command" | "policy" | "category">;
  private readonly ttl: Gauge<"status">;
  private readonly pending: Gauge<"cause">;
  private readonly stops: Counter<"command" | "mode" | "outcome">;
  private readonly starts: Counter<"command" | "mode" | "outcome">;
  private readonly runs: Counter<"command" | "result">;
  private readonly duration: Gauge<"command">;
  private readonly lastRun: Gauge<"command">;
  private readonly lastSuccess: Gauge<"command">;
  private readonly exitCode: Gauge<"command">;
  private readonly apiRequests: Counter<"method" | "status">;
  private readonly apiRetries: Counter<"method" | "status">;
  private readonly savedSeconds: Gauge<"policy">;
  private readonly savedCost: Gauge<"policy" | "currency">;

  constructor() {
    const registers = [this.registry];
    const p = METRIC_PREFIX;
    this.workspaces = new Gauge({ name: `${p}workspaces`, help: "Workspaces by quiet-hours category, as seen by this run.", labelNames: ["command", "policy", "category"], registers });
    this.ttl = new Gauge({ name: `${p}ttl_workspaces`, help: "Workspaces by TTL compliance status (ttl-monitor): expired, expiring_soon, running, stopped, transitional, stops_only_manually.", labelNames: ["status"], registers });
    this.pending = new Gauge({ name: `${p}pending_stops`, help: "Running workspaces by the cause of their next stop (autostop --list-pending; manual = never).", labelNames: ["cause"], registers });
    this.stops = new Counter({ name: `${p}stops_total`, help: "Workspace stops by outcome: planned, succeeded, failed, skipped (cumulative across runs).", labelNames: ["command", "mode", "outcome"], registers });
    this.starts = new Counter({ name: `${p}starts_total`, help: "Workspace starts (rollback) by outcome: planned, succeeded, failed, skipped (cumulative across runs).", labelNames: ["command", "mode", "outcome"], registers });
    this.runs = new Counter({ name: `${p}runs_total`, help: "Runs by result: success (exit 0) or failure (cumulative).", labelNames: ["command", "result"], registers });
    this.duration = new Gauge({ name: `${p}run_duration_seconds`, help: "Wall-clock duration of the last run.", labelNames: ["command"], registers });
    this.lastRun = new Gauge({ name: `${p}last_run_timestamp_seconds`, help: "When the last run ended (Unix time).", labelNames: ["command"], registers });
    this.lastSuccess = new Gauge({ name: `${p}last_success_timestamp_seconds`, help: "When the last successful run (exit 0) ended (Unix time).", labelNames: ["command"], registers });
    this.exitCode = new Gauge({ name: `${p}last_run_exit_code`, help: "Exit code of the last run (0 ok, 5 partial failure, 7 safety abort...).", labelNames: ["command"], registers });
    this.apiRequests = new Counter({ name: `${p}api_requests_total`, help: "Coder API requests by method and status code (error = no HTTP answer) (cumulative).", labelNames: ["method", "status"], registers });
    this.apiRetries = new Counter({ name: `${p}api_retries_total`, help: "Coder API retries by method and the status code that caused them (cumulative).", labelNames: ["method", "status"], registers });
    this.savedSeconds = new Gauge({ name: `${p}savings_workspace_seconds`, help: "Workspace running time saved by this tool's stops in the savings window, by policy (seconds; 3600 = one workspace-hour).", labelNames: ["policy"], registers });
    this.savedCost = new Gauge({ name: `${p}savings_cost`, help: "Cost saved by this tool's stops in the savings window, by policy (cost.currency).", labelNames: ["policy", "currency"], registers });
  }

  /** Carries forward counters (and the last success time) from the previous file's samples. */
  carryOver(previous: readonly Sample[], command: string, succeeded: boolean): void {
    const counters: Record<string, Counter<string>> = {
      [`${METRIC_PREFIX}stops_total`]: this.stops,
      [`${METRIC_PREFIX}starts_total`]: this.starts,
      [`${METRIC_PREFIX}runs_total`]: this.runs,
      [`${METRIC_PREFIX}api_requests_total`]: this.apiRequests,
      [`${METRIC_PREFIX}api_retries_total`]: this.apiRetries,
    };
    for (const s of previous) {
      const c = counters[s.name];
      if (c && s.value > 0) c.inc(s.labels, s.value);
      if (!succeeded && s.name === `${METRIC_PREFIX}last_success_timestamp_seconds` && s.labels.command === command) {
        this.lastSuccess.set({ command }, s.value);
      }
    }
  }

  /** Records one run: what its result says, its API traffic, its duration and exit code. */
  record(run: RunOutcome, api: ApiCounts | undefined): void {
    if (run.data) this.observeResult(run.command, run.mode, run.data);
    this.observeApi(api);
    this.observeRun(run.command, run.exitCode, run.durationSeconds, run.endedAtSeconds);
  }

  /** What a command's JSON data says: categories, TTL compliance, pending stops, stop outcomes, savings. */
  observeResult(command: string, mode: string, data: Record<string, unknown>): void {
    for (const [category, n] of numericEntries(data.counts)) this.workspaces.set({ command, policy: DEFAULT_POLICY, category }, perPolicy(data.categories, category, null) ?? n);
    // Configured policies (the implicit quiet_hours policy keeps the label "default"): one series each.
    for (const [category, policy] of configuredPolicies(data.categories)) this.workspaces.set({ command, policy, category }, perPolicy(data.categories, category, policy) ?? 0);
    if (command === "ttl-monitor") for (const [status, n] of numericEntries(data.summary)) this.ttl.set({ status }, n);
    if (command === "autostop" && isObj(data.summary)) for (const [cause, n] of numericEntries(data.summary.by_cause)) this.pending.set({ cause }, n);
    if (command === "savings" && Array.isArray(data.by_policy)) {
      const currency = typeof data.currency === "string" ? data.currency : "";
      for (const t of data.by_policy as { key: string; hours: number; cost: number }[]) {
        this.savedSeconds.set({ policy: t.key }, Math.round(t.hours * 3600));
        this.savedCost.set({ policy: t.key, currency }, t.cost);
      }
    }
    const summary = summaryOf(data.summary);
    if (summary && Array.isArray(data.results)) {
      const counter = command === "rollback" ? this.starts : this.stops;
      for (const outcome of ["planned", "succeeded", "failed", "skipped"] as const) counter.inc({ command, mode, outcome }, summary[outcome]);
    }
  }

  observeApi(api: ApiCounts | undefined): void {
    for (const r of api?.requests ?? []) this.apiRequests.inc({ method: r.method, status: r.status }, r.count);
    for (const r of api?.retries ?? []) this.apiRetries.inc({ method: r.method, status: r.status }, r.count);
  }

  /** One run's (or one dashboard refresh's) end; `runs` counts how many runs ended this way (default 1). */
  observeRun(command: string, exitCode: number, durationSeconds: number, endedAtSeconds: number): void {
    const ok = exitCode === 0;
    this.runs.inc({ command, result: ok ? "success" : "failure" });
    this.duration.set({ command }, durationSeconds);
    this.lastRun.set({ command }, endedAtSeconds);
    this.exitCode.set({ command }, exitCode);
    if (ok) this.lastSuccess.set({ command }, endedAtSeconds);
  }

  /** For a long-running process (serve): its totals of runs and its last success, set directly. */
  observeTotals(command: string, totals: { success: number; failure: number; lastSuccessSeconds: number | null; lastDurationSeconds: number | null }): void {
    if (totals.success > 0) this.runs.inc({ command, result: "success" }, totals.success);
    if (totals.failure > 0) this.runs.inc({ command, result: "failure" }, totals.failure);
    if (totals.lastSuccessSeconds !== null) this.lastSuccess.set({ command }, totals.lastSuccessSeconds);
    if (totals.lastDurationSeconds !== null) this.duration.set({ command }, totals.lastDurationSeconds);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** The previous file's samples; none when it is missing, not a regular file, or unreadable. */
export function readPreviousSamples(path: string): Sample[] {
  try {
    if (!lstatSync(path).isFile()) return [];
    return parseOwnSamples(readFileSync(path, "utf8"));
  } catch {
    return [];
  }
}

/**
 * Writes `text` to `path` atomically: temp file in the same directory (exclusive create, 0600),
 * fsync, rename over the target (a symlink at `path` is replaced, never followed). The directory
 * is created (0700) when missing. Throws with the path in the message.
 */
export function writeFileAtomic(path: string, text: string): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(8).toString("hex")}.tmp`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const fd = openSync(tmp, "wx", 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      /* not created */
    }
    throw new Error(`metrics file ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Builds the run's metrics (carrying the previous file's counters forward) and writes them. */
export async function writeRunMetrics(path: string, run: RunOutcome, api: ApiCounts | undefined): Promise<void> {
  const m = new RunMetrics();
  m.carryOver(readPreviousSamples(path), run.command, run.exitCode === 0);
  m.record(run, api);
  writeFileAtomic(path, await m.text());
}

/** The implicit policy's name in JSON entries; its metrics label is DEFAULT_POLICY. */
const IMPLICIT_POLICY = "quiet_hours";

/** How many entries of `categories[category]` carry `policy` (null: the implicit one); null when the entries carry no policy. */
function perPolicy(categories: unknown, category: string, policy: string | null): number | null {
  if (!isObj(categories) || !Array.isArray(categories[category])) return null;
  const list = categories[category] as unknown[];
  if (!list.every((e) => isObj(e) && typeof e.policy === "string")) return null;
  return list.filter((e) => ((e as { policy: string }).policy === IMPLICIT_POLICY ? null : (e as { policy: string }).policy) === policy).length;
}

/** Every (category, configured policy) pair the categories mention, each category for each such policy. */
function configuredPolicies(categories: unknown): [string, string][] {
  if (!isObj(categories)) return [];
  const names = new Set<string>();
  for (const list of Object.values(categories)) {
    if (!Array.isArray(list)) continue;
    for (const e of list) if (isObj(e) && typeof e.policy === "string" && e.policy !== IMPLICIT_POLICY) names.add(e.policy);
  }
  return Object.keys(categories).flatMap((c) => [...names].map((n): [string, string] => [c, n]));
}
