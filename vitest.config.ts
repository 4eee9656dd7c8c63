import { defineConfig } from "vitest/config";
import LongestFirst from "./test/support/sequencer.js";

/** Test files that share a module graph per worker (see the "unit" project). */
const SHARED = ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts", "test/sim/**/*.test.ts", "test/fuzz/**/*.test.ts"];

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
        // Everything else (test/e2e, test/reliability, any new directory): the CLI against the
        // simulator, in-process through runCli (test/support/cli.ts) or spawned; each file in a
        // fresh worker.
        extends: true,
        test: { name: "cli", include: ["test/**/*.test.ts"], exclude: SHARED },
      },
    ],
  },
});
