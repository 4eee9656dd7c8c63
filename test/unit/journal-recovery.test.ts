/**
 * The write-ahead journal's reading side: which intents are still pending, how recovery verifies
 * them by reading the workspace, whose build a later build is, and that version 1 journals (no
 * intents) read as before in every reader (rollback, savings, recovery).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DateTime } from "luxon";
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { AppContext } from "../../src/cli/context.js";
import type { Workspace, WorkspaceBuild } from "../../src/coder/schemas.js";
import { rollbackRecords, selectRuns, stopsToUndo } from "../../src/commands/rollback.js";
import { DEFAULT_CONFIG, configSchema } from "../../src/config/schema.js";
import { journalStops } from "../../src/domain/savings.js";
import { CoderApiError, UnreachableError } from "../../src/errors.js";
import { Journal, readJournal, scanJournalNewestFirst, type JournalIntentRecord, type JournalRecord, type JournalWorkspaceRecord } from "../../src/exec/journal.js";
import { judgeBuild, pendingIntents, recoverPendingIntents } from "../../src/exec/recovery.js";
import { ws } from "./quiet-fixture.js";

const T0 = "2026-01-05T19:30:00.000Z";
const at = (min: number) => new Date(Date.parse(T0) + min * 60_000).toISOString();
const ref = (id: string) => ({ id, owner: "alice", name: id, template: "python-dev", organization: "engineering" });

const runRec = (runId: string, min: number, command = "quiet-hours"): JournalRecord => ({
  type: "run", v: 2, run_id: runId, command, mode: "execute", now: at(min), config_hash: "h", started_at: at(min), transition: "stop", planned: 1,
});
const intent = (runId: string, n: number, wsId: string, min: number, planned = 1): JournalIntentRecord => ({
  type: "intent", v: 2, run_id: runId, intent_id: `${runId}/${n}`, at: at(min), action: "stop", workspace: ref(wsId), category: "quiet_hours_stopping",
  reasons: ["Quiet hours policy"], planned_build: { id: `b-${wsId}-${planned}`, build_number: planned }, evidence: { build_id: `b-${wsId}-${planned}`, deadline: at(-60), max_deadline: null },
});
const outcome = (i: JournalIntentRecord, min: number, o: Partial<JournalWorkspaceRecord> = {}): JournalWorkspaceRecord => ({
  type: "workspace", v: 2, run_id: i.run_id, at: at(min), action: "stop", workspace: i.workspace, category: i.category, reasons: i.reasons,
  outcome: "stopped", error: null, build_id: `stop-${i.workspace.id}`, evidence: i.evidence, intent_id: i.intent_id, ...o,
});

function writeJournal(records: readonly JournalRecord[]): string {
  const path = join(mkdtempSync(join(tmpdir(), "wal-")), "journal.ndjson");
  writeFileSync(path, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return path;
}

/** A build of workspace `id` numbered `n`. */
function build(id: string, n: number, transition: string, status: string, o: Partial<WorkspaceBuild> = {}): WorkspaceBuild {
  return { ...ws({ id, startedAt: at(-600) }).latest_build, id: `b-${id}-${n}`, build_number: n, transition, status, job: { id: `j-${id}-${n}`, status: "succeeded" }, ...o };
}
const withLatest = (id: string, b: WorkspaceBuild): Workspace => ({ ...ws({ id, name: id, startedAt: at(-600) }), latest_build: b });

function makeCtx(client: unknown, wallMin = 10) {
  return {
    now: DateTime.fromISO(T0, { zone: "utc" }),
    clock: () => DateTime.fromISO(at(wallMin), { zone: "utc" }),
    config: configSchema.parse(DEFAULT_CONFIG),
    logger: pino({ level: "silent" }),
    secrets: { redactValue: <T>(v: T) => v },
    env: {},
    home: tmpdir(),
    configDir: tmpdir(),
    client: () => client,
  } as unknown as AppContext;
}

describe("pending intents", () => {
  it("are the intents of the look-back without a settled outcome, oldest first, with their uncertain outcome", () => {
    const settled = intent("r1", 1, "w1", 1);
    const missing = intent("r1", 2, "w2", 2);
    const uncertain = intent("r1", 3, "w3", 3);
    const recovered = intent("r1", 4, "w4", 4);
    const old = intent("r0", 1, "w0", -200);
    const path = writeJournal([
      runRec("r0", -201),
      old,
      runRec("r1", 0),
      settled,
      outcome(settled, 1),
      missing,
      uncertain,
      outcome(uncertain, 3, { outcome: "failed", build_id: null, uncertain: true }),
      recovered,
      outcome(recovered, 4, { outcome: "failed", build_id: null, uncertain: true }),
      outcome(recovered, 9, { recovered: { by_command: "quiet-hours", intent_at: recovered.at } }),
    ]);
    const { pending, skipped } = pendingIntents(path, Date.parse(at(-120)));
    expect(skipped).toBe(0);
    expect(pending.map((p) => [p.intent.intent_id, p.uncertain?.outcome ?? null])).toEqual([
      ["r1/2", null],
      ["r1/3", "failed"],
    ]);
    // A longer look-back reaches the old one too.
    expect(pendingIntents(path, Date.parse(at(-300))).pending.map((p) => p.intent.intent_id)).toEqual(["r0/1", "r1/2", "r1/3"]);
    expect(pendingIntents(join(tmpdir(), "no-such-journal.ndjson"), 0)).toEqual({ pending: [], skipped: 0, missing: true });
  });
});

describe("whose build is it", () => {
  const planned = { id: "b-w-3", build_number: 3 };
  const list = (builds: WorkspaceBuild[]) => ({
    calls: 0,
    async listWorkspaceBuilds(_id: string, page: { limit: number; offset: number }) {
      this.calls++;
      return builds.slice(page.offset, page.offset + page.limit);
    },
  });

  it("the planned build still latest: none; the next one with our transition: ours; another transition: someone else's", async () => {
    const c = list([]);
    expect(await judgeBuild(c, withLatest("w", build("w", 3, "start", "running")), planned, "stop")).toEqual({ kind: "none" });
    expect(await judgeBuild(c, withLatest("w", build("w", 4, "stop", "stopping")), planned, "stop")).toMatchObject({ kind: "ours", build: { id: "b-w-4" } });
    expect(await judgeBuild(c, withLatest("w", build("w", 4, "start", "running")), planned, "stop")).toMatchObject({ kind: "other", build: { id: "b-w-4" } });
    expect(c.calls).toBe(0);
  });

  it("more builds since: the build right after the planned one is looked up in the history", async () => {
    const ours = list([build("w", 6, "stop", "stopped"), build("w", 5, "start", "running"), build("w", 4, "stop", "stopped")]);
    expect(await judgeBuild(ours, withLatest("w", build("w", 6, "stop", "stopped")), planned, "stop")).toMatchObject({ kind: "ours", build: { id: "b-w-4" } });
    expect(ours.calls).toBe(1);
    const theirs = list([build("w", 6, "stop", "stopped"), build("w", 5, "stop", "stopped"), build("w", 4, "start", "running")]);
    expect(await judgeBuild(theirs, withLatest("w", build("w", 6, "stop", "stopped")), planned, "stop")).toMatchObject({ kind: "other", build: { id: "b-w-4" } });
  });
});

describe("recovery", () => {
  it("verifies each pending intent by a read and appends its outcome under the intent's run; an unreadable one stays pending", async () => {
    const made = intent("r1", 1, "w1", 1);
    const never = intent("r1", 2, "w2", 2);
    const gone = intent("r1", 3, "w3", 3);
    const down = intent("r1", 4, "w4", 4);
    const path = writeJournal([runRec("r1", 0), made, never, gone, down]);
    const client = {
      async getWorkspace(id: string) {
        if (id === "w1") return withLatest("w1", build("w1", 2, "stop", "stopped", { id: "stop-w1" }));
        if (id === "w2") return withLatest("w2", build("w2", 1, "start", "running"));
        if (id === "w3") throw new CoderApiError(410, "GET", `/api/v2/workspaces/${id}`, "Workspace deleted");
        throw new UnreachableError("GET: cannot reach coder");
      },
      async listWorkspaceBuilds() {
        return [];
      },
    };
    const ctx = makeCtx(client);
    const journal = Journal.open(path);
    const report = await recoverPendingIntents(ctx, { command: "autostop", journal });
    journal.close();
    expect(report).toEqual({ applied: 1, not_applied: 2, unresolved: 1 });
    const recs = readJournal(path).records.filter((r): r is JournalWorkspaceRecord => r.type === "workspace");
    const byWs = Object.fromEntries(recs.map((r) => [r.workspace.id, r]));
    expect(byWs.w1).toMatchObject({
      run_id: "r1",
      intent_id: "r1/1",
      at: at(10),
      outcome: "stopped",
      build_id: "stop-w1",
      error: null,
      recovered: { by_command: "autostop", intent_at: made.at },
      evidence: { deadline: at(-60), observed: { build_id: "stop-w1", build_number: 2, transition: "stop" } },
    });
    expect(byWs.w2).toMatchObject({ outcome: "failed", build_id: null, error: expect.stringMatching(/^recovered: the stop sent by run r1 at .* had no recorded answer; the workspace's latest build is still the planned #1, so it did not take effect$/) });
    expect(byWs.w3).toMatchObject({ outcome: "skipped", error: expect.stringMatching(/deleted since/) });
    expect(byWs.w4).toBeUndefined();
    expect(pendingIntents(path, 0).pending.map((p) => p.intent.intent_id)).toEqual(["r1/4"]);
    // The recovered stop is a stop of run r1 for rollback and savings.
    const rb = rollbackRecords(path, { since: DateTime.fromISO(at(-60)) });
    expect(stopsToUndo(rb.records, new Set(selectRuns(rb.records, { since: DateTime.fromISO(at(-60)) }).map((r) => r.run_id)))).toMatchObject([
      { run_id: "r1", command: "quiet-hours", stop_build_id: "stop-w1", workspace: { id: "w1" } },
    ]);
    expect(journalStops(readJournal(path).records)).toMatchObject([{ run_id: "r1", policy: "quiet-hours", stop_build_id: "stop-w1", deadline: at(-60) }]);
  });

  it("nothing pending: no read, nothing written", async () => {
    const i = intent("r1", 1, "w1", 1);
    const path = writeJournal([runRec("r1", 0), i, outcome(i, 1)]);
    const ctx = makeCtx({
      getWorkspace() {
        throw new Error("must not read");
      },
    });
    expect(await recoverPendingIntents(ctx, { command: "quiet-hours", journal: Journal.open(path) })).toEqual({ applied: 0, not_applied: 0, unresolved: 0 });
    expect(readJournal(path).records).toHaveLength(3);
  });
});

describe("a version 1 journal (before write-ahead)", () => {
  // Lines as version 1 wrote them: no intents, no intent_id.
  const V1 = [
    '{"type":"run","v":1,"run_id":"20260105T190002Z-3f9a1c","command":"quiet-hours","mode":"execute","now":"2026-01-05T19:00:00.000Z","config_hash":"abc","started_at":"2026-01-05T19:00:02.114Z","transition":"stop","planned":2}',
    '{"type":"workspace","v":1,"run_id":"20260105T190002Z-3f9a1c","at":"2026-01-05T19:00:02.530Z","action":"stop","workspace":{"id":"w1","owner":"alice","name":"dev","template":"python-dev","organization":"engineering"},"category":"quiet_hours_stopping","reasons":["Quiet hours policy"],"outcome":"stopped","error":null,"build_id":"stop-1","evidence":{"status":"running","build_id":"b1","deadline":"2026-01-05T21:00:00Z","max_deadline":null}}',
    '{"type":"workspace","v":1,"run_id":"20260105T190002Z-3f9a1c","at":"2026-01-05T19:00:02.600Z","action":"stop","workspace":{"id":"w2","owner":"bob","name":"api","template":"python-dev","organization":"engineering"},"category":"quiet_hours_stopping","reasons":[],"outcome":"failed","error":"POST: socket hang up; the workspace was unchanged when checked, but the stop may still reach Coder: verify this workspace by hand","build_id":null,"evidence":{}}',
    '{"type":"run-end","v":1,"run_id":"20260105T190002Z-3f9a1c","at":"2026-01-05T19:00:03.001Z","summary":{"planned":2,"succeeded":1,"skipped":0,"failed":1},"interrupted":null,"journal_error":null}',
    '{"type":"notice","v":1,"run_id":"notice-20260105T183000Z","at":"2026-01-05T18:30:00Z","kind":"warning","delivered":true,"channels":[],"workspaces":[]}',
  ];

  it("reads whole and streamed, and rollback, savings and recovery see what they saw before", () => {
    const path = join(mkdtempSync(join(tmpdir(), "wal-v1-")), "journal.ndjson");
    writeFileSync(path, V1.join("\n") + "\n");
    const whole = readJournal(path);
    expect(whole).toMatchObject({ skipped: 0, missing: false });
    expect(whole.records.map((r) => r.type)).toEqual(["run", "workspace", "workspace", "run-end", "notice"]);
    const streamed: string[] = [];
    expect(scanJournalNewestFirst(path, (r) => (streamed.push(r.type), true))).toEqual({ skipped: 0, missing: false });
    expect(streamed).toEqual(["notice", "run-end", "workspace", "workspace", "run"]);
    const since = DateTime.fromISO("2026-01-05T18:00:00Z");
    const rb = rollbackRecords(path, { since });
    expect(stopsToUndo(rb.records, new Set(selectRuns(rb.records, { since }).map((r) => r.run_id)))).toMatchObject([{ stop_build_id: "stop-1", workspace: { id: "w1" } }]);
    expect(journalStops(whole.records).map((s) => s.stop_build_id)).toEqual(["stop-1"]);
    // A version 1 failure has no intent to verify: recovery leaves it alone.
    expect(pendingIntents(path, 0).pending).toEqual([]);
  });

  it("a record of a later version is skipped (counted), not guessed at", () => {
    const path = join(mkdtempSync(join(tmpdir(), "wal-v3-")), "journal.ndjson");
    writeFileSync(path, [V1[0], V1[1]!.replace('"v":1', '"v":3')].join("\n") + "\n");
    expect(readJournal(path)).toMatchObject({ skipped: 1, records: [{ type: "run" }] });
  });
});
