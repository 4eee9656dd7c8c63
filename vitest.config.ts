import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    clearMocks: true,
    restoreMocks: true,
    // End-to-end tests spawn the CLI and a simulator; two workers suit the 2-core machines.
    pool: "forks",
    maxWorkers: 2,
  },
});
