import { defineConfig } from "vitest/config";

/**
 * The test settings every package shares; each package's vitest.config.ts starts from it.
 * Tests sit beside the code; they talk to real servers, Postgres and Redis, hence the
 * generous timeouts (no test asserts a wall-clock time).
 */
export const sharedTestConfig = {
  include: ["src/**/*.test.ts"],
  testTimeout: 30_000,
  hookTimeout: 60_000,
};

export default defineConfig({ test: sharedTestConfig });
