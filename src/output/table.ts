/**
 * Tables with the tool's look: cli-table3 for ordinary sizes; for long tables (a 10,000-workspace
 * deployment), the same box drawing rendered directly, because cli-table3 spends about a
 * millisecond per row. Colour only when allowed.
 */
import Table from "cli-table3";
import { fitNote, fitTable, limitItems, moreLine, selectColumns, truncateTo, type TableView } from "./table-fit.js";

/** Above this many rows the direct renderer is used, without separators between rows. */
export const LONG_TABLE_ROWS = 100;

/**
 * A boxed table. With a TableView: `-c` columns, at most `limit` rows ("… and N more"), fitted to
 * the terminal width (see table-fit.ts); without one, every row and column as is.
 */
export function renderTable(head: string[], rows: (string | number)[][], opts: { color: boolean } & Partial<TableView>): string {
  const pick = selectColumns(head, opts.columns ?? null, opts.seen);
  const { shown, hidden } = limitItems(rows, opts.limit ?? null);
  const fitted = fitTable(
    pick.map((i) => head[i]!),
    shown.map((r) => pick.map((i) => String(r[i] ?? ""))),
    opts.width ?? null,
    displayWidth,
  );
  const extra = [moreLine(hidden), fitNote(fitted, opts.width ?? null)]
    .filter((l): l is string => l !== null)
    .map((l) => (opts.width ? truncateTo(l, opts.width, displayWidth) : l));
  return [boxed(fitted.head, fitted.rows, opts.color), ...extra].join("\n");
}

function boxed(head: string[], cells: string[][], color: boolean): string {
  const opts = { color };
  if (cells.length > LONG_TABLE_ROWS) return renderLong(head, cells, opts.color);
  const t = new Table({
    head,
    style: { head: opts.color ? ["cyan"] : [], border: opts.color ? ["grey"] : [], compact: false },
    wordWrap: false,
  });
  for (const r of cells) t.push(r);
  return t.toString();
}

const ANSI = /\x1b\[[0-9;]*m/g;
const WIDE = /[\p{Extended_Pictographic}\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u;

/** Terminal columns a string occupies (ANSI stripped; wide and emoji characters count 2). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s.replace(ANSI, "")) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0xfe0f || cp === 0x200d || (cp >= 0x300 && cp < 0x370)) continue;
    w += WIDE.test(ch) ? 2 : 1;
  }
  return w;
}

function renderLong(head: string[], rows: string[][], color: boolean): string {
  const cols = Math.max(head.length, ...rows.map((r) => r.length));
  const widths = Array.from({ length: cols }, (_, i) => displayWidth(head[i] ?? ""));
  const rowWidths = rows.map((r) => r.map(displayWidth));
  for (const rw of rowWidths) for (let i = 0; i < rw.length; i++) widths[i] = Math.max(widths[i]!, rw[i]!);
  const paint = (code: number, s: string) => (color ? `\x1b[${code}m${s}\x1b[39m` : s);
  const border = (l: string, m: string, r: string) => paint(90, l + widths.map((w) => "─".repeat(w + 2)).join(m) + r);
  const bar = paint(90, "│");
  const line = (cells: string[], ws: number[], code?: number) =>
    bar +
    widths
      .map((w, i) => {
        const c = cells[i] ?? "";
        const text = code ? paint(code, c) : c;
        return ` ${text}${" ".repeat(w - (ws[i] ?? 0))} `;
      })
      .join(bar) +
    bar;
  const out = [border("┌", "┬", "┐"), line(head, head.map(displayWidth), 36), border("├", "┼", "┤")];
  rows.forEach((r, i) => out.push(line(r, rowWidths[i]!)));
  out.push(border("└", "┴", "┘"));
  return out.join("\n");
}
