import { defineConfig } from "vitest/config";

/**
 * The test settings every package shares; each package's vitest.config.ts starts from it.
 * Tests sit beside the code; they talk to real servers, Postgres and Redis, and `npm test` runs
 * three packages at once on what may be a loaded two-core machine, hence the generous timeouts:
 * a ceiling for a hung test, never a measure of a slow one (no test asserts a wall-clock time).
 */
export const sharedTestConfig = {
  include: ["src/**/*.test.ts"],
  testTimeout: 120_000,
  hookTimeout: 180_000,
};

export default defineConfig({ test: sharedTestConfig });
