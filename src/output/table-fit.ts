/**
 * How human tables meet the terminal (pure): `-c/--column` picks and orders columns, `--limit`
 * cuts the rows ("… and N more"), and a table wider than the terminal is fitted in a stated order:
 *   1. cells wider than 32 columns are truncated with "…";
 *   2. columns are dropped from the right (the first two, which name the workspace, always stay);
 *   3. the widest remaining column is truncated until the table fits.
 * `-o wide` turns fitting off. A note under the table names what was dropped.
 */

export interface TableView {
  color: boolean;
  /** Terminal width to fit into; null = no fitting (not a terminal and no COLUMNS, or -o wide). */
  width: number | null;
  /** At most this many rows (null = all). */
  limit: number | null;
  /** `-c/--column`: column names (normalised), in the order wanted; null = every column. */
  columns: string[] | null;
  /** Collects the (normalised) column names of every table rendered, so `-c` names can be checked against the whole report. */
  seen?: Set<string> | undefined;
}

export const MORE_HINT = "(--limit 0 for all)";

/** "… and 9,980 more (--limit 0 for all)", or null when nothing was cut. */
export function moreLine(hidden: number): string | null {
  return hidden > 0 ? `… and ${hidden} more ${MORE_HINT}` : null;
}

/** The first `limit` items and how many were left out. */
export function limitItems<T>(items: readonly T[], limit: number | null): { shown: T[]; hidden: number } {
  if (limit === null || limit <= 0 || items.length <= limit) return { shown: [...items], hidden: 0 };
  return { shown: items.slice(0, limit), hidden: items.length - limit };
}

/** A column name as `-c` compares it: lower case, spaces and underscores as dashes. */
export function normColumn(s: string): string {
  return s.trim().toLowerCase().replace(/[\s_]+/g, "-");
}

/**
 * `-c` selection: the indexes of the wanted columns, in the order asked. A report may hold several
 * tables with different columns: names a table lacks are skipped there, and a table with none of
 * them keeps its first column (which names the workspace). Names no table of the report has are
 * reported by `unknownColumns` once the report is rendered.
 */
export function selectColumns(head: string[], wanted: string[] | null, seen?: Set<string>): number[] {
  const names = head.map(normColumn);
  for (const n of names) seen?.add(n);
  const all = head.map((_, i) => i);
  if (!wanted || wanted.length === 0) return all;
  const picked = wanted.map((w) => names.indexOf(w)).filter((i) => i >= 0);
  return picked.length > 0 ? picked : [0];
}

/** The `-c` names that no table of the report has, or null when all are known. */
export function unknownColumns(wanted: string[] | null, seen: Set<string>): string | null {
  if (!wanted) return null;
  const unknown = wanted.filter((w) => !seen.has(w));
  if (unknown.length === 0) return null;
  if (seen.size === 0) return `-c/--column: this report has no table`;
  return `-c/--column: no column ${unknown.map((u) => `"${u}"`).join(", ")} in this report; its columns are: ${[...seen].join(", ")}`;
}

export interface Fitted {
  head: string[];
  rows: string[][];
  /** Columns dropped to fit (their headers). */
  dropped: string[];
  truncated: boolean;
}

const MAX_CELL = 32;

/** Width of a boxed table with these column widths: "│ a │ b │". */
export function boxWidth(widths: number[]): number {
  return widths.reduce((a, w) => a + w + 3, 1);
}

/** Fits head+rows into `width` terminal columns (see the module comment for the order). */
export function fitTable(head: string[], rows: string[][], width: number | null, measure: (s: string) => number): Fitted {
  if (width === null) return { head, rows, dropped: [], truncated: false };
  let cols = head.map((_, i) => i);
  const natural = head.map((h, i) => Math.max(measure(h), ...rows.map((r) => measure(r[i] ?? ""))));
  const caps = natural.map((w) => w);
  const total = () => boxWidth(cols.map((i) => caps[i]!));
  let truncated = false;
  if (total() > width) {
    for (const i of cols) {
      if (caps[i]! > MAX_CELL) {
        caps[i] = MAX_CELL;
        truncated = true;
      }
    }
  }
  const dropped: string[] = [];
  while (total() > width && cols.length > 2) {
    const gone = cols.pop()!;
    dropped.unshift(head[gone]!);
  }
  while (total() > width) {
    let widest = cols[0]!;
    for (const i of cols) if (caps[i]! > caps[widest]!) widest = i;
    if (caps[widest]! <= 4) break;
    caps[widest] = caps[widest]! - 1;
    truncated = true;
  }
  const cut = (s: string, w: number) => truncateTo(s, w, measure);
  return {
    head: cols.map((i) => cut(head[i]!, caps[i]!)),
    rows: rows.map((r) => cols.map((i) => cut(r[i] ?? "", caps[i]!))),
    dropped,
    truncated,
  };
}

/** `s` cut to `w` terminal columns, ending in "…" when cut. */
export function truncateTo(s: string, w: number, measure: (s: string) => number): string {
  if (measure(s) <= w) return s;
  let out = "";
  for (const ch of s) {
    if (measure(out + ch) > w - 1) break;
    out += ch;
  }
  return out + "…";
}

/** The note under a fitted table (within `width`: the list of hidden columns is cut, not the hint), or null. */
export function fitNote(f: Fitted, width: number | null = null): string | null {
  if (f.dropped.length === 0 && !f.truncated) return null;
  if (!f.dropped.length) return "(cells cut to fit; -o wide shows all)";
  const tail = "; -o wide shows all)";
  const head = "(hidden to fit: ";
  const names = f.dropped.join(", ");
  const room = width === null ? Infinity : width - head.length - tail.length;
  return `${head}${names.length <= room ? names : names.slice(0, Math.max(0, room - 1)) + "…"}${tail}`;
}
