/** cli-table3 tables with the tool's look; colour only when allowed. */
import Table from "cli-table3";

export function renderTable(head: string[], rows: (string | number)[][], opts: { color: boolean }): string {
  const t = new Table({
    head,
    style: { head: opts.color ? ["cyan"] : [], border: opts.color ? ["grey"] : [], compact: false },
    wordWrap: false,
  });
  for (const r of rows) t.push(r.map((c) => String(c)));
  return t.toString();
}
