import { describe, expect, it } from "vitest";
import { displayWidth, LONG_TABLE_ROWS, renderTable } from "../../src/output/table.js";

describe("tables", () => {
  it("renders small tables with cli-table3", () => {
    const t = renderTable(["Owner", "Workspace"], [["alice", "dev"]], { color: false });
    expect(t.split("\n")).toEqual([
      "┌───────┬───────────┐",
      "│ Owner │ Workspace │",
      "├───────┼───────────┤",
      "│ alice │ dev       │",
      "└───────┴───────────┘",
    ]);
  });

  it("renders long tables directly with the same frame and aligned columns", () => {
    const rows = Array.from({ length: LONG_TABLE_ROWS + 5 }, (_, i) => [`user${i}`, i % 2 ? "running" : "stopped"]);
    const lines = renderTable(["Owner", "Status"], rows, { color: false }).split("\n");
    expect(lines).toHaveLength(rows.length + 4);
    expect(lines[0]).toBe("┌─────────┬─────────┐");
    expect(lines[1]).toBe("│ Owner   │ Status  │");
    expect(lines[3]).toBe("│ user0   │ stopped │");
    expect(lines.at(-2)).toBe("│ user104 │ stopped │");
    expect(lines.at(-1)).toBe("└─────────┴─────────┘");
    expect(new Set(lines.map(displayWidth)).size).toBe(1);
  });

  it("measures display width of emoji and ANSI-coloured text", () => {
    expect(displayWidth("abc")).toBe(3);
    expect(displayWidth("\x1b[31mred\x1b[39m")).toBe(3);
    expect(displayWidth("✅ ok")).toBe(5);
  });
});
