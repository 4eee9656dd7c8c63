/**
 * Orders the test files so the workers finish together: the longest files start first and the
 * many short ones fill in at the end. Files of a shared-graph project (isolate: false: "unit",
 * "cli-shared") stay one block per project at the end, so each worker keeps reusing its module
 * graph for them.
 *
 * A file's expected duration is the larger of vitest's own record of its last run (the results
 * cache) and the estimate below (seconds in a whole `npm test` on the 2-core machines, from
 * .tmp/vitest-report.json); files without either go larger first. The order only decides when a
 * file starts, never what it tests.
 */
import { statSync } from "node:fs";
import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** Seconds per file in a whole `npm test` run. Keep the slow ones listed. */
const ESTIMATE_S: Record<string, number> = {
  "test/e2e/token-redaction.test.ts": 30,
  "test/e2e/operator-experience.test.ts": 20,
  "test/e2e/hostile-server.test.ts": 20,
  "test/e2e/install.test.ts": 18,
  "test/e2e/dashboard.test.ts": 16,
  "test/e2e/listing-churn.test.ts": 15,
  "test/reliability/stop-faults.test.ts": 8,
  "test/e2e/policy-regression.test.ts": 8,
  "test/reliability/crash-and-disk.test.ts": 7,
  "test/e2e/ttl-monitor.test.ts": 6,
  "test/e2e/notify.test.ts": 5,
  "test/e2e/ops.test.ts": 5,
};

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const weight = new Map<TestSpecification, number>();
    const size = new Map<TestSpecification, number>();
    for (const f of files) {
      const rel = relative(root, f.moduleId).split("\\").join("/");
      const cached = this.ctx.cache.getFileTestResults(`${f.project.name}:${rel}`);
      // The larger of the two: a filtered run (-t, one file) records a short duration in the cache.
      weight.set(f, Math.max((cached?.duration ?? 0) / 1000, ESTIMATE_S[rel] ?? 0));
      let bytes = 0;
      try {
        bytes = statSync(f.moduleId).size;
      } catch {
        /* a file that went away: vitest reports it */
      }
      size.set(f, bytes);
    }
    // Isolated files first; then each shared-graph project's files together (a worker reuses its
    // module graph only for consecutive files of one project).
    const shared = (f: TestSpecification) => (f.project.config.isolate === false ? 1 : 0);
    const group = (f: TestSpecification) => (shared(f) ? f.project.name : "");
    const sorted = [...files].sort(
      (a, b) => shared(a) - shared(b) || group(a).localeCompare(group(b)) || weight.get(b)! - weight.get(a)! || size.get(b)! - size.get(a)!,
    );
    if (process.env.DEBUG_SEQUENCE) for (const f of sorted) console.error(`${weight.get(f)!.toFixed(1).padStart(6)} ${f.project.name} ${relative(root, f.moduleId)}`);
    return sorted;
  }
}
