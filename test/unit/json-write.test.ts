import fc from "fast-check";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { writeJson } from "../../src/output/json-write.js";

function written(value: unknown, chunkChars?: number): { text: string; chunks: string[] } {
  const chunks: string[] = [];
  writeJson(value, (c) => void chunks.push(c), chunkChars);
  return { text: chunks.join(""), chunks };
}

describe("writeJson", () => {
  it("writes exactly what JSON.stringify writes, for any JSON-like value and chunk size", () => {
    fc.assert(
      fc.property(fc.anything({ withObjectString: true, withNullPrototype: true }), fc.integer({ min: 1, max: 64 }), (v, size) => {
        expect(written(v, size).text).toBe(JSON.stringify(v) ?? "");
      }),
      { numRuns: 500 },
    );
  });

  it("leaves out what JSON.stringify leaves out and follows toJSON", () => {
    const at = DateTime.fromISO("2026-01-05T19:30:00Z", { zone: "utc" });
    const doc = { a: undefined, b: () => 1, c: [undefined, () => 1, Symbol("s"), 1], d: at, e: new Date(0), f: { g: undefined }, h: null, z: "x" };
    expect(written(doc, 1).text).toBe(JSON.stringify(doc));
  });

  it("cuts a large document into chunks between whole values, never holding it as one string", () => {
    const entries = Array.from({ length: 1000 }, (_, i) => ({ id: `ws-${i}`, name: `a "quoted", name: ${i}`, deadline: null }));
    const doc = { schema_version: 1, workspaces: { running: entries, stopped: [] } };
    const { text, chunks } = written(doc, 4096);
    expect(text).toBe(JSON.stringify(doc));
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks) expect(c.length).toBeLessThan(4096 + 200);
    // Every chunk but the last ends right after a complete entry (and its comma, if any).
    for (const c of chunks.slice(0, -1)) expect(c).toMatch(/"deadline":null\}$/);
  });
});
