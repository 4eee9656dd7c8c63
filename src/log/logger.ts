/**
 * pino logging to stderr (human-readable lines on a TTY, JSON otherwise) and optionally to a file
 * with size-based rotation. Every line passes through the run's redaction (src/log/redact.ts).
 */
import { closeSync, existsSync, fstatSync, fsyncSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { openNoFollow } from "../exec/journal.js";
import { Writable } from "node:stream";
import pino, { type Logger } from "pino";

export type { Logger };

export interface LoggerOptions {
  level: string;
  stderr: { write(s: string): void; isTTY?: boolean };
  color: boolean;
  file?: { path: string; maxBytes: number; backupCount: number } | undefined;
  /** Scrubs secrets from every log line (the run's Secrets.redact). */
  redact: (s: string) => string;
}

const LEVEL_NAMES: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };

/** Maps the Python agents' level names (INFO, WARNING, CRITICAL) to pino's. */
export function pinoLevel(level: string): string {
  const l = level.toLowerCase();
  if (l === "warning") return "warn";
  if (l === "critical") return "fatal";
  return l;
}

/** A size-rotating append-only file: agents.log, agents.log.1 … agents.log.N. */
export class RotatingFile {
  private fd: number;
  private size: number;
  constructor(
    private readonly path: string,
    private readonly maxBytes: number,
    private readonly backupCount: number,
  ) {
    this.fd = openNoFollow(path, "log file");
    this.size = fstatSync(this.fd).size;
  }
  write(line: string): void {
    const buf = Buffer.from(line);
    if (this.size > 0 && this.size + buf.length > this.maxBytes) this.rotate();
    writeSync(this.fd, buf);
    this.size += buf.length;
  }
  private rotate(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
    if (this.backupCount <= 0) {
      rmSync(this.path, { force: true });
    } else {
      const oldest = `${this.path}.${this.backupCount}`;
      if (existsSync(oldest)) rmSync(oldest, { force: true });
      for (let i = this.backupCount - 1; i >= 1; i--) {
        const from = `${this.path}.${i}`;
        if (existsSync(from)) renameSync(from, `${this.path}.${i + 1}`);
      }
      renameSync(this.path, `${this.path}.1`);
    }
    this.fd = openNoFollow(this.path, "log file");
    this.size = 0;
  }
  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }
  static sizeOf(path: string): number {
    return existsSync(path) ? statSync(path).size : 0;
  }
}

function pretty(line: string, color: boolean): string {
  try {
    const o = JSON.parse(line) as Record<string, unknown>;
    const { level, time, msg, pid: _pid, hostname: _h, ...rest } = o;
    const name = LEVEL_NAMES[Number(level)] ?? String(level);
    const t = typeof time === "number" ? new Date(time).toISOString().slice(11, 19) : "";
    const extras = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : "";
    const paint = (s: string) => {
      if (!color) return s;
      const c = Number(level) >= 50 ? 31 : Number(level) >= 40 ? 33 : 2;
      return `\x1b[${c}m${s}\x1b[0m`;
    };
    return `${paint(`${t} ${name}`)} ${String(msg)}${extras}\n`;
  } catch {
    return line;
  }
}

export function createLogger(o: LoggerOptions): { logger: Logger; close(): void } {
  let file: RotatingFile | undefined;
  if (o.file) {
    try {
      file = new RotatingFile(o.file.path, o.file.maxBytes, o.file.backupCount);
    } catch (err) {
      // A missing directory or a read-only cwd (systemd's is /) must not stop the run: the log
      // still goes to stderr, and this is said once.
      o.stderr.write(`log file ${o.file.path}: ${(err as Error).message}; file logging disabled for this run\n`);
    }
  }
  const human = !!o.stderr.isTTY;
  let fileBroken = false;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const line = o.redact(chunk.toString("utf8"));
      try {
        o.stderr.write(human ? pretty(line, o.color) : line);
      } catch {
        /* stderr closed: nothing more we can do */
      }
      if (file && !fileBroken) {
        try {
          file.write(line);
        } catch (err) {
          // A full disk or a vanished directory must not stop the run: say so once on stderr.
          fileBroken = true;
          o.stderr.write(`log file ${o.file?.path}: ${(err as Error).message}; file logging disabled for this run\n`);
        }
      }
      cb();
    },
  });
  const logger = pino({ level: pinoLevel(o.level), base: undefined }, sink);
  return { logger, close: () => file?.close() };
}
