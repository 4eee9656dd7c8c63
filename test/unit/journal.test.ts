import { appendFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { Journal, newRunId, readJournal, recordsForRun, recordsSince, resolveJournalPath, type JournalRecord } from "../../src/exec/journal.js";

const run = (id: string, started: string): JournalRecord => ({
  type: "run", v: 1, run_id: id, command: "quiet-hours", mode: "execute", now: started, config_hash: "h", started_at: started, transition: "stop", planned: 1,
});
const end = (id: string): JournalRecord => ({
  type: "run-end", v: 1, run_id: id, at: "2026-01-05T19:31:00Z", summary: { planned: 1, succeeded: 1, skipped: 0, failed: 0 }, interrupted: null, journal_error: null,
});

describe("journal", () => {
  it("creates private directories and file, appends one line per record", () => {
    const dir = mkdtempSync(join(tmpdir(), "journal-"));
    const path = join(dir, "state", "coder-agents", "journal.ndjson");
    const j = Journal.open(path);
    expect(j.append(run("r1", "2026-01-05T19:30:00Z"))).toBe(true);
    expect(j.append(end("r1"))).toBe(true);
    j.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
    expect(readFileSync(path, "utf8").split("\n")).toHaveLength(3);
    expect(readJournal(path)).toMatchObject({ skipped: 0, missing: false, records: [{ type: "run" }, { type: "run-end" }] });
  });

  it("tolerates a torn last line and does not let it swallow the next record", () => {
    const dir = mkdtempSync(join(tmpdir(), "journal-"));
    const path = join(dir, "j.ndjson");
    const j = Journal.open(path);
    j.append(run("r1", "2026-01-05T19:30:00Z"));
    j.close();
    appendFileSync(path, '{"type":"workspace","run_id":"r1","outc');
    expect(readJournal(path)).toMatchObject({ skipped: 1, records: [{ run_id: "r1" }] });
    const j2 = Journal.open(path);
    j2.append(run("r2", "2026-01-05T20:30:00Z"));
    j2.close();
    const c = readJournal(path);
    expect(c.skipped).toBe(1);
    expect(c.records.map((r) => r.run_id)).toEqual(["r1", "r2"]);
  });

  it("selects records by run and by start time", () => {
    const recs = [run("a", "2026-01-05T10:00:00Z"), end("a"), run("b", "2026-01-05T19:00:00Z"), end("b")];
    expect(recordsForRun(recs, "b")).toHaveLength(2);
    expect(recordsSince(recs, DateTime.fromISO("2026-01-05T18:00:00Z")).map((r) => r.run_id)).toEqual(["b", "b"]);
  });

  it("a missing file reads as empty; the default path follows XDG_STATE_HOME", () => {
    expect(readJournal("/nonexistent/journal.ndjson")).toEqual({ records: [], skipped: 0, missing: true });
    expect(resolveJournalPath("", { XDG_STATE_HOME: "/s" }, "/home/u", "/cwd")).toBe("/s/coder-agents/journal.ndjson");
    expect(resolveJournalPath("", {}, "/home/u", "/cwd")).toBe("/home/u/.local/state/coder-agents/journal.ndjson");
    expect(resolveJournalPath("j.ndjson", {}, "/home/u", "/cwd")).toBe("/cwd/j.ndjson");
    expect(newRunId(DateTime.fromISO("2026-01-05T19:30:00Z"))).toMatch(/^20260105T193000Z-[0-9a-f]{6}$/);
  });

  it("write failures are reported, not thrown", () => {
    const errors: string[] = [];
    const dir = mkdtempSync(join(tmpdir(), "journal-"));
    writeFileSync(join(dir, "plain-file"), "");
    const j = Journal.open(join(dir, "plain-file", "j.ndjson"), { onError: (e) => errors.push(e.message) });
    expect(j.append(run("r", "2026-01-05T19:30:00Z"))).toBe(false);
    expect(j.error).toMatch(/journal .*plain-file/);
    expect(errors.length).toBe(2);
    // Each record's error names the journal once (not "journal X: journal X: ENOTDIR").
    expect(errors[1]).toBe(errors[0]);
    expect(errors[1]!.match(/journal /g)).toHaveLength(1);
  });
});
