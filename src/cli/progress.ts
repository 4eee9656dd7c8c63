/**
 * The progress bar on stderr at a terminal: counts, percentage, rate and ETA, shown once a step has
 * run for more than a second (short runs stay quiet). Log lines never land inside it: every other
 * stderr write goes through `StderrLine.write`, which clears the bar, writes the line and redraws
 * the bar below it.
 */
import { formatDuration } from "../output/format.js";
import type { Progress } from "./context.js";

const SHOW_AFTER_MS = 1000;
const REDRAW_MS = 100;

export class StderrLine {
  private bar = "";
  constructor(
    private readonly raw: (s: string) => void,
    readonly enabled: boolean,
    readonly width: number,
  ) {}

  /** Writes `s` (log lines) above the bar. */
  write = (s: string): void => {
    if (!this.bar) return this.raw(s);
    this.raw(`\r\x1b[2K${s}${s.endsWith("\n") ? "" : "\n"}${this.bar}`);
  };

  draw(bar: string): void {
    this.bar = bar;
    this.raw(`\r\x1b[2K${bar}`);
  }

  clear(): void {
    if (!this.bar) return;
    this.bar = "";
    this.raw("\r\x1b[2K");
  }
}

/** The bar's text: "label [█████░░░░░] 120/3000 4% · 12.3/s · ETA 3m", fitted to `width`. */
export function barText(label: string, done: number, total: number, elapsedMs: number, width: number): string {
  const pct = total > 0 ? Math.floor((done / total) * 100) : 0;
  const rate = elapsedMs > 0 ? done / (elapsedMs / 1000) : 0;
  const left = rate > 0 && total > done ? Math.ceil((total - done) / rate) : null;
  const eta = left === null ? "" : ` · ETA ${left < 60 ? `${left}s` : formatDuration(left)}`;
  const tail = ` ${done}/${total} ${pct}% · ${rate >= 10 ? rate.toFixed(0) : rate.toFixed(1)}/s${eta}`;
  const room = width - 1 - label.length - tail.length - 3;
  if (room < 5) return `${label}${tail}`.slice(0, Math.max(0, width - 1));
  const cells = Math.min(30, room);
  const filled = total > 0 ? Math.round((done / total) * cells) : 0;
  return `${label} [${"█".repeat(filled)}${"░".repeat(cells - filled)}]${tail}`;
}

export function makeProgressBar(line: StderrLine, label: string, clock: () => number = Date.now): Progress {
  const started = clock();
  let last = 0;
  return {
    update(done, total) {
      if (!line.enabled) return;
      const t = clock();
      if (t - started < SHOW_AFTER_MS) return;
      if (t - last < REDRAW_MS && done < total) return;
      last = t;
      line.draw(barText(label, done, total, t - started, line.width));
    },
    done() {
      line.clear();
    },
  };
}
