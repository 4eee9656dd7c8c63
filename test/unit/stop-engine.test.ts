import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DateTime } from "luxon";
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { AppContext } from "../../src/cli/context.js";
import type { Workspace, WorkspaceBuild } from "../../src/coder/schemas.js";
import { DEFAULT_CONFIG, configSchema } from "../../src/config/schema.js";
import { CoderApiError, SafetyAbortError, UnreachableError } from "../../src/errors.js";
import { Journal, readJournal, type JournalIntentRecord, type JournalWorkspaceRecord } from "../../src/exec/journal.js";
import { executeStops, type StopEngineOptions } from "../../src/exec/stop-engine.js";
import type { StopCandidate } from "../../src/exec/types.js";
import { ws } from "./quiet-fixture.js";

type PostFn = (id: string, body: { transition: string; reason?: string }, n: number) => Promise<Partial<WorkspaceBuild>> | Partial<WorkspaceBuild>;

/** A fake Coder: workspaces by id, scripted POST behaviour, and a log of every call. */
function fakeCoder(workspaces: Workspace[], post: PostFn = () => ({})) {
  const current = new Map(workspaces.map((w) => [w.id, w]));
  const calls: string[] = [];
  const bodies: { id: string; body: unknown }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let getOverride: ((id: string) => Workspace | Error | undefined) | null = null;
  const client = {
    baseUrl: "http://127.0.0.1:3000",
    async getWorkspace(id: string) {
      calls.push(`GET ${id}`);
      const o = getOverride?.(id);
      if (o instanceof Error) throw o;
      if (o) return o;
      const w = current.get(id);
      if (!w) throw new CoderApiError(410, "GET", `/api/v2/workspaces/${id}`, "Workspace deleted");
      return w;
    },
    async createBuild(id: string, body: { transition: string; reason?: string }) {
      calls.push(`POST ${id}`);
      bodies.push({ id, body });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await new Promise((r) => setTimeout(r, 1));
        const n = bodies.filter((b) => b.id === id).length;
        const partial = await post(id, body, n);
        const w = current.get(id)!;
        const build = { ...w.latest_build, id: `stop-${id}-${n}`, build_number: w.latest_build.build_number + 1, transition: "stop", status: "pending", ...partial };
        current.set(id, { ...w, latest_build: build as WorkspaceBuild });
        return build as WorkspaceBuild;
      } finally {
        inFlight--;
      }
    },
  };
  return {
    client,
    calls,
    bodies,
    current,
    maxInFlight: () => maxInFlight,
    overrideGet(fn: (id: string) => Workspace | Error | undefined) {
      getOverride = fn;
    },
  };
}

function makeCtx(client: unknown, over: { config?: unknown; controller?: AbortController; home?: string } = {}) {
  let t = Date.parse("2026-01-05T19:30:00Z");
  const sleeps: number[] = [];
  const controller = over.controller ?? new AbortController();
  const ctx = {
    now: DateTime.fromISO("2026-01-05T19:30:00Z", { zone: "utc" }),
    nowOverridden: true,
    clock: () => DateTime.fromMillis(t, { zone: "utc" }),
    config: configSchema.parse(over.config ?? DEFAULT_CONFIG),
    configPath: null,
    configHash: "abc123",
    logger: pino({ level: "silent" }),
    io: { stdout() {}, stderr() {}, stdoutIsTTY: false, stderrIsTTY: false },
    json: false,
    color: false,
    env: {},
    cwd: over.home ?? tmpdir(),
    configDir: over.home ?? tmpdir(),
    home: over.home ?? mkdtempSync(join(tmpdir(), "engine-home-")),
    signal: controller.signal,
    interruptedBy: () => (controller.signal.aborted ? "SIGINT" : null),
    client: () => client,
    progress: () => ({ update() {}, done() {} }),
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw new Error("aborted");
      sleeps.push(ms);
      t += ms;
    },
  } as unknown as AppContext;
  return { ctx, sleeps, advance: (ms: number) => (t += ms), controller };
}

const opts = (o: Partial<StopEngineOptions> = {}): StopEngineOptions => ({
  command: "quiet-hours",
  execute: true,
  maxStops: 100,
  concurrency: 5,
  perMinute: 100,
  batchSize: 10,
  journal: null,
  ...o,
});

const cand = (w: Workspace): StopCandidate => ({ workspace: w, reasons: ["Quiet hours policy"], category: "quiet_hours_stopping" });
const running = (n: number) => Array.from({ length: n }, (_v, i) => ws({ id: `w${i}`, name: `dev${i}`, startedAt: "2026-01-05T09:00:00Z" }));

describe("stop engine", () => {
  it("stops each planned workspace exactly once, with reason cli", async () => {
    const list = running(3);
    const f = fakeCoder(list);
    const { ctx } = makeCtx(f.client);
    const run = await executeStops(ctx, list.map(cand), opts());
    expect(run.results.map((r) => r.outcome)).toEqual(["stopped", "stopped", "stopped"]);
    expect(run.results[0]!.build_id).toBe("stop-w0-1");
    expect(f.bodies.map((b) => b.body)).toEqual(Array(3).fill({ transition: "stop", reason: "cli" }));
    expect(run.summary).toEqual({ planned: 3, succeeded: 3, skipped: 0, failed: 0 });
    // a second run over the same (now stale) plan creates nothing
    const again = await executeStops(ctx, list.map(cand), opts());
    expect(again.results.map((r) => r.outcome)).toEqual(["skipped", "skipped", "skipped"]);
    expect(again.results[0]!.error).toMatch(/latest build changed/);
    expect(f.calls.filter((c) => c.startsWith("POST"))).toHaveLength(3);
  });

  it("circuit breaker: a plan over the limit aborts before any request", async () => {
    const list = running(3);
    const f = fakeCoder(list);
    const { ctx } = makeCtx(f.client);
    await expect(executeStops(ctx, list.map(cand), opts({ maxStops: 2, maxStopsSource: "--max-stops" }))).rejects.toThrow(SafetyAbortError);
    await expect(executeStops(ctx, list.map(cand), opts({ maxStops: 2 }))).rejects.toThrow(/--max-stops 3/);
    await expect(executeStops(ctx, list.map(cand), opts({ maxStops: 2, execute: false }))).rejects.toThrow(/circuit breaker/);
    // the advice works: a dry run with the limit raised shows the plan (a plain --dry-run would abort again)
    await expect(executeStops(ctx, list.map(cand), opts({ maxStops: 2 }))).rejects.toThrow(/--dry-run --max-stops 3/);
    await expect(executeStops(ctx, list.map(cand), opts({ maxStops: 2, execute: false }))).rejects.toThrow(/this dry run does too.*--dry-run --max-stops 3/);
    expect(f.calls).toEqual([]);
  });

  it("emergency stop file aborts a run that would act, not a dry run", async () => {
    const home = mkdtempSync(join(tmpdir(), "engine-home-"));
    const list = running(1);
    const f = fakeCoder(list);
    const { ctx } = makeCtx(f.client, { config: { ...DEFAULT_CONFIG, safety: { ...DEFAULT_CONFIG.safety, emergency_stop_file: join(home, "STOP") } }, home });
    writeFileSync(join(home, "STOP"), "");
    await expect(executeStops(ctx, list.map(cand), opts())).rejects.toThrow(/emergency stop/);
    expect(f.calls).toEqual([]);
    const dry = await executeStops(ctx, list.map(cand), opts({ execute: false }));
    expect(dry.results[0]!.outcome).toBe("would-stop");
    expect(f.calls).toEqual([]);
  });

  it("an emergency_stop_file of ~/STOP is the file in the home directory (as the operator's shell means it)", async () => {
    const home = mkdtempSync(join(tmpdir(), "engine-home-"));
    const list = running(1);
    const f = fakeCoder(list);
    const { ctx } = makeCtx(f.client, { config: { ...DEFAULT_CONFIG, safety: { ...DEFAULT_CONFIG.safety, emergency_stop_file: "~/STOP" } }, home });
    writeFileSync(join(home, "STOP"), "");
    await expect(executeStops(ctx, list.map(cand), opts())).rejects.toThrow(/emergency stop is on \(.*engine-home-[^/]+\/STOP exists\)/);
    expect(f.calls).toEqual([]);
  });

  it("skips workspaces whose state changed since the plan", async () => {
    const list = running(4);
    const f = fakeCoder(list);
    const { ctx } = makeCtx(f.client);
    const restarted = ws({ id: "w0", startedAt: "2026-01-05T19:20:00Z", buildId: "newer" });
    const stopped = ws({ id: "w1", startedAt: "2026-01-05T09:00:00Z", buildId: list[1]!.latest_build.id, status: "stopped", jobStatus: "succeeded" });
    const pending = ws({ id: "w2", startedAt: "2026-01-05T09:00:00Z", buildId: list[2]!.latest_build.id, status: "running", jobStatus: "pending" });
    f.overrideGet((id) => ({ w0: restarted, w1: stopped, w2: pending, w3: new CoderApiError(410, "GET", "/x", "gone") })[id]);
    const run = await executeStops(ctx, list.map(cand), opts());
    expect(run.results.map((r) => [r.outcome, r.error])).toEqual([
      ["skipped", expect.stringMatching(/latest build changed/)],
      ["skipped", "no longer running (status stopped)"],
      ["skipped", "a build job is pending"],
      ["skipped", "deleted"],
    ]);
    expect(f.calls.filter((c) => c.startsWith("POST"))).toEqual([]);
  });

  it("maps 409 to 'build already active', retries once without reason on a 400 about reason, and reports other failures", async () => {
    const list = running(4);
    const f = fakeCoder(list, (id, body) => {
      if (id === "w0") throw new CoderApiError(409, "POST", "/b", "A workspace build is already active.");
      if (id === "w1" && body.reason) throw new CoderApiError(400, "POST", "/b", "Invalid request.", undefined, [{ field: "reason", detail: "unknown" }]);
      if (id === "w2") throw new CoderApiError(400, "POST", "/b", "Invalid request.", undefined, [{ field: "reason", detail: "unknown" }]);
      if (id === "w3") throw new CoderApiError(403, "POST", "/b", "Forbidden.");
      return {};
    });
    const { ctx } = makeCtx(f.client);
    const run = await executeStops(ctx, list.map(cand), opts());
    expect(run.results.map((r) => r.outcome)).toEqual(["skipped", "stopped", "failed", "failed"]);
    expect(run.results[0]!.error).toBe("build already active");
    expect(f.bodies.filter((b) => b.id === "w1").map((b) => b.body)).toEqual([{ transition: "stop", reason: "cli" }, { transition: "stop" }]);
    expect(f.bodies.filter((b) => b.id === "w2")).toHaveLength(2);
    expect(run.results[3]!.error).toMatch(/403 Forbidden/);
    expect(run.summary).toEqual({ planned: 4, succeeded: 1, skipped: 1, failed: 2 });
  });

  it("429: waits Retry-After and tries exactly once more", async () => {
    const list = running(2);
    const f = fakeCoder(list, (id, _b, n) => {
      if (id === "w0" && n === 1) throw Object.assign(new CoderApiError(429, "POST", "/b", "rate limited"), { retryAfterMs: 7000 });
      if (id === "w1") throw Object.assign(new CoderApiError(429, "POST", "/b", "rate limited"), { retryAfterMs: 3000 });
      return {};
    });
    const { ctx, sleeps } = makeCtx(f.client);
    const run = await executeStops(ctx, list.map(cand), opts({ concurrency: 1 }));
    expect(run.results.map((r) => r.outcome)).toEqual(["stopped", "failed"]);
    expect(sleeps).toEqual([7000, 3000]);
    expect(f.bodies.filter((b) => b.id === "w1")).toHaveLength(2);
  });

  it("429 then SIGINT during the wait: no second POST, the workspace is skipped as interrupted, the rest never start", async () => {
    const list = running(3);
    const controller = new AbortController();
    const f = fakeCoder(list, (id) => {
      if (id === "w0") {
        controller.abort(new Error("SIGINT"));
        throw Object.assign(new CoderApiError(429, "POST", "/b", "rate limited"), { retryAfterMs: 5000 });
      }
      return {};
    });
    const { ctx, sleeps } = makeCtx(f.client, { controller });
    const run = await executeStops(ctx, list.map(cand), opts({ concurrency: 1 }));
    expect(run.results[0]).toMatchObject({ outcome: "skipped", error: "rate limited (429), then interrupted by SIGINT; not stopped" });
    expect(run.results.slice(1).map((r) => r.outcome)).toEqual(["skipped", "skipped"]);
    expect(sleeps).toEqual([]);
    expect(f.calls.filter((c) => c.startsWith("POST"))).toEqual(["POST w0"]);
    expect(run.interrupted).toBe("SIGINT");
  });

  it("after a network error or 5xx the POST is not repeated: the workspace is read to learn what happened", async () => {
    const list = running(2);
    const f = fakeCoder(list, (id) => {
      if (id === "w1") throw new CoderApiError(500, "POST", "/b", "Internal error.");
      return {};
    });
    const orig = f.client.createBuild.bind(f.client);
    f.client.createBuild = async (id, body) => {
      const b = await orig(id, body);
      if (id === "w0") throw new UnreachableError("POST: socket hang up (not retried)"); // created, but the answer was lost
      return b;
    };
    const { ctx } = makeCtx(f.client);
    const run = await executeStops(ctx, list.map(cand), opts());
    expect(run.results[0]).toMatchObject({ outcome: "stopped", build_id: "stop-w0-1" });
    expect(run.results[1]).toMatchObject({ outcome: "failed", error: expect.stringMatching(/500 Internal error.*no build was created/) });
    expect(f.calls.filter((c) => c.startsWith("POST"))).toHaveLength(2);
  });

  it("a proxy's 502/503/504 is decided by a read: a build made is stopped, none made is failed and left uncertain; Coder's own 500 means no build", async () => {
    const dir = mkdtempSync(join(tmpdir(), "engine-journal-"));
    const list = running(4);
    const f = fakeCoder(list, (id) => {
      if (id === "w1") throw new CoderApiError(504, "POST", "/b", "Gateway Timeout");
      if (id === "w2") throw new CoderApiError(500, "POST", "/b", "Internal error.");
      if (id === "w3") throw new CoderApiError(503, "POST", "/b", "Service Unavailable");
      return {};
    });
    const orig = f.client.createBuild.bind(f.client);
    f.client.createBuild = async (id, body) => {
      const b = await orig(id, body);
      if (id === "w0") throw new CoderApiError(502, "POST", "/b", "Bad Gateway"); // Coder made the build; the proxy answered 502
      return b;
    };
    const { ctx } = makeCtx(f.client);
    const journal = Journal.open(join(dir, "j.ndjson"));
    const run = await executeStops(ctx, list.map(cand), opts({ journal }));
    journal.close();
    expect(run.results[0]).toMatchObject({ outcome: "stopped", build_id: "stop-w0-1", error: null });
    expect(run.results[1]).toMatchObject({ outcome: "failed", build_id: null, error: expect.stringMatching(/504 Gateway Timeout; the workspace was unchanged when checked, but the stop may still reach Coder: the next run checks it again/) });
    expect(run.results[2]).toMatchObject({ outcome: "failed", error: expect.stringMatching(/500 Internal error.*; the workspace is unchanged, so no build was created$/) });
    expect(run.results[3]!.error).toMatch(/503 Service Unavailable; the workspace was unchanged when checked, but the stop may still reach Coder/);
    // A gateway's answer never reads as "no build was created".
    for (const i of [1, 3]) expect(run.results[i]!.error).not.toContain("no build was created");
    // One POST each, never repeated.
    expect(f.calls.filter((c) => c.startsWith("POST"))).toHaveLength(4);
    const outcomes = readJournal(join(dir, "j.ndjson")).records.filter((r): r is JournalWorkspaceRecord => r.type === "workspace");
    expect(outcomes.map((o) => [o.workspace.id, o.outcome, o.uncertain ?? false])).toEqual([
      ["w0", "stopped", false],
      ["w1", "failed", true],
      ["w2", "failed", false],
      ["w3", "failed", true],
    ]);
  });

  it("write-ahead: each POST is preceded by an fsynced intent with the planned build; its outcome names it; no intent without a POST", async () => {
    const dir = mkdtempSync(join(tmpdir(), "engine-journal-"));
    const path = join(dir, "j.ndjson");
    const list = running(3);
    const onDiskAtPost: string[] = [];
    const f = fakeCoder(list, (id) => {
      // What the journal file holds when the POST reaches Coder.
      const intents = readJournal(path).records.filter((r): r is JournalIntentRecord => r.type === "intent");
      if (intents.some((i) => i.workspace.id === id)) onDiskAtPost.push(id);
      return {};
    });
    const changed = ws({ id: "w2", startedAt: "2026-01-05T19:20:00Z", buildId: "newer" });
    f.overrideGet((id) => (id === "w2" ? changed : undefined));
    const { ctx } = makeCtx(f.client);
    const journal = Journal.open(path);
    const run = await executeStops(ctx, list.map(cand), opts({ journal, concurrency: 1 }));
    journal.close();
    expect(onDiskAtPost).toEqual(["w0", "w1"]);
    const recs = readJournal(path).records;
    expect(recs.map((r) => `${r.type}${r.type === "intent" || r.type === "workspace" ? ` ${r.workspace.id}` : ""}`)).toEqual([
      "run",
      "intent w0",
      "workspace w0",
      "intent w1",
      "workspace w1",
      "workspace w2",
      "run-end",
    ]);
    expect(recs.every((r) => r.v === 2)).toBe(true);
    const intents = recs.filter((r): r is JournalIntentRecord => r.type === "intent");
    const outcomes = recs.filter((r): r is JournalWorkspaceRecord => r.type === "workspace");
    expect(intents[0]).toMatchObject({
      run_id: run.run_id,
      intent_id: `${run.run_id}/1`,
      action: "stop",
      workspace: { id: "w0", owner: "alice", name: "dev0", template: "python-dev", organization: "engineering" },
      category: "quiet_hours_stopping",
      planned_build: { id: list[0]!.latest_build.id, build_number: 1 },
      evidence: { build_id: list[0]!.latest_build.id, status: "running" },
    });
    expect(outcomes.map((o) => o.intent_id)).toEqual([intents[0]!.intent_id, intents[1]!.intent_id, null]);
    expect(outcomes[2]).toMatchObject({ outcome: "skipped", error: expect.stringMatching(/latest build changed/) });
  });

  it("a failed re-read is a failure of that workspace only", async () => {
    const list = running(3);
    const f = fakeCoder(list);
    f.overrideGet((id) => (id === "w1" ? new CoderApiError(500, "GET", `/api/v2/workspaces/${id}`, "Internal error fetching workspace.") : undefined));
    const { ctx } = makeCtx(f.client);
    const run = await executeStops(ctx, list.map(cand), opts({ concurrency: 1 }));
    expect(run.results.map((r) => r.outcome)).toEqual(["stopped", "failed", "stopped"]);
  });

  it("once Coder stops answering, the workspaces not yet attempted fail at once instead of each retrying", async () => {
    const list = running(4);
    const f = fakeCoder(list);
    f.overrideGet((id) => (id === "w1" ? new UnreachableError("GET /api/v2/workspaces/w1: cannot reach http://coder: ECONNREFUSED (gave up after 5 attempts)") : undefined));
    const { ctx } = makeCtx(f.client);
    const run = await executeStops(ctx, list.map(cand), opts({ concurrency: 1 }));
    expect(run.results.map((r) => r.outcome)).toEqual(["stopped", "failed", "failed", "failed"]);
    expect(run.results[2]!.error).toMatch(/^not attempted: Coder stopped answering earlier in this run \(.*ECONNREFUSED/);
    // w2 and w3 were never read or posted
    expect(f.calls.filter((c) => c.endsWith("w2") || c.endsWith("w3"))).toEqual([]);
  });

  it("a token rejected mid-run halts the remaining workspaces", async () => {
    const list = running(3);
    const f = fakeCoder(list);
    f.overrideGet((id) => (id === "w0" ? new CoderApiError(401, "GET", `/api/v2/workspaces/${id}`, "You are signed out or your session has expired.") : undefined));
    const { ctx } = makeCtx(f.client);
    const run = await executeStops(ctx, list.map(cand), opts({ concurrency: 1 }));
    expect(run.results.map((r) => r.outcome)).toEqual(["failed", "failed", "failed"]);
    expect(run.results[1]!.error).toMatch(/not attempted: Coder rejected the token/);
    expect(f.calls.filter((c) => c.startsWith("POST"))).toEqual([]);
  });

  it("respects max_stops_per_minute and the concurrency bound", async () => {
    const list = running(7);
    const f = fakeCoder(list);
    const { ctx, sleeps } = makeCtx(f.client);
    const starts: number[] = [];
    const orig = f.client.createBuild.bind(f.client);
    f.client.createBuild = async (id, body) => {
      starts.push(ctx.clock().toMillis());
      return orig(id, body);
    };
    const run = await executeStops(ctx, list.map(cand), opts({ perMinute: 3, concurrency: 2, batchSize: 3 }));
    expect(run.summary.succeeded).toBe(7);
    expect(f.maxInFlight()).toBeLessThanOrEqual(2);
    expect(sleeps.length).toBeGreaterThan(0);
    for (const s of starts) expect(starts.filter((x) => x >= s && x < s + 60_000).length).toBeLessThanOrEqual(3);
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(120_000);
  });

  it("on SIGINT no new stops start, in-flight ones finish, the rest are skipped 'interrupted'", async () => {
    const list = running(6);
    const controller = new AbortController();
    const f = fakeCoder(list, (id) => {
      if (id === "w1") controller.abort(new Error("SIGINT"));
      return {};
    });
    const { ctx } = makeCtx(f.client, { controller });
    const run = await executeStops(ctx, list.map(cand), opts({ concurrency: 2, batchSize: 2 }));
    expect(run.interrupted).toBe("SIGINT");
    expect(run.results.slice(0, 2).map((r) => r.outcome)).toEqual(["stopped", "stopped"]);
    expect(run.results.slice(2).every((r) => r.outcome === "skipped" && /interrupted/.test(r.error ?? ""))).toBe(true);
    expect(f.calls.filter((c) => c.startsWith("POST"))).toHaveLength(2);
  });

  it("dry run makes no request and journals would-stop", async () => {
    const dir = mkdtempSync(join(tmpdir(), "engine-journal-"));
    const list = running(2);
    const f = fakeCoder(list);
    const { ctx } = makeCtx(f.client);
    const journal = Journal.open(join(dir, "j.ndjson"));
    const run = await executeStops(ctx, list.map(cand), opts({ execute: false, journal }));
    journal.close();
    expect(f.calls).toEqual([]);
    expect(run.results.map((r) => r.outcome)).toEqual(["would-stop", "would-stop"]);
    const { records } = readJournal(join(dir, "j.ndjson"));
    expect(records.map((r) => r.type)).toEqual(["run", "workspace", "workspace", "run-end"]);
    expect(records[0]).toMatchObject({ mode: "dry-run", command: "quiet-hours", config_hash: "abc123", now: "2026-01-05T19:30:00.000Z" });
  });

  it("journals every outcome with its evidence and the new build id", async () => {
    const dir = mkdtempSync(join(tmpdir(), "engine-journal-"));
    const list = running(2);
    const f = fakeCoder(list, (id) => {
      if (id === "w1") throw new CoderApiError(409, "POST", "/b", "busy");
      return {};
    });
    const { ctx } = makeCtx(f.client);
    const journal = Journal.open(join(dir, "j.ndjson"));
    const c = list.map((w) => ({ ...cand(w), evidence: { window: { start: "2026-01-05T18:00:00Z" } } }));
    const run = await executeStops(ctx, c, opts({ journal }));
    journal.close();
    const { records, skipped } = readJournal(join(dir, "j.ndjson"));
    expect(skipped).toBe(0);
    const wsRecs = records.filter((r) => r.type === "workspace");
    expect(wsRecs).toMatchObject([
      { run_id: run.run_id, action: "stop", outcome: "stopped", build_id: "stop-w0-1", evidence: { status: "running", build_id: list[0]!.latest_build.id, window: { start: "2026-01-05T18:00:00Z" } } },
      { outcome: "skipped", error: "build already active", build_id: null },
    ]);
    expect(records.at(-1)).toMatchObject({ type: "run-end", summary: { planned: 2, succeeded: 1, skipped: 1, failed: 0 }, journal_error: null });
  });

  it("a journal that cannot be written does not stop the run, but the failure is reported with each record", async () => {
    const dir = mkdtempSync(join(tmpdir(), "engine-journal-"));
    writeFileSync(join(dir, "file"), "");
    const lost: unknown[] = [];
    const journal = Journal.open(join(dir, "file", "journal.ndjson"), { onError: (_e, r) => lost.push(r) });
    const list = running(2);
    const f = fakeCoder(list);
    const { ctx } = makeCtx(f.client);
    const run = await executeStops(ctx, list.map(cand), opts({ journal }));
    expect(run.summary.succeeded).toBe(2);
    expect(run.journal_error).toMatch(/journal .*file\/journal.ndjson/);
    expect(lost.filter((r) => (r as { type?: string })?.type === "workspace")).toHaveLength(2);
  });
});
