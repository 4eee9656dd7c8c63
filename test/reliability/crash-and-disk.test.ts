/**
 * Reliability (issue 8): Coder going away in the middle of a run, and a full disk under the
 * journal and the log file.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { envelopeSchema } from "../../src/output/schema.js";
import { quietHoursExecuteDataSchema } from "../../src/output/schemas/quiet-hours.js";
import { stateJson } from "../../src/sim/control.js";
import type { SimState } from "../support/sim.js";
import { startSim } from "../support/sim.js";
import { assertJournalCovers, cli, dueScenario, journalRecords, POSTS, reliabilityConfig, scratchDir, stoppedOnce } from "./support.js";

const executeDoc = envelopeSchema.extend(quietHoursExecuteDataSchema.shape);

describe("the Coder server killed mid-run", () => {
  it("stops already made stand, the rest fail with the reason, exit 5, and the journal holds every stop Coder received", async () => {
    const sim = await startSim(dueScenario(12), { buildDelayMs: 20 });
    const dir = scratchDir();
    // Six stops at a time, each request held 150 ms by the simulator: the server dies while the
    // second round of stops is on the wire.
    const cfg = reliabilityConfig(dir, { autostop: { max_concurrent_stops: 6, batch_size: 100 } }, "killed.json");
    await sim.setFaults({ latency_ms: 150 });
    // A process of its own, with the client's real backoff: the server dies under a running
    // process, whose stops in flight each retry their re-read as a real run would.
    const run = cli(sim.url, cfg.path, ["quiet-hours", "--execute", "--json"], { cwd: dir, spawn: true });
    let closed = false;
    const watch = (async () => {
      for (let i = 0; i < 1500 && !closed; i++) {
        if ((sim.sim.stats().requests[POSTS] ?? 0) >= 7) {
          closed = true;
          await sim.close();
          return;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const r = await run;
    await watch;
    expect(closed, "the run finished before the server was killed").toBe(true);
    // What Coder actually did, read from the (closed) simulator's store. Requests that were
    // already inside the server when it went down still took effect.
    await new Promise((res) => setTimeout(res, 300));
    const state = stateJson(sim.sim.store) as SimState;
    const received = stoppedOnce(state);

    // Exit 5, not 3: Coder was reachable and some stops were made; the ones that could not be
    // made are failed outcomes, each listed (").
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).not.toContain("internal error");
    const doc = executeDoc.parse(r.json());
    expect(doc.results).toHaveLength(12);
    const stopped = doc.results.filter((x) => x.outcome === "stopped");
    const failed = doc.results.filter((x) => x.outcome === "failed");
    // The 7th POST needs a worker whose first stop was answered; it was itself cut off.
    expect(stopped.length).toBeGreaterThanOrEqual(1);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(stopped.length + failed.length).toBe(12);
    expect(doc.summary).toMatchObject({ planned: 12, succeeded: stopped.length, failed: failed.length });
    for (const f of failed) {
      expect(f.error).toMatch(
        /could not re-read the workspace before the stop, so nothing was done: GET \/api\/v2\/workspaces\/[^:]+: cannot reach http:\/\/127\.0\.0\.1:\d+: \S+ \(gave up after 5 attempts\)|verify this workspace by hand/,
      );
    }
    // Every stop reported as made is one Coder received.
    for (const s of stopped) expect(received).toContain(`alice/${s.name}`);

    // The journal parses, has the run, a record per workspace, the run end, and covers every stop Coder received.
    const recs = journalRecords(cfg.journal);
    expect(recs).toHaveLength(12);
    assertJournalCovers(recs, received, true);
    for (const s of stopped) expect(recs.find((x) => x.workspace.name === s.name)?.outcome).toBe("stopped");
  });
});

describe("a full disk under the journal and the log file", () => {
  // ENOSPC, portably enough: /dev/full (Linux) accepts open() and fails every write with ENOSPC,
  // exactly like a full file system. The journal and the log file are /dev/full itself (a symlink
  // to it would be refused: the journal never follows one; the run lock lives in the state dir).
  // Without /dev/full the journal goes under a plain file (ENOTDIR), a failure of the same kind.
  const devFull = existsSync("/dev/full");

  it("stops still happen, the lost journal records are in the error log, exit 5; the log failure does not abort", async () => {
    const sim = await startSim(dueScenario(3), { buildDelayMs: 20 });
    try {
      const dir = scratchDir();
      const journal = "/dev/full";
      const modeBefore = devFull ? statSync("/dev/full").mode : 0;
      const cfg = reliabilityConfig(
        dir,
        {
          journal: { path: devFull ? journal : join(dir, "config.json", "journal.ndjson") },
          ...(devFull ? { logging: { file: "/dev/full", level: "info" } } : {}),
        },
        "config.json",
      );
      const r = await cli(sim.url, cfg.path, ["quiet-hours", "--execute", "--json"], { cwd: dir });
      expect(r.code, r.stderr).toBe(5);
      const doc = executeDoc.parse(r.json());
      expect(doc.results.map((x) => x.outcome)).toEqual(["stopped", "stopped", "stopped"]);
      expect(doc.journal_error).toMatch(devFull ? /ENOSPC/ : /ENOTDIR/);
      const stopped = stoppedOnce(await sim.state());
      expect(stopped).toEqual(["alice/w01", "alice/w02", "alice/w03"]);
      expect((await sim.stats()).requests[POSTS]).toBe(3);

      // No record lost: each one that could not be journaled is in the error log on stderr.
      const logged = r.stderr
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as { msg?: string; record?: { type: string; outcome?: string; workspace?: { owner: string; name: string } } })
        .filter((l) => l.msg === "journal write failed: the record is logged here instead");
      const kinds = logged.map((l) => l.record?.type);
      expect(kinds[0]).toBe("run");
      expect(kinds.at(-1)).toBe("run-end");
      const wsRecords = logged.flatMap((l) => (l.record?.type === "workspace" ? [l.record] : []));
      expect(wsRecords.map((x) => `${x.workspace!.owner}/${x.workspace!.name} ${x.outcome}`).sort()).toEqual(stopped.map((k) => `${k} stopped`));

      if (devFull) {
        // The log file failing is said once on stderr, and the run went on.
        expect(r.stderr).toMatch(/log file \/dev\/full: ENOSPC[^\n]*; file logging disabled for this run/);
        expect(r.stderr.match(/file logging disabled/g)).toHaveLength(1);
        // The journal never changes the mode of a device it is pointed at.
        expect(statSync("/dev/full").mode).toBe(modeBefore);
      }
    } finally {
      await sim.close();
    }
  });
});
