/**
 * A journal of any size: rollback reads it newest first as a stream, so its memory does not grow
 * with the file. A 96 MiB journal (old records first, then a real run's) is rolled back by run
 * id with the peak RSS of the spawned CLI well under the file's size; a run id that is nowhere in
 * it makes rollback read the whole file, still within the same bound.
 */
import { appendFileSync, closeSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSim, type TestSim } from "../support/sim.js";
import { cli, dueScenario, reliabilityConfig, scratchDir } from "./support.js";

const FILE_MIB = 96;
/** Node's own baseline is about 75 MB; reading the file whole would need several times its size. */
const PEAK_RSS_LIMIT_KB = 130 * 1024;

let sim: TestSim;
beforeAll(async () => {
  sim = await startSim(dueScenario(2), { buildDelayMs: 20 });
});
afterAll(async () => {
  await sim?.close();
});

function peakRssKb(stderr: string): number {
  const m = /coder-agents-peak-rss-kb=(\d+)/.exec(stderr);
  if (!m) throw new Error(`no peak RSS report in: ${stderr}`);
  return Number(m[1]);
}

/** `mib` MiB of old, valid stop records of other runs (about 1 KB each). */
function writeOldRecords(path: string, mib: number): void {
  const lines: string[] = [];
  for (let i = 0; i < 1024; i++) {
    const runId = `20251201T000000Z-${String(i).padStart(6, "0")}`;
    lines.push(
      JSON.stringify({
        type: "workspace", v: 1, run_id: runId, at: "2025-12-01T00:00:01.000Z", action: "stop",
        workspace: { id: `old-${i}`, owner: "someone", name: `ws${i}`, template: "t", organization: "o" },
        category: "quiet_hours_stopping", reasons: ["x".repeat(700)], outcome: "stopped", error: null, build_id: `b-${i}`, evidence: {},
      }),
    );
  }
  const block = Buffer.from(lines.join("\n") + "\n");
  const fd = openSync(path, "w", 0o600);
  try {
    for (let written = 0; written < mib * 1024 * 1024; written += block.length) writeSync(fd, block);
  } finally {
    closeSync(fd);
  }
}

describe("rollback on a very large journal", () => {
  it("rolls back the newest run by id with bounded memory, and an unknown run id reads the whole file within the same bound", async () => {
    const dir = scratchDir();
    const cfg = reliabilityConfig(dir, {}, "big.json");
    const stop = await cli(sim.url, cfg.path, ["quiet-hours", "--execute", "--json"], { cwd: dir });
    expect(stop.code, stop.stderr).toBe(0);
    const runId = stop.json<{ run_id: string }>().run_id;
    expect(runId).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    const recent = readFileSync(cfg.journal);
    writeOldRecords(cfg.journal, FILE_MIB);
    appendFileSync(cfg.journal, recent);
    expect(statSync(cfg.journal).size).toBeGreaterThan(FILE_MIB * 1024 * 1024);

    const env = { CODER_AGENTS_REPORT_RSS: "1" };
    const rb = await cli(sim.url, cfg.path, ["rollback", "--run", runId, "--json"], { cwd: dir, env });
    expect(rb.code, rb.stderr).toBe(0);
    const doc = rb.json<{ results: { outcome: string }[] }>();
    expect(doc.results.map((r) => r.outcome)).toEqual(["would-start", "would-start"]);
    expect(peakRssKb(rb.stderr)).toBeLessThan(PEAK_RSS_LIMIT_KB);

    const unknown = await cli(sim.url, cfg.path, ["rollback", "--run", "20990101T000000Z-abcdef"], { cwd: dir, env });
    expect(unknown.code, unknown.stderr).toBe(2);
    expect(unknown.stderr).toContain("--run 20990101T000000Z-abcdef: no such run in the journal; recent stopping runs: " + runId);
    expect(peakRssKb(unknown.stderr)).toBeLessThan(PEAK_RSS_LIMIT_KB);
  }, 90_000);
});
