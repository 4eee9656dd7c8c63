/**
 * Reliability (issue 8): timeouts, dropped connections and 429 storms around the stops. One
 * simulator for the file; each case adds its own workspaces (all due for a quiet-hours stop),
 * and checks the exit code, the message, that no workspace was stopped twice and that the journal
 * has a record for every stop the simulator received. Faults the simulator cannot inject (a 429
 * with a one-second Retry-After, a stop applied whose answer is lost, a slow stop) go through a
 * small proxy in front of it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envelopeSchema } from "../../src/output/schema.js";
import { quietHoursExecuteDataSchema } from "../../src/output/schemas/quiet-hours.js";
import { startSim, type TestSim } from "../support/sim.js";
import {
  addDue,
  assertJournalCovers,
  buildsPath,
  cli,
  dueScenario,
  journalRecords,
  POSTS,
  reliabilityConfig,
  scratchDir,
  startFaultProxy,
  stopBuilds,
  stoppedOnce,
  type ProxyAction,
} from "./support.js";

const executeDoc = envelopeSchema.extend(quietHoursExecuteDataSchema.shape);

let sim: TestSim;
let dir = "";

beforeAll(async () => {
  sim = await startSim(dueScenario(0), { buildDelayMs: 20 });
  dir = scratchDir();
});
afterAll(async () => {
  await sim?.close();
});

const outcomes = (stdout: string) =>
  executeDoc
    .parse(JSON.parse(stdout))
    .results.map((x) => `${x.name} ${x.outcome}`)
    .sort();

describe("timeouts", () => {
  it("latency beyond http.timeout_seconds: exit 3 saying it timed out, and no stop", async () => {
    await addDue(sim, "t1", "t2");
    const cfg = reliabilityConfig(dir, { http: { timeout_seconds: 0.3 } }, "timeout.json");
    await sim.resetStats();
    await sim.setFaults({ latency_ms: 1000 });
    const r = await cli(sim.url, cfg.path, ["quiet-hours", "--execute"], { cwd: dir });
    await sim.clearFaults();
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/error: GET \/api\/v2\/[^:]+: cannot reach http:\/\/127\.0\.0\.1:\d+: timed out after 300 ms \(gave up after 5 attempts\)/);
    expect((await sim.stats()).requests[POSTS] ?? 0).toBe(0);
    expect(stopBuilds(await sim.state()).size).toBe(0);
    expect(journalRecords(cfg.journal)).toEqual([]);
    // The next run, with Coder fast again, stops each once.
    const again = await cli(sim.url, cfg.path, ["quiet-hours", "--execute", "--json"], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(outcomes(again.stdout)).toEqual(["t1 stopped", "t2 stopped"]);
    const stopped = stoppedOnce(await sim.state());
    expect(stopped).toEqual(["alice/t1", "alice/t2"]);
    assertJournalCovers(journalRecords(cfg.journal), stopped);
  });

  it("a stop slower than the timeout: reported failed and to be checked by hand, never POSTed twice", async () => {
    const ids = await addDue(sim, "s1", "s2");
    const cfg = reliabilityConfig(dir, { http: { timeout_seconds: 0.3 } }, "slow-stop.json");
    // s1's stop reaches Coder 1 s late: the CLI has given up on it (and checked) by then.
    const proxy = await startFaultProxy(sim.url, (q): ProxyAction => (q.method === "POST" && q.path === buildsPath(ids.s1!) ? { kind: "delay", ms: 1000 } : { kind: "pass" }));
    try {
      await sim.resetStats();
      const r = await cli(proxy.url, cfg.path, ["quiet-hours", "--execute", "--json"], { cwd: dir });
      expect(r.code, r.stderr).toBe(5);
      const doc = executeDoc.parse(r.json());
      const s1 = doc.results.find((x) => x.name === "s1")!;
      expect(s1.outcome).toBe("failed");
      expect(s1.error).toMatch(/^POST \/api\/v2\/workspaces\/[^/]+\/builds: cannot reach http:\/\/127\.0\.0\.1:\d+: timed out after 300 ms/);
      // The late stop may still land: the report must not claim it did not.
      expect(s1.error).not.toContain("no build was created");
      expect(s1.error).toContain("verify this workspace by hand");
      expect(doc.results.find((x) => x.name === "s2")!.outcome).toBe("stopped");
      expect(proxy.seen.get(`POST ${buildsPath(ids.s1!)}`)).toBe(1);
      // Let the delayed POST land.
      for (let i = 0; i < 100 && ((await sim.stats()).requests[POSTS] ?? 0) < 2; i++) await new Promise((res) => setTimeout(res, 50));
    } finally {
      await proxy.close();
    }
    expect((await sim.stats()).requests[POSTS]).toBe(2);
    const stopped = stoppedOnce(await sim.state());
    expect(stopped).toEqual(expect.arrayContaining(["alice/s1", "alice/s2"]));
    assertJournalCovers(journalRecords(cfg.journal), ["alice/s1", "alice/s2"], true);
  });
});

describe("dropped connections", () => {
  it("on reads: retried, each workspace stopped once, exit 0", async () => {
    await addDue(sim, "d1", "d2", "d3");
    const cfg = reliabilityConfig(dir, {}, "drop-reads.json");
    await sim.resetStats();
    await sim.setFaults({ drop_rate: 0.2, methods: ["GET"], rules: [{ method: "GET", path: "/api/v2/workspaces", drop: true, count: 1 }] });
    const r = await cli(sim.url, cfg.path, ["quiet-hours", "--execute", "--json"], { cwd: dir });
    await sim.clearFaults();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/"reason":"cannot reach http:\/\/127\.0\.0\.1:\d+: (UND_ERR_SOCKET|ECONNRESET|other side closed)[^"]*","msg":"retrying Coder API request"/);
    expect(outcomes(r.stdout)).toEqual(["d1 stopped", "d2 stopped", "d3 stopped"]);
    expect((await sim.stats()).requests[POSTS]).toBe(3);
    const stopped = stoppedOnce(await sim.state());
    assertJournalCovers(journalRecords(cfg.journal), stopped.filter((k) => /\/d\d$/.test(k)));
  });

  it("a stop POST dropped before Coder acted: failed, not retried, the workspace still running; exit 5", async () => {
    const ids = await addDue(sim, "p1", "p2");
    const cfg = reliabilityConfig(dir, {}, "drop-post.json");
    await sim.resetStats();
    await sim.setFaults({ rules: [{ method: "POST", path: buildsPath(ids.p1!), drop: true }] });
    const r = await cli(sim.url, cfg.path, ["quiet-hours", "--execute"], { cwd: dir });
    await sim.clearFaults();
    expect(r.code, r.stderr).toBe(5);
    expect(r.stdout).toMatch(/alice\/p1 +│ ❌ Failed: POST \/api\/v2\/workspaces\/[^ ]+\/builds: cannot reach http:\/\/127\.0\.0\.1:\d+: [^;]+\(not retried: the request is not idempotent\); the workspace was unchanged when checked/);
    expect(r.stdout).toContain("📊 Operation completed: 1/2 workspaces stopped successfully (1 failed)");
    expect((await sim.stats()).requests[POSTS]).toBe(2);
    const state = await sim.state();
    stoppedOnce(state);
    expect(state.workspaces.find((w) => w.name === "p1")!.status).toBe("running");
    const recs = journalRecords(cfg.journal);
    expect(recs.find((x) => x.workspace.name === "p1")).toMatchObject({ outcome: "failed", build_id: null });
    assertJournalCovers(recs, ["alice/p2"]);
    // The next run finds p1 still running and stops it, once.
    const again = await cli(sim.url, cfg.path, ["quiet-hours", "--execute", "--json"], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(outcomes(again.stdout)).toEqual(["p1 stopped"]);
    expect((await sim.stats()).requests[POSTS]).toBe(3);
    expect(stoppedOnce(await sim.state())).toContain("alice/p1");
    assertJournalCovers(journalRecords(cfg.journal), ["alice/p1", "alice/p2"]);
  });

  it("a stop Coder applied but whose answer was lost: verified by reading the workspace, recorded as stopped, exit 0", async () => {
    const ids = await addDue(sim, "v1", "v2");
    const cfg = reliabilityConfig(dir, {}, "lost-answer.json");
    const proxy = await startFaultProxy(sim.url, (q): ProxyAction =>
      q.method === "POST" && q.path === buildsPath(ids.v1!) ? { kind: "forward-then-drop" } : { kind: "pass" },
    );
    try {
      await sim.resetStats();
      const r = await cli(proxy.url, cfg.path, ["quiet-hours", "--execute", "--json"], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      const doc = executeDoc.parse(r.json());
      expect(outcomes(r.stdout)).toEqual(["v1 stopped", "v2 stopped"]);
      expect(doc.results.find((x) => x.name === "v1")!.build_id).toEqual(expect.any(String));
      expect(proxy.seen.get(`POST ${buildsPath(ids.v1!)}`)).toBe(1);
    } finally {
      await proxy.close();
    }
    expect((await sim.stats()).requests[POSTS]).toBe(2);
    const stopped = stoppedOnce(await sim.state());
    expect(stopped).toEqual(expect.arrayContaining(["alice/v1", "alice/v2"]));
    assertJournalCovers(journalRecords(cfg.journal), ["alice/v1", "alice/v2"]);
  });
});

describe("429 storms", () => {
  const tooMany = (): ProxyAction => ({
    kind: "reply",
    status: 429,
    headers: { "Retry-After": "1" },
    body: { message: "You've been rate limited for sending more than 10 requests in 1m0s." },
  });

  it("with Retry-After: the run waits as told and completes; each stop POSTed once to Coder", async () => {
    const ids = await addDue(sim, "r1", "r2", "r3");
    const cfg = reliabilityConfig(dir, {}, "storm.json");
    const mine = new Set(["r1", "r2", "r3"].map((n) => buildsPath(ids[n]!)));
    // The listing is refused twice, and every stop once.
    const proxy = await startFaultProxy(sim.url, (q): ProxyAction => {
      if (q.method === "GET" && q.path === "/api/v2/workspaces" && q.seen <= 2) return tooMany();
      if (q.method === "POST" && mine.has(q.path) && q.seen === 1) return tooMany();
      return { kind: "pass" };
    });
    try {
      await sim.resetStats();
      const r = await cli(proxy.url, cfg.path, ["quiet-hours", "--execute", "--json"], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/"delay_ms":1000,"reason":"429 You've been rate limited[^"]*","msg":"retrying Coder API request"/);
      expect(r.stderr.match(/"wait_ms":1000,"msg":"rate limited by Coder; waiting before one more try"/g)).toHaveLength(3);
      expect(outcomes(r.stdout)).toEqual(["r1 stopped", "r2 stopped", "r3 stopped"]);
      for (const p of mine) expect(proxy.seen.get(`POST ${p}`)).toBe(2);
    } finally {
      await proxy.close();
    }
    expect((await sim.stats()).requests[POSTS]).toBe(3);
    const stopped = stoppedOnce(await sim.state());
    assertJournalCovers(journalRecords(cfg.journal), stopped.filter((k) => /\/r\d$/.test(k)));
  });

  it("a storm longer than the one extra try: that stop fails with Coder's 429, the others go on; exit 5", async () => {
    const ids = await addDue(sim, "q1", "q2");
    const cfg = reliabilityConfig(dir, {}, "storm-long.json");
    const proxy = await startFaultProxy(sim.url, (q): ProxyAction => (q.method === "POST" && q.path === buildsPath(ids.q1!) ? tooMany() : { kind: "pass" }));
    try {
      await sim.resetStats();
      const r = await cli(proxy.url, cfg.path, ["quiet-hours", "--execute", "--json"], { cwd: dir });
      expect(r.code, r.stderr).toBe(5);
      const q1 = executeDoc.parse(r.json()).results.find((x) => x.name === "q1")!;
      expect(q1).toMatchObject({ outcome: "failed", build_id: null });
      expect(q1.error).toMatch(/^POST \/api\/v2\/workspaces\/[^/]+\/builds: 429 You've been rate limited/);
      expect(outcomes(r.stdout)).toEqual(["q1 failed", "q2 stopped"]);
      expect(proxy.seen.get(`POST ${buildsPath(ids.q1!)}`)).toBe(2);
    } finally {
      await proxy.close();
    }
    expect((await sim.stats()).requests[POSTS]).toBe(1);
    const state = await sim.state();
    stoppedOnce(state);
    expect(state.workspaces.find((w) => w.name === "q1")!.status).toBe("running");
    const recs = journalRecords(cfg.journal);
    expect(recs.find((x) => x.workspace.name === "q1")?.outcome).toBe("failed");
    assertJournalCovers(recs, ["alice/q2"]);
  });
});
