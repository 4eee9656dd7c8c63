import { defineConfig } from "vitest/config";
import LongestFirst from "./test/support/sequencer.js";

/** Test files that share a module graph per worker (see the "unit" project). */
const SHARED = ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts", "test/sim/**/*.test.ts", "test/fuzz/**/*.test.ts"];

/**
 * CLI test files that neither mock modules nor change process.env or other process-wide state, and
 * close their simulators and servers: they run the CLI in-process or spawn the binary (a spawned
 * process has its own module graph anyway), and share a module graph per worker (see the
 * "cli-shared" project). The longest CLI files stay in "cli": they start first (test/support/sequencer.ts).
 */
const CLI_SHARED = [
  ...[
    "autostop",
    "docs",
    "enterprise-quiet-hours",
    "foundation",
    "hardening",
    "lifecycle",
    "metrics",
    "notify",
    "ops",
    "plan-apply",
    "policy-lint",
    "policy-regression",
    "policy-simulate",
    "policy-teams",
    "prune-cleanup",
    "prune-scale",
    "prune",
    "quiet-hours-dst",
    "quiet-hours-faults",
    "quiet-hours-scale",
    "quiet-hours",
    "rollback",
    "savings",
    "transport",
    "ttl-monitor",
  ].map((n) => `test/e2e/${n}.test.ts`),
  ...["big-journal", "crash-and-disk", "integrity", "read-faults", "stop-faults"].map((n) => `test/reliability/${n}.test.ts`),
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    clearMocks: true,
    restoreMocks: true,
    // Three workers on the 2-core machines: many files spend much of their time waiting (the
    // simulator's latency, retry backoff, the dashboard's refresh interval, spawned processes,
    // install.sh's npm), and a third worker fills those waits (whole suite here: 134 s with two,
    // 112 s with three). Forks: a test may spawn the CLI, install.sh or Chromium.
    pool: "forks",
    maxWorkers: 3,
    // Longest files first, the short ones at the end, so the workers finish together.
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
        // The CLI files above: as in "unit", no file leaves state behind, so a worker's files share
        // one module graph instead of importing the CLI and the simulator again per file (and
        // starting a worker process per file).
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
