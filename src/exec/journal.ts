/**
 * The action journal: NDJSON appended to `journal.path` (default
 * `$XDG_STATE_HOME/coder-agents/journal.ndjson`; directories 0700, file 0600). Every run that
 * plans or performs an action writes a `run` record, one `workspace` record per workspace acted
 * on (or planned, in a dry run) and a `run-end` record. Each record is one line, written with
 * append + fsync. A torn last line left by a crash is skipped on read (and terminated before
 * the next append so it cannot swallow a new record).
 *
 * Write-ahead (version 2): before each build POST an `intent` record is appended and fsynced;
 * the `workspace` record written after the answer names it (`intent_id`). An intent without a
 * settled outcome (the process was killed, or the answer was lost and the workspace looked
 * unchanged) is verified by a read at the start of the next acting run, which appends the
 * outcome with `recovered` set (src/exec/recovery.ts). Version 1 journals (no intents) are read
 * as they are: their workspace records simply have no `intent_id`.
 *
 * A write failure never loses the fact silently: `append` does not throw, it reports the record
 * through `onError` (the command logs it, so the fact is in the log) and remembers the error
 * (`journal.error`), which makes the run exit non-zero. The token never reaches the journal:
 * records hold workspace data only.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, constants, existsSync, fchmodSync, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { DateTime } from "luxon";
import type { StopOutcome, StopSummary } from "./types.js";

/** The version written into new records. 2 added `intent` records and `intent_id`/`uncertain`/`recovered` on outcomes. */
export const JOURNAL_VERSION = 2;

/** The workspace as journaled (who and what, not its state). */
export interface JournalWorkspaceRef {
  id: string;
  owner: string;
  name: string;
  template: string;
  organization: string;
}

export interface JournalRunRecord {
  type: "run";
  v: number;
  run_id: string;
  command: string;
  /** "execute" | "dry-run" */
  mode: string;
  /** The evaluated instant of the run (ISO UTC). */
  now: string;
  config_hash: string;
  /** Wall-clock time the run started acting (ISO UTC). */
  started_at: string;
  transition: "stop" | "start";
  planned: number;
}

export interface JournalWorkspaceRecord {
  type: "workspace";
  v: number;
  run_id: string;
  /** Wall-clock time of the outcome (ISO UTC). */
  at: string;
  action: "stop" | "start";
  workspace: JournalWorkspaceRef;
  category: string;
  reasons: string[];
  outcome: StopOutcome;
  error: string | null;
  /** The build this tool created (stop/start), when it created one. */
  build_id: string | null;
  /** The data the decision was based on (status, build id, deadlines, window…). */
  evidence: Record<string, unknown>;
  /** v2: the intent this outcome settles (null: no POST was sent). Absent in v1 records. */
  intent_id?: string | null;
  /**
   * v2: true when the answer was lost and the workspace looked unchanged, so the build may still
   * reach Coder: the next acting run reads the workspace again and appends a recovered outcome.
   */
  uncertain?: boolean;
  /** v2: set on an outcome appended by a later run's recovery, after reading the workspace. */
  recovered?: { by_command: string; intent_at: string } | null;
}

/**
 * v2: written (and fsynced) just before a build POST. Everything an outcome record needs is here,
 * so a recovery can write the outcome the killed run could not.
 */
export interface JournalIntentRecord {
  type: "intent";
  v: number;
  run_id: string;
  /** Unique in the journal: "<run_id>/<n>". */
  intent_id: string;
  /** Wall-clock time just before the POST (ISO UTC). */
  at: string;
  action: "stop" | "start";
  workspace: JournalWorkspaceRef;
  category: string;
  reasons: string[];
  /** The workspace's latest build the action was planned (and re-checked) against. */
  planned_build: { id: string; build_number: number };
  evidence: Record<string, unknown>;
}

export interface JournalRunEndRecord {
  type: "run-end";
  v: number;
  run_id: string;
  at: string;
  summary: StopSummary;
  interrupted: "SIGINT" | "SIGTERM" | null;
  /** A journal write error seen during the run (the record was logged instead). */
  journal_error: string | null;
}

/** A notification: quiet-hours warnings are recorded so each workspace is warned once per window. */
export interface JournalNoticeRecord {
  type: "notice";
  v: number;
  run_id: string;
  at: string;
  kind: "warning" | "summary";
  /** True when at least one channel accepted it. */
  delivered: boolean;
  channels: { channel: string; ok: boolean; error: string | null }[];
  workspaces: { id: string; owner: string; name: string; window_start: string; due_at: string }[];
}

export type JournalRecord = JournalRunRecord | JournalWorkspaceRecord | JournalIntentRecord | JournalRunEndRecord | JournalNoticeRecord;

/** When a record was written (ms since the epoch; NaN for a record without a time). */
export function recordTime(r: JournalRecord): number {
  return Date.parse(r.type === "run" ? r.started_at : r.at);
}

/** `$XDG_STATE_HOME/coder-agents/<file>` (XDG_STATE_HOME defaults to ~/.local/state). */
export function stateDir(env: Record<string, string | undefined>, home: string): string {
  const base = env.XDG_STATE_HOME && isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : join(home, ".local", "state");
  return join(base, "coder-agents");
}

/** A path from the config file: `~/…` is under the home directory, a relative path is relative to cwd. */
export function resolveConfiguredPath(configured: string, home: string, cwd: string): string {
  return resolve(cwd, configured.startsWith("~/") ? join(home, configured.slice(2)) : configured);
}

/** The journal file: `journal.path` (relative to `base`) or the default under the state dir. */
export function resolveJournalPath(configured: string, env: Record<string, string | undefined>, home: string, base: string): string {
  if (configured) return resolveConfiguredPath(configured, home, base);
  return join(stateDir(env, home), "journal.ndjson");
}

/** This run's journal file (a relative `journal.path` resolves against the config file's directory). */
export function journalPathFor(ctx: { config: { journal: { path: string } }; env: Record<string, string | undefined>; home: string; configDir: string }): string {
  return resolveJournalPath(ctx.config.journal.path, ctx.env, ctx.home, ctx.configDir);
}

/** A sortable, unique run id: "20260105T193000Z-3f9a1c". */
export function newRunId(at: DateTime): string {
  return `${at.toUTC().toFormat("yyyyMMdd'T'HHmmss'Z'")}-${randomBytes(3).toString("hex")}`;
}

/**
 * Opens `path` for appending (read-write, created 0600) without following a symlink at the path
 * itself: a pre-existing link (planted, or left by an admin) would otherwise redirect the
 * records to its target and get that target's mode changed. Refused with a clear message.
 */
export function openNoFollow(path: string, what: string): number {
  try {
    return openSync(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ELOOP") {
      throw new Error(`${path} is a symbolic link; refusing to follow it for the ${what} (remove the link, or point the setting at the real file)`, { cause: err });
    }
    throw err;
  }
}

/**
 * Makes the state directory private as promised (0700): created so if missing, and an existing
 * one that is group- or world-accessible is tightened when this user owns it. Never throws: an
 * unusable directory is reported by whatever then fails to write into it.
 */
export function ensurePrivateDir(dir: string, create: boolean): void {
  try {
    if (create) mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    if (st.isDirectory() && (st.mode & 0o077) !== 0 && (process.getuid === undefined || st.uid === process.getuid())) chmodSync(dir, 0o700);
  } catch {
    /* missing or not ours: nothing to tighten */
  }
}

export interface JournalOptions {
  /** Called with each failure and the record that could not be written (null for open errors). */
  onError?: (err: Error, record: JournalRecord | null) => void;
  /** Scrubs secrets from each record before it is written (the run's Secrets.redactValue). */
  redact?: <T>(record: T) => T;
}

export class Journal {
  private fd: number | null = null;
  private firstError: string | null = null;

  private constructor(
    readonly path: string,
    private readonly opts: JournalOptions,
  ) {}

  /**
   * Opens (creating directories 0700 and the file 0600) for appending. Never throws: an open
   * failure leaves the journal in the failed state, and every later append reports its record.
   */
  static open(path: string, opts: JournalOptions = {}): Journal {
    const j = new Journal(path, opts);
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const fd = openNoFollow(path, "journal");
      j.fd = fd;
      const st = fstatSync(fd);
      // Only the journal's own regular file is tightened: never chmod a device or FIFO it points at.
      if (st.isFile() && (st.mode & 0o077) !== 0) fchmodSync(fd, 0o600);
      if (st.size > 0) {
        // Terminate a torn last line so the next record starts on its own line.
        const last = Buffer.alloc(1);
        readSync(fd, last, 0, 1, st.size - 1);
        if (last[0] !== 0x0a) {
          writeSync(fd, "\n");
          fsyncSync(fd);
        }
      }
    } catch (err) {
      j.fail(err as Error, null);
      if (j.fd !== null) {
        try {
          closeSync(j.fd);
        } catch {
          /* already failing */
        }
        j.fd = null;
      }
    }
    return j;
  }

  /** The first write error of this run, or null. */
  get error(): string | null {
    return this.firstError;
  }

  /** Appends one record (one line, fsynced). Returns false (and reports) on failure; never throws. */
  append(record: JournalRecord): boolean {
    if (this.fd === null) {
      // The open already failed (and said why, with the path): repeat that message, not a new prefix.
      const msg = this.firstError ?? `journal ${this.path}: journal is not open`;
      this.firstError ??= msg;
      this.opts.onError?.(new Error(msg), record);
      return false;
    }
    try {
      writeSync(this.fd, JSON.stringify(this.opts.redact ? this.opts.redact(record) : record) + "\n");
      fsyncSync(this.fd);
      return true;
    } catch (err) {
      this.fail(err as Error, record);
      return false;
    }
  }

  close(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch (err) {
      this.fail(err as Error, null);
    }
    this.fd = null;
  }

  private fail(err: Error, record: JournalRecord | null): void {
    const msg = `journal ${this.path}: ${err.message}`;
    this.firstError ??= msg;
    this.opts.onError?.(new Error(msg, { cause: err }), record);
  }
}

export interface JournalContents {
  records: JournalRecord[];
  /** Lines that were not valid records (a torn last line after a crash, or damage). */
  skipped: number;
  /** True when the file does not exist (nothing was ever journaled). */
  missing: boolean;
}

const RECORD_TYPES = new Set(["run", "workspace", "intent", "run-end", "notice"]);

/**
 * A record this reader understands: a known type with a run id, version 1 or 2 (a record without
 * `v` is taken as version 1). A record of a later version is not guessed at: it is skipped and
 * counted like a damaged line, so an older tool never acts on a format it does not know.
 */
function isRecord(v: unknown): v is JournalRecord {
  if (typeof v !== "object" || v === null) return false;
  const r = v as Record<string, unknown>;
  if (r.v !== undefined && !(typeof r.v === "number" && r.v >= 1 && r.v <= JOURNAL_VERSION)) return false;
  if (r.type === "intent" && typeof r.intent_id !== "string") return false;
  return typeof r.type === "string" && RECORD_TYPES.has(r.type) && typeof r.run_id === "string";
}

/** Reads every record, skipping (and counting) lines that do not parse. Throws on read errors other than ENOENT. */
export function readJournal(path: string): JournalContents {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { records: [], skipped: 0, missing: true };
    throw err;
  }
  const records: JournalRecord[] = [];
  let skipped = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const v = JSON.parse(line) as unknown;
      if (isRecord(v)) records.push(v);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { records, skipped, missing: false };
}

/** A journal line longer than this is not a record (records are about 1 KB): skipped without being held. */
export const MAX_JOURNAL_LINE_BYTES = 1024 * 1024;
const READ_CHUNK_BYTES = 256 * 1024;

/**
 * The journal's lines, newest first, read backwards in fixed-size chunks: memory stays bounded by
 * one chunk plus one line whatever the file's size, and a caller that has what it needs stops
 * early (breaking out of the loop) without reading the older part at all. An over-long line
 * yields null (counted as skipped by the caller). Throws on read errors; a missing file yields nothing.
 */
export function* journalLinesNewestFirst(path: string, o: { chunkBytes?: number; maxLineBytes?: number } = {}): Generator<string | null> {
  const chunkBytes = o.chunkBytes ?? READ_CHUNK_BYTES;
  const maxLine = o.maxLineBytes ?? MAX_JOURNAL_LINE_BYTES;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error(`EISDIR: ${path} is a directory`), { code: "EISDIR" });
    if (!st.isFile()) throw new Error(`${path} is not a regular file`);
    let pos = st.size;
    // The end of the line being assembled (its later parts), newest part last.
    let parts: Buffer[] = [];
    let partLen = 0;
    let overlong = false;
    const emit = (head: Buffer): string | null | undefined => {
      if (overlong || partLen + head.length > maxLine) {
        overlong = false;
        parts = [];
        partLen = 0;
        return null;
      }
      const line = parts.length === 0 ? head.toString("utf8") : Buffer.concat([head, ...parts]).toString("utf8");
      parts = [];
      partLen = 0;
      return line.trim() === "" ? undefined : line;
    };
    const buf = Buffer.alloc(chunkBytes);
    while (pos > 0) {
      const len = Math.min(chunkBytes, pos);
      pos -= len;
      let n = 0;
      while (n < len) {
        const r = readSync(fd, buf, n, len - n, pos + n);
        if (r === 0) throw new Error(`${path} shrank while being read`);
        n += r;
      }
      let end = len;
      for (let i = len - 1; i >= 0; i--) {
        if (buf[i] !== 0x0a) continue;
        const line = emit(Buffer.from(buf.subarray(i + 1, end)));
        if (line !== undefined) yield line;
        end = i;
      }
      if (end > 0) {
        if (overlong || partLen + end > maxLine) {
          overlong = true;
          parts = [];
          partLen = 0;
        } else {
          parts.unshift(Buffer.from(buf.subarray(0, end)));
          partLen += end;
        }
      }
    }
    const first = emit(Buffer.alloc(0));
    if (first !== undefined) yield first;
  } finally {
    closeSync(fd);
  }
}

/**
 * Visits the journal's records newest first (streamed, see journalLinesNewestFirst) until `visit`
 * returns false. Lines that are not records are counted as skipped.
 */
export function scanJournalNewestFirst(path: string, visit: (r: JournalRecord) => boolean, o: { chunkBytes?: number } = {}): { skipped: number; missing: boolean } {
  if (!existsSync(path)) return { skipped: 0, missing: true };
  let skipped = 0;
  for (const line of journalLinesNewestFirst(path, o)) {
    let v: unknown;
    try {
      v = line === null ? null : (JSON.parse(line) as unknown);
    } catch {
      v = null;
    }
    if (!isRecord(v)) {
      skipped++;
      continue;
    }
    if (!visit(v)) break;
  }
  return { skipped, missing: false };
}

/** The records of one run, in file order. */
export function recordsForRun(records: readonly JournalRecord[], runId: string): JournalRecord[] {
  return records.filter((r) => r.run_id === runId);
}

/** The records of every run that started at or after `since` (whole runs, in file order). */
export function recordsSince(records: readonly JournalRecord[], since: DateTime): JournalRecord[] {
  const t = since.toMillis();
  const runs = new Set(records.filter((r): r is JournalRunRecord => r.type === "run" && Date.parse(r.started_at) >= t).map((r) => r.run_id));
  return records.filter((r) => runs.has(r.run_id));
}

/** The run ids in the journal, oldest first. */
export function runIds(records: readonly JournalRecord[]): string[] {
  return records.filter((r): r is JournalRunRecord => r.type === "run").map((r) => r.run_id);
}
