/**
 * Reading the journal newest first as a stream (rollback, quiet-hours warnings): the same records
 * as reading it whole, at any chunk size, and reading stops as soon as the answer is known.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { alreadyUndone, rollbackRecords, selectRuns, stopsToUndo } from "../../src/commands/rollback.js";
import { journalLinesNewestFirst, readJournal, scanJournalNewestFirst, type JournalRecord } from "../../src/exec/journal.js";
import { warnedAlready, warnedSince } from "../../src/exec/notify-hooks.js";

const dir = mkdtempSync(join(tmpdir(), "journal-stream-"));
let n = 0;
const file = (text: string) => {
  const p = join(dir, `j${n++}.ndjson`);
  writeFileSync(p, text);
  return p;
};

const at = (min: number) => new Date(Date.UTC(2026, 0, 5, 12, 0) + min * 60_000).toISOString();
const runRec = (id: string, min: number, transition: "stop" | "start" = "stop"): JournalRecord => ({
  type: "run", v: 1, run_id: id, command: transition === "stop" ? "quiet-hours" : "rollback", mode: "execute", now: at(min), config_hash: "h", started_at: at(min), transition, planned: 1,
});
const wsRec = (runId: string, min: number, ws: string, action: "stop" | "start", buildId: string, stopBuild?: string): JournalRecord => ({
  type: "workspace", v: 1, run_id: runId, at: at(min), action,
  workspace: { id: ws, owner: "alice", name: ws, template: "t", organization: "o" },
  category: "c", reasons: [], outcome: action === "stop" ? "stopped" : "started", error: null, build_id: buildId,
  evidence: stopBuild ? { stop_build_id: stopBuild } : {},
});

describe("journalLinesNewestFirst", () => {
  it("yields the same non-empty lines as the file read whole, reversed, at any chunk size (torn and blank lines included)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ maxLength: 40 }).map((s) => s.replace(/\n/g, "")), fc.constant(""), fc.constant("   ")), { maxLength: 30 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 64 }),
        (lines, trailingNewline, chunk) => {
          const text = lines.join("\n") + (trailingNewline ? "\n" : "");
          const p = file(text);
          const expected = text.split("\n").filter((l) => l.trim() !== "").reverse();
          expect([...journalLinesNewestFirst(p, { chunkBytes: chunk })]).toEqual(expected);
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });

  it("an over-long line is skipped as one null, without being held; its neighbours survive", () => {
    const p = file(`first\n${"x".repeat(300)}\nlast\n`);
    expect([...journalLinesNewestFirst(p, { chunkBytes: 7, maxLineBytes: 100 })]).toEqual(["last", null, "first"]);
  });

  it("stops reading as soon as the visitor says so", () => {
    const records = Array.from({ length: 50 }, (_v, i) => runRec(`r${i}`, i));
    const p = file(records.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const seen: string[] = [];
    scanJournalNewestFirst(p, (r) => (seen.push(r.run_id), seen.length < 3), { chunkBytes: 16 });
    expect(seen).toEqual(["r49", "r48", "r47"]);
    expect(scanJournalNewestFirst(join(dir, "missing.ndjson"), () => true)).toEqual({ skipped: 0, missing: true });
  });
});

describe("rollbackRecords (streamed) decides what reading the whole journal decides", () => {
  const records: JournalRecord[] = [
    runRec("old", 0),
    wsRec("old", 1, "w1", "stop", "b-old-1"),
    runRec("a", 100),
    wsRec("a", 101, "w1", "stop", "b-a-1"),
    runRec("b", 110), // interleaved with a
    wsRec("a", 111, "w2", "stop", "b-a-2"),
    wsRec("b", 112, "w3", "stop", "b-b-3"),
    { type: "notice", v: 1, run_id: "notice-x", at: at(113), kind: "warning", delivered: true, channels: [], workspaces: [] },
    runRec("rb", 120, "start"),
    wsRec("rb", 121, "w2", "start", "b-start", "b-a-2"),
    "torn {" as unknown as JournalRecord,
  ];
  const text = records.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join("\n");
  const p = file(text);
  const whole = readJournal(p);
  const decide = (rs: readonly JournalRecord[], o: { run?: string; since: DateTime }) => {
    const runs = selectRuns(rs, o);
    return { runs: runs.map((r) => r.run_id), stops: stopsToUndo(rs, new Set(runs.map((r) => r.run_id))), undone: [...alreadyUndone(rs)] };
  };

  for (const since of [at(-10), at(50), at(105), at(115)]) {
    it(`--since ${since}`, () => {
      const o = { since: DateTime.fromISO(since) };
      for (const chunk of [8, 64, 4096]) {
        const streamed = rollbackRecords(p, o, { chunkBytes: chunk });
        expect(decide(streamed.records, o)).toEqual(decide(whole.records, o));
        expect(streamed.skipped).toBe(1);
      }
    });
  }

  it("--run: reading stops at that run's record, with the same decision", () => {
    const o = { run: "a", since: DateTime.fromISO(at(0)) };
    const streamed = rollbackRecords(p, o, { chunkBytes: 8 });
    expect(decide(streamed.records, o)).toEqual(decide(whole.records, o));
    expect(streamed.records.some((r) => r.run_id === "old")).toBe(false);
    expect(() => decide(rollbackRecords(p, { run: "nope", since: o.since }).records, { run: "nope", since: o.since })).toThrow(/no such run.*a \(quiet-hours\)/);
  });
});

describe("warnedSince (streamed) finds the warnings of the windows in question", () => {
  it("matches the whole-journal answer for these windows, and stops a day before the earliest window", () => {
    const notice = (min: number, id: string, windowStart: string): JournalRecord => ({
      type: "notice", v: 1, run_id: `notice-${min}`, at: at(min), kind: "warning", delivered: true, channels: [],
      workspaces: [{ id, owner: "alice", name: id, window_start: windowStart, due_at: windowStart }],
    });
    const recs = [notice(-5000, "w1", at(-4990)), notice(-10, "w1", at(0)), notice(-5, "w2", at(0)), runRec("x", 30)];
    const p = file(recs.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const grace = [{ id: "w1", owner: "alice", name: "w1", template: "t", due_at: at(60), window_start: at(0) }];
    const streamed = warnedSince(p, grace, 30, { chunkBytes: 8 });
    expect([...streamed].sort()).toEqual([`w1@${at(0)}`, `w2@${at(0)}`]);
    const all = warnedAlready(readJournal(p).records);
    expect(all.has(`w1@${at(-4990)}`)).toBe(true); // older window: read whole, irrelevant here
    expect(streamed.has(`w1@${at(-4990)}`)).toBe(false);
  });
});
