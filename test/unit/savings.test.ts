import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { computeSavings, journalStops, rateFor, type JournalStop } from "../../src/domain/savings.js";
import type { JournalRecord } from "../../src/exec/journal.js";

const ws = { id: "w1", owner: "alice", name: "dev", template: "python-dev", organization: "engineering" };
const at = (iso: string) => DateTime.fromISO(iso, { zone: "utc" });

function stop(over: Partial<JournalStop> = {}): JournalStop {
  return { run_id: "r1", policy: "quiet-hours", workspace: ws, stop_build_id: "b2", journal_at: "2026-01-05T19:00:00Z", deadline: null, max_deadline: null, ...over };
}

const base = { now: at("2026-01-07T19:00:00Z"), since: at("2025-12-01T00:00:00Z"), rates: [], defaultRate: 1, zone: "UTC" };

describe("rateFor", () => {
  const rates = [
    { template: "gpu", rate: 3 },
    { organization: "research", rate: 1 },
    { template: "gpu", organization: "research", rate: 5 },
  ];
  it("prefers template+organization, then template, then organization, then the default", () => {
    expect(rateFor(rates, 0.1, "gpu", "research")).toBe(5);
    expect(rateFor(rates, 0.1, "gpu", "engineering")).toBe(3);
    expect(rateFor(rates, 0.1, "python", "research")).toBe(1);
    expect(rateFor(rates, 0.1, "python", "engineering")).toBe(0.1);
  });
});

describe("computeSavings", () => {
  it("uses the stop build's time from Coder's history and ends at the first start after it", () => {
    const history = new Map([
      ["w1", [
        { id: "b1", build_number: 1, transition: "start", created_at: "2026-01-05T09:00:00Z" },
        { id: "b2", build_number: 2, transition: "stop", created_at: "2026-01-05T19:00:30Z" },
        { id: "b3", build_number: 3, transition: "start", created_at: "2026-01-06T07:00:30Z", initiator_name: "alice" },
        { id: "b4", build_number: 4, transition: "stop", created_at: "2026-01-06T18:00:00Z" },
      ]],
    ]);
    const r = computeSavings({ ...base, stops: [stop({ deadline: "2026-01-06T09:00:00Z" })], history });
    expect(r.stops[0]).toMatchObject({ stopped_at: "2026-01-05T19:00:30.000Z", until: "2026-01-06T07:00:30.000Z", hours: 12, end_reason: "restarted", restarted_by: "alice", open: false, history: "read" });
  });

  it("a delete ends the saving; an unreadable history counts until the deadline; never negative", () => {
    const deleted = new Map([["w1", [{ id: "b2", build_number: 2, transition: "stop", created_at: "2026-01-05T19:00:00Z" }, { id: "b3", build_number: 3, transition: "delete", created_at: "2026-01-05T21:00:00Z" }]]]);
    expect(computeSavings({ ...base, stops: [stop()], history: deleted }).stops[0]).toMatchObject({ hours: 2, end_reason: "deleted" });
    const unknown = new Map([["w1", null]]);
    expect(computeSavings({ ...base, stops: [stop({ max_deadline: "2026-01-06T01:00:00Z" })], history: unknown }).stops[0]).toMatchObject({ hours: 6, end_reason: "max_deadline", history: "unavailable" });
    expect(computeSavings({ ...base, stops: [stop({ deadline: "2026-01-05T18:00:00Z" })], history: unknown }).stops[0]).toMatchObject({ hours: 0, end_reason: "deadline" });
  });

  it("keeps stops inside [since, now] only, and groups weeks in the given zone", () => {
    const none = new Map([["w1", null]]);
    // Sunday 23:30 UTC is already Monday (next ISO week) in Sydney.
    const stops = [stop({ journal_at: "2026-01-04T23:30:00Z", deadline: "2026-01-05T00:30:00Z" }), stop({ stop_build_id: "late", journal_at: "2026-01-08T00:00:00Z" })];
    const utc = computeSavings({ ...base, stops, history: none });
    expect(utc.stops.map((s) => s.week)).toEqual(["2026-W01"]);
    const sydney = computeSavings({ ...base, zone: "Australia/Sydney", stops, history: none });
    expect(sydney.by_week).toEqual([{ key: "2026-W02", stops: 1, hours: 1, cost: 1 }]);
  });
});

describe("journalStops", () => {
  it("takes stopped records of execute runs once per build, not dry runs, failures or starts", () => {
    const run = (run_id: string, mode: string) => ({ type: "run", v: 1, run_id, command: "prune", mode, now: "", config_hash: "", started_at: "2026-01-05T19:00:00Z", transition: "stop", planned: 1 }) as JournalRecord;
    const rec = (run_id: string, outcome: string, build_id: string | null, action = "stop") =>
      ({ type: "workspace", v: 1, run_id, at: "2026-01-05T19:00:00Z", action, workspace: ws, category: "prune", reasons: [], outcome, error: null, build_id, evidence: { deadline: "2026-01-06T00:00:00Z", max_deadline: 5 } }) as unknown as JournalRecord;
    const stops = journalStops([run("e", "execute"), run("d", "dry-run"), rec("e", "stopped", "b1"), rec("e", "stopped", "b1"), rec("d", "would-stop", null), rec("e", "failed", null), rec("e", "started", "b9", "start")]);
    expect(stops).toEqual([{ run_id: "e", policy: "prune", workspace: ws, stop_build_id: "b1", journal_at: "2026-01-05T19:00:00Z", deadline: "2026-01-06T00:00:00Z", max_deadline: null }]);
  });
});
