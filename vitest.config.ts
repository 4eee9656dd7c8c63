import { defineConfig } from "vitest/config";
import LongestFirst from "./test/support/sequencer.js";

/** Test files that share a module graph per worker (see the "unit" project). */
const SHARED = ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts", "test/sim/**/*.test.ts", "test/fuzz/**/*.test.ts"];

/**
 * CLI test files that run the CLI in-process only (runCli through the composition root, never a
 * spawned binary, a signal, a module mock or a changed process.env) and close their simulators:
 * they too share a module graph per worker (see the "cli-shared" project).
 */
const CLI_SHARED = [
  "autostop",
  "enterprise-quiet-hours",
  "hardening",
  "lifecycle",
  "metrics",
  "plan-apply",
  "policy-lint",
  "policy-regression",
  "policy-simulate",
  "policy-teams",
  "prune-cleanup",
  "prune",
  "quiet-hours-dst",
  "quiet-hours",
  "rollback",
  "savings",
  "transport",
].map((n) => `test/e2e/${n}.test.ts`).concat(["test/reliability/read-faults.test.ts", "test/reliability/stop-faults.test.ts"]);

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    clearMocks: true,
    restoreMocks: true,
    // Two workers suit the 2-core machines. Forks: a test may spawn the CLI, install.sh or Chromium.
    pool: "forks",
    maxWorkers: 2,
    // Longest files first, the short ones at the end, so both workers finish together.
    sequence: { sequencer: LongestFirst },
    projects: [
      {
        // Pure code, the client against msw, the simulator and the in-process fuzzer: no test file
        // leaves state behind (each closes its servers, msw restores fetch), so the files of a worker
        // share one module graph instead of importing src/ again per file.
        extends: true,
        test: { name: "unit", include: SHARED, isolate: false },
      },
      {
        // The in-process CLI files above: as "unit", no file leaves state behind, so a worker's
        // files share one module graph instead of importing the CLI and the simulator again per
        // file (and a worker process per file).
        extends: true,
        test: { name: "cli-shared", include: CLI_SHARED, isolate: false },
      },
      {
        // Everything else (test/e2e, test/reliability, any new directory): the CLI against the
        // simulator, in-process through runCli (test/support/cli.ts) or spawned; each file in a
        // fresh worker.
        extends: true,
        test: { name: "cli", include: ["test/**/*.test.ts"], exclude: [...SHARED, ...CLI_SHARED] },
      },
    ],
  },
});
