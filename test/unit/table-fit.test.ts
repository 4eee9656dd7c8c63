import { describe, expect, it } from "vitest";
import { fitNote, fitTable, limitItems, moreLine, selectColumns, unknownColumns } from "../../src/output/table-fit.js";
import { displayWidth, renderTable } from "../../src/output/table.js";
import { StderrLine, barText, makeProgressBar } from "../../src/cli/progress.js";
import { checkModifiers, checkOneMode } from "../../src/cli/modes.js";

const len = (s: string) => s.length;

describe("table fitting", () => {
  const head = ["Workspace", "Owner", "Template", "Reason"];
  const rows = [["alice/dev", "alice", "python-dev", "x".repeat(60)]];

  it("cuts cells over 32 columns first, then drops columns from the right, keeping the first two", () => {
    const f = fitTable(head, rows, 60, len);
    expect(f.dropped).toEqual(["Reason"]);
    expect(f.head).toEqual(["Workspace", "Owner", "Template"]);
    const g = fitTable(head, rows, 30, len);
    expect(g.head.slice(0, 2)).toEqual(["Workspace", "Owner"]);
    expect(g.dropped).toEqual(["Template", "Reason"]);
  });

  it("no fitting without a width; a fitted table never exceeds it", () => {
    expect(fitTable(head, rows, null, len).rows[0]![3]).toHaveLength(60);
    for (const w of [20, 40, 80]) {
      const out = renderTable(head, rows, { color: false, width: w });
      for (const l of out.split("\n")) expect(displayWidth(l), l).toBeLessThanOrEqual(w);
    }
  });

  it("the note names hidden columns and keeps its hint within the width", () => {
    const note = fitNote({ head: [], rows: [], dropped: ["A long column", "Another long column", "Third"], truncated: false }, 40)!;
    expect(note.length).toBeLessThanOrEqual(40);
    expect(note.endsWith("; -o wide shows all)")).toBe(true);
  });

  it("limit and -c", () => {
    expect(limitItems([1, 2, 3], 2)).toEqual({ shown: [1, 2], hidden: 1 });
    expect(limitItems([1, 2, 3], null)).toEqual({ shown: [1, 2, 3], hidden: 0 });
    expect(moreLine(9980)).toBe("… and 9980 more (--limit 0 for all)");
    expect(selectColumns(["Workspace", "Stops at"], ["stops-at", "workspace"])).toEqual([1, 0]);
    const seen = new Set<string>();
    expect(selectColumns(["Workspace", "Status"], ["nope"], seen)).toEqual([0]);
    expect(unknownColumns(["nope", "status"], seen)).toBe('-c/--column: no column "nope" in this report; its columns are: workspace, status');
    expect(unknownColumns(["status"], seen)).toBeNull();
    expect(unknownColumns(["x"], new Set())).toBe("-c/--column: this report has no table");
    const out = renderTable(head, [rows[0]!, rows[0]!, rows[0]!], { color: false, limit: 1, columns: ["owner"] });
    expect(out).toContain("… and 2 more (--limit 0 for all)");
    expect(out).not.toContain("Workspace");
  });
});

describe("progress bar text", () => {
  it("counts, percentage, rate and ETA within the width", () => {
    const t = barText("stopping workspaces", 120, 3000, 60_000, 80);
    expect(t).toMatch(/^stopping workspaces \[█*░+\] 120\/3000 4% · 2\.0\/s · ETA 24m$/);
    expect(t.length).toBeLessThanOrEqual(79);
    expect(barText("x", 5, 10, 1000, 80)).toContain("ETA 1s");
  });
});

describe("progress bar and log lines", () => {
  it("appears after a second; a log line clears it, prints on its own line and the bar is redrawn below", () => {
    const out: string[] = [];
    const line = new StderrLine((s) => out.push(s), true, 80);
    let t = 0;
    const bar = makeProgressBar(line, "stopping workspaces", () => t);
    bar.update(1, 10);
    expect(out).toEqual([]); // under a second: quiet
    t = 1500;
    bar.update(3, 10);
    expect(out.at(-1)).toMatch(/^\r\x1b\[2Kstopping workspaces \[[█░]+\] 3\/10 30% · 2\.0\/s · ETA 4s$/);
    line.write("12:00:00 WARN something\n");
    expect(out.at(-1)).toMatch(/^\r\x1b\[2K12:00:00 WARN something\nstopping workspaces \[/);
    bar.done();
    expect(out.at(-1)).toBe("\r\x1b[2K");
    line.write("after\n");
    expect(out.at(-1)).toBe("after\n");
  });

  it("is off when stderr is not a terminal", () => {
    const out: string[] = [];
    let t = 0;
    const bar = makeProgressBar(new StderrLine((s) => out.push(s), false, 80), "x", () => t);
    t = 5000;
    bar.update(1, 2);
    expect(out).toEqual([]);
  });
});

describe("mode rules", () => {
  it("one mode; modifiers need the acting flag", () => {
    expect(() => checkOneMode({ "--status": true, "--execute": true })).toThrow("conflicting modes --status and --execute: choose one");
    expect(() => checkOneMode({ "--status": true, "--execute": false })).not.toThrow();
    expect(() => checkModifiers({ "--dry-run": true }, false, "--cleanup")).toThrow("--dry-run only modifies --cleanup, which was not given (--cleanup --dry-run shows what would be done)");
    expect(() => checkModifiers({ "--dry-run": true }, true)).not.toThrow();
  });
});
